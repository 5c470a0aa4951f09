import { smsTemplatesPage, saveSmsTemplate } from '../../domain/messages/templates.ts';
import { maximumSegments, singleSegmentChars } from '../../domain/messages/sms-text.ts';
import type { Problem } from '../../domain/kernel/outcome.ts';
import { authorize } from '../../domain/access/authorize.ts';
import { canEditSmsTemplates } from '../../domain/messages/permissions.ts';
import { Form } from '../../lib/form-schema.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../plugins/forms.ts';
import { HttpProblem, refusalPage } from '../../plugins/http-errors.ts';
import type { RouteApp } from '../../plugins/route-options.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';

const TemplatesQuery = Form.object({ saved: Form.optional(Form.text(20)) });
const KindParams = Type.Object({ kind: Form.text(40, { pattern: '^[a-z_]+$' }) });
const TemplateForm = Form.object({ body: Form.text(200, { messageKey: 'messages.error.body_too_long' }) });

interface Shown {
  kind: string;
  body: string;
  problems: Problem[];
}

async function showTemplates(app: RouteApp, request: FastifyRequest, reply: FastifyReply, saved: string | null, shown: Shown | null, status = 200) {
  const outcome = smsTemplatesPage({ db: app.db, now: app.clock }, request.requireUser().actor);
  if (!outcome.ok) return refusalPage(outcome);
  const errors = shown ? problemsToForm(request.t, shown.problems) : null;
  return reply.page('pages/messages/templates', {
    ...outcome.value, saved, shown, errors, segmentChars: singleSegmentChars, segments: maximumSegments,
  }, { titleKey: 'messages.templates.title', status });
}

/** The top office's SMS templates (one form per kind) and the signature. */
export function registerTemplateRoutes(app: RouteApp): void {
  app.get('/messages/templates', { schema: { querystring: TemplatesQuery } }, async (request, reply) => showTemplates(app, request, reply, request.query.saved ?? null, null));
  app.post('/messages/templates/:kind', { schema: { params: KindParams, body: TemplateForm }, attachValidation: true }, async (request, reply) => {
    if (!authorize(request.requireUser().actor, canEditSmsTemplates)) throw new HttpProblem(403, 'errors.forbidden.message');
    const shape = shapeProblems(request, {}, 'messages.error.template_not_found');
    const kind = request.params.kind;
    const body = typedValues(request.body).body ?? '';
    const outcome = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape } : saveSmsTemplate({ db: app.db, now: app.clock }, request.requireUser().actor, kind, body);
    if (!outcome.ok && outcome.status !== 422) return refusalPage(outcome);
    if (!outcome.ok) return showTemplates(app, request, reply, null, { kind, body, problems: outcome.problems }, 422);
    return reply.seeOther(`/messages/templates?saved=${kind}#template-${kind}`);
  });
}

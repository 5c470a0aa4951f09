import type { FastifyReply, FastifyRequest } from 'fastify';
import { awardNow, publishNotice, starOfficePage } from '../../domain/stars/office.ts';
import { objectionToResolve, resolveObjection, revealObjectionPhone } from '../../domain/stars/objections.ts';
import { canManageStars } from '../../domain/stars/permissions.ts';
import { roleRefusal } from '../../domain/hours/context.ts';
import { firstProblem, type Refusal } from '../../domain/kernel/outcome.ts';
import { Form, IdParams } from '../../lib/form-schema.ts';
import { shapeProblems, typedValues } from '../../plugins/forms.ts';
import { refusalPage } from '../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../plugins/route-options.ts';
import { formatters, hoursContext } from '../hours/support.ts';
import { registerNoticeRoutes } from './notices.ts';
import { registerPolicyRoutes } from './policy.ts';

const ResolveForm = Form.object({
  decision: Form.oneOf(['upheld', 'dismissed'], { messageKey: 'stars.error.decision_required' }),
  resolution: Form.text(400, { messageKey: 'stars.error.resolution_too_long' }),
});

const DoneQuery = Form.object({ done: Form.optional(Form.text(20)) });

/** The refusal of the last action, shown beside the award or the objection it concerns. */
interface OfficeMessage {
  awardId?: number;
  objectionId?: number;
  text: string;
}

/** The office's page; `message` is the refusal of the last action, shown beside the award it concerns; `revealed` an objector's full number, shown once. */
async function showOffice(app: RouteApp, request: FastifyRequest, reply: FastifyReply, message: OfficeMessage | null = null, status = 200, revealed: { objectionId: number; phone: string } | null = null) {
  const outcome = starOfficePage(hoursContext(app), request.requireUser().actor);
  if (!outcome.ok) refusalPage(outcome);
  const done = (request.query as { done?: string }).done ?? '';
  // A page with a full number is never stored by a browser or a proxy.
  if (revealed) reply.header('Cache-Control', 'no-store');
  return reply.page('pages/stars/office', { awards: outcome.value, message, revealed, done: /^[a-z_]{1,20}$/.test(done) ? done : '', f: formatters(request) }, { titleKey: 'stars.office.title', status });
}

/** A refusal of an action on one award: the 403/404 pages, anything else beside the award on the office page. */
function refused(app: RouteApp, request: FastifyRequest, reply: FastifyReply, target: Omit<OfficeMessage, 'text'>, refusal: Refusal) {
  if (refusal.status === 403 || refusal.status === 404) refusalPage(refusal);
  const problem = firstProblem(refusal);
  return showOffice(app, request, reply, { ...target, text: request.t(problem.code, problem.params) }, refusal.status);
}

function registerOfficeRoutes(app: RouteApp): void {
  const context = hoursContext(app);
  app.get('/stars', { schema: { querystring: DoneQuery } }, async (request, reply) => showOffice(app, request, reply));

  app.post('/stars/:id/publish', { schema: { params: IdParams }, attachValidation: true }, async (request, reply) => {
    const actor = request.requireUser().actor;
    const id = shapeProblems(request).length > 0 ? 0 : request.params.id;
    const outcome = publishNotice(context, actor, id);
    if (!outcome.ok) return refused(app, request, reply, { awardId: id }, outcome);
    return reply.seeOther('/stars?done=published');
  });

  app.post('/stars/:id/award', { schema: { params: IdParams }, attachValidation: true }, async (request, reply) => {
    const actor = request.requireUser().actor;
    const id = shapeProblems(request).length > 0 ? 0 : request.params.id;
    const outcome = awardNow(context, actor, id);
    if (!outcome.ok) return refused(app, request, reply, { awardId: id }, outcome);
    return reply.seeOther(`/stars?done=${outcome.value.status === 'awarded' ? 'awarded' : 'withdrawn'}`);
  });

  app.post('/stars/objections/:id/resolve', { schema: { params: IdParams, body: ResolveForm }, attachValidation: true }, async (request, reply) => {
    const actor = request.requireUser().actor;
    const denied = roleRefusal(actor, canManageStars);
    if (denied) refusalPage(denied);
    const shape = shapeProblems(request, {}, 'stars.error.objection_not_found');
    // The objection's scope before the form: outside the region it is a missing objection, whatever the form holds.
    const inScope = objectionToResolve(context, actor, request.params.id);
    if (!inScope.ok) refusalPage(inScope);
    const values = typedValues(request.body);
    const outcome = shape.length > 0
      ? { ok: false as const, status: 422 as const, problems: shape }
      : resolveObjection(context, actor, request.params.id, request.body.decision, values.resolution ?? '');
    if (!outcome.ok) return refused(app, request, reply, { objectionId: request.params.id }, outcome);
    return reply.seeOther(`/stars?done=${request.body.decision}`);
  });

  // The full number of an objector, for the office resolving the objection: in this answer only (no redirect, never in a URL), audited and limited per user.
  app.post('/stars/objections/:id/phone', { schema: { params: IdParams }, attachValidation: true }, async (request, reply) => {
    const actor = request.requireUser().actor;
    const denied = roleRefusal(actor, canManageStars);
    if (denied) refusalPage(denied);
    const id = shapeProblems(request).length > 0 ? 0 : request.params.id;
    const outcome = revealObjectionPhone(context, actor, id);
    if (!outcome.ok) return refused(app, request, reply, { objectionId: id }, outcome);
    return showOffice(app, request, reply, null, 200, outcome.value);
  });
}

const starsRoutes: RoutePlugin = async (app) => {
  registerOfficeRoutes(app);
  registerPolicyRoutes(app);
  registerNoticeRoutes(app);
};

export default starsRoutes;

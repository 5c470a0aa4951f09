import type { FastifyReply, FastifyRequest } from 'fastify';
import { noticesPerPage, publicNotices } from '../../domain/stars/notices.ts';
import { fileObjection, objectionReasonMax } from '../../domain/stars/objections.ts';
import { Form, IdParams } from '../../lib/form-schema.ts';
import { noErrors, problemsToForm, shapeProblems, typedValues, type FormErrors } from '../../plugins/forms.ts';
import type { RouteApp } from '../../plugins/route-options.ts';
import { formatters, hoursContext } from '../hours/support.ts';

/** The objection form: lengths are checked by the domain, so a long reason gets its own sentence, not a generic one. */
const ObjectionForm = Form.object({
  reason: Form.text(4000),
  phone: Form.text(100),
});

const NoticesQuery = Form.object({ filed: Form.optional(Form.text(4)), page: Form.optional(Form.integer(1, 100_000)) });

interface ObjectionFormState {
  noticeId: number;
  errors: FormErrors;
  values: { reason: string; phone: string };
}

async function showNotices(app: RouteApp, request: FastifyRequest, reply: FastifyReply, form: ObjectionFormState | null = null, status = 200) {
  const query = request.query as { filed?: string; page?: number | string };
  const filed = query.filed === '1';
  const page = Number(query.page ?? 1) || 1;
  const listed = publicNotices(app.db, page);
  return reply.page('pages/stars/notices', {
    notices: listed.slice(0, noticesPerPage), page, hasMore: listed.length > noticesPerPage, form: form ?? { noticeId: 0, errors: noErrors, values: { reason: '', phone: '' } }, filed, reasonMax: objectionReasonMax, f: formatters(request),
  }, { titleKey: 'stars.notices.title', status });
}

/** The public notices (公示) and their objection form: no sign-in, CSRF like every form, limits per address and per notice in the domain. */
export function registerNoticeRoutes(app: RouteApp): void {
  app.get('/notices', { schema: { querystring: NoticesQuery }, config: { public: true } }, async (request, reply) => showNotices(app, request, reply));

  app.post('/notices/:id/objections', { schema: { params: IdParams, body: ObjectionForm }, attachValidation: true, config: { public: true } }, async (request, reply) => {
    const shape = shapeProblems(request, {}, 'stars.error.notice_not_found');
    const typed = typedValues(request.body);
    const values = { reason: (typed.reason ?? '').slice(0, 4000), phone: (typed.phone ?? '').slice(0, 100) };
    const noticeId = request.params.id;
    if (shape.length > 0) return showNotices(app, request, reply, { noticeId, errors: problemsToForm(request.t, shape), values }, 422);
    const outcome = fileObjection(hoursContext(app), noticeId, values, request.ip);
    if (!outcome.ok) return showNotices(app, request, reply, { noticeId, errors: problemsToForm(request.t, outcome.problems), values }, outcome.status);
    return reply.seeOther('/notices?filed=1');
  });
}

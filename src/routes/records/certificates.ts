import type { FastifyReply, FastifyRequest } from 'fastify';
import { qrSvg } from '../../lib/qr.ts';
import { issueCertificate, declineRequest, revokeCertificate } from '../../domain/records/certificates.ts';
import { requestCertificate } from '../../domain/records/requests.ts';
import { requestFormFor } from '../../domain/records/request-form.ts';
import { maximumSealBytes, uploadSeal } from '../../domain/records/seals.ts';
import { certificateForPrint, certificatesBoard } from '../../domain/records/views.ts';
import type { Problem } from '../../domain/kernel/outcome.ts';
import { Form, IdParams } from '../../lib/form-schema.ts';
import { formatDateTime } from '../../lib/time.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../plugins/forms.ts';
import { refusalPage } from '../../plugins/http-errors.ts';
import type { RouteApp } from '../../plugins/route-options.ts';
import { acceptMultipart, uploadedFile } from '../people/import/multipart.ts';
import { recordsContext } from './support.ts';

const BoardQuery = Form.object({ done: Form.optional(Form.oneOf(['requested', 'issued', 'declined', 'revoked', 'seal'])) });
const NewQuery = Form.object({ member: Form.optional(Form.id()) });
const RequestForm = Form.object({
  member: Form.optional(Form.optionalId()), period: Form.optional(Form.oneOf(['all', 'range'])), from: Form.optional(Form.text(40)), to: Form.optional(Form.text(40)),
});
const ReasonForm = Form.object({ reason: Form.optional(Form.text(400)) });
const SealForm = Form.object({ county: Form.optional(Form.text(12)) });

/** Where a certificate's QR code points: the public verification page. */
export function verifyUrl(request: FastifyRequest, number: string): string {
  return `${request.protocol}://${request.host}/verify/${number}`;
}

function boardPage(app: RouteApp, request: FastifyRequest, reply: FastifyReply, problems: Problem[] = [], status = 200) {
  const board = certificatesBoard(recordsContext(app), request.requireUser().actor);
  const done = (request.query as { done?: string }).done ?? null;
  return reply.page('pages/records/index', { board, done, errors: problemsToForm(request.t, problems).summary, maximumSealKilobytes: maximumSealBytes / 1024, formatDateTime },
    { titleKey: 'records.title', status });
}

function requestPage(app: RouteApp, request: FastifyRequest, reply: FastifyReply, memberId: number | null, values: Record<string, string>, problems: Problem[] = [], status = 200) {
  const form = requestFormFor(recordsContext(app), request.requireUser().actor, memberId);
  if (!form.ok) refusalPage(form);
  const errors = problemsToForm(request.t, problems);
  return reply.page('pages/records/new', { member: form.value, values, errors: errors.summary, byField: errors.byField }, { titleKey: 'records.request.title', status });
}

function registerRequestRoutes(app: RouteApp): void {
  app.get('/certificates', { schema: { querystring: BoardQuery }, attachValidation: true }, async (request, reply) => boardPage(app, request, reply));

  app.get('/certificates/new', { schema: { querystring: NewQuery }, attachValidation: true }, async (request, reply) => {
    shapeProblems(request, {}, 'records.error.member_not_found');
    const memberId = request.validationError ? null : request.query.member ?? null;
    return requestPage(app, request, reply, memberId, { period: 'all', from: '', to: '' });
  });

  app.post('/certificates/requests', { schema: { body: RequestForm }, attachValidation: true }, async (request, reply) => {
    const typed = typedValues(request.body);
    const values = { period: typed.period === 'range' ? 'range' : 'all', from: (typed.from ?? '').trim(), to: (typed.to ?? '').trim() };
    const shape = shapeProblems(request);
    const memberId = shape.length === 0 && typeof request.body.member === 'number' ? request.body.member : null;
    if (shape.length > 0) return requestPage(app, request, reply, memberId, values, shape, 422);
    const result = requestCertificate(recordsContext(app), request.requireUser().actor, { memberId, allTime: values.period !== 'range', fromDate: values.from, toDate: values.to });
    if (!result.ok) {
      if (result.status === 404 || result.status === 403) refusalPage(result);
      return requestPage(app, request, reply, memberId, values, result.problems, result.status);
    }
    return reply.seeOther('/certificates?done=requested');
  });
}

function registerOfficeRoutes(app: RouteApp): void {
  const decided = { schema: { params: IdParams, body: ReasonForm }, attachValidation: true } as const;
  app.post('/certificates/requests/:id/issue', { schema: { params: IdParams }, attachValidation: true }, async (request, reply) => {
    shapeProblems(request, {}, 'records.error.request_not_found');
    const result = issueCertificate(recordsContext(app), app.checkpointKeys, request.requireUser().actor, request.params.id);
    if (!result.ok) return result.status === 404 || result.status === 403 ? refusalPage(result) : boardPage(app, request, reply, result.problems, result.status);
    return reply.seeOther(`/certificates/${result.value.certificateId}`);
  });

  app.post('/certificates/requests/:id/decline', decided, async (request, reply) => {
    const shape = shapeProblems(request, {}, 'records.error.request_not_found');
    const result = declineRequest(recordsContext(app), request.requireUser().actor, request.params.id, shape.length > 0 ? '' : request.body.reason);
    if (!result.ok) return result.status === 404 || result.status === 403 ? refusalPage(result) : boardPage(app, request, reply, result.problems, result.status);
    return reply.seeOther('/certificates?done=declined');
  });

  app.post('/certificates/:id/revoke', decided, async (request, reply) => {
    const shape = shapeProblems(request, {}, 'records.error.certificate_not_found');
    const result = revokeCertificate(recordsContext(app), app.checkpointKeys, request.requireUser().actor, request.params.id, shape.length > 0 ? '' : request.body.reason);
    if (!result.ok) return result.status === 404 || result.status === 403 ? refusalPage(result) : certificatePage(app, request, reply, request.params.id, result.problems, result.status);
    return reply.seeOther(`/certificates/${request.params.id}?done=revoked`);
  });

  app.register(async (scope) => {
    acceptMultipart(scope, maximumSealBytes + 1);
    scope.post('/certificates/seal', { bodyLimit: 2 * 1024 * 1024, schema: { body: SealForm }, attachValidation: true }, async (request, reply) => {
      const file = uploadedFile(request.body, 'seal');
      const county = typedValues(request.body).county;
      const result = uploadSeal(recordsContext(app), request.requireUser().actor, { countyCode: county || null, data: file?.data ?? Buffer.alloc(0), truncated: file?.truncated ?? false });
      if (!result.ok) {
        if (result.status === 403 || result.status === 404) refusalPage(result);
        const tooLarge = result.problems.some((problem) => problem.code === 'records.error.seal_too_large');
        return boardPage(app, request, reply, result.problems, tooLarge ? 413 : result.status);
      }
      return reply.seeOther('/certificates?done=seal');
    });
  });
}

async function certificatePage(app: RouteApp, request: FastifyRequest, reply: FastifyReply, id: number, problems: Problem[] = [], status = 200) {
  const result = certificateForPrint(recordsContext(app), request.requireUser().actor, id);
  if (!result.ok) refusalPage(result);
  const url = verifyUrl(request, result.value.content.number);
  const qrSvgText = await qrSvg(url);
  const done = (request.query as { done?: string }).done === 'revoked';
  return reply.page('pages/records/certificate', { certificate: result.value, url, qrSvg: qrSvgText, done, errors: problemsToForm(request.t, problems).summary, formatDateTime },
    { titleKey: 'records.certificate.title', status });
}

export function registerCertificateRoutes(app: RouteApp): void {
  registerRequestRoutes(app);
  registerOfficeRoutes(app);
  app.get('/certificates/:id', { schema: { params: IdParams }, attachValidation: true }, async (request, reply) => {
    shapeProblems(request, {}, 'records.error.certificate_not_found');
    return certificatePage(app, request, reply, request.params.id);
  });
}

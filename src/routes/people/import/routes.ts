import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getImportBatch, importRoleRefusal, listImportBatches, startImport, uploadRoster } from '../../../domain/people/import/batch.ts';
import { rosterColumns, type RosterKind } from '../../../domain/people/import/columns.ts';
import { rosterTemplate, rosterTemplateVillages } from '../../../domain/people/import/template.ts';
import { Form, IdParams, type Static } from '../../../lib/form-schema.ts';
import { shapeProblems } from '../../../plugins/forms.ts';
import { HttpProblem } from '../../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../../plugins/route-options.ts';
import { peopleContext } from '../members/support.ts';
import { acceptMultipart, maximumUploadBytes, uploadedFile } from './multipart.ts';
import { firstProblem } from '../../../domain/kernel/outcome.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';

const rosterKinds = ['members', 'elders'] as const satisfies readonly RosterKind[];
/** The template of a roster kind; another word in the address is a missing page (after the role check, as every import page). */
const TemplateParams = Form.object({ kind: Form.oneOf(rosterKinds) });
/** The upload: which roster (the file itself is read by the multipart parser, src/routes/people/import/multipart.ts). */
const UploadForm = Form.object({ kind: Form.optional(Form.oneOf(rosterKinds, { messageKey: 'import.error.kindRequired' })) });
const BatchQuery = Form.object({ page: Form.optional(Form.integer(1, 1_000_000)), same: Form.optional(Form.text(10)) });
/** A batch's pages: the shape is checked after the role, so a malformed id answers like a missing batch. */
const batchRoute = { schema: { params: IdParams, querystring: BatchQuery }, attachValidation: true } as const;

async function showIndex(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, form: { kind: string; error: string }, status = 200) {
  const batches = listImportBatches(peopleContext(app), request.requireUser().actor);
  if (!batches.ok) refusalPage(batches);
  return reply.page('pages/people/import/index', { form, batches: batches.value }, { titleKey: 'import.title', status });
}

/** The role first (the 403 whatever the address holds), then the address's shape, then the batch in the actor's scope. */
function checkImportRole(request: FastifyRequest): void {
  const denied = importRoleRefusal(request.requireUser().actor);
  if (denied) refusalPage(denied);
}

function loadBatch(app: FastifyInstance, request: FastifyRequest<{ Params: Static<typeof IdParams> }>, errorPage = 1) {
  checkImportRole(request);
  if (shapeProblems(request, {}, 'people.error.import_not_found').length > 0) throw new HttpProblem(400, 'errors.badRequest.message');
  const result = getImportBatch(peopleContext(app), request.requireUser().actor, request.params.id, errorPage);
  if (!result.ok) refusalPage(result);
  return result.value;
}

/** The import page: the batches so far, the roster templates and the upload of a roster. */
function registerUploadRoutes(app: RouteApp): void {
  app.get('/import', async (request, reply) => {
    return showIndex(app, request, reply, { kind: 'members', error: '' });
  });

  app.get('/import/template/:kind', { schema: { params: TemplateParams }, attachValidation: true }, async (request, reply) => {
    const villages = rosterTemplateVillages(peopleContext(app), request.requireUser().actor);
    if (!villages.ok) refusalPage(villages);
    shapeProblems(request); // another kind: the 404 page (after the role)
    const kind = request.params.kind;
    const file = await rosterTemplate(kind, villages.value);
    reply.header('Content-Disposition', `attachment; filename="${kind}-template.xlsx"; filename*=UTF-8''${encodeURIComponent(kind === 'members' ? '成员名册模板.xlsx' : '特殊困难老人名册模板.xlsx')}`);
    reply.header('Cache-Control', 'no-store');
    return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(file);
  });

  app.post('/import', { bodyLimit: maximumUploadBytes + 64 * 1024, schema: { body: UploadForm }, attachValidation: true }, async (request, reply) => {
    // A refused shape is shown on the index page, whose list of batches refuses an actor without the role first (403).
    const kind = shapeProblems(request).length > 0 ? null : request.body.kind ?? null;
    const file = uploadedFile(request.body, 'file');
    const formKind = kind ?? 'members';
    if (!kind) return showIndex(app, request, reply, { kind: formKind, error: request.t('import.error.kindRequired') }, 422);
    if (!file || file.data.length === 0) return showIndex(app, request, reply, { kind: formKind, error: request.t('import.error.fileRequired') }, 422);
    if (file.truncated) return showIndex(app, request, reply, { kind: formKind, error: request.t('import.error.fileTooLarge', { megabytes: maximumUploadBytes / 1024 / 1024 }) }, 413);
    const result = await uploadRoster(peopleContext(app), request.requireUser().actor, { kind, fileName: file.fileName, file: file.data });
    if (!result.ok) {
      if (result.status === 403) refusalPage(result);
      const problem = firstProblem(result);
      return showIndex(app, request, reply, { kind: formKind, error: request.t(problem.code, problem.params) }, result.status);
    }
    return reply.seeOther(`/import/${result.value.batchId}${result.value.sameFileAsBefore ? '?same=1' : ''}`);
  });
}

/** One batch: its page, its progress while it runs, and starting the import. */
function registerBatchRoutes(app: RouteApp): void {
  app.get('/import/:id', batchRoute, async (request, reply) => {
    const batch = loadBatch(app, request, request.query.page ?? 1);
    const columns = Object.fromEntries(rosterColumns[batch.kind].map((column) => [column.key, request.locale === 'en' ? column.en : column.zh]));
    return reply.page('pages/people/import/show', { batch, columns, same: Boolean(request.query.same), startError: '' }, { titleKey: 'import.show.title', titleVariables: { file: batch.fileName } });
  });

  app.get('/import/:id/progress', batchRoute, async (request, reply) => {
    const batch = loadBatch(app, request);
    return reply.fragment('partials/people/import/progress', { batch });
  });

  app.post('/import/:id/start', { schema: { params: IdParams }, attachValidation: true }, async (request, reply) => {
    checkImportRole(request);
    shapeProblems(request, {}, 'people.error.import_not_found'); // a malformed id: the 404 page
    const batchId = request.params.id;
    const result = startImport(peopleContext(app), request.requireUser().actor, batchId);
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refusalPage(result);
      // Already running or done (a double click): show the batch as it is.
      return reply.seeOther(`/import/${batchId}`);
    }
    // The import runs on in chunks; the page polls its progress.
    result.value.done.catch((error: unknown) => request.log.error({ batchId, errorName: error instanceof Error ? error.name : 'unknown' }, 'roster import failed'));
    return reply.seeOther(`/import/${batchId}`);
  });
}

const importRoutes: RoutePlugin = async (app) => {
  acceptMultipart(app);
  registerUploadRoutes(app);
  registerBatchRoutes(app);
};

export default importRoutes;

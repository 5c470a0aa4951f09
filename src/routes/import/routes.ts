import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { getImportBatch, listImportBatches, startImport, uploadRoster } from '../../domain/import/batch.ts';
import { rosterColumns, type RosterKind } from '../../domain/import/columns.ts';
import { rosterTemplate } from '../../domain/import/template.ts';
import { canImportRosters } from '../../domain/import/permissions.ts';
import { villageChoices } from '../../domain/members/choices.ts';
import { field } from '../../lib/forms.ts';
import { notFound } from '../../plugins/http-errors.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { parseId, peopleContext, refuse } from '../members/support.ts';
import { acceptMultipart, maximumUploadBytes, uploadedFile } from './multipart.ts';
import { firstProblem } from '../../domain/kernel/outcome.ts';

function rosterKind(value: string): RosterKind | null {
  return value === 'members' || value === 'elders' ? value : null;
}

async function showIndex(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, form: { kind: string; error: string }, status = 200) {
  const batches = listImportBatches(peopleContext(app), request.requireUser().actor);
  if (!batches.ok) refuse(batches);
  return reply.page('pages/import/index', { form, batches: batches.value }, { titleKey: 'import.title', status });
}

function loadBatch(app: FastifyInstance, request: FastifyRequest, id: string, errorPage = 1) {
  const batchId = parseId(id);
  if (batchId === null) throw notFound('people.error.import_not_found');
  const result = getImportBatch(peopleContext(app), request.requireUser().actor, batchId, errorPage);
  if (!result.ok) refuse(result);
  return result.value;
}

/** The import page: the batches so far, the roster templates and the upload of a roster. */
function registerUploadRoutes(app: FastifyInstance): void {
  app.get('/import', async (request, reply) => {
    request.authorize(canImportRosters);
    return showIndex(app, request, reply, { kind: 'members', error: '' });
  });

  app.get<{ Params: { kind: string } }>('/import/template/:kind', async (request, reply) => {
    request.authorize(canImportRosters);
    const kind = rosterKind(request.params.kind);
    if (!kind) throw notFound();
    const villages = villageChoices(peopleContext(app), request.requireUser().actor, 'zh-CN', canImportRosters).map((village) => ({ code: village.code, name: `${village.township} ${village.name}`.trim() }));
    const file = await rosterTemplate(kind, villages);
    reply.header('Content-Disposition', `attachment; filename="${kind}-template.xlsx"; filename*=UTF-8''${encodeURIComponent(kind === 'members' ? '成员名册模板.xlsx' : '特殊困难老人名册模板.xlsx')}`);
    reply.header('Cache-Control', 'no-store');
    return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(file);
  });

  app.post('/import', { bodyLimit: maximumUploadBytes + 64 * 1024 }, async (request, reply) => {
    request.authorize(canImportRosters);
    const kind = rosterKind(field(request.body, 'kind'));
    const file = uploadedFile(request.body, 'file');
    const formKind = kind ?? 'members';
    if (!kind) return showIndex(app, request, reply, { kind: formKind, error: request.t('import.error.kindRequired') }, 422);
    if (!file || file.data.length === 0) return showIndex(app, request, reply, { kind: formKind, error: request.t('import.error.fileRequired') }, 422);
    if (file.truncated) return showIndex(app, request, reply, { kind: formKind, error: request.t('import.error.fileTooLarge', { megabytes: maximumUploadBytes / 1024 / 1024 }) }, 413);
    const result = await uploadRoster(peopleContext(app), request.requireUser().actor, { kind, fileName: file.fileName, file: file.data });
    if (!result.ok) {
      if (result.status === 403) refuse(result);
      const problem = firstProblem(result);
      return showIndex(app, request, reply, { kind: formKind, error: request.t(problem.code, problem.params) }, result.status);
    }
    return reply.seeOther(`/import/${result.value.batchId}${result.value.sameFileAsBefore ? '?same=1' : ''}`);
  });
}

/** One batch: its page, its progress while it runs, and starting the import. */
function registerBatchRoutes(app: FastifyInstance): void {
  app.get<{ Params: { id: string }; Querystring: { page?: string; same?: string } }>('/import/:id', async (request, reply) => {
    request.authorize(canImportRosters);
    const batch = loadBatch(app, request, request.params.id, Number(request.query.page) || 1);
    const columns = Object.fromEntries(rosterColumns[batch.kind].map((column) => [column.key, request.locale === 'en' ? column.en : column.zh]));
    return reply.page('pages/import/show', { batch, columns, same: Boolean(request.query.same), startError: '' }, { titleKey: 'import.show.title', titleVariables: { file: batch.fileName } });
  });

  app.get<{ Params: { id: string } }>('/import/:id/progress', async (request, reply) => {
    request.authorize(canImportRosters);
    const batch = loadBatch(app, request, request.params.id);
    return reply.fragment('partials/import/progress', { batch });
  });

  app.post<{ Params: { id: string } }>('/import/:id/start', async (request, reply) => {
    request.authorize(canImportRosters);
    const batchId = parseId(request.params.id);
    if (batchId === null) throw notFound('people.error.import_not_found');
    const result = startImport(peopleContext(app), request.requireUser().actor, batchId);
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refuse(result);
      // Already running or done (a double click): show the batch as it is.
      return reply.seeOther(`/import/${batchId}`);
    }
    // The import runs on in chunks; the page polls its progress.
    result.value.done.catch((error: unknown) => request.log.error({ batchId, errorName: error instanceof Error ? error.name : 'unknown' }, 'roster import failed'));
    return reply.seeOther(`/import/${batchId}`);
  });
}

const importRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  acceptMultipart(app);
  registerUploadRoutes(app);
  registerBatchRoutes(app);
};

export default importRoutes;

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDiskFull } from '../db/failures.ts';
import { writerOf } from '../db/writer.ts';
import { renderProblem } from './errors.ts';

/**
 * Group commit at the edge of the app (src/db/writer.ts does the batching).
 *
 * Every answer waits for the batches its request may have seen: each request
 * notes, as it arrives, the first batch that can be open during its life
 * (`mark`); before its answer is sent (onSend) it waits until every batch from
 * that one on has committed. So a write is acknowledged only once its batch
 * is on disk, and a read that ran on the writer's connection while another
 * request's work was still uncommitted is answered only once that work is
 * committed. If any of those batches failed, the answer is replaced by a 503
 * ("not saved, nothing changed"; the disk-full page for a full disk): a write
 * in a failed batch is not acknowledged, and a page that may show work that
 * was then rolled back is not shown.
 */

declare module 'fastify' {
  interface FastifyRequest {
    batchMark: number;
  }
}

export function installGroupCommit(app: FastifyInstance, enabled: boolean): void {
  const writer = writerOf(app.db.$client);
  writer.setGroupCommit(enabled);
  if (!enabled) return;
  app.decorateRequest('batchMark', 0);
  app.addHook('onRequest', (request, _reply, done) => {
    request.batchMark = writer.mark();
    done();
  });
  app.addHook('onSend', async (request, reply, payload) => {
    // A static asset read nothing a batch could take back: a stylesheet need not wait for a commit.
    if (request.routeOptions.config?.readsNoData) return payload;
    // 0: the request never passed onRequest (nothing of it read the database): what is open now.
    const pending = writer.settled(request.batchMark || writer.mark());
    if (!pending) return payload;
    try {
      await pending;
      return payload;
    } catch (failure) {
      // A streamed answer (an export) is dropped unread: its data may be what was lost.
      if (payload !== null && typeof (payload as { destroy?: unknown }).destroy === 'function') (payload as { destroy(): void }).destroy();
      return notSaved(request, reply, failure);
    }
  });
  app.addHook('onClose', (_instance, done) => {
    writer.setGroupCommit(false);
    done();
  });
}

/** The 503 page that replaces an answer whose batch (or one it may have read) did not commit. */
async function notSaved(request: FastifyRequest, reply: FastifyReply, failure: unknown): Promise<string> {
  request.log.error({ err: failure }, 'write batch not committed: its answers are not saved');
  reply.removeHeader('location');
  reply.removeHeader('hx-redirect');
  reply.removeHeader('content-length');
  // The page must not show what the request read (its user's name included): it may be what was lost.
  request.currentUser = null;
  if (isDiskFull(failure)) {
    request.server.storage.reportFull(request.log);
    reply.header('Retry-After', '60');
    return renderProblem(request, reply, 503, 'errors.diskFull.message');
  }
  reply.header('Retry-After', '10');
  return renderProblem(request, reply, 503, 'errors.notSaved.message');
}

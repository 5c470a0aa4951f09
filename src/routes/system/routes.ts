import { ledgerFor } from '../../domain/bookkeeping/accounts.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';

const systemRoutes: RoutePlugin = async (app) => {
  /**
   * 200 with the database state, the disk (ok, or full since a write failed
   * for lack of space, with the bytes free in the data directory) and the
   * ledger head (sequence number and hash); 503 when the database does not
   * answer or the disk is full (writes are refused). Cheap: one rowid lookup.
   */
  app.get('/healthz', { config: { public: true, skipSession: true } }, async (_request, reply) => {
    try {
      const head = ledgerFor(app.db.$client, app.clock).head();
      const full = app.storage.full;
      return reply.code(full ? 503 : 200).header('Cache-Control', 'no-store').send({
        status: full ? 'degraded' : 'ok', database: 'ok', disk: full ? 'full' : 'ok', freeBytes: app.storage.freeBytes(),
        ledger: { seq: head.seq, hash: head.hash },
      });
    } catch {
      return reply.code(503).type('text/plain; charset=utf-8').send('database unavailable');
    }
  });
};
export default systemRoutes;

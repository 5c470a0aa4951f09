import type { FastifyPluginAsync } from 'fastify';
import { ledgerFor } from '../../domain/ledger/accounts.ts';
import type { RoutePluginOptions } from '../index.ts';

const systemRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  /**
   * 200 with the database state and the ledger head (sequence number and hash)
   * when the database answers, 503 otherwise. Cheap: one rowid lookup.
   */
  app.get('/healthz', { config: { public: true, skipSession: true } }, async (_request, reply) => {
    try {
      const head = ledgerFor(app.db.$client, app.clock).head();
      return reply.header('Cache-Control', 'no-store').send({ status: 'ok', database: 'ok', ledger: { seq: head.seq, hash: head.hash } });
    } catch {
      return reply.code(503).type('text/plain; charset=utf-8').send('database unavailable');
    }
  });
};
export default systemRoutes;

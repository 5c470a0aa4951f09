import type { FastifyInstance } from 'fastify';
import type { DomainContext } from '../../domain/kernel/context.ts';

/** The records domain's context for this app: its database, its data keys (masked ID numbers on certificates), its clock. */
export function recordsContext(app: FastifyInstance): DomainContext {
  return { db: app.db, keys: app.secrets, now: app.clock };
}

import type { FastifyInstance } from 'fastify';
import type { PeopleContext } from '../../../domain/people/members/context.ts';

/** The people domain's context for this app: its database, its data keys, its clock. */
export function peopleContext(app: FastifyInstance): PeopleContext {
  return { db: app.db, keys: app.secrets, now: app.clock };
}

export interface FormState<Values> {
  values: Values;
  /** Message per field name, in the user's language. */
  errors: Record<string, string>;
  /** Messages not tied to one field. */
  messages: string[];
  idempotencyKey: string;
}


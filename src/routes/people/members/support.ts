import type { FastifyInstance } from 'fastify';
import type { PeopleContext, Refusal } from '../../../domain/people/members/context.ts';
import { HttpProblem } from '../../../plugins/http-errors.ts';

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

/** Refusals that are not about a form field (403, 404, 409 on an object) become the app's problem pages. */
export function refuse(refusal: Refusal): never {
  const first = refusal.problems[0];
  throw new HttpProblem(refusal.status, first?.code ?? 'errors.forbidden.message', first?.params);
}

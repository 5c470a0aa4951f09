import type { FastifyInstance } from 'fastify';
import type { PeopleContext, Problem, Refusal } from '../../domain/members/context.ts';
import type { Translate } from '../../i18n/index.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';

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

/** Turns domain problems into messages per field (first problem per field wins) and general messages. */
export function problemsToForm(problems: readonly Problem[], t: Translate): { errors: Record<string, string>; messages: string[] } {
  const errors: Record<string, string> = {};
  const messages: string[] = [];
  for (const problem of problems) {
    const text = t(problem.code, problem.params);
    if (problem.field && !(problem.field in errors)) errors[problem.field] = text;
    else if (!problem.field) messages.push(text);
  }
  return { errors, messages };
}

/** Refusals that are not about a form field (403, 404, 409 on an object) become the app's problem pages. */
export function refuse(refusal: Refusal): never {
  const first = refusal.problems[0];
  throw new HttpProblem(refusal.status, first?.code ?? 'errors.forbidden.message', first?.params);
}

/** Positive integer id from a URL parameter, or null. */
export function parseId(value: string): number | null {
  return /^[1-9]\d{0,9}$/.test(value) ? Number(value) : null;
}

import type { Refusal } from '../domain/kernel/outcome.ts';
/**
 * An error a route throws to show the user a page with a status and a
 * message from the catalogue (in their language). The error handler renders
 * it as a full page or as a fragment.
 */
export class HttpProblem extends Error {
  readonly statusCode: number;
  readonly messageKey: string;
  readonly variables: Record<string, string | number> | undefined;
  constructor(statusCode: number, messageKey: string, variables?: Record<string, string | number>) {
    super(messageKey);
    this.statusCode = statusCode;
    this.messageKey = messageKey;
    this.variables = variables;
  }
}

export const notFound = (messageKey = 'errors.notFound.message') => new HttpProblem(404, messageKey);
export const forbidden = (messageKey = 'errors.forbidden.message') => new HttpProblem(403, messageKey);

/** Thrown when a page needs a signed-in user and there is none: full pages redirect, htmx gets HX-Redirect. */
export class SignInRequired extends Error {
  readonly reason: 'signed_out' | 'expired';
  constructor(reason: 'signed_out' | 'expired') {
    super('sign-in required');
    this.reason = reason;
  }
}

/** A domain refusal that is not about a form field (the 403 of a missing role, an object's 404 or 409) as the app's problem page. */
export function refusalPage(refusal: Refusal): never {
  const first = refusal.problems[0];
  throw new HttpProblem(refusal.status, first?.code ?? 'errors.forbidden.message', first?.params);
}

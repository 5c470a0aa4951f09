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

/** How request.authorize answers a target outside the user's scope. */
export interface ObjectOptions {
  /** The message a missing object of this kind gets; an object outside the scope gets the same 404. */
  notFoundKey?: string;
  /** Objects whose existence is public (region codes): outside the scope is a plain 403. */
  publicObject?: boolean;
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

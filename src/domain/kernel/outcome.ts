import { present } from '../../lib/assert.ts';

/**
 * What a domain function answers: a value, or a refusal with its status and
 * problems. One type for the people, redemption and hours domains.
 */

/**
 * A rejection: an i18n key (src/i18n/<locale>/<area>.json), the form field or
 * spreadsheet column it concerns, and parameters that never hold personal data
 * except masked.
 */
export interface Problem {
  code: string;
  field?: string;
  params?: Record<string, string | number>;
}

/** 410: gone (an expired record); 423: locked (too many wrong PINs); 429: too many attempts. */
export type RefusalStatus = 400 | 403 | 404 | 409 | 410 | 422 | 423 | 429;

export interface Refusal {
  ok: false;
  status: RefusalStatus;
  problems: Problem[];
}

export type Outcome<T> = { ok: true; value: T } | Refusal;

export function success<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** The problem a refusal names first (every refusal names at least one). */
export function firstProblem(refusal: Pick<Refusal, 'problems'>): Problem {
  return present(refusal.problems[0], 'a refusal names at least one problem');
}

/** A refusal; the type parameter only documents which call it answers. */
export function failure<_T = never>(status: RefusalStatus, ...problems: Problem[]): Refusal {
  return { ok: false, status, problems };
}

import { authorize, type Actor, type Permission } from '../access/authorize.ts';
import type { Outcome, Problem } from '../kernel/outcome.ts';

/**
 * The hours functions take the kernel's context (src/domain/kernel/context.ts):
 * `KeylessContext` where they read no personal data, the whole `DomainContext`
 * where they do (an elder's PIN).
 */
export type { DomainContext, KeylessContext } from '../kernel/context.ts';
export { clockOf, nowOf } from '../kernel/context.ts';

/** Refusals name an i18n key in src/i18n/<locale>/hours.json, the field it concerns, and parameters (src/domain/kernel/outcome.ts). */
export type { Problem };

export type HoursOutcome<T> = Outcome<T>;

export function ok<T>(value: T): HoursOutcome<T> {
  return { ok: true, value };
}

export function refuse(status: 400 | 403 | 404 | 409 | 410 | 422, ...problems: Problem[]): { ok: false; status: 400 | 403 | 404 | 409 | 410 | 422; problems: Problem[] } {
  return { ok: false, status, problems };
}

export type { Actor };

/** The message of the 403 page someone gets who holds none of the roles an action needs. */
export const roleRefusalCode = 'errors.forbidden.message';

/**
 * Null when the actor holds one of the roles `permission` names (whatever
 * their scope); otherwise the 403 page, whether the object asked about exists
 * or not, so the refusal tells nothing about it. Each hours function a staff
 * page calls checks this first, then the object's scope (outside it: the
 * object's 404, exactly like a missing one).
 */
export function roleRefusal(actor: Actor, permission: Permission): ReturnType<typeof refuse> | null {
  return authorize(actor, permission) ? null : refuse(403, { code: roleRefusalCode });
}

export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Reasons typed by staff: required, trimmed, at most 200 characters. */
export function checkReason(raw: string | null | undefined, field = 'reason'): { reason: string } | { problem: Problem } {
  const reason = (raw ?? '').trim();
  if (reason === '') return { problem: { code: 'hours.error.reason_required', field } };
  if (Array.from(reason).length > 200) return { problem: { code: 'hours.error.reason_too_long', field, params: { max: 200 } } };
  return { reason };
}

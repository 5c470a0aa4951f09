import type { Statement } from 'better-sqlite3';
import { connectionOf } from '../../../db/client.ts';
import { allowsRegion, authorize, type Actor, type Permission } from '../../access/authorize.ts';
import { shanghaiDate } from '../../../lib/idcard.ts';
import { hasRefusedNameCharacters } from '../../../lib/display-name.ts';
import { nowOf, type DomainContext } from '../../kernel/context.ts';
import { failure, type Problem, type Refusal } from '../../kernel/outcome.ts';
import { regionRow, type RegionRow } from '../../regions/regions.ts';
import { canManageMembers } from './permissions.ts';

/** What every people-domain function needs (src/domain/kernel/context.ts). */
export type PeopleContext = DomainContext;

export { nowOf as nowMs };

export function todayInShanghai(context: PeopleContext): string {
  return shanghaiDate(nowOf(context));
}

export type { Actor };

export { failure, success, type Outcome, type Problem, type Refusal, type RefusalStatus } from '../../kernel/outcome.ts';

/**
 * A prepared statement on the connection behind `context.db` (works inside a
 * drizzle transaction too: it is the same connection). The connection keeps
 * statements by SQL text (src/db/client.ts, the one statement cache), so hot
 * paths such as checking 10,000 spreadsheet rows compile each query once.
 */
export function prepared(context: PeopleContext, source: string): Statement {
  return connectionOf(context.db).prepare(source);
}

export type { RegionRow };

export function findRegion(context: PeopleContext, code: string): RegionRow | undefined {
  return regionRow(context.db, code);
}

/** A village the actor may act in, or the problem why not. */
export function villageInScope(
  context: PeopleContext,
  actor: Actor | null,
  villageCode: string,
  permission: Permission = canManageMembers,
): { ok: true; village: RegionRow } | { ok: false; status: 403 | 422; problem: Problem } {
  const village = /^\d{12}$/.test(villageCode) ? findRegion(context, villageCode) : undefined;
  if (!village || village.level !== 'village') {
    return { ok: false, status: 422, problem: { code: 'people.error.village_unknown', field: 'villageCode', params: { code: villageCode.slice(0, 20) } } };
  }
  if (actor && !allowsRegion(actor, permission, village.path)) {
    return { ok: false, status: 403, problem: { code: 'people.error.out_of_scope', field: 'villageCode', params: { village: village.nameZh } } };
  }
  return { ok: true, village };
}

/**
 * An object (member, elder, ...) in `villageCode`, as the actor may see it:
 * the village when it is inside the actor's scope, otherwise exactly the
 * refusal a missing object gets (404 and `notFoundCode`), so that an id
 * outside the scope cannot be told from an id that does not exist (issue 12
 * item 7: a 403 naming the village confirmed the object's existence).
 */
export function objectVillageInScope(
  context: PeopleContext,
  actor: Actor,
  villageCode: string,
  notFoundCode: string,
  permission: Permission = canManageMembers,
): { ok: true; village: RegionRow } | Refusal {
  const scope = villageInScope(context, actor, villageCode, permission);
  return scope.ok ? scope : hiddenObject(notFoundCode);
}

/** The message of the 403 page someone gets who holds none of the roles an action needs. */
export const roleRefusalCode = 'errors.forbidden.message';

/**
 * Null when the actor holds one of the roles `permission` names (whatever
 * their scope); otherwise the 403 every such actor gets, whether the object
 * asked about exists or not, so the refusal tells nothing about it. Each
 * people-domain function a staff page calls checks this first, then the
 * object's scope (outside it: `hiddenObject`, exactly like a missing one).
 */
export function roleRefusal(actor: Actor | null, permission: Permission = canManageMembers): Refusal | null {
  return authorize(actor, permission) ? null : failure(403, { code: roleRefusalCode });
}

/** Whether a refusal is `roleRefusal`'s: the 403 page, never a form shown again. */
export function isRoleRefusal(refusal: Refusal): boolean {
  return refusal.status === 403 && refusal.problems[0]?.code === roleRefusalCode;
}

/** The refusal of an object that does not exist, or that the actor may not know exists. */
export function hiddenObject(notFoundCode: string): Refusal {
  return failure(404, { code: notFoundCode });
}

/** Reasons typed by staff: required, trimmed, at most 200 characters. */
export function checkReason(reason: string | undefined | null, field = 'reason'): Problem | null {
  const trimmed = (reason ?? '').trim();
  if (trimmed.length === 0) return { code: 'people.error.reason_required', field };
  if (trimmed.length > 200) return { code: 'people.error.reason_too_long', field, params: { max: 200 } };
  return null;
}


export function checkName(raw: string | null | undefined, field = 'realName'): { name: string } | { problem: Problem } {
  const trimmed = (raw ?? '').trim();
  if (hasRefusedNameCharacters(trimmed)) return { problem: { code: 'people.error.name_invalid', field } };
  const name = trimmed.replace(/\s+/g, ' ');
  if (name.length === 0) return { problem: { code: 'people.error.name_required', field } };
  if (Array.from(name).length > 30) return { problem: { code: 'people.error.name_too_long', field, params: { max: 30 } } };
  if (/[<>{}\\\d]/.test(name)) return { problem: { code: 'people.error.name_invalid', field } };
  return { name };
}

/** Page number and size, clamped. */
export function pageWindow(page: number | undefined, pageSize: number | undefined): { page: number; pageSize: number; offset: number } {
  const size = Math.min(Math.max(Math.trunc(pageSize !== undefined && Number.isFinite(pageSize) ? pageSize : 20) || 20, 1), 100);
  // ?page=1e309 is Infinity: an offset SQLite refuses (a 500). Keep the page a finite number.
  const number = Math.min(Math.max(Math.trunc(page !== undefined && Number.isFinite(page) ? page : 1) || 1, 1), 1_000_000);
  return { page: number, pageSize: size, offset: (number - 1) * size };
}

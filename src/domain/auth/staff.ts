import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { userRoles, users } from '../../db/schema/core.ts';
import { hasRefusedNameCharacters } from '../../lib/display-name.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { authorize, permission, type Actor, type Role } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { findRegion } from '../regions/regions.ts';
import { contentHash, replayOf, writeOnce, type IdempotencyKey } from '../kernel/idempotency.ts';
import { hashPassword, passwordMinimumLength } from './passwords.ts';
import { revokeOtherSessions } from './sessions.ts';
import { actorOf, findUser, findUserByPhone, homeRegionCode, insertUser } from './users.ts';
import { phoneRefusal, phoneTakenAnswer, type PhoneRefusal } from './phone-in-use.ts';
import { writeTransaction } from '../kernel/transaction.ts';

/**
 * Accounts and roles created by staff. The person gets a temporary password
 * and must choose their own at first sign-in. Who may grant what: a role can
 * be granted by an office or administrator whose scope contains the role's
 * region; administrator and office roles only by an administrator.
 */
export const canGrantRoles = permission('roles.grant', ['office', 'admin']);
const canGrantStaffRoles = permission('roles.grant_staff', ['admin']);

export type GrantRefusal = 'not_allowed' | 'region_unknown' | 'scope_missing' | 'user_unknown' | 'already_granted';

export interface RoleScope {
  role: Role;
  regionCode?: string | null;
  siteId?: number | null;
}

/** The region path of a partner site (its village), or null when there is no such site. */
export function siteRegionPath(db: Db, siteId: number): string | null {
  return siteRegion(db, siteId)?.path ?? null;
}

function siteRegion(db: Db, siteId: number): { code: string; path: string } | undefined {
  return db.$client
    .prepare(`SELECT r.code, r.path FROM partner_sites s JOIN regions r ON r.code = s.village_code WHERE s.id = ?`)
    .get(siteId) as { code: string; path: string } | undefined;
}

type GrantCheck = { ok: true; regionPath: string; auditRegionCode: string } | { ok: false; reason: GrantRefusal };

function checkGrant(db: Db, granter: Actor, scope: RoleScope): GrantCheck {
  const hasSite = scope.siteId !== null && scope.siteId !== undefined;
  if (!scope.regionCode && !hasSite) return { ok: false, reason: 'scope_missing' };
  const region = scope.regionCode ? findRegion(db, scope.regionCode) : undefined;
  if (scope.regionCode && !region) return { ok: false, reason: 'region_unknown' };
  const needed = scope.role === 'admin' || scope.role === 'office' ? canGrantStaffRoles : canGrantRoles;
  // A site-scoped role (clerk): the site lies in a village, so an office whose scope holds that village may grant it.
  const place = region ?? (scope.siteId !== null && scope.siteId !== undefined ? siteRegion(db, scope.siteId) : undefined);
  if (!place) return { ok: false, reason: 'region_unknown' };
  // Audit entries are filed under the role's region (or the site's village), so offices of that area see them.
  return authorize(granter, needed, { regionPath: place.path }) ? { ok: true, regionPath: place.path, auditRegionCode: place.code } : { ok: false, reason: 'not_allowed' };
}

/**
 * checkGrant for a new role: a granter who may grant this role somewhere, but not in the region or site
 * chosen, is answered exactly like a region or site that does not exist (the form offers only those of the area).
 */
function checkNewGrant(db: Db, granter: Actor, scope: RoleScope): GrantCheck {
  const check = checkGrant(db, granter, scope);
  if (check.ok || check.reason !== 'not_allowed') return check;
  const needed = scope.role === 'admin' || scope.role === 'office' ? canGrantStaffRoles : canGrantRoles;
  return authorize(granter, needed) ? { ok: false, reason: 'region_unknown' } : check;
}

export function grantRole(db: Db, granter: Actor, userId: number, scope: RoleScope, ipAddress: string, nowMs: number): { ok: true } | { ok: false; reason: GrantRefusal } {
  if (!findUser(db, userId)) return { ok: false, reason: 'user_unknown' };
  const check = checkNewGrant(db, granter, scope);
  if (!check.ok) return check;
  return writeTransaction(db, () => {
      const existing = db
        .select()
        .from(userRoles)
        .where(and(eq(userRoles.userId, userId), eq(userRoles.role, scope.role)))
        .all()
        .find((row) => row.regionCode === (scope.regionCode ?? null) && row.siteId === (scope.siteId ?? null));
      if (existing) return { ok: false as const, reason: 'already_granted' as const };
      db.insert(userRoles)
        .values({ userId, role: scope.role, regionCode: scope.regionCode ?? null, siteId: scope.siteId ?? null, grantedByUserId: granter.userId, grantedAtMs: nowMs })
        .run();
      recordAudit(
        db,
        { action: 'role.granted', actorUserId: granter.userId, objectType: 'user', objectId: userId, regionCode: check.auditRegionCode, ipAddress, detail: { role: scope.role, siteId: scope.siteId ?? null } },
        nowMs,
      );
      return { ok: true as const };
    });
}

export function revokeRole(db: Db, granter: Actor, userId: number, scope: RoleScope, ipAddress: string, nowMs: number): { ok: true } | { ok: false; reason: GrantRefusal } {
  const check = checkGrant(db, granter, scope);
  if (!check.ok) return check;
  return writeTransaction(db, () => {
      const rows = db
        .select()
        .from(userRoles)
        .where(and(eq(userRoles.userId, userId), eq(userRoles.role, scope.role)))
        .all()
        .filter((row) => row.regionCode === (scope.regionCode ?? null) && row.siteId === (scope.siteId ?? null));
      if (rows.length === 0) return { ok: false as const, reason: 'user_unknown' as const };
      for (const row of rows) db.delete(userRoles).where(eq(userRoles.id, row.id)).run();
      recordAudit(
        db,
        { action: 'role.revoked', actorUserId: granter.userId, objectType: 'user', objectId: userId, regionCode: check.auditRegionCode, ipAddress, detail: { role: scope.role, siteId: scope.siteId ?? null } },
        nowMs,
      );
      return { ok: true as const };
    });
}

/** The refusal of someone who holds none of the roles that manage staff accounts: the 403 page, whatever the account or form. */
export interface AccountsRoleRefusal {
  ok: false;
  reason: 'forbidden';
}

/**
 * Null when the actor holds a role that manages staff accounts (whatever
 * their scope); otherwise the refusal every such actor gets. Each accounts
 * function a staff page calls checks it first, then the account's scope
 * (outside it: exactly like a missing account), issue 15.
 */
export function accountsRoleRefusal(actor: Actor | null): AccountsRoleRefusal | null {
  return authorize(actor, canGrantRoles) ? null : { ok: false, reason: 'forbidden' };
}

export type CreateAccountResult =
  | { ok: true; userId: number; replayed?: boolean }
  | AccountsRoleRefusal
  | { ok: false; reason: GrantRefusal | 'phone_invalid' | PhoneRefusal | 'name_missing' | 'name_invalid' | 'password_too_short' | 'key_conflict' };

export interface NewAccount {
  phone: string;
  displayName: string;
  temporaryPassword: string;
  memberId?: number | null;
  roles: RoleScope[];
}

/** The idempotency key of an account form: its content is the phone, the name and the roles (never the password). */
function accountKey(key: string, phone: string, input: NewAccount): IdempotencyKey {
  return { key, scope: 'accounts.create', contentHash: contentHash({ phone, displayName: input.displayName.trim(), memberId: input.memberId ?? null, roles: JSON.stringify(input.roles) }) };
}

/** The checks before the password is hashed; the audit region of each role when they pass. */
function checkNewAccount(
  db: Db, granter: Actor, phone: string | null, input: NewAccount, nowMs: number,
): { ok: true; phone: string; grants: { scope: NewAccount['roles'][number]; auditRegionCode: string }[] } | Extract<CreateAccountResult, { ok: false }> {
  if (!phone) return { ok: false, reason: 'phone_invalid' };
  if (input.displayName.trim() === '') return { ok: false, reason: 'name_missing' };
  if (hasRefusedNameCharacters(input.displayName.trim())) return { ok: false, reason: 'name_invalid' };
  if ([...input.temporaryPassword].length < passwordMinimumLength) return { ok: false, reason: 'password_too_short' };
  const grants: { scope: NewAccount['roles'][number]; auditRegionCode: string }[] = [];
  for (const scope of input.roles) {
    const check = checkNewGrant(db, granter, scope);
    if (!check.ok) return check;
    grants.push({ scope, auditRegionCode: check.auditRegionCode });
  }
  // Last, so that only a form that would otherwise succeed asks about the phone (phone-in-use.ts).
  const phoneRefused = phoneRefusal(db, granter, phone, canGrantRoles, nowMs);
  if (phoneRefused) return { ok: false, reason: phoneRefused };
  return { ok: true, phone, grants };
}

/**
 * Staff create an account with a temporary password. With the form's
 * idempotency key (src/domain/kernel/idempotency.ts) the same form sent twice
 * answers the first account, and the key sent again with other content is
 * refused ('key_conflict'); nothing is written twice.
 */
export async function createAccountByStaff(
  db: Db,
  granter: Actor,
  input: NewAccount,
  ipAddress: string,
  nowMs: number,
  idempotencyKey: string | null = null,
): Promise<CreateAccountResult> {
  const denied = accountsRoleRefusal(granter);
  if (denied) return denied;
  const phone = normalizePhone(input.phone);
  const once = idempotencyKey && phone ? accountKey(idempotencyKey, phone, input) : null;
  const earlier = once ? replayOf<CreateAccountResult>(db, once, granter.userId) : null;
  if (earlier) return earlier.kind === 'conflict' ? { ok: false, reason: 'key_conflict' } : replayed(earlier.result);
  const checked = checkNewAccount(db, granter, phone, input, nowMs);
  if (!checked.ok) return checked;
  const passwordHash = await hashPassword(input.temporaryPassword);
  const insert = (): CreateAccountResult => {
    const holder = findUserByPhone(db, checked.phone);
    if (holder) return { ok: false, reason: phoneTakenAnswer(db, granter, holder.id, canGrantRoles) };
    const userId = insertUser(
      db,
      { phone: checked.phone, displayName: input.displayName.trim(), passwordHash, mustChangePassword: true, memberId: input.memberId ?? null, roles: input.roles, grantedByUserId: granter.userId,
        // The granter chose the password: if the account is a member's, it is not the member's consent (docs/WEB.md).
        passwordSetByUserId: granter.userId },
      nowMs,
    );
    for (const { scope, auditRegionCode } of checked.grants) {
      recordAudit(
        db,
        { action: 'role.granted', actorUserId: granter.userId, objectType: 'user', objectId: userId, regionCode: auditRegionCode, ipAddress, detail: { role: scope.role, siteId: scope.siteId ?? null } },
        nowMs,
      );
    }
    return { ok: true, userId };
  };
  if (!once) return writeTransaction(db.$client, insert);
  const written = writeOnce(db, once, granter.userId, nowMs, insert);
  if (written.kind === 'conflict') return { ok: false, reason: 'key_conflict' };
  return written.kind === 'replay' ? replayed(written.result) : written.result;
}

function replayed(result: CreateAccountResult): CreateAccountResult {
  return result.ok ? { ...result, replayed: true } : result;
}

export const canResetPasswords = permission('accounts.reset_password', ['coordinator', 'office', 'admin']);

/**
 * A coordinator or office resets the password of someone in their scope (the
 * person forgot it): a temporary password they must change at next sign-in,
 * and every session of theirs ends. Staff accounts (office, admin) are reset
 * by an administrator only.
 */
export async function resetPasswordByStaff(
  db: Db,
  granter: Actor,
  input: { userId: number; temporaryPassword: string },
  ipAddress: string,
  nowMs: number,
): Promise<{ ok: true } | { ok: false; reason: 'user_unknown' | 'not_allowed' | 'password_too_short' }> {
  const user = findUser(db, input.userId);
  if (!user) return { ok: false, reason: 'user_unknown' };
  if ([...input.temporaryPassword].length < passwordMinimumLength) return { ok: false, reason: 'password_too_short' };
  const grants = actorOf(db, user.id).grants;
  const staff = grants.some((grant) => grant.role === 'office' || grant.role === 'admin');
  const needed = staff ? canGrantStaffRoles : canResetPasswords;
  // Every region the person holds a role in must be inside the granter's scope.
  // A site-scoped role (clerk) counts with its site's village.
  // An account without roles (its last one revoked) is judged by its home region.
  const homePath = user.homeRegionCode ? findRegion(db, user.homeRegionCode)?.path ?? null : null;
  const rolePaths = grants
    .map((grant) => grant.regionPath ?? (grant.siteId !== null ? siteRegionPath(db, grant.siteId) : null))
    .filter((path): path is string => path !== null);
  const regionPaths = rolePaths.length > 0 ? rolePaths : homePath ? [homePath] : [];
  const allowed =
    regionPaths.length > 0
      ? regionPaths.every((regionPath) => authorize(granter, needed, { regionPath }) !== null)
      : authorize(granter, canGrantStaffRoles) !== null;
  if (!allowed || granter.userId === user.id) return { ok: false, reason: 'not_allowed' };
  const passwordHash = await hashPassword(input.temporaryPassword);
  writeTransaction(db, () => {
      db.update(users).set({ passwordHash, mustChangePassword: true, passwordChangedAtMs: nowMs, passwordSetByUserId: granter.userId }).where(eq(users.id, user.id)).run();
      revokeOtherSessions(db, user.id, null, nowMs);
      recordAudit(
        db,
        { action: 'auth.password_reset', actorUserId: granter.userId, objectType: 'user', objectId: user.id, regionCode: homeRegionCode(grants), ipAddress },
        nowMs,
      );
    });
  return { ok: true };
}

import type { Db } from '../../db/client.ts';
import { maskPhone } from '../../lib/mask.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { authorize, permission, regionScopes, type Actor, type Role } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { hashPassword, passwordMaximumLength, passwordMinimumLength } from './passwords.ts';
import { accountsRoleRefusal, canGrantRoles, type AccountsRoleRefusal } from './staff.ts';
import { findUser, findUserByPhone, homeRegionCode, grantsOf, insertUser } from './users.ts';
import type { Secrets } from '../../lib/secrets.ts';
import { signInPhoneKey } from './sign-in.ts';
import { isSignInLocked, liftSignInLocks, signInLockOf, type SignInLock } from './throttle.ts';
import { likeLiteral } from '../../lib/like.ts';
import { present } from '../../lib/assert.ts';
import { accountPlaces, placesSql } from './places.ts';
import { phoneRefusal, phoneTakenAnswer, type PhoneRefusal } from './phone-in-use.ts';
import { writeTransaction } from '../kernel/transaction.ts';

export { accountPlaces };

/**
 * The accounts screens: offices and administrators list the sign-ins of
 * their area, and open one to grant or revoke a role or reset a password.
 * A user belongs to an area through the regions of their roles, the village
 * of a role's partner site, the village of the member they are, and their
 * home region (where the account was made), which stays when the last role goes.
 */
export const canManageAccounts = canGrantRoles;

/** Coordinators, offices and administrators make a sign-in for a member of their area. */
export const canCreateMemberSignIn = permission('accounts.member_sign_in', ['coordinator', 'office', 'admin']);

export interface AccountRole {
  id: number;
  role: Role;
  regionCode: string | null;
  regionNameZh: string | null;
  regionNameEn: string | null;
  siteId: number | null;
  siteName: string | null;
}

export interface AccountSummary {
  id: number;
  displayName: string;
  maskedPhone: string;
  status: 'active' | 'disabled';
  mustChangePassword: boolean;
  memberId: number | null;
  roles: AccountRole[];
}

function rolesOf(db: Db, userIds: readonly number[]): Map<number, AccountRole[]> {
  const byUser = new Map<number, AccountRole[]>();
  if (userIds.length === 0) return byUser;
  const rows = db.$client
    .prepare(
      `SELECT ur.user_id AS userId, ur.id, ur.role, ur.region_code AS regionCode, r.name_zh AS regionNameZh, r.name_en AS regionNameEn,
              ur.site_id AS siteId, s.name AS siteName
         FROM user_roles ur LEFT JOIN regions r ON r.code = ur.region_code LEFT JOIN partner_sites s ON s.id = ur.site_id
        WHERE ur.user_id IN (${userIds.map(() => '?').join(',')})
        ORDER BY ur.id`,
    )
    .all(...userIds) as (AccountRole & { userId: number })[];
  for (const { userId, ...role } of rows) byUser.set(userId, [...(byUser.get(userId) ?? []), role]);
  return byUser;
}

function summarize(db: Db, rows: { id: number; displayName: string; phone: string; status: 'active' | 'disabled'; mustChangePassword: number; memberId: number | null }[]): AccountSummary[] {
  const roles = rolesOf(db, rows.map((row) => row.id));
  return rows.map((row) => ({
    id: row.id,
    displayName: row.displayName,
    maskedPhone: maskPhone(row.phone),
    status: row.status,
    mustChangePassword: row.mustChangePassword === 1,
    memberId: row.memberId,
    roles: roles.get(row.id) ?? [],
  }));
}

const userColumns = `u.id, u.display_name AS displayName, u.phone, u.status, u.must_change_password AS mustChangePassword, u.member_id AS memberId`;

/**
 * Accounts in the actor's scope, newest first, filtered by a name or the
 * last digits of a phone, and by role. The 403 refusal when the actor may not manage accounts.
 */
export function listAccounts(db: Db, actor: Actor, options: { query: string; role: Role | ''; page: number; pageSize: number }): { ok: true; items: AccountSummary[]; total: number; page: number; pageCount: number } | AccountsRoleRefusal {
  const denied = accountsRoleRefusal(actor);
  if (denied) return denied;
  const scopes = regionScopes(actor, canManageAccounts);
  if (scopes.length === 0) return { ok: true, items: [], total: 0, page: 1, pageCount: 1 };
  const conditions = [`u.id IN (SELECT user_id FROM (${placesSql}) WHERE ${scopes.map(() => 'path LIKE ?').join(' OR ')})`];
  const args: unknown[] = scopes.map((scope) => `${scope}%`);
  const query = options.query.trim();
  if (query !== '') {
    // A phone matches only on its last four digits (what the masked list shows anyway) or as a whole
    // number: a longer suffix would let a searcher uncover a masked phone digit by digit.
    conditions.push(`(u.display_name LIKE ? ESCAPE '\\' OR substr(u.phone, -4) = ? OR u.phone = ?)`);
    const digits = /^\d+$/.test(query) ? query : null;
    args.push(`%${likeLiteral(query)}%`, digits?.length === 4 ? digits : null, digits?.length === 11 ? digits : null);
  }
  if (options.role !== '') {
    conditions.push(`u.id IN (SELECT user_id FROM user_roles WHERE role = ?)`);
    args.push(options.role);
  }
  const where = conditions.join(' AND ');
  const total = (db.$client.prepare(`SELECT count(*) AS n FROM users u WHERE ${where}`).get(...args) as { n: number }).n;
  const pageCount = Math.max(1, Math.ceil(total / options.pageSize));
  const requested = Number.isFinite(options.page) ? Math.floor(options.page) : 1;
  const page = Math.max(1, Math.min(requested, pageCount));
  const rows = db.$client
    .prepare(`SELECT ${userColumns} FROM users u WHERE ${where} ORDER BY u.id DESC LIMIT ? OFFSET ?`)
    .all(...args, options.pageSize, (page - 1) * options.pageSize) as Parameters<typeof summarize>[1];
  return { ok: true, items: summarize(db, rows), total, page, pageCount };
}

/**
 * One account, when the actor may manage accounts and the account belongs to
 * their area (any of its places is inside the actor's scope); an account with
 * no place at all only to an administrator.
 */
export function findAccount(db: Db, actor: Actor, userId: number): { ok: true; account: AccountSummary } | { ok: false; reason: 'not_found' | 'not_allowed' } | AccountsRoleRefusal {
  const denied = accountsRoleRefusal(actor);
  if (denied) return denied;
  const row = db.$client.prepare(`SELECT ${userColumns} FROM users u WHERE u.id = ?`).get(userId) as Parameters<typeof summarize>[1][number] | undefined;
  if (!row) return { ok: false, reason: 'not_found' };
  const places = accountPlaces(db, userId);
  const inScope = places.length > 0
    ? places.some((regionPath) => authorize(actor, canManageAccounts, { regionPath }) !== null)
    : actor.grants.some((grant) => grant.role === 'admin');
  if (!inScope) return { ok: false, reason: 'not_allowed' };
  return { ok: true, account: present(summarize(db, [row])[0], 'one row summarizes to one account') };
}

/** The account linked to a member, if any. */
export function accountOfMember(db: Db, memberId: number): { id: number; maskedPhone: string } | null {
  const row = db.$client.prepare(`SELECT id, phone FROM users WHERE member_id = ? ORDER BY id LIMIT 1`).get(memberId) as { id: number; phone: string } | undefined;
  return row ? { id: row.id, maskedPhone: maskPhone(row.phone) } : null;
}

export type MemberSignInRefusal = 'forbidden' | 'member_not_found' | 'member_not_active' | 'already_has_account' | 'phone_invalid' | 'phone_missing_on_file' | PhoneRefusal | 'password_too_short' | 'password_too_long';

/**
 * Makes a sign-in for a member (the volunteer role in their home village,
 * linked through users.member_id) with a temporary password they must change
 * at first sign-in. The phone is the member's own unless another is given.
 * The actor must be a coordinator, office or administrator ('forbidden'
 * otherwise, whatever the member) whose scope holds the member's village (a
 * member outside it is 'member_not_found', like a missing one). One
 * transaction with its audit entry.
 */
export async function createMemberSignIn(
  db: Db,
  actor: Actor,
  input: { memberId: number; phone: string; temporaryPassword: string },
  ipAddress: string,
  nowMs: number,
): Promise<{ ok: true; userId: number } | { ok: false; reason: MemberSignInRefusal }> {
  if (!authorize(actor, canCreateMemberSignIn)) return { ok: false, reason: 'forbidden' };
  const member = db.$client
    .prepare(`SELECT m.id, m.real_name AS realName, m.phone, m.status, m.village_code AS villageCode, r.path FROM members m JOIN regions r ON r.code = m.village_code WHERE m.id = ?`)
    .get(input.memberId) as { id: number; realName: string; phone: string | null; status: string; villageCode: string; path: string } | undefined;
  if (!member) return { ok: false, reason: 'member_not_found' };
  if (!authorize(actor, canCreateMemberSignIn, { regionPath: member.path })) return { ok: false, reason: 'member_not_found' };
  if (member.status !== 'active') return { ok: false, reason: 'member_not_active' };
  if (accountOfMember(db, member.id)) return { ok: false, reason: 'already_has_account' };
  let phone: string | null;
  if (input.phone.trim() !== '') {
    phone = normalizePhone(input.phone);
    if (!phone) return { ok: false, reason: 'phone_invalid' };
  } else {
    phone = member.phone ? normalizePhone(member.phone) : null;
    if (!phone) return { ok: false, reason: 'phone_missing_on_file' };
  }
  const length = [...input.temporaryPassword].length;
  if (length < passwordMinimumLength) return { ok: false, reason: 'password_too_short' };
  if (length > passwordMaximumLength) return { ok: false, reason: 'password_too_long' };
  // A phone with an account outside the actor's area is refused without saying so (phone-in-use.ts).
  const phoneRefused = phoneRefusal(db, actor, phone, canCreateMemberSignIn, nowMs);
  if (phoneRefused) return { ok: false, reason: phoneRefused };
  const passwordHash = await hashPassword(input.temporaryPassword);
  return writeTransaction(db, (): { ok: true; userId: number } | { ok: false; reason: MemberSignInRefusal } => {
      // Checked again inside the write transaction: a second click may have won the race.
      const holder = findUserByPhone(db, phone);
      if (holder) return { ok: false, reason: phoneTakenAnswer(db, actor, holder.id, canCreateMemberSignIn) };
      if (accountOfMember(db, member.id)) return { ok: false, reason: 'already_has_account' };
      const userId = insertUser(
        db,
        { phone, displayName: member.realName, passwordHash, mustChangePassword: true, memberId: member.id, homeRegionCode: member.villageCode, roles: [{ role: 'volunteer', regionCode: member.villageCode }], grantedByUserId: actor.userId,
          // Staff chose the phone and the password: not the member's consent until they prove presence.
          passwordSetByUserId: actor.userId },
        nowMs,
      );
      recordAudit(
        db,
        { action: 'account.member_sign_in_created', actorUserId: actor.userId, objectType: 'user', objectId: userId, regionCode: member.villageCode, ipAddress, detail: { memberId: member.id, role: 'volunteer' } },
        nowMs,
      );
      return { ok: true, userId };
    });
}

/** Whether sign-in to this account is locked anywhere right now (for the account page). */
export function signInLockOfAccount(db: Db, secrets: Secrets, userId: number, nowMs: number): SignInLock | null {
  const user = findUser(db, userId);
  return user ? signInLockOf(db, signInPhoneKey(secrets, user.phone), nowMs) : null;
}

/**
 * An office (or administrator) whose scope holds the account lifts every
 * sign-in lock on it, for all addresses, with an audit entry in the same
 * transaction. Refused outside the actor's scope, and when nothing is locked.
 */
export function liftSignInLock(
  db: Db,
  secrets: Secrets,
  actor: Actor,
  userId: number,
  ipAddress: string,
  nowMs: number,
): { ok: true } | { ok: false; reason: 'not_found' | 'not_allowed' | 'not_locked' } | AccountsRoleRefusal {
  const found = findAccount(db, actor, userId);
  if (!found.ok) return found;
  const user = present(findUser(db, userId), 'an account found a moment ago exists (accounts are never deleted)');
  const phoneKey = signInPhoneKey(secrets, user.phone);
  return writeTransaction(db, (): { ok: true } | { ok: false; reason: 'not_locked' } => {
      const lock = signInLockOf(db, phoneKey, nowMs);
      if (!isSignInLocked(lock)) return { ok: false, reason: 'not_locked' };
      liftSignInLocks(db, phoneKey, nowMs);
      recordAudit(
        db,
        { action: 'auth.sign_in_lock_lifted', actorUserId: actor.userId, objectType: 'user', objectId: userId, regionCode: homeRegionCode(grantsOf(db, userId)), ipAddress, detail: { lockedAddresses: lock.lockedAddresses, accountLocked: lock.accountLockedUntilMs !== null } },
        nowMs,
      );
      return { ok: true };
    });
}

import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { users } from '../../db/schema/core.ts';
import { keyedHash, type Secrets } from '../../lib/secrets.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { countRecent, recordAudit } from '../audit/audit.ts';
import { currentPasswordPassed, reserveCurrentPasswordCheck } from './password-attempts.ts';
import { checkNewPassword, hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { findUser, findUserByPhone, grantsOf, homeRegionCode } from './users.ts';
import { revokeOtherSessions } from './sessions.ts';

/** Failed attempts for one phone number within the window before it is locked for the rest of the window. */
export const accountAttemptLimit = 5;
export const accountAttemptWindowMs = 15 * 60 * 1000;

export type SignInResult =
  | { ok: true; userId: number; mustChangePassword: boolean }
  | { ok: false; field: 'phone' | 'password' | null; messageKey: string };

/**
 * Checks a phone and password. Wrong password and unknown phone give the same
 * answer, and failed attempts are counted per phone (known or not) so the
 * lock does not reveal whether an account exists either. The audit log holds a
 * keyed hash of the phone, not the phone.
 */
export async function signIn(
  db: Db,
  secrets: Secrets,
  input: { phone: string; password: string; ipAddress: string },
  nowMs: number,
): Promise<SignInResult> {
  if (input.phone.trim() === '') return { ok: false, field: 'phone', messageKey: 'auth.error.phoneRequired' };
  const phone = normalizePhone(input.phone);
  if (phone === null) return { ok: false, field: 'phone', messageKey: 'auth.error.phoneFormat' };
  if (input.password === '') return { ok: false, field: 'password', messageKey: 'auth.error.passwordRequired' };

  const phoneKey = keyedHash(secrets, 'sign-in', phone).slice(0, 32);
  if (countRecent(db, 'auth.sign_in_failed', 'phone', phoneKey, nowMs - accountAttemptWindowMs) >= accountAttemptLimit) {
    return { ok: false, field: null, messageKey: 'auth.error.tooManyAttempts' };
  }
  const user = findUserByPhone(db, phone);
  let passwordMatches = false;
  if (user) passwordMatches = await verifyPassword(user.passwordHash, input.password);
  else await verifyAgainstDummy(input.password);

  if (!user || !passwordMatches || user.status !== 'active') {
    const regionCode = user ? homeRegionCode(grantsOf(db, user.id)) : null;
    recordAudit(
      db,
      { action: 'auth.sign_in_failed', actorUserId: null, objectType: 'phone', objectId: phoneKey, regionCode, ipAddress: input.ipAddress },
      nowMs,
    );
    return { ok: false, field: null, messageKey: 'auth.error.badCredentials' };
  }
  recordAudit(
    db,
    { action: 'auth.signed_in', actorUserId: user.id, objectType: 'user', objectId: user.id, regionCode: homeRegionCode(grantsOf(db, user.id)), ipAddress: input.ipAddress },
    nowMs,
  );
  return { ok: true, userId: user.id, mustChangePassword: user.mustChangePassword };
}

export type ChangePasswordResult = { ok: true } | { ok: false; field: 'currentPassword' | 'newPassword' | 'confirmPassword'; messageKey: string; status?: 429 };

/**
 * Changes a password after checking the current one (at most
 * currentPasswordAttemptLimit wrong ones per 15 minutes, reserved before the
 * hash so parallel guesses cannot exceed it), then revokes every other
 * session of the user. The current session (keepFamilyId) stays signed in.
 */
export async function changePassword(
  db: Db,
  input: { userId: number; currentPassword: string; newPassword: string; confirmPassword: string; keepFamilyId: string | null; ipAddress: string },
  nowMs: number,
): Promise<ChangePasswordResult> {
  const user = findUser(db, input.userId);
  if (!user) throw new Error('changePassword: user does not exist');
  if (input.currentPassword === '') return { ok: false, field: 'currentPassword', messageKey: 'account.error.currentPasswordRequired' };
  if (!reserveCurrentPasswordCheck(db, user.id, nowMs)) return { ok: false, field: 'currentPassword', messageKey: 'account.error.currentPasswordTooManyAttempts', status: 429 };
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    return { ok: false, field: 'currentPassword', messageKey: 'account.error.currentPasswordWrong' };
  }
  currentPasswordPassed(db, user.id, nowMs);
  const problem = checkNewPassword(input.newPassword, input.confirmPassword, user.phone);
  if (problem) return { ok: false, field: problem === 'account.error.passwordMismatch' ? 'confirmPassword' : 'newPassword', messageKey: problem };
  if (input.newPassword === input.currentPassword) return { ok: false, field: 'newPassword', messageKey: 'account.error.passwordUnchanged' };
  const passwordHash = await hashPassword(input.newPassword);
  db.transaction(
    () => {
      db.update(users).set({ passwordHash, mustChangePassword: false, passwordChangedAtMs: nowMs }).where(eq(users.id, user.id)).run();
      revokeOtherSessions(db, user.id, input.keepFamilyId, nowMs);
      recordAudit(
        db,
        { action: 'auth.password_changed', actorUserId: user.id, objectType: 'user', objectId: user.id, regionCode: homeRegionCode(grantsOf(db, user.id)), ipAddress: input.ipAddress },
        nowMs,
      );
    },
    { behavior: 'immediate' },
  );
  return { ok: true };
}

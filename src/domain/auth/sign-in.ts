import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { users } from '../../db/schema/core.ts';
import { keyedHash, type Secrets } from '../../lib/secrets.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { recordAudit } from '../audit/audit.ts';
import { recordFailedPassword, releaseAttempt, reserveSignInAttempt, settleSuccessfulSignIn } from './throttle.ts';
import { checkNewPassword, hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { findUser, findUserByPhone, grantsOf, homeRegionCode } from './users.ts';
import { revokeOtherSessions } from './sessions.ts';
import { writeTransaction } from '../kernel/transaction.ts';

export type SignInResult =
  | { ok: true; userId: number; mustChangePassword: boolean; failuresSinceLastSignIn: number }
  | { ok: false; field: 'phone' | 'password' | null; messageKey: string; messageVariables?: Record<string, string | number> };

/** The key sign-in throttling and its audit entries use for a phone: a keyed hash, never the phone. */
export function signInPhoneKey(secrets: Secrets, phone: string): string {
  return keyedHash(secrets, 'sign-in', phone).slice(0, 32);
}

/**
 * Checks a phone and password. Wrong password and unknown phone give the same
 * answer, and attempts are throttled per phone (known or not) so a lock does
 * not reveal whether an account exists either. The attempt is reserved before
 * the slow hash (see throttle.ts), so parallel guesses beyond the limit are
 * refused unevaluated. The audit log holds a keyed hash of the phone, not the phone.
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

  const phoneKey = signInPhoneKey(secrets, phone);
  const address = input.ipAddress.slice(0, 64);
  const reservation = reserveSignInAttempt(db, phoneKey, address, nowMs);
  if (!reservation.ok) {
    const minutes = Math.max(1, Math.ceil((reservation.untilMs - nowMs) / 60_000));
    return { ok: false, field: null, messageKey: reservation.reason === 'pair_locked' ? 'auth.error.tooManyAttempts' : 'auth.error.accountLocked', messageVariables: { minutes } };
  }
  const user = findUserByPhone(db, phone);
  let passwordMatches = false;
  if (user) passwordMatches = await verifyPassword(user.passwordHash, input.password);
  else await verifyAgainstDummy(input.password);

  if (!user || !passwordMatches || user.status !== 'active') {
    recordFailedPassword(db, phoneKey, nowMs);
    const regionCode = user ? homeRegionCode(grantsOf(db, user.id)) : null;
    recordAudit(
      db,
      { action: 'auth.sign_in_failed', actorUserId: null, objectType: 'phone', objectId: phoneKey, regionCode, ipAddress: input.ipAddress },
      nowMs,
    );
    return { ok: false, field: null, messageKey: 'auth.error.badCredentials' };
  }
  const { failuresSinceLastSignIn } = settleSuccessfulSignIn(db, phoneKey, address, nowMs);
  recordAudit(
    db,
    { action: 'auth.signed_in', actorUserId: user.id, objectType: 'user', objectId: user.id, regionCode: homeRegionCode(grantsOf(db, user.id)), ipAddress: input.ipAddress },
    nowMs,
  );
  return { ok: true, userId: user.id, mustChangePassword: user.mustChangePassword, failuresSinceLastSignIn };
}

export type ChangePasswordResult = { ok: true } | { ok: false; field: 'currentPassword' | 'newPassword' | 'confirmPassword'; messageKey: string; status?: 429 };

/**
 * Changes a password after checking the current one (through the sign-in
 * throttle, reserved before the hash so parallel guesses cannot exceed it),
 * then revokes every other
 * session of the user. The current session (keepFamilyId) stays signed in.
 */
export async function changePassword(
  db: Db,
  secrets: Secrets,
  input: { userId: number; currentPassword: string; newPassword: string; confirmPassword: string; keepFamilyId: string | null; ipAddress: string },
  nowMs: number,
): Promise<ChangePasswordResult> {
  const user = findUser(db, input.userId);
  if (!user) throw new Error('changePassword: user does not exist');
  if (input.currentPassword === '') return { ok: false, field: 'currentPassword', messageKey: 'account.error.currentPasswordRequired' };
  // The current password is a password check like sign-in: same throttle, reserved before the hash.
  const phoneKey = signInPhoneKey(secrets, user.phone);
  const address = input.ipAddress.slice(0, 64);
  const reservation = reserveSignInAttempt(db, phoneKey, address, nowMs);
  if (!reservation.ok) return { ok: false, field: 'currentPassword', messageKey: 'account.error.currentPasswordLocked', status: 429 };
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    recordFailedPassword(db, phoneKey, nowMs);
    return { ok: false, field: 'currentPassword', messageKey: 'account.error.currentPasswordWrong' };
  }
  releaseAttempt(db, phoneKey, address, nowMs);
  const problem = checkNewPassword(input.newPassword, input.confirmPassword, user.phone);
  if (problem) return { ok: false, field: problem === 'account.error.passwordMismatch' ? 'confirmPassword' : 'newPassword', messageKey: problem };
  if (input.newPassword === input.currentPassword) return { ok: false, field: 'newPassword', messageKey: 'account.error.passwordUnchanged' };
  const passwordHash = await hashPassword(input.newPassword);
  writeTransaction(db, () => {
      db.update(users).set({ passwordHash, mustChangePassword: false, passwordChangedAtMs: nowMs }).where(eq(users.id, user.id)).run();
      revokeOtherSessions(db, user.id, input.keepFamilyId, nowMs);
      recordAudit(
        db,
        { action: 'auth.password_changed', actorUserId: user.id, objectType: 'user', objectId: user.id, regionCode: homeRegionCode(grantsOf(db, user.id)), ipAddress: input.ipAddress },
        nowMs,
      );
    });
  return { ok: true };
}

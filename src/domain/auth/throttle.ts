import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { signInThrottle } from '../../db/schema/core.ts';
import { writeTransaction } from '../kernel/transaction.ts';

/**
 * Sign-in throttling that strangers cannot turn into a lock-out.
 *
 * - Per pair (address, phone): 5 failures within 15 minutes lock that pair;
 *   each further lock of the same pair lasts twice as long (15 min, 30 min,
 *   1 h ... at most 24 h). Other addresses are not affected, so an attacker
 *   locks only himself.
 * - Per phone, from all addresses: 50 failures within 24 hours stop sign-in
 *   from addresses the holder has not signed in from in the last 90 days,
 *   until the 24 hours end. The holder's usual address keeps working (subject
 *   to its own pair lock), which limits a distributed guesser without letting
 *   him lock the holder out.
 * - The attempt is reserved (counted as a failure) in one write transaction
 *   before the slow password hash, so parallel guesses beyond the limit are
 *   never evaluated; a success gives the reservation back.
 * - Rows that no longer decide anything are deleted (at most once a minute,
 *   inside a reservation), so guesses at made-up phones from changing
 *   addresses cannot grow the table without bound.
 */
export const pairAttemptLimit = 5;
export const pairWindowMs = 15 * 60 * 1000;
export const pairFirstLockMs = 15 * 60 * 1000;
export const pairLongestLockMs = 24 * 60 * 60 * 1000;
export const accountAttemptCeiling = 50;
export const accountWindowMs = 24 * 60 * 60 * 1000;
export const knownAddressMs = 90 * 24 * 60 * 60 * 1000;
const accountRow = '*';

type ThrottleRow = typeof signInThrottle.$inferSelect;

export type Reservation =
  | { ok: true }
  | { ok: false; reason: 'pair_locked' | 'account_locked'; untilMs: number };

function loadRow(db: Db, phoneKey: string, address: string, windowMs: number, nowMs: number): ThrottleRow {
  const row = db.select().from(signInThrottle).where(and(eq(signInThrottle.phoneKey, phoneKey), eq(signInThrottle.address, address))).get();
  if (!row) {
    return { phoneKey, address, failures: 0, windowStartMs: nowMs, lockedUntilMs: null, lockCount: 0, lastSuccessMs: null, failuresSinceSuccess: 0 };
  }
  const locked = row.lockedUntilMs !== null && row.lockedUntilMs > nowMs;
  if (locked) return row;
  // A window that ended, or a lock that ended, starts a fresh count; a day without a lock forgets earlier locks.
  const windowEnded = nowMs - row.windowStartMs >= windowMs || row.lockedUntilMs !== null;
  const forgetLocks = row.lockedUntilMs !== null && nowMs - row.lockedUntilMs >= pairLongestLockMs;
  return windowEnded ? { ...row, failures: 0, windowStartMs: nowMs, lockCount: forgetLocks ? 0 : row.lockCount, lockedUntilMs: null } : row;
}

function saveRow(db: Db, row: ThrottleRow): void {
  const { phoneKey, address, ...values } = row;
  db.insert(signInThrottle).values(row).onConflictDoUpdate({ target: [signInThrottle.phoneKey, signInThrottle.address], set: values }).run();
}

function pairLockMs(lockCount: number): number {
  return Math.min(pairFirstLockMs * 2 ** Math.min(lockCount, 16), pairLongestLockMs);
}

export const pruneEveryMs = 60 * 1000;
const lastPruneMs = new WeakMap<Db, number>();

/**
 * Deletes the rows that no longer decide anything: a pair row whose window
 * and lock ended a day ago and that is not a known address, and an account
 * row ('*') of a phone never signed in with, whose lock and window ended a
 * day ago (90 days if it holds failures for the notice: every guess at a
 * made-up phone counts there too). Answers how many rows went.
 */
export function pruneSignInThrottle(db: Db, nowMs: number): number {
  const stale = sql`(${signInThrottle.lockedUntilMs} IS NULL OR ${signInThrottle.lockedUntilMs} <= ${nowMs - pairLongestLockMs})`;
  const pairs = db.delete(signInThrottle).where(sql`${signInThrottle.address} <> ${accountRow} AND ${stale}
    AND ${signInThrottle.windowStartMs} <= ${nowMs - pairLongestLockMs}
    AND (${signInThrottle.lastSuccessMs} IS NULL OR ${signInThrottle.lastSuccessMs} <= ${nowMs - knownAddressMs})`).run();
  const accounts = db.delete(signInThrottle).where(sql`${signInThrottle.address} = ${accountRow} AND ${stale}
    AND ${signInThrottle.windowStartMs} <= ${nowMs - accountWindowMs}
    AND ${signInThrottle.lastSuccessMs} IS NULL
    AND (${signInThrottle.failuresSinceSuccess} = 0 OR ${signInThrottle.windowStartMs} <= ${nowMs - knownAddressMs})`).run();
  return pairs.changes + accounts.changes;
}

/** Checks the locks and counts this attempt as a failure, in one write transaction, before the password is verified. */
export function reserveSignInAttempt(db: Db, phoneKey: string, address: string, nowMs: number): Reservation {
  return writeTransaction(db, (): Reservation => {
      if (nowMs - (lastPruneMs.get(db) ?? -Infinity) >= pruneEveryMs) {
        lastPruneMs.set(db, nowMs);
        pruneSignInThrottle(db, nowMs);
      }
      const pair = loadRow(db, phoneKey, address, pairWindowMs, nowMs);
      const account = loadRow(db, phoneKey, accountRow, accountWindowMs, nowMs);
      if (pair.lockedUntilMs !== null && pair.lockedUntilMs > nowMs) return { ok: false, reason: 'pair_locked', untilMs: pair.lockedUntilMs };
      const knownAddress = pair.lastSuccessMs !== null && nowMs - pair.lastSuccessMs < knownAddressMs;
      if (!knownAddress && account.lockedUntilMs !== null && account.lockedUntilMs > nowMs) {
        return { ok: false, reason: 'account_locked', untilMs: account.lockedUntilMs };
      }
      pair.failures += 1;
      if (pair.failures >= pairAttemptLimit) {
        pair.lockedUntilMs = nowMs + pairLockMs(pair.lockCount);
        pair.lockCount += 1;
      }
      account.failures += 1;
      if (account.failures >= accountAttemptCeiling && (account.lockedUntilMs === null || account.lockedUntilMs <= nowMs)) {
        account.lockedUntilMs = account.windowStartMs + accountWindowMs;
      }
      saveRow(db, pair);
      saveRow(db, account);
      return { ok: true };
    });
}

/**
 * The password was right: the pair starts afresh and becomes a known address,
 * the reserved attempt is given back, and the failures since the last sign-in
 * are answered (for the notice to the holder) and cleared.
 */
export function settleSuccessfulSignIn(db: Db, phoneKey: string, address: string, nowMs: number): { failuresSinceLastSignIn: number } {
  return writeTransaction(db, () => {
      const pair = loadRow(db, phoneKey, address, pairWindowMs, nowMs);
      const account = loadRow(db, phoneKey, accountRow, accountWindowMs, nowMs);
      const failuresSinceLastSignIn = account.failuresSinceSuccess;
      saveRow(db, { ...pair, failures: 0, windowStartMs: nowMs, lockedUntilMs: null, lockCount: 0, lastSuccessMs: nowMs });
      saveRow(db, { ...account, failures: Math.max(0, account.failures - 1), failuresSinceSuccess: 0, lastSuccessMs: nowMs });
      return { failuresSinceLastSignIn };
    });
}

/**
 * Gives a reserved attempt back without the rest of a sign-in's settling: a
 * signed-in user confirmed their current password (changing it). The
 * failures since the last sign-in stay for the notice.
 */
export function releaseAttempt(db: Db, phoneKey: string, address: string, nowMs: number): void {
  writeTransaction(db, () => {
      const pair = loadRow(db, phoneKey, address, pairWindowMs, nowMs);
      const account = loadRow(db, phoneKey, accountRow, accountWindowMs, nowMs);
      saveRow(db, { ...pair, failures: Math.max(0, pair.failures - 1) });
      saveRow(db, { ...account, failures: Math.max(0, account.failures - 1) });
    });
}

/**
 * A password turned out wrong: counted for the notice the holder sees at the
 * next sign-in. Only evaluated failures count, never attempts still in flight,
 * so two devices signing in at once do not warn each other.
 */
export function recordFailedPassword(db: Db, phoneKey: string, nowMs: number): void {
  writeTransaction(db, () => {
      const account = loadRow(db, phoneKey, accountRow, accountWindowMs, nowMs);
      saveRow(db, { ...account, failuresSinceSuccess: account.failuresSinceSuccess + 1 });
    });
}

export interface SignInLock {
  /** Addresses locked out of this account right now. */
  lockedAddresses: number;
  /** Until when new addresses are refused (the account-wide ceiling), or null. */
  accountLockedUntilMs: number | null;
}

export function signInLockOf(db: Db, phoneKey: string, nowMs: number): SignInLock {
  const rows = db.select().from(signInThrottle).where(eq(signInThrottle.phoneKey, phoneKey)).all();
  const lockedNow = (row: ThrottleRow) => row.lockedUntilMs !== null && row.lockedUntilMs > nowMs;
  const account = rows.find((row) => row.address === accountRow);
  return {
    lockedAddresses: rows.filter((row) => row.address !== accountRow && lockedNow(row)).length,
    accountLockedUntilMs: account && lockedNow(account) ? account.lockedUntilMs : null,
  };
}

export function isSignInLocked(lock: SignInLock): boolean {
  return lock.lockedAddresses > 0 || lock.accountLockedUntilMs !== null;
}

/** Lifts every lock on the phone (an office did it; the caller audits in the same transaction). */
export function liftSignInLocks(db: Db, phoneKey: string, nowMs: number): void {
  db.update(signInThrottle)
    .set({ failures: 0, windowStartMs: nowMs, lockedUntilMs: null, lockCount: 0 })
    .where(eq(signInThrottle.phoneKey, phoneKey))
    .run();
}

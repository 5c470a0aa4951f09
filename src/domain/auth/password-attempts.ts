import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { auditLog } from '../../db/schema/core.ts';
import { recordAudit } from '../audit/audit.ts';

/** Wrong current passwords allowed on the change-password form per window, per user. */
export const currentPasswordAttemptLimit = 5;
export const currentPasswordWindowMs = 15 * 60 * 1000;

const attempted = 'account.current_password_attempt';
const passed = 'account.current_password_passed';

/**
 * Reserves one check of a signed-in user's current password, before the slow
 * hash: one IMMEDIATE transaction counts the attempts since the window began
 * (or since the last right password, whichever is later) and records this one,
 * so parallel guesses cannot all pass the count. Answers false when the limit
 * is reached; nothing is recorded then.
 */
export function reserveCurrentPasswordCheck(db: Db, userId: number, nowMs: number): boolean {
  return db.transaction(
    (tx) => {
      const since = Math.max(nowMs - currentPasswordWindowMs, lastPassedMs(tx as unknown as Db, userId) ?? 0);
      const attempts = tx
        .select({ count: sql<number>`count(*)` })
        .from(auditLog)
        .where(and(eq(auditLog.action, attempted), eq(auditLog.objectType, 'user'), eq(auditLog.objectId, String(userId)), gt(auditLog.atMs, since)))
        .get()?.count ?? 0;
      if (attempts >= currentPasswordAttemptLimit) return false;
      recordAudit(tx as unknown as Db, { action: attempted, actorUserId: userId, objectType: 'user', objectId: userId }, nowMs);
      return true;
    },
    { behavior: 'immediate' },
  );
}

/** A right current password: attempts before it no longer count. */
export function currentPasswordPassed(db: Db, userId: number, nowMs: number): void {
  recordAudit(db, { action: passed, actorUserId: userId, objectType: 'user', objectId: userId }, nowMs);
}

function lastPassedMs(db: Db, userId: number): number | null {
  const row = db
    .select({ atMs: sql<number | null>`max(${auditLog.atMs})` })
    .from(auditLog)
    .where(and(eq(auditLog.action, passed), eq(auditLog.objectType, 'user'), eq(auditLog.objectId, String(userId))))
    .get();
  return row?.atMs ?? null;
}

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, isNull, ne } from 'drizzle-orm';
import { connectionOf, type Db } from '../../db/client.ts';
import { refreshTokens } from '../../db/schema/core.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Actor } from '../access/authorize.ts';
import { homeRegionCode } from './users.ts';
import { writeTransaction } from '../kernel/transaction.ts';

/**
 * Sessions are families of refresh tokens. A browser holds one raw token; the
 * database holds only its SHA-256. Each use rotates the token within its
 * family. A token used a second time means it was copied, so the whole family
 * is revoked, except within a short grace window after rotation, where two
 * requests a browser sent at once (htmx can do that) both carry the old token.
 */
export const refreshLifetimeMs = 14 * 24 * 60 * 60 * 1000;
export const rotationGraceMs = 15 * 1000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface NewSession {
  familyId: string;
  token: string;
}

export function startSession(db: Db, userId: number, nowMs: number): NewSession {
  const familyId = randomUUID();
  const token = newToken();
  db.insert(refreshTokens)
    .values({ userId, familyId, tokenHash: hashToken(token), createdAtMs: nowMs, expiresAtMs: nowMs + refreshLifetimeMs })
    .run();
  return { familyId, token };
}

export type RotateResult =
  | { kind: 'rotated'; userId: number; familyId: string; token: string }
  /** The token was rotated moments ago by a parallel request: accept it without a new token. */
  | { kind: 'grace'; userId: number; familyId: string }
  | { kind: 'reused'; userId: number; familyId: string }
  | { kind: 'invalid' };

export function rotateSession(db: Db, presentedToken: string, nowMs: number): RotateResult {
  if (presentedToken.length < 20 || presentedToken.length > 100) return { kind: 'invalid' };
  return writeTransaction(db, (): RotateResult => {
      const row = db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hashToken(presentedToken))).get();
      if (!row || row.revokedAtMs !== null || row.expiresAtMs <= nowMs) return { kind: 'invalid' };
      if (row.usedAtMs !== null) {
        if (nowMs - row.usedAtMs <= rotationGraceMs) return { kind: 'grace', userId: row.userId, familyId: row.familyId };
        revokeFamily(db, row.familyId, nowMs);
        return { kind: 'reused', userId: row.userId, familyId: row.familyId };
      }
      db.update(refreshTokens).set({ usedAtMs: nowMs }).where(eq(refreshTokens.id, row.id)).run();
      const token = newToken();
      db.insert(refreshTokens)
        .values({ userId: row.userId, familyId: row.familyId, tokenHash: hashToken(token), createdAtMs: nowMs, expiresAtMs: nowMs + refreshLifetimeMs })
        .run();
      return { kind: 'rotated', userId: row.userId, familyId: row.familyId, token };
    });
}

/**
 * True while the family was issued to this user and has a token that is
 * neither revoked nor expired; checked on every request. The user id is part
 * of the question: a token that names another user on a live session id is
 * not that session.
 */
export function isSessionLive(db: Db, familyId: string, userId: number, nowMs: number): boolean {
  // Raw SQL on the connection's statement cache: this runs on every request.
  const expiries = connectionOf(db)
    .prepare('SELECT expires_at_ms FROM refresh_tokens WHERE family_id = ? AND user_id = ? AND revoked_at_ms IS NULL')
    .pluck()
    .all(familyId, userId) as number[];
  return expiries.some((expiresAtMs) => expiresAtMs > nowMs);
}

export function revokeFamily(db: Db, familyId: string, nowMs: number): void {
  db.update(refreshTokens)
    .set({ revokedAtMs: nowMs })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAtMs)))
    .run();
}

/** Revokes every session of the user except `keepFamilyId` (after a password change). */
export function revokeOtherSessions(db: Db, userId: number, keepFamilyId: string | null, nowMs: number): void {
  const condition = keepFamilyId
    ? and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAtMs), ne(refreshTokens.familyId, keepFamilyId))
    : and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAtMs));
  db.update(refreshTokens).set({ revokedAtMs: nowMs }).where(condition).run();
}

/**
 * Signing out: the session's family of refresh tokens is revoked and the
 * sign-out audited, in one write transaction.
 */
export function signOut(db: Db, user: { id: number; sessionFamilyId: string; actor: Actor }, ipAddress: string, nowMs: number): void {
  writeTransaction(db, () => {
    revokeFamily(db, user.sessionFamilyId, nowMs);
    recordAudit(
      db,
      { action: 'auth.signed_out', actorUserId: user.id, objectType: 'user', objectId: user.id, regionCode: homeRegionCode(user.actor.grants), ipAddress },
      nowMs,
    );
  });
}


import { and, eq, gte, sql } from 'drizzle-orm';
import type { Db, Sqlite } from '../../db/client.ts';
import { auditLog } from '../../db/schema/core.ts';

/**
 * The audit trail: sign-ins, failed sign-ins, role changes, privileged actions
 * and views of sensitive personal data. The table is insert-only (triggers).
 * `detail` must never hold personal data: ids and codes only.
 */
export interface AuditEntry {
  action: string;
  actorUserId?: number | null;
  objectType?: string | null;
  objectId?: string | number | null;
  regionCode?: string | null;
  ipAddress?: string | null;
  detail?: Record<string, string | number | boolean | null> | null;
}

export function recordAudit(db: Db, entry: AuditEntry, atMs: number): void {
  db.insert(auditLog)
    .values({
      atMs,
      action: entry.action,
      actorUserId: entry.actorUserId ?? null,
      objectType: entry.objectType ?? null,
      objectId: entry.objectId === undefined || entry.objectId === null ? null : String(entry.objectId),
      regionCode: entry.regionCode ?? null,
      ipAddress: entry.ipAddress ?? null,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
    })
    .run();
}

export function countRecent(db: Db, action: string, objectType: string, objectId: string, sinceMs: number): number {
  const row = db
    .select({ count: sql<number>`count(*)` })
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.objectType, objectType), eq(auditLog.objectId, objectId), gte(auditLog.atMs, sinceMs)))
    .get();
  return row?.count ?? 0;
}

/** At most `max` entries of an action in the window, for one actor and/or one object. */
export interface Allowance {
  actorUserId?: number;
  objectType?: string;
  objectId?: string;
  max: number;
}

/** The allowance already used up (`max` entries of `action` in the window), or null when every one has room. */
export function exhaustedAllowance(db: Db, action: string, atMs: number, windowMs: number, allowances: readonly Allowance[]): Allowance | null {
  const count = (allowance: Allowance): number => {
    const conditions = [eq(auditLog.action, action), gte(auditLog.atMs, atMs - windowMs)];
    if (allowance.actorUserId !== undefined) conditions.push(eq(auditLog.actorUserId, allowance.actorUserId));
    if (allowance.objectType !== undefined) conditions.push(eq(auditLog.objectType, allowance.objectType));
    if (allowance.objectId !== undefined) conditions.push(eq(auditLog.objectId, allowance.objectId));
    return db.select({ count: sql<number>`count(*)` }).from(auditLog).where(and(...conditions)).get()?.count ?? 0;
  };
  return allowances.find((allowance) => count(allowance) >= allowance.max) ?? null;
}

/**
 * Runs `work` in one write transaction (BEGIN IMMEDIATE), or directly when the
 * caller already holds one. `work` must be synchronous: no await inside.
 */
export function inWriteTransaction<T>(db: Db, work: () => T): T {
  const client = (db as unknown as { session: { client: Sqlite } }).session.client;
  return client.inTransaction ? work() : client.transaction(work).immediate();
}

/**
 * A rate limit kept in the audit log: counts, inside ONE write transaction,
 * the entries of `entry.action` of the last `windowMs` for each allowance,
 * and records `entry` only when every count is below its max. Returns whether
 * it was recorded. Parallel requests queue on the write lock, so no more than
 * `max` ever pass.
 */
export function recordWithinAllowances(db: Db, entry: AuditEntry, atMs: number, windowMs: number, allowances: readonly Allowance[]): boolean {
  return inWriteTransaction(db, () => {
    if (exhaustedAllowance(db, entry.action, atMs, windowMs, allowances)) return false;
    recordAudit(db, entry, atMs);
    return true;
  });
}

export interface AuditRow {
  id: number;
  atMs: number;
  actorUserId: number | null;
  actorName: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  regionCode: string | null;
  regionNameZh: string | null;
  regionNameEn: string | null;
  detail: string | null;
}

/**
 * Entries whose region lies in one of `regionPaths`, newest first. Entries
 * with no region (such as failed sign-ins for unknown phones) are included
 * only when `includeUnscoped` (administrators).
 */
export function listAudit(
  db: Db,
  options: { regionPaths: string[]; includeUnscoped: boolean; beforeId?: number; limit: number },
): AuditRow[] {
  const scopeConditions = options.regionPaths.map(() => 'r.path LIKE ?');
  if (options.includeUnscoped) scopeConditions.push('a.region_code IS NULL');
  if (scopeConditions.length === 0) return [];
  const rows = db.$client
    .prepare(
      `SELECT a.id, a.at_ms AS atMs, a.actor_user_id AS actorUserId, u.display_name AS actorName, a.action,
              a.object_type AS objectType, a.object_id AS objectId, a.region_code AS regionCode,
              r.name_zh AS regionNameZh, r.name_en AS regionNameEn, a.detail
         FROM audit_log a
         LEFT JOIN regions r ON r.code = a.region_code
         LEFT JOIN users u ON u.id = a.actor_user_id
        WHERE (${scopeConditions.join(' OR ')})
          ${options.beforeId !== undefined ? 'AND a.id < ?' : ''}
        ORDER BY a.id DESC
        LIMIT ?`,
    )
    .all(
      ...options.regionPaths.map((path) => `${path}%`),
      ...(options.beforeId !== undefined ? [options.beforeId] : []),
      options.limit,
    ) as AuditRow[];
  return rows;
}

import { and, eq, gte, sql } from 'drizzle-orm';
import { connectionOf, type Db, type Sqlite } from '../../db/client.ts';
import { auditLog } from '../../db/schema/core.ts';
import { inWriteWork } from '../../db/writer.ts';
import { writeTransaction } from '../kernel/transaction.ts';

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
  detail?: Record<string, unknown> | null;
}

/**
 * The one audit writer: appends `entry` at `atMs`. Every audit row in the
 * application is written here (directly, or through audit() below).
 */
export function recordAudit(db: Db | Sqlite, entry: AuditEntry, atMs: number): void {
  connectionOf(db)
    .prepare(`INSERT INTO audit_log (at_ms, action, actor_user_id, object_type, object_id, region_code, ip_address, detail)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(
      atMs,
      entry.action,
      entry.actorUserId ?? null,
      entry.objectType ?? null,
      entry.objectId === undefined || entry.objectId === null ? null : String(entry.objectId),
      entry.regionCode ?? null,
      entry.ipAddress ?? null,
      entry.detail ? JSON.stringify(entry.detail) : null,
    );
}

/** Who acted, as the log records them: the user and, when known, the client address. */
export interface AuditActor {
  readonly userId: number;
  readonly ipAddress?: string | null;
}

/** What the people and redemption domains carry: a database (or a transaction on it) and a clock tests can move. */
export interface AuditContext {
  db: Db;
  now?: () => number;
}

/**
 * recordAudit() in the shape the people and redemption domains call it: the
 * time comes from the context's clock, the actor may be absent (the system).
 * `detail` must hold no personal data: ids, codes and reasons typed by staff only.
 */
export function audit(
  context: AuditContext,
  actor: AuditActor | null,
  action: string,
  objectType: string,
  objectId: number | string,
  regionCode: string | null,
  detail?: Record<string, unknown>,
): void {
  const entry: AuditEntry = { action, actorUserId: actor?.userId ?? null, objectType, objectId, regionCode, ipAddress: actor?.ipAddress ?? null, detail };
  recordAudit(context.db, entry, context.now ? context.now() : Date.now());
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
  const client = connectionOf(db);
  return inWriteWork(client) ? work() : writeTransaction(client, work);
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

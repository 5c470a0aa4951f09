import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { connectionOf, type Db } from '../../db/client.ts';
import { users } from '../../db/schema/core.ts';
import { policyVersions } from '../../db/schema/redemption.ts';
import type { Actor } from '../access/authorize.ts';
import { audit } from '../audit/audit.ts';
import { isCalendarDate, shanghaiDateOf } from '../hours/time.ts';
import { contentHash } from '../kernel/idempotency.ts';
import { nowOf, refuse, success, writeOnceKeyed, writeTransaction, type Outcome, type Problem, type RedemptionContext } from './context.ts';
import { defaultPolicy, policyAccess, rulesOf, rulesProblems, type NetworkPolicy } from './policy.ts';

/**
 * Dated versions of the network policy, following the service standard
 * (src/domain/hours/standard.ts): a decision applies the version in force on
 * its Shanghai date and records the version's id, so a later version never
 * changes what was decided. Versions are published for tomorrow or later
 * only; an upcoming one may be replaced (publish again for its date) or
 * withdrawn before it takes effect; versions in force or past never change.
 */
export type PolicyVersionRow = typeof policyVersions.$inferSelect;

export interface PolicyInForce {
  /** Null only on a database without version 1 (the migration always writes it). */
  id: number | null;
  versionNumber: number | null;
  effectiveDate: string | null;
  rules: NetworkPolicy;
}

const live = isNull(policyVersions.withdrawnAtMs);

// Read by every decision and by the dashboard on each request: raw SQL on the connection's
// statement cache, where building the drizzle query cost more than running it (docs/PERFORMANCE.md).
const inForceSql = `SELECT id, version_number AS versionNumber, effective_date AS effectiveDate, rules FROM policy_versions
  WHERE withdrawn_at_ms IS NULL AND effective_date <= ? ORDER BY effective_date DESC LIMIT 1`;

/** The version in force at an instant: the latest live version whose effective Shanghai date is on or before that day. */
export function policyInForce(db: Db, atMs: number): PolicyInForce {
  const row = connectionOf(db).prepare(inForceSql).get(shanghaiDateOf(atMs)) as { id: number; versionNumber: number; effectiveDate: string; rules: string } | undefined;
  if (!row) return { id: null, versionNumber: null, effectiveDate: null, rules: defaultPolicy };
  return { id: row.id, versionNumber: row.versionNumber, effectiveDate: row.effectiveDate, rules: rulesOf(row.rules) };
}

/** The policy in force now for a context's clock. */
export function currentPolicy(context: RedemptionContext): PolicyInForce {
  return policyInForce(context.db, nowOf(context));
}

/** Every version, withdrawn ones too, newest effective date first. */
export function listPolicyVersions(db: Db): PolicyVersionRow[] {
  return db.select().from(policyVersions).orderBy(desc(policyVersions.effectiveDate), desc(policyVersions.versionNumber)).all();
}

export function versionNumberOf(db: Db, versionId: number | null): number | null {
  if (versionId === null) return null;
  return db.select({ number: policyVersions.versionNumber }).from(policyVersions).where(eq(policyVersions.id, versionId)).get()?.number ?? null;
}

export interface PublishPolicyInput {
  effectiveDate: string;
  rules: NetworkPolicy;
  note?: string;
  /** The form's idempotency key: a double tap or a retry publishes once. */
  idempotencyKey: string;
}

/** The idempotency scope of a publication. */
export const publishKeyScope = 'redemption.policy_publish';

function dateProblems(effectiveDate: string, today: string): Problem[] {
  if (!isCalendarDate(effectiveDate)) return [{ code: 'redemption.error.policy_date_invalid', field: 'effective_date' }];
  if (effectiveDate <= today) return [{ code: 'redemption.error.policy_date_not_future', field: 'effective_date', params: { today } }];
  return [];
}

/**
 * Publishes a version effective from a future Shanghai date (tomorrow or
 * later). A live upcoming version on the same date is replaced: it is
 * withdrawn in the same transaction. Only the top office publishes.
 */
export function publishPolicyVersion(context: RedemptionContext, actor: Actor, input: PublishPolicyInput): Outcome<PolicyVersionRow> {
  const denied = policyAccess(actor);
  if (denied) return denied;
  const at = nowOf(context);
  const effectiveDate = input.effectiveDate.trim();
  const problems = [...dateProblems(effectiveDate, shanghaiDateOf(at)), ...rulesProblems(input.rules)];
  if (problems.length > 0) return { ok: false, status: 422, problems };
  const note = [...(input.note ?? '').trim()].slice(0, 200).join('') || null; // the form allows 200 characters
  const once = { key: input.idempotencyKey, scope: publishKeyScope, contentHash: contentHash({ effectiveDate, rules: JSON.stringify(input.rules), note }) };
  const record = { idOf: (row: PolicyVersionRow) => row.id, load: (id: number) => context.db.select().from(policyVersions).where(eq(policyVersions.id, id)).get() };
  return writeOnceKeyed(context, actor, once, record, () => {
    const replaced = context.db.select().from(policyVersions).where(and(live, eq(policyVersions.effectiveDate, effectiveDate))).get();
    if (replaced) context.db.update(policyVersions).set({ withdrawnAtMs: at, withdrawnByUserId: actor.userId }).where(eq(policyVersions.id, replaced.id)).run();
    const last = context.db.select({ max: sql<number | null>`max(${policyVersions.versionNumber})` }).from(policyVersions).get();
    const row = context.db.insert(policyVersions)
      .values({ versionNumber: (last?.max ?? 0) + 1, effectiveDate, rules: JSON.stringify(input.rules), note, publishedByUserId: actor.userId, publishedAtMs: at })
      .returning().get();
    audit(context, actor, 'redemption.policy_publish', 'policy_version', row.id, null, {
      versionNumber: row.versionNumber, effectiveDate, replacedVersionNumber: replaced?.versionNumber ?? null, rules: input.rules,
    });
    return success(row);
  });
}

/** Withdraws an upcoming version (effective tomorrow or later); the row stays, marked withdrawn. Withdrawing it again (a double tap) answers the same. */
export function withdrawPolicyVersion(context: RedemptionContext, actor: Actor, versionId: number): Outcome<PolicyVersionRow> {
  const denied = policyAccess(actor);
  if (denied) return denied;
  const at = nowOf(context);
  return writeTransaction(context, () => {
    const row = context.db.select().from(policyVersions).where(eq(policyVersions.id, versionId)).get();
    if (!row) return refuse(404, 'redemption.error.policy_version_not_found');
    if (row.withdrawnAtMs !== null) return success(row);
    if (row.effectiveDate <= shanghaiDateOf(at)) return refuse(409, 'redemption.error.policy_version_in_force', { version: row.versionNumber });
    context.db.update(policyVersions).set({ withdrawnAtMs: at, withdrawnByUserId: actor.userId }).where(eq(policyVersions.id, row.id)).run();
    audit(context, actor, 'redemption.policy_withdraw', 'policy_version', row.id, null, { versionNumber: row.versionNumber, effectiveDate: row.effectiveDate });
    return success({ ...row, withdrawnAtMs: at, withdrawnByUserId: actor.userId });
  });
}

/** What the policy page shows: the version in force, the upcoming ones, the whole history. */
export interface PolicyPage {
  today: string;
  current: PolicyInForce;
  upcoming: PolicyVersionRow[];
  history: PolicyVersionRow[];
  /** Display names of the accounts that published a version, by user id. */
  publishers: Record<number, string>;
}

function publisherNames(db: Db, history: readonly PolicyVersionRow[]): Record<number, string> {
  const ids = [...new Set(history.map((row) => row.publishedByUserId).filter((id): id is number => id !== null))];
  const names: Record<number, string> = {};
  for (const id of ids) {
    const row = db.select({ name: users.displayName }).from(users).where(eq(users.id, id)).get();
    if (row) names[id] = row.name;
  }
  return names;
}

export function policyPage(context: RedemptionContext, actor: Actor): Outcome<PolicyPage> {
  const denied = policyAccess(actor);
  if (denied) return denied;
  const at = nowOf(context);
  const today = shanghaiDateOf(at);
  const history = listPolicyVersions(context.db);
  const upcoming = history.filter((row) => row.withdrawnAtMs === null && row.effectiveDate > today);
  return success({ today, current: policyInForce(context.db, at), upcoming, history, publishers: publisherNames(context.db, history) });
}

/** The rules of a stored version, with the defaults for rules it predates. */
export function rulesOfRow(row: PolicyVersionRow): NetworkPolicy {
  return rulesOf(row.rules);
}

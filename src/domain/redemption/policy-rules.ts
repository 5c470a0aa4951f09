import { shanghaiDateOf, shanghaiToUtcMs } from '../hours/time.ts';
import { ageOf, refuse, type RedemptionContext, type Refusal } from './context.ts';
import type { PolicyInForce } from './policy-versions.ts';
import { careAgeFor } from './policy.ts';

/**
 * The spending rules of the policy in force, asked by the counter and the
 * service requests. Each refusal names the policy version that refused.
 */

/** A member in the registry of elders with special difficulties: an active elder record linked to the member. */
export function isRegisteredElder(context: RedemptionContext, memberId: number): boolean {
  const row = context.db.$client.prepare("SELECT 1 FROM elders WHERE member_id = ? AND status = 'active' LIMIT 1").get(memberId);
  return row !== undefined;
}

/**
 * Verified service minutes a member has given: approved records and completed
 * requests. A private query for now; wt-18a's `verifiedServiceMinutes`
 * (src/domain/hours/service-minutes.ts) replaces it at merge.
 */
function verifiedMinutesOf(context: RedemptionContext, memberId: number): number {
  const row = context.db.$client
    .prepare("SELECT COALESCE(SUM(duration_minutes), 0) AS minutes FROM service_records WHERE volunteer_member_id = ? AND status IN ('approved','completed')")
    .get(memberId) as { minutes: number };
  return row.minutes;
}

function hasRedeemedBefore(context: RedemptionContext, memberId: number): boolean {
  return context.db.$client.prepare("SELECT 1 FROM redemptions WHERE member_id = ? AND payer = 'wallet' AND status = 'confirmed' LIMIT 1").get(memberId) !== undefined;
}

/** Minutes a member spent or holds at counters from the wallet in the Shanghai calendar year of `atMs`. */
export function yearlySpentMinutes(context: RedemptionContext, memberId: number, atMs: number): number {
  const year = Number(shanghaiDateOf(atMs).slice(0, 4));
  const row = context.db.$client
    .prepare(`SELECT COALESCE(SUM(total_minutes), 0) AS minutes FROM redemptions
               WHERE member_id = ? AND payer = 'wallet' AND status IN ('held','confirmed') AND created_at_ms >= ? AND created_at_ms < ?`)
    .get(memberId, shanghaiToUtcMs(`${year}-01-01`), shanghaiToUtcMs(`${year + 1}-01-01`)) as { minutes: number };
  return row.minutes;
}

/** The care-age refusal for a member buying care under the policy in force, or null when old enough. */
export function careAgeRefusal(context: RedemptionContext, inForce: PolicyInForce, member: { id: number; birthDate: string }, code: string, params: Record<string, string | number> = {}): Refusal | null {
  const age = careAgeFor(inForce.rules, isRegisteredElder(context, member.id));
  if (ageOf(context, member.birthDate) >= age) return null;
  return refuse(409, code, { ...params, age, version: inForce.versionNumber ?? 1 });
}

/** Before a member's first counter redemption from the wallet: enough verified service (Guangzhou: 100 h). */
export function firstRedemptionRefusal(context: RedemptionContext, inForce: PolicyInForce, memberId: number): Refusal | null {
  const minimum = inForce.rules.firstRedemptionMinimumMinutes;
  if (minimum === null || hasRedeemedBefore(context, memberId)) return null;
  const given = verifiedMinutesOf(context, memberId);
  if (given >= minimum) return null;
  return refuse(409, 'redemption.error.minimum_hours', { minimum, given, version: inForce.versionNumber ?? 1 });
}

/**
 * The yearly limit, asked inside the write transaction that holds the basket
 * (held baskets count, so two counters cannot both spend the last of the limit).
 */
export function yearlyLimitRefusal(context: RedemptionContext, inForce: PolicyInForce, memberId: number, totalMinutes: number, atMs: number): Refusal | null {
  const limit = inForce.rules.yearlyRedemptionLimitMinutes;
  if (limit === null) return null;
  const spent = yearlySpentMinutes(context, memberId, atMs);
  if (spent + totalMinutes <= limit) return null;
  return refuse(409, 'redemption.error.yearly_limit', { limit, room: Math.max(0, limit - spent), version: inForce.versionNumber ?? 1 });
}

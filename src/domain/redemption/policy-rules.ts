import { shanghaiDateOf, shanghaiToUtcMs } from '../hours/time.ts';
import { verifiedServiceMinutes } from '../hours/service-minutes.ts';
import { overflowTransferPrefix } from '../hours/records.ts';
import { accountIds } from '../bookkeeping/accounts.ts';
import { ageOf, refuse, type RedemptionContext, type Refusal } from './context.ts';
import type { PolicyInForce } from './policy-versions.ts';
import type { RelationKind } from '../../db/schema/redemption.ts';
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

/** Verified service minutes a member has given (the count certificates and stars use: time served, not credits). */
function verifiedMinutesOf(context: RedemptionContext, memberId: number): number {
  return verifiedServiceMinutes(context.db, memberId).totalMinutes;
}

function hasRedeemedBefore(context: RedemptionContext, memberId: number): boolean {
  return context.db.$client.prepare("SELECT 1 FROM redemptions WHERE member_id = ? AND payer = 'wallet' AND status = 'confirmed' LIMIT 1").get(memberId) !== undefined;
}

/**
 * Minutes a member spent or holds from the wallet in the Shanghai calendar
 * year of `atMs`: counter baskets (held or confirmed) and service requests
 * paid from the wallet (open, accepted or completed: the hold is the payment).
 */
export function yearlySpentMinutes(context: RedemptionContext, memberId: number, atMs: number): number {
  const year = Number(shanghaiDateOf(atMs).slice(0, 4));
  const from = shanghaiToUtcMs(`${year}-01-01`);
  const to = shanghaiToUtcMs(`${year + 1}-01-01`);
  const row = context.db.$client
    .prepare(`SELECT (SELECT COALESCE(SUM(total_minutes), 0) FROM redemptions
                       WHERE member_id = ? AND payer = 'wallet' AND status IN ('held','confirmed') AND created_at_ms >= ? AND created_at_ms < ?)
                   + (SELECT COALESCE(SUM(offered_minutes), 0) FROM service_requests
                       WHERE payer_account_id = ? AND payer = 'wallet' AND status IN ('open','accepted','completed') AND created_at_ms >= ? AND created_at_ms < ?) AS minutes`)
    .get(memberId, from, to, accountIds.wallet(memberId), from, to) as { minutes: number };
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
 * or the service request's payment (held baskets and open requests count, so
 * two counters or a counter and a request cannot both spend the last of it).
 */
export function yearlyLimitRefusal(context: RedemptionContext, inForce: PolicyInForce, memberId: number, totalMinutes: number, atMs: number): Refusal | null {
  const limit = inForce.rules.yearlyRedemptionLimitMinutes;
  if (limit === null) return null;
  const spent = yearlySpentMinutes(context, memberId, atMs);
  if (spent + totalMinutes <= limit) return null;
  return refuse(409, 'redemption.error.yearly_limit', { limit, room: Math.max(0, limit - spent), version: inForce.versionNumber ?? 1 });
}

/**
 * Credits from team activities the member has not given away yet: what the
 * activity records put in the wallet (their credit less any part the balance
 * cap diverted to the county pool, transfer `svc-overflow:<record>`) less
 * everything the member gave (gifts and donations use team credits first).
 * With teamCreditsDonateOnly these may not be spent at a counter.
 */
export function undonatedTeamMinutes(context: RedemptionContext, memberId: number): number {
  const earned = context.db.$client
    .prepare(`SELECT COALESCE(SUM(r.credit_minutes - COALESCE((SELECT t.amount FROM ledger_transfers t WHERE t.id = ? || r.id), 0)), 0)
      FROM service_records r WHERE r.volunteer_member_id = ? AND r.source = 'activity' AND r.status = 'approved'`)
    .pluck().get(overflowTransferPrefix, memberId) as number;
  const given = context.db.$client.prepare('SELECT COALESCE(SUM(amount_minutes), 0) FROM member_gifts WHERE from_member_id = ?').pluck().get(memberId) as number;
  return Math.max(0, earned - given);
}

/** Inside the hold's transaction: the basket may use only credits that are not undonated team credits. */
export function teamCreditsRefusal(context: RedemptionContext, inForce: PolicyInForce, memberId: number, availableMinutes: number, totalMinutes: number): Refusal | null {
  if (!inForce.rules.teamCreditsDonateOnly) return null;
  const team = undonatedTeamMinutes(context, memberId);
  const spendable = Math.max(0, availableMinutes - team);
  if (team === 0 || totalMinutes <= spendable) return null;
  return refuse(409, 'redemption.error.team_credits_donate_only', { team: Math.min(team, availableMinutes), spendable, version: inForce.versionNumber ?? 1 });
}

/** The kinds of registered relation that count as spouse or lineal (Nanjing's gift rule); in-laws, siblings and others do not. */
const spouseOrLinealKinds: ReadonlySet<RelationKind> = new Set(['spouse', 'parent_child', 'grandparent_grandchild']);

/** Whether a registered relation's kind (chosen from a fixed list, never read from typed words) is a spouse or a lineal relative. */
export function isSpouseOrLineal(kind: RelationKind): boolean {
  return spouseOrLinealKinds.has(kind);
}

/** Nanjing: gifts only to a registered spouse or lineal relative aged 60 or more. */
export function giftRelationRefusal(context: RedemptionContext, inForce: PolicyInForce, kind: RelationKind | null, receiverBirthDate: string): Refusal | null {
  if (!inForce.rules.giftsSpouseOrLinealSixtyPlus) return null;
  const version = inForce.versionNumber ?? 1;
  if (kind === null || !isSpouseOrLineal(kind)) return refuse(409, 'redemption.error.gift_spouse_lineal_only', { version }, 'to');
  if (ageOf(context, receiverBirthDate) < 60) return refuse(409, 'redemption.error.gift_receiver_under_60', { version }, 'to');
  return null;
}

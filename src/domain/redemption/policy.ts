import type { Actor } from '../access/authorize.ts';
import { refuse, roleRefusal, success, type Outcome, type Problem, type Refusal } from './context.ts';
import { permission } from '../access/authorize.ts';

/**
 * The network policy for spending credits, set by the top office as dated
 * versions (policy-versions.ts). Every rule beyond the first four is off by default:
 * - balanceCapMinutes: no wallet may hold more (Nanjing uses 1500 hours); null = no cap;
 * - capMode: 'refuse' the credit that would pass the cap, or 'divert' the excess to the
 *   receiving member's county pool (transfer code cap_overflow);
 * - careAgeYears: from this age a member may spend credits on care services
 *   (service items at service stations, service requests for themselves);
 * - careAgeRegisteredYears: the lower age for members in the registry of elders with
 *   special difficulties (an active elder record linked to the member), as Shanghai does; null = off;
 * - giftsRelativesOnly: gifts only between registered relatives;
 * - firstRedemptionMinimumMinutes: verified service minutes a member must have given
 *   before spending at a counter the first time (Guangzhou: 100 h); null = off;
 * - yearlyRedemptionLimitMinutes: the most a member may spend from the wallet at
 *   counters in a Shanghai calendar year; null = off;
 * - giftsSpouseOrLinealSixtyPlus: gifts only to a registered spouse or lineal relative
 *   (parents, children, grandparents, grandchildren) aged 60 or more (Nanjing);
 * - teamCreditsDonateOnly: credits earned at team activities (service records from an
 *   activity sign-in, source 'activity') may be given away with the gift feature (to a
 *   member or the county pool) but not spent at a counter (Nanjing);
 * - priorityStockThreshold: a counted item with this many or fewer left goes only to
 *   empty-nest elders aged 80+ (priority.ts); null = off.
 */
export interface NetworkPolicy {
  balanceCapMinutes: number | null;
  capMode: 'refuse' | 'divert';
  careAgeYears: number;
  careAgeRegisteredYears: number | null;
  giftsRelativesOnly: boolean;
  firstRedemptionMinimumMinutes: number | null;
  yearlyRedemptionLimitMinutes: number | null;
  giftsSpouseOrLinealSixtyPlus: boolean;
  teamCreditsDonateOnly: boolean;
  priorityStockThreshold: number | null;
}

export const defaultPolicy: NetworkPolicy = {
  balanceCapMinutes: 1500 * 60, capMode: 'refuse', careAgeYears: 60, careAgeRegisteredYears: null, giftsRelativesOnly: true,
  firstRedemptionMinimumMinutes: null, yearlyRedemptionLimitMinutes: null, giftsSpouseOrLinealSixtyPlus: false, teamCreditsDonateOnly: false,
  priorityStockThreshold: null,
};

/** Only administrators (the top office) publish the policy. */
export const canSetPolicy = permission('redemption.policy', ['admin']);

/** Null when the actor may publish the network policy (the top office); otherwise the 403 page (issue 15), asked before the form is read. */
export function policyAccess(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canSetPolicy);
}

/** A stored rules document read with the defaults for rules it predates. */
export function rulesOf(json: string): NetworkPolicy {
  return { ...defaultPolicy, ...(JSON.parse(json) as Partial<NetworkPolicy>) };
}

const positiveOrNull = (value: number | null) => value === null || (Number.isInteger(value) && value > 0);
const ageOrNull = (value: number | null) => value === null || (Number.isInteger(value) && value >= 0 && value <= 120);

/** Every problem of a rules document, each naming its field. */
export function rulesProblems(policy: NetworkPolicy): Problem[] {
  const problems: Problem[] = [];
  if (!positiveOrNull(policy.balanceCapMinutes)) problems.push({ code: 'redemption.error.cap_invalid', field: 'cap' });
  if (policy.capMode !== 'refuse' && policy.capMode !== 'divert') problems.push({ code: 'redemption.error.cap_mode_invalid', field: 'cap_mode' });
  if (!ageOrNull(policy.careAgeYears) || policy.careAgeYears === null) problems.push({ code: 'redemption.error.care_age_invalid', field: 'care_age' });
  if (!ageOrNull(policy.careAgeRegisteredYears)) problems.push({ code: 'redemption.error.care_age_invalid', field: 'care_age_registered' });
  if (!positiveOrNull(policy.firstRedemptionMinimumMinutes)) problems.push({ code: 'redemption.error.minimum_invalid', field: 'minimum' });
  if (!positiveOrNull(policy.yearlyRedemptionLimitMinutes)) problems.push({ code: 'redemption.error.yearly_limit_invalid', field: 'yearly' });
  const threshold = policy.priorityStockThreshold;
  if (threshold !== null && !(Number.isInteger(threshold) && threshold >= 0 && threshold <= 999)) problems.push({ code: 'redemption.error.priority_threshold_invalid', field: 'priority_threshold' });
  if (typeof policy.giftsSpouseOrLinealSixtyPlus !== 'boolean' || typeof policy.teamCreditsDonateOnly !== 'boolean') problems.push({ code: 'redemption.error.policy_flag_invalid' });
  return problems;
}

/** The care age that applies to a member: the registry's lower age when the rule is on and the member is a registered elder. */
export function careAgeFor(policy: NetworkPolicy, registeredElder: boolean): number {
  if (registeredElder && policy.careAgeRegisteredYears !== null) return Math.min(policy.careAgeYears, policy.careAgeRegisteredYears);
  return policy.careAgeYears;
}

/**
 * How much of `amount` a wallet holding `balance` may receive under the cap.
 * Refuse mode: all or a refusal. Divert mode: the part up to the cap, the rest diverted.
 */
export function splitByCap(policy: NetworkPolicy, balance: number, amount: number, versionNumber: number | null = null): Outcome<{ credited: number; diverted: number }> {
  if (policy.balanceCapMinutes === null || balance + amount <= policy.balanceCapMinutes) return success({ credited: amount, diverted: 0 });
  const room = Math.max(0, policy.balanceCapMinutes - balance);
  if (policy.capMode === 'refuse') {
    // Minutes; the message shows them as hours and minutes ({cap:duration}).
    return refuse(409, 'redemption.error.cap_reached', { cap: policy.balanceCapMinutes, room, version: versionNumber ?? 1 });
  }
  return success({ credited: room, diverted: amount - room });
}

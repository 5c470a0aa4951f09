import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings } from '../../db/schema/core.ts';
import { permission, type Actor } from '../access/authorize.ts';
import { nowOf, refuse, roleRefusal, success, type Outcome, type RedemptionContext, type Refusal } from './context.ts';
import { audit } from '../audit/audit.ts';

/**
 * The network policy for spending credits, set by the top office and stored
 * in `settings` under one key:
 * - balanceCapMinutes: no wallet may hold more (Nanjing uses 1500 hours); null = no cap;
 * - capMode: 'refuse' the credit that would pass the cap, or 'divert' the excess to the
 *   receiving member's county pool (transfer code cap_overflow);
 * - careAgeYears: from this age a member may spend credits on care services
 *   (service items at service stations, service requests for themselves);
 * - giftsRelativesOnly: gifts only between registered relatives.
 */
export interface NetworkPolicy {
  balanceCapMinutes: number | null;
  capMode: 'refuse' | 'divert';
  careAgeYears: number;
  giftsRelativesOnly: boolean;
}

export const defaultPolicy: NetworkPolicy = { balanceCapMinutes: 1500 * 60, capMode: 'refuse', careAgeYears: 60, giftsRelativesOnly: true };
export const policyKey = 'redemption.policy';

/** Only administrators (the top office) set the policy. */
export const canSetPolicy = permission('redemption.policy', ['admin']);

export function getPolicy(db: Db): NetworkPolicy {
  const row = db.select({ value: settings.value }).from(settings).where(eq(settings.key, policyKey)).get();
  if (!row) return defaultPolicy;
  return { ...defaultPolicy, ...(JSON.parse(row.value) as Partial<NetworkPolicy>) };
}

/** Null when the actor may set the network policy (the top office); otherwise the 403 page (issue 15), asked before the form is read. */
export function policyAccess(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canSetPolicy);
}

export function setPolicy(context: RedemptionContext, actor: Actor, policy: NetworkPolicy): Outcome<NetworkPolicy> {
  const denied = policyAccess(actor);
  if (denied) return denied;
  if (policy.balanceCapMinutes !== null && (!Number.isInteger(policy.balanceCapMinutes) || policy.balanceCapMinutes <= 0)) {
    return refuse(422, 'redemption.error.cap_invalid', undefined, 'balanceCap');
  }
  if (!Number.isInteger(policy.careAgeYears) || policy.careAgeYears < 0 || policy.careAgeYears > 120) {
    return refuse(422, 'redemption.error.care_age_invalid', undefined, 'careAge');
  }
  if (policy.capMode !== 'refuse' && policy.capMode !== 'divert') return refuse(422, 'redemption.error.cap_mode_invalid', undefined, 'capMode');
  const at = nowOf(context);
  const value = JSON.stringify(policy);
  context.db
    .insert(settings)
    .values({ key: policyKey, value, updatedAtMs: at, updatedByUserId: actor.userId })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAtMs: at, updatedByUserId: actor.userId } })
    .run();
  audit(context, actor, 'redemption.policy_set', 'policy', policyKey, null, {
    balanceCapMinutes: policy.balanceCapMinutes, capMode: policy.capMode, careAgeYears: policy.careAgeYears, giftsRelativesOnly: policy.giftsRelativesOnly,
  });
  return success(policy);
}

/**
 * How much of `amount` a wallet holding `balance` may receive under the cap.
 * Refuse mode: all or a refusal. Divert mode: the part up to the cap, the rest diverted.
 */
export function splitByCap(policy: NetworkPolicy, balance: number, amount: number): Outcome<{ credited: number; diverted: number }> {
  if (policy.balanceCapMinutes === null || balance + amount <= policy.balanceCapMinutes) return success({ credited: amount, diverted: 0 });
  const room = Math.max(0, policy.balanceCapMinutes - balance);
  if (policy.capMode === 'refuse') {
    // Minutes; the message shows them as hours and minutes ({cap:duration}).
    return refuse(409, 'redemption.error.cap_reached', { cap: policy.balanceCapMinutes, room });
  }
  return success({ credited: room, diverted: amount - room });
}

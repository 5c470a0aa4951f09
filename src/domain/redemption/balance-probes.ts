import type { Actor } from '../access/authorize.ts';
import { exhaustedAllowance, inWriteTransaction, recordAudit } from '../audit/audit.ts';
import { nowOf, refuse, type Outcome, type RedemptionContext } from './context.ts';

/**
 * A member found by a typed card number or phone has not proved they are at
 * the counter, so the basket page hides the balance. Placing a basket still
 * answers a question about it: a refusal for too few credits says the
 * balance is below the basket's total, and a hold that succeeds and is then
 * cancelled says it is not. A clerk who places and cancels baskets of chosen
 * totals would find the balance by bisection.
 *
 * So both count against one per-user allowance, the same as the gifts forms'
 * card lookups (10 in 10 minutes per user): a refused basket of a member not
 * present, and a member's basket cancelled without the PIN. Past it, baskets
 * for members not present are refused (429) until the window has moved on; a
 * scanned card (the member present, the balance shown anyway) is not limited.
 * The check, the basket and the count are one write transaction, so parallel
 * requests cannot evaluate more than the allowance.
 */
export const balanceProbesPerUser = 10;
export const balanceProbeWindowMs = 10 * 60_000;
export const balanceProbeAction = 'counter.balance_probe';

/** Runs `place` (a basket for a member not present) inside the allowance; `place` must be synchronous. */
export function placeWithinProbeAllowance<T>(
  context: RedemptionContext, actor: Actor, site: { id: number; villageCode: string }, place: () => Outcome<T>,
): Outcome<T> {
  const atMs = nowOf(context);
  return inWriteTransaction(context.db, () => {
    const exhausted = exhaustedAllowance(context.db, balanceProbeAction, atMs, balanceProbeWindowMs, [{ actorUserId: actor.userId, max: balanceProbesPerUser }]);
    if (exhausted) return refuse(429, 'redemption.error.balance_probe_limit', { misses: exhausted.max, minutes: balanceProbeWindowMs / 60_000 });
    // `place` writes in a savepoint of this transaction: its refusal rolls back only what it wrote, not the count below.
    const placed = place();
    if (!placed.ok && placed.problems[0]?.code === 'redemption.error.insufficient_balance') recordBalanceProbe(context, actor, site, 'refused', atMs);
    return placed;
  });
}

/** Records one use of the allowance (inside the caller's write transaction). Nothing about the member or the amount is recorded. */
export function recordBalanceProbe(context: RedemptionContext, actor: Actor, site: { id: number; villageCode: string }, how: 'refused' | 'cancelled', atMs = nowOf(context)): void {
  recordAudit(context.db, { action: balanceProbeAction, actorUserId: actor.userId, objectType: 'site', objectId: site.id, regionCode: site.villageCode, detail: { how } }, atMs);
}

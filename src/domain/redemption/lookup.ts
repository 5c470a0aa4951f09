import type { Actor } from '../access/authorize.ts';
import { exhaustedAllowance, inWriteTransaction, recordAudit } from '../audit/audit.ts';
import { nowOf, refuse, type Outcome, type RedemptionContext } from './context.ts';
import { identifyElder, identifyMember, type CounterElder } from './counter-identify.ts';
import type { CounterMember } from './counter-core.ts';
import { areRelatives } from './gifts.ts';
import { currentPolicy } from './policy-versions.ts';
import { findSite, type Site } from './site-core.ts';

/**
 * Typed lookups at the counter (card number or phone) are limited, so that a
 * counter cannot be used to find out who holds which phone or card (issue 12
 * item 6: 27 of 40 phones found in 84 ms). Every miss is written to the audit
 * log, where the offices of the site's area see it; past the limit, per clerk
 * or per site, every typed lookup is refused until the window has moved on.
 * A scanned card (its QR token) is not limited: it cannot be guessed.
 */
export const lookupMissesPerClerk = 30;
export const lookupMissesPerSite = 60;
export const lookupWindowMs = 10 * 60_000;
export const lookupMissAction = 'counter.lookup_miss';

/**
 * Counts the misses, looks the member up and records a miss, all in ONE
 * write transaction, so parallel requests cannot evaluate more lookups than
 * the limit allows.
 */
export function lookUpMemberAtCounter(
  context: RedemptionContext,
  actor: Actor,
  site: Pick<Site, 'id' | 'villageCode'>,
  by: { cardNumber: string } | { phone: string },
): Outcome<CounterMember> {
  const atMs = nowOf(context);
  return inWriteTransaction(context.db, () => {
    const exhausted = exhaustedAllowance(context.db, lookupMissAction, atMs, lookupWindowMs, [
      { actorUserId: actor.userId, max: lookupMissesPerClerk },
      { objectType: 'site', objectId: String(site.id), max: lookupMissesPerSite },
    ]);
    if (exhausted) {
      const code = exhausted.actorUserId !== undefined ? 'redemption.error.lookup_limit_clerk' : 'redemption.error.lookup_limit_site';
      return refuse(429, code, { misses: exhausted.max, minutes: lookupWindowMs / 60_000 }, 'lookup');
    }
    const found = identifyMember(context, by);
    // A number that finds nobody is a miss; what was typed is not recorded (it may be a phone).
    if (!found.ok && found.status === 404) {
      recordAudit(context.db, { action: lookupMissAction, actorUserId: actor.userId, objectType: 'site', objectId: site.id, regionCode: site.villageCode, detail: { by: 'phone' in by ? 'phone' : 'card' } }, atMs);
    }
    return found;
  });
}

/**
 * An elder without a member record is found at a service station by name and
 * the last four characters of the ID number: about 11,000 guesses for a known
 * name. Misses are limited the same way as typed member lookups, but tighter,
 * and counted in the same write transaction as the lookup.
 */
export const elderLookupMissesPerClerk = 10;
export const elderLookupMissesPerSite = 30;
export const elderLookupMissAction = 'counter.elder_lookup_miss';

export function lookUpElderAtCounter(
  context: RedemptionContext,
  actor: Actor,
  siteId: number,
  by: { name: string; idDigits: string },
): Outcome<CounterElder> {
  const atMs = nowOf(context);
  return inWriteTransaction(context.db, () => {
    const exhausted = exhaustedAllowance(context.db, elderLookupMissAction, atMs, lookupWindowMs, [
      { actorUserId: actor.userId, max: elderLookupMissesPerClerk },
      { objectType: 'site', objectId: String(siteId), max: elderLookupMissesPerSite },
    ]);
    if (exhausted) {
      const code = exhausted.actorUserId !== undefined ? 'redemption.error.lookup_limit_clerk' : 'redemption.error.lookup_limit_site';
      return refuse(429, code, { misses: exhausted.max, minutes: lookupWindowMs / 60_000 }, 'elderName');
    }
    const found = identifyElder(context, actor, siteId, by);
    if (!found.ok && found.problems[0]?.code === 'redemption.error.counter_elder_not_found') {
      // Neither the name nor the digits typed are recorded.
      const site = findSite(context.db, siteId);
      recordAudit(context.db, { action: elderLookupMissAction, actorUserId: actor.userId, objectType: 'site', objectId: siteId, regionCode: site?.villageCode ?? null }, atMs);
    }
    return found;
  });
}

/**
 * Card numbers typed on the gifts forms (the giver a coordinator keys in, the
 * receiver, the two sides of a relationship) are limited like the counter's:
 * otherwise the form would tell anyone signed in which card numbers exist.
 * Under the relatives-only policy a card that is not a relative of the giver
 * answers exactly like a card that does not exist (both count as a miss), so
 * the form tells nothing about strangers. Counted and checked in ONE write
 * transaction.
 */
export const giftLookupMissesPerUser = 10;
export const giftLookupMissAction = 'gifts.lookup_miss';

export function lookUpGiftMember(
  context: RedemptionContext,
  actor: Actor,
  cardNumber: string,
  field: string,
  options: { relativeOf?: number | null; usable?: (memberId: number) => boolean } = {},
): Outcome<CounterMember> {
  const relativeOf = options.relativeOf ?? null;
  const atMs = nowOf(context);
  return inWriteTransaction(context.db, () => {
    const exhausted = exhaustedAllowance(context.db, giftLookupMissAction, atMs, lookupWindowMs, [
      { actorUserId: actor.userId, max: giftLookupMissesPerUser },
    ]);
    if (exhausted) return refuse(429, 'redemption.error.gift_lookup_limit', { misses: exhausted.max, minutes: lookupWindowMs / 60_000 }, field);
    const found = identifyMember(context, { cardNumber });
    // A malformed number (422) says nothing about anybody; a suspended holder (423) would.
    if (!found.ok && found.status !== 404 && found.status !== 423) return found;
    const relativesOnly = relativeOf !== null && currentPolicy(context).rules.giftsRelativesOnly;
    const stranger = found.ok && relativesOnly && found.value.memberId !== relativeOf && !areRelatives(context.db, relativeOf, found.value.memberId);
    // A holder the actor may not act for (outside their scope) answers exactly like a card nobody holds.
    const outOfReach = found.ok && options.usable !== undefined && !options.usable(found.value.memberId);
    if (found.ok && !stranger && !outOfReach) return found;
    // What was typed is not recorded.
    recordAudit(context.db, { action: giftLookupMissAction, actorUserId: actor.userId, objectType: 'member', objectId: relativeOf, regionCode: null, detail: { field } }, atMs);
    if (field !== 'to') return refuse(404, 'redemption.error.member_not_found', undefined, field);
    return refuse(404, relativesOnly ? 'redemption.error.receiver_not_relative' : 'redemption.error.receiver_not_found', undefined, field);
  });
}

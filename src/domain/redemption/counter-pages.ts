import { pinConsentOf } from '../people/members/pin.ts';
import { maskName } from '../../lib/mask.ts';
import type { Problem, RedemptionContext } from './context.ts';
import { nowOf } from './context.ts';
import { counterElder, counterMember, type CounterElder } from './counter-identify.ts';
import { linesOf, receiptOf, recentAtSite, type Receipt } from './counter-confirm.ts';
import { voidWindowMs, type CounterMember, type Redemption } from './counter-core.ts';
import { itemsOf } from './site-catalogue.ts';
import type { Site, SiteItem } from './site-core.ts';

/**
 * Read models of the counter's pages (src/routes/redemption/counter): what each page
 * shows, with the rules about what a clerk may see decided here. They only
 * read: a basket whose 15 minutes are over reads as expired (asSeenAt).
 */

/** The site page's latest baskets, each with the payer's name. */
export function recentBaskets(context: RedemptionContext, siteId: number, limit = 10): (Redemption & { memberName: string })[] {
  return recentAtSite(context, siteId, limit).map((redemption) => ({ ...redemption, memberName: payerName(context, redemption) }));
}

/**
 * Whether the member proved being at the counter for this basket: the PIN confirmed it (voided comes only after).
 * A basket only placed (by a typed phone or card number) and left held, cancelled or expired proves nothing.
 */
function confirmedByMember(redemption: Redemption): boolean {
  return redemption.status === 'confirmed' || redemption.status === 'voided';
}

/**
 * The payer's name for lists: the member (masked unless the basket was confirmed, so placing a basket is not a
 * way to read whose phone a number is), or the elder of an elder's voucher basket (found by name and ID digits).
 */
function payerName(context: RedemptionContext, redemption: Redemption): string {
  if (redemption.memberId !== null) {
    const name = counterMember(context, redemption.memberId)?.realName ?? '';
    return confirmedByMember(redemption) ? name : maskName(name);
  }
  return redemption.elderId === null ? '' : (counterElder(context, redemption.elderId)?.realName ?? '');
}

export interface BasketForm {
  present: boolean;
  member: CounterMember;
  items: SiteItem[];
  canUseVoucher: boolean;
  /** The refusals as the clerk may read them. */
  problems: Problem[];
}

/**
 * The basket form for a member. A member found by a typed card number or
 * phone has not proved they are at the counter: the page shows a masked name
 * only, no village and no balance, and a refusal for too few credits does not
 * say how many there are (issue 12 item 6); the PIN at confirmation proves it.
 */
export function basketForm(context: RedemptionContext, site: Site, found: { memberId: number; present: boolean }, problems: Problem[]): BasketForm | undefined {
  const full = counterMember(context, found.memberId);
  if (!full) return undefined;
  const member = found.present ? full
    : { ...full, realName: maskName(full.realName), cardNumber: null, villageName: '', walletAvailableMinutes: 0, voucherAvailableMinutes: full.voucherAvailableMinutes === null ? null : 0 };
  const shown = found.present ? problems
    : problems.map((problem) => (problem.code === 'redemption.error.insufficient_balance' ? { code: 'redemption.error.insufficient_balance_hidden' } : problem));
  return {
    present: found.present, member, items: itemsOf(context.db, site.id, { activeOnly: true }), problems: shown,
    canUseVoucher: site.kind === 'service_station' && member.voucherAvailableMinutes !== null,
  };
}

/** The voucher basket form for a registered elder without a member record. */
export function elderBasketForm(context: RedemptionContext, site: Site, elderId: number): { elder: CounterElder; items: SiteItem[] } | undefined {
  const elder = counterElder(context, elderId);
  return elder ? { elder, items: itemsOf(context.db, site.id, { activeOnly: true }) } : undefined;
}

export interface BasketStatus {
  member: CounterMember | null;
  elder: CounterElder | null;
  receipt: Receipt | undefined;
  lines: ReturnType<typeof linesOf>;
  payerName: string;
  pinSetByStaff: boolean;
  /** The payer's balance now; null on a member's basket not confirmed with the PIN. */
  balanceNow: number | null;
  canVoid: boolean;
}

/** A basket's page: held (waiting for the PIN or an attested confirmation), its receipt, or why it closed. */
export function basketStatus(context: RedemptionContext, redemption: Redemption): BasketStatus {
  const member = redemption.memberId === null ? null : counterMember(context, redemption.memberId) ?? null;
  const elder = redemption.memberId === null && redemption.elderId !== null ? counterElder(context, redemption.elderId) ?? null : null;
  // A member's basket not confirmed with the PIN (waiting, cancelled or expired) shows a masked name and no balance.
  const awaitingPin = member !== null && !confirmedByMember(redemption);
  return {
    member, elder, receipt: receiptOf(context, redemption.id), lines: linesOf(context, redemption.id),
    payerName: awaitingPin ? maskName(member.realName) : member?.realName ?? elder?.realName ?? '',
    pinSetByStaff: redemption.memberId !== null && redemption.status === 'held' && pinConsentOf(context, redemption.memberId)?.setByStaff === true,
    balanceNow: awaitingPin ? null : redemption.payer === 'voucher' ? (member?.voucherAvailableMinutes ?? elder?.voucherAvailableMinutes ?? 0) : (member?.walletAvailableMinutes ?? 0),
    canVoid: redemption.status === 'confirmed' && redemption.confirmedAtMs !== null && nowOf(context) - redemption.confirmedAtMs <= voidWindowMs,
  };
}

import { eq } from 'drizzle-orm';
import { elders } from '../../db/schema/people.ts';
import { redemptionLines, redemptions, siteItems } from '../../db/schema/redemption.ts';
import { TransferFlags } from '../../ledger/index.ts';
import type { Actor } from '../access/authorize.ts';
import { accountIds, accountInputs, ensureAccounts } from '../bookkeeping/accounts.ts';
import { applyTransfers, countyOfRegion, ledgerOf, memberFacts, nowOf, redemptionAccounts, refuse, replayKeyed, success, writeOnceKeyed, type Outcome, type RedemptionContext, type Refusal } from './context.ts';
import { contentHash } from '../kernel/idempotency.ts';
import { currentPolicy, type PolicyInForce } from './policy-versions.ts';
import { isPriorityPayer, shortStockClaim } from './priority.ts';
import { holdReservation, payerElderId } from './reservations.ts';
import { careAgeRefusal, firstRedemptionRefusal, teamCreditsRefusal, yearlyLimitRefusal } from './policy-rules.ts';
import type { Site } from './site-core.ts';
import { audit } from '../audit/audit.ts';
import { type BasketLine, type PlaceBasket, type Redemption, available, basketKeyScope, basketRecord, findRedemption, holdSeconds, linkedChain, openBasketOf, redemptionLegs, siteForCounter, sweepExpired, voucherElderOf } from './counter-core.ts';
import { counterElder } from './counter-identify.ts';
import { present } from '../../lib/assert.ts';
import { firstProblem } from '../kernel/outcome.ts';
import { placeWithinProbeAllowance } from './balance-probes.ts';

/** Placing a basket at the counter: stock reserved and the total held in the ledger (see counter-core.ts for the ledger form). */

/** The quantities of a basket by item (lines of the same item added up), or the refusal of a quantity outside 0-99. */
function basketQuantities(lines: readonly BasketLine[]): Map<number, number> | Refusal {
  const quantities = new Map<number, number>();
  for (const line of lines) {
    if (!Number.isInteger(line.quantity) || line.quantity < 0 || line.quantity > 99) return refuse(422, 'redemption.error.quantity_invalid', undefined, 'quantity');
    if (line.quantity > 0) quantities.set(line.itemId, (quantities.get(line.itemId) ?? 0) + line.quantity);
  }
  return quantities;
}

/** Who pays a basket: the account debited, its county, the elder (voucher) and the member, if any. */
interface Payer {
  ok: true;
  payerAccountId: string;
  payerCounty: string;
  elderId: number | null;
  member: ReturnType<typeof memberFacts>;
}

/** A registered elder without a member record: vouchers only, at a service station of the elder's own county. */
function elderPayer(context: RedemptionContext, site: Site, input: PlaceBasket, quantities: Map<number, number>): Payer | Refusal {
  if (input.payer !== 'voucher' || !input.elderId) return refuse(422, 'redemption.error.no_voucher');
  if (site.kind !== 'service_station') return refuse(409, 'redemption.error.voucher_only_service_station');
  const elder = counterElder(context, input.elderId);
  if (!elder || elder.countyCode !== site.countyCode) return refuse(404, 'redemption.error.elder_not_found');
  if (elder.memberId !== null) return refuse(409, 'redemption.error.elder_is_member');
  if (quantities.size === 0) return refuse(422, 'redemption.error.basket_empty');
  if (elder.voucherAvailableMinutes === null) return refuse(409, 'redemption.error.no_voucher');
  return { ok: true, payerAccountId: redemptionAccounts.voucher(elder.elderId).id, payerCounty: elder.countyCode, elderId: elder.elderId, member: undefined };
}

/** A member pays from the wallet, or (at a service station) from the voucher of the elder they are. */
function memberPayer(context: RedemptionContext, site: Site, input: PlaceBasket & { memberId: number }, quantities: Map<number, number>): Payer | Refusal {
  const member = memberFacts(context.db, input.memberId);
  if (!member || member.status !== 'active') return refuse(404, 'redemption.error.member_not_found');
  if (quantities.size === 0) return refuse(422, 'redemption.error.basket_empty');
  if (input.payer !== 'voucher') return { ok: true, payerAccountId: accountIds.wallet(member.id), payerCounty: member.countyCode, elderId: null, member };
  if (site.kind !== 'service_station') return refuse(409, 'redemption.error.voucher_only_service_station');
  const elderId = voucherElderOf(context, member.id);
  if (elderId === null) return refuse(409, 'redemption.error.no_voucher');
  const elder = present(context.db.select({ villageCode: elders.villageCode }).from(elders).where(eq(elders.id, elderId)).get(), "a voucher's elder exists (foreign key)");
  const payerCounty = present(countyOfRegion(context.db, elder.villageCode), "an elder's village lies in a county");
  return { ok: true, payerAccountId: redemptionAccounts.voucher(elderId).id, payerCounty, elderId, member };
}

type ReservedLine = { item: typeof siteItems.$inferSelect; quantity: number; reservationId: number | null };

/** Reserves the stock of every line (inside the write transaction), or the refusal of the first line that cannot be had. */
function reserveLines(context: RedemptionContext, site: Site, input: PlaceBasket, payer: Payer, quantities: Map<number, number>, policy: PolicyInForce): ReservedLine[] | Refusal {
  const member = payer.member;
  const lines: ReservedLine[] = [];
  for (const [itemId, quantity] of quantities) {
    const item = context.db.select().from(siteItems).where(eq(siteItems.id, itemId)).get();
    if (!item || item.siteId !== site.id || !item.active) return refuse(422, 'redemption.error.item_not_found');
    if (member && item.kind === 'service' && site.kind === 'service_station' && input.payer === 'wallet') {
      const tooYoung = careAgeRefusal(context, policy, member, 'redemption.error.care_age', { item: item.name });
      if (tooYoung) return tooYoung;
    }
    const claim = shortStockClaim(context, policy, item, quantity, payerElderId(context, member?.id ?? null, payer.elderId), () => isPriorityPayer(context, member?.id ?? null, payer.elderId));
    if (!('reservationId' in claim)) return claim;
    // One statement: two counters cannot both reserve the last one.
    const reserved = context.db.$client
      .prepare('UPDATE site_items SET reserved = reserved + ? WHERE id = ? AND (stock IS NULL OR stock - reserved >= ?)')
      .run(quantity, itemId, quantity);
    if (reserved.changes === 0) return refuse(409, 'redemption.error.out_of_stock', { item: item.name, left: Math.max(0, (item.stock ?? 0) - item.reserved) });
    lines.push({ item, quantity, reservationId: claim.reservationId });
  }
  return lines;
}

/** Inside the write transaction: the basket row and its lines, and the pending legs in the ledger. */
function holdBasket(context: RedemptionContext, actor: Actor, site: Site, input: PlaceBasket, payer: Payer, lines: ReservedLine[], at: number, policy: PolicyInForce): Outcome<Redemption> {
  const { payerAccountId, payerCounty, elderId, member } = payer;
  const total = lines.reduce((sum, line) => sum + line.item.priceMinutes * line.quantity, 0);
  if (member && input.payer === 'wallet') {
    const refused = firstRedemptionRefusal(context, policy, member.id) ?? yearlyLimitRefusal(context, policy, member.id, total, at)
      ?? teamCreditsRefusal(context, policy, member.id, available(context, payerAccountId), total);
    if (refused) return refused;
  }
  const row = context.db
    .insert(redemptions)
    .values({
      idempotencyKey: input.idempotencyKey, siteId: site.id, memberId: member?.id ?? null, payer: input.payer, payerAccountId, elderId,
      status: 'held', totalMinutes: total, memberCountyCode: payerCounty, siteCountyCode: site.countyCode, holdTransferIds: '[]',
      clerkUserId: actor.userId, createdAtMs: at, expiresAtMs: at + holdSeconds * 1000, policyVersionId: policy.id,
    })
    .returning({ id: redemptions.id })
    .get();
  for (const line of lines) {
    context.db.insert(redemptionLines).values({ redemptionId: row.id, itemId: line.item.id, name: line.item.name, priceMinutes: line.item.priceMinutes, quantity: line.quantity }).run();
    if (line.reservationId !== null) holdReservation(context, line.reservationId, row.id);
  }
  const legs = redemptionLegs(payerAccountId, payerCounty, site);
  const ledger = ledgerOf(context);
  ensureAccounts(ledger, [accountInputs.site(site.id), accountInputs.clearing(payerCounty), accountInputs.clearing(site.countyCode)]);
  if (!ledger.account(payerAccountId)) return refuse(409, 'redemption.error.insufficient_balance', { available: 0, total });
  const holds = linkedChain(legs.map((leg, index) => ({
    id: `rdm:${row.id}:hold:${index + 1}`, debitAccountId: leg.debit, creditAccountId: leg.credit, amount: total,
    code: 'redemption' as const, flags: TransferFlags.pending, timeoutSeconds: holdSeconds, refType: 'redemption', refId: String(row.id),
  })));
  const applied = applyTransfers(context, holds);
  if (!applied.ok) {
    const problem = firstProblem(applied);
    if (problem.code === 'redemption.error.insufficient_balance') {
      return refuse(409, problem.code, { available: available(context, payerAccountId), total });
    }
    return applied;
  }
  context.db.update(redemptions).set({ holdTransferIds: JSON.stringify(holds.map((hold) => hold.id)) }).where(eq(redemptions.id, row.id)).run();
  audit(context, actor, 'redemption.hold', 'redemption', row.id, site.villageCode, { siteId: site.id, totalMinutes: total, legs: legs.length, policyVersionId: policy.id });
  return success(present(findRedemption(context, row.id), 'the basket this transaction inserted exists'));
}

/**
 * Places a basket: reserves stock and holds the total in the ledger (pending
 * legs, 15-minute timeout), all in one IMMEDIATE transaction. Refusals (out of
 * stock, insufficient balance, voucher rules, care age) write nothing. The same
 * idempotency key returns the basket placed first.
 */
export function placeBasket(context: RedemptionContext, actor: Actor, input: PlaceBasket): Outcome<Redemption> {
  const counter = siteForCounter(context, actor, input.siteId);
  if (!counter.ok) return counter;
  const site = counter.site;
  // The same basket is the same site and payer: a double tap with other quantities still lands on the first basket.
  const once = {
    key: input.idempotencyKey, scope: basketKeyScope,
    contentHash: contentHash({ siteId: input.siteId, memberId: input.memberId, elderId: input.memberId === null ? input.elderId ?? null : null }),
  };
  const replayed = replayKeyed(context, actor, once, basketRecord(context));
  if (replayed) return replayed;
  if (!site.active) return refuse(409, 'redemption.error.site_inactive');
  const quantities = basketQuantities(input.lines);
  if (!(quantities instanceof Map)) return quantities;
  const memberId = input.memberId;
  const payer = memberId === null ? elderPayer(context, site, input, quantities) : memberPayer(context, site, { ...input, memberId }, quantities);
  if (!payer.ok) return payer;
  const at = nowOf(context);
  const policy = currentPolicy(context);
  sweepExpired(context);

  const place = () => writeOnceKeyed(context, actor, once, basketRecord(context), () => {
    const busy = openBasketOf(context, payer.member?.id ?? null, payer.elderId);
    if (busy) return refuse(409, 'redemption.error.basket_open_elsewhere', { site: busy.siteName });
    const lines = reserveLines(context, site, input, payer, quantities, policy);
    if (!Array.isArray(lines)) return lines;
    return holdBasket(context, actor, site, input, payer, lines, at, policy);
  });
  // A member not proved present: the answer would tell the clerk about a balance the page hides.
  return memberId !== null && input.present !== true ? placeWithinProbeAllowance(context, actor, site, place) : place();
}

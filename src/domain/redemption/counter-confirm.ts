import { asc, desc, eq } from 'drizzle-orm';
import { connectionOf } from '../../db/client.ts';
import { users } from '../../db/schema/core.ts';
import { elders } from '../../db/schema/people.ts';
import { redemptionLines, redemptions, siteItems, stockMovements } from '../../db/schema/redemption.ts';
import { TransferFlags } from '../../ledger/index.ts';
import { hasRefusedNameCharacters, sameName } from '../../lib/display-name.ts';
import type { Actor } from '../access/authorize.ts';
import { cardMatches, confirmSignInPresence, confirmStaffSetPin, pinConsentOf, verifyMemberPin } from '../people/members/pin.ts';
import { applyTransfers, ledgerOf, memberFacts, nowOf, peopleContextOf, refuse, success, writeTransaction, type Outcome, type RedemptionContext, type Refusal } from './context.ts';
import { findSite, type Site } from './site-core.ts';
import { audit } from '../audit/audit.ts';
import { type Redemption, asSeenAt, available, closeExpired, counterAccess, expireBasket, findRedemption, linkedChain, redemptionLegs, releaseReservations, siteForCounter, sweepExpired, voidWindowMs } from './counter-core.ts';
import { assert, present } from '../../lib/assert.ts';
import { recordBalanceProbe } from './balance-probes.ts';
import { notify } from '../messages/notify.ts';
import { versionNumberOf } from './policy-versions.ts';
import { fulfilReservations, reopenReservations } from './reservations.ts';

/** A placed basket: its receipt, confirmed by PIN or attested, cancelled, voided (see counter-core.ts for the ledger form). */

export interface Receipt {
  redemptionId: number;
  receiptNumber: string;
  siteId: number;
  siteName: string;
  siteAddress: string;
  memberName: string;
  cardNumber: string | null;
  payer: 'wallet' | 'voucher';
  lines: { name: string; priceMinutes: number; quantity: number }[];
  totalMinutes: number;
  balanceAfterMinutes: number;
  confirmedAtMs: number;
  crossCounty: boolean;
  status: Redemption['status'];
  voidReason: string | null;
  confirmedWith: 'pin' | 'attested' | null;
  attestation: Attestation | null;
  /** The clerk who served the payer (经办人), as their account is named. */
  clerkName: string | null;
  /** The number of the policy version that decided the basket (null for baskets placed before versions existed). */
  policyVersionNumber: number | null;
}

/** What a clerk records when an elder without a PIN agrees to a voucher redemption. */
export interface Attestation {
  /** Who stood at the counter and agreed: the elder in person, or the registered family contact. */
  witness: 'elder' | 'family';
  witnessName: string;
  /** How the agreement was obtained (for example "读给老人听，老人点头同意"). */
  note: string;
  clerkUserId: number;
}

export function receiptOf(context: RedemptionContext, redemptionId: number): Receipt | undefined {
  const redemption = findRedemption(context, redemptionId);
  if (!redemption || redemption.receiptNumber === null) return undefined;
  const site = present(findSite(context.db, redemption.siteId), "a redemption's site exists (foreign key)");
  const member = redemption.memberId === null ? undefined : memberFacts(context.db, redemption.memberId);
  assert(redemption.balanceAfterMinutes !== null && redemption.confirmedAtMs !== null, 'a redemption with a receipt number was confirmed');
  return {
    redemptionId,
    receiptNumber: redemption.receiptNumber,
    siteId: site.id,
    siteName: site.name,
    siteAddress: site.address,
    memberName: member ? member.realName : elderNameOf(context, redemption.elderId),
    cardNumber: member ? member.cardNumber : null,
    payer: redemption.payer,
    lines: linesOf(context, redemptionId),
    totalMinutes: redemption.totalMinutes,
    balanceAfterMinutes: redemption.balanceAfterMinutes,
    confirmedAtMs: redemption.confirmedAtMs,
    crossCounty: redemption.memberCountyCode !== redemption.siteCountyCode,
    status: redemption.status,
    voidReason: redemption.voidReason,
    confirmedWith: redemption.confirmedWith,
    attestation: redemption.attestation ? (JSON.parse(redemption.attestation) as Attestation) : null,
    clerkName: clerkNameOf(context, redemption.clerkUserId),
    policyVersionNumber: versionNumberOf(context.db, redemption.policyVersionId),
  };
}

function elderNameOf(context: RedemptionContext, elderId: number | null): string {
  assert(elderId !== null, 'a redemption without a member is paid for an elder');
  return context.db.select({ name: elders.realName }).from(elders).where(eq(elders.id, elderId)).get()?.name ?? '';
}

function clerkNameOf(context: RedemptionContext, userId: number | null): string | null {
  if (userId === null) return null;
  return context.db.select({ name: users.displayName }).from(users).where(eq(users.id, userId)).get()?.name ?? null;
}

// Raw SQL on the statement cache: a confirmation reads its lines twice (stock, then the receipt message).
const linesOfSql = `SELECT item_id AS itemId, name, price_minutes AS priceMinutes, quantity FROM redemption_lines WHERE redemption_id = ? ORDER BY id`;

export function linesOf(context: RedemptionContext, redemptionId: number): { itemId: number; name: string; priceMinutes: number; quantity: number }[] {
  return connectionOf(context.db).prepare(linesOfSql).all(redemptionId) as { itemId: number; name: string; priceMinutes: number; quantity: number }[];
}

function receiptNumberFor(redemption: Redemption, atMs: number): string {
  const day = new Date(atMs + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
  return `R${String(redemption.siteId).padStart(4, '0')}-${day}-${String(redemption.id).padStart(6, '0')}`;
}

function loadForCounter(context: RedemptionContext, actor: Actor, redemptionId: number): { ok: true; redemption: Redemption; site: Site } | Refusal {
  // The role before the basket is looked up (issue 15): someone without it learns nothing about which baskets exist.
  const roleDenied = counterAccess(actor);
  if (roleDenied) return roleDenied;
  const redemption = findRedemption(context, redemptionId);
  if (!redemption) return refuse(404, 'redemption.error.basket_not_found');
  const counter = siteForCounter(context, actor, redemption.siteId);
  if (!counter.ok) return counter;
  return { ok: true, redemption, site: counter.site };
}

function closedRefusal(redemption: Redemption): Refusal {
  return refuse(409, `redemption.error.basket_${redemption.status}`);
}

/** The checks every confirmation starts with: the basket is this site's, still held and in time. */
function openForConfirmation(context: RedemptionContext, actor: Actor, redemptionId: number): { ok: true; redemption: Redemption; site: Site; done: boolean } | Refusal {
  const loaded = loadForCounter(context, actor, redemptionId);
  if (!loaded.ok) return loaded;
  const { redemption } = loaded;
  if (redemption.status === 'confirmed') return { ...loaded, done: true };
  if (redemption.status !== 'held') return closedRefusal(redemption);
  if (nowOf(context) >= redemption.expiresAtMs) {
    sweepExpired(context);
    return refuse(409, 'redemption.error.hold_expired');
  }
  return { ...loaded, done: false };
}

/**
 * Posts a held basket in one IMMEDIATE transaction: every leg's hold is posted
 * (one linked call), stock is taken and the receipt written, with how the
 * payer agreed. Posting twice returns the same receipt.
 */
function postBasket(
  context: RedemptionContext,
  actor: Actor,
  redemptionId: number,
  site: Site,
  how: { confirmedWith: 'pin' } | { confirmedWith: 'attested'; attestation: Attestation },
): Outcome<Receipt> {
  const outcome = writeTransaction(context, () => {
    const current = present(findRedemption(context, redemptionId), 'the basket loaded before this transaction still exists');
    if (current.status === 'confirmed') return success(current);
    if (current.status !== 'held') return closedRefusal(current);
    const at = nowOf(context);
    if (at >= current.expiresAtMs) return refuse(409, 'redemption.error.hold_expired');
    const holds = JSON.parse(current.holdTransferIds) as string[];
    const posted = applyTransfers(context, linkedChain(holds.map((holdId, index) => ({
      id: `rdm:${current.id}:post:${index + 1}`, pendingId: holdId, code: 'redemption' as const, flags: TransferFlags.postPending,
      refType: 'redemption', refId: String(current.id),
    }))));
    if (!posted.ok) return posted;
    for (const line of linesOf(context, current.id)) {
      const item = present(context.db.select().from(siteItems).where(eq(siteItems.id, line.itemId)).get(), "a basket line's item exists (foreign key)");
      if (item.stock === null) {
        context.db.update(siteItems).set({ reserved: item.reserved - line.quantity }).where(eq(siteItems.id, item.id)).run();
        continue;
      }
      const after = item.stock - line.quantity;
      context.db.update(siteItems).set({ stock: after, reserved: item.reserved - line.quantity, updatedAtMs: at }).where(eq(siteItems.id, item.id)).run();
      context.db.insert(stockMovements).values({
        itemId: item.id, siteId: current.siteId, kind: 'sale', quantityDelta: -line.quantity, stockAfter: after, redemptionId: current.id, actorUserId: actor.userId, atMs: at,
      }).run();
    }
    fulfilReservations(context, current.id, at);
    const balanceAfter = available(context, current.payerAccountId);
    const attestation = how.confirmedWith === 'attested' ? how.attestation : null;
    context.db
      .update(redemptions)
      .set({
        status: 'confirmed', confirmedAtMs: at, receiptNumber: receiptNumberFor(current, at), balanceAfterMinutes: balanceAfter,
        confirmedWith: how.confirmedWith, attestation: attestation ? JSON.stringify(attestation) : null,
      })
      .where(eq(redemptions.id, current.id))
      .run();
    if (current.memberId !== null) notifyReceipt(context, { ...current, memberId: current.memberId }, site, balanceAfter);
    if (attestation) {
      audit(context, actor, 'redemption.confirm_attested', 'redemption', current.id, site.villageCode, {
        totalMinutes: current.totalMinutes, elderId: current.elderId, witness: attestation.witness, witnessName: attestation.witnessName, note: attestation.note,
      });
    } else {
      audit(context, actor, 'redemption.confirm', 'redemption', current.id, site.villageCode, { totalMinutes: current.totalMinutes });
    }
    return success(current);
  });
  if (!outcome.ok) {
    // The 15 minutes ran out (by our clock or the ledger's own expiry sweep): close the basket now.
    if (outcome.problems[0]?.code === 'redemption.error.hold_expired') closeExpired(context, redemptionId);
    return outcome;
  }
  return success(present(receiptOf(context, redemptionId), 'a confirmed basket has a receipt'));
}

/** The member's receipt message (and SMS, if chosen): site, items, credits, balance after; in postBasket's transaction. */
function notifyReceipt(context: RedemptionContext, redemption: Redemption & { memberId: number }, site: Site, balanceAfterMinutes: number): void {
  const items = linesOf(context, redemption.id).map((line) => (line.quantity > 1 ? `${line.name}×${line.quantity}` : line.name)).join('、');
  notify(context, {
    kind: 'redemption_receipt', to: { memberId: redemption.memberId },
    params: { redemptionId: redemption.id, siteName: site.name, items, totalMinutes: redemption.totalMinutes, balanceAfterMinutes },
  });
}

/**
 * The member confirms with their PIN on the clerk's device: the PIN is checked
 * first (the members domain counts wrong attempts and locks), then the basket
 * is posted. Confirming twice returns the same receipt. A basket of an elder
 * without a member record has no PIN to check: see confirmAttested.
 */
export async function confirmBasket(context: RedemptionContext, actor: Actor, redemptionId: number, pin: string, cardScan = ''): Promise<Outcome<Receipt>> {
  const open = openForConfirmation(context, actor, redemptionId);
  if (!open.ok) return open;
  if (open.done) return success(present(receiptOf(context, redemptionId), 'a confirmed basket has a receipt'));
  const memberId = open.redemption.memberId;
  if (memberId === null) return refuse(409, 'redemption.error.attestation_required');
  const consent = pinConsentOf(peopleContextOf(context), memberId);
  const staffSet = staffSetPinCheck(actor, consent, cardScan);
  if (staffSet) return staffSet;
  const checked = await verifyMemberPin(peopleContextOf(context), memberId, pin);
  if (!checked.ok) return { ok: false, status: checked.status, problems: checked.problems.map((p) => ({ ...p, field: 'pin' })) };
  const posted = postBasket(context, actor, redemptionId, open.site, { confirmedWith: 'pin' });
  // The member typed the PIN with their card scanned at the counter: it is theirs from now on.
  if (posted.ok && consent?.setByStaff && consent.setAtMs !== null) confirmStaffSetPin(peopleContextOf(context), actor, memberId, consent.setAtMs, { redemptionId, siteId: open.site.id });
  // The same proof of presence makes a sign-in staff set up the member's own (unless this clerk set its password).
  if (posted.ok && cardMatches(consent ?? { cardTokenHash: null }, cardScan)) confirmSignInPresence(peopleContextOf(context), actor, memberId, { redemptionId, siteId: open.site.id });
  return posted;
}

/**
 * A PIN set by staff pays only with the member's card scanned at the counter,
 * and never for the staff user who chose it (they could print the card).
 * Refused before the PIN is checked, so no attempt is counted.
 */
function staffSetPinCheck(actor: Actor, consent: ReturnType<typeof pinConsentOf>, cardScan: string): Refusal | null {
  if (!consent?.setByStaff) return null;
  if (consent.resetByUserId === actor.userId) return refuse(409, 'redemption.error.pin_set_by_you', undefined, 'pin');
  if (!cardMatches(consent, cardScan)) return refuse(422, 'redemption.error.pin_staff_card_required', undefined, 'card');
  return null;
}

export interface AttestInput {
  witness: string;
  /** The family contact's name when witness is 'family' (the elder's own name is used for 'elder'). */
  witnessName: string;
  note: string;
  /** The clerk ticks that the items and the total were read out to the elder (or family contact) and they agreed. */
  readOut: boolean;
}

/**
 * Confirms the voucher basket of a registered elder who has no member record
 * (so no card and no PIN). Elders usually have no login (PRODUCT.md), so the
 * clerk confirms instead, and the confirmation is built to protect the elder:
 * - only the elder's voucher can be spent, only at a service station of the
 *   elder's own county (placeBasket), never a wallet;
 * - the clerk states who agreed at the counter (the elder in person, or the
 *   registered family contact by name, which must match the registry), how
 *   (a note), and ticks that items and total were read out;
 * - the confirmation is stored on the redemption and the receipt, and audited
 *   as 'redemption.confirm_attested' (clerk, witness, note), so coordinators
 *   and offices can review every voucher spent this way; the usual 10-minute
 *   void applies.
 * Refusals write nothing.
 */
export function confirmAttested(context: RedemptionContext, actor: Actor, redemptionId: number, input: AttestInput): Outcome<Receipt> {
  const open = openForConfirmation(context, actor, redemptionId);
  if (!open.ok) return open;
  if (open.done) return success(present(receiptOf(context, redemptionId), 'a confirmed basket has a receipt'));
  const { redemption } = open;
  if (redemption.memberId !== null || redemption.elderId === null) return refuse(409, 'redemption.error.pin_required');
  const elder = context.db
    .select({ realName: elders.realName, familyContactName: elders.familyContactName })
    .from(elders)
    .where(eq(elders.id, redemption.elderId))
    .get();
  assert(elder !== undefined, "an attested basket's elder exists (foreign key)");
  if (input.witness !== 'elder' && input.witness !== 'family') return refuse(422, 'redemption.error.witness_invalid', undefined, 'witness');
  let witnessName = elder.realName;
  if (input.witness === 'family') {
    const typed = (input.witnessName ?? '').trim();
    if (hasRefusedNameCharacters(typed)) return refuse(422, 'redemption.error.elder_name_invalid', undefined, 'witnessName');
    if (!elder.familyContactName) return refuse(409, 'redemption.error.no_family_contact', undefined, 'witness');
    if (!sameName(typed, elder.familyContactName)) return refuse(422, 'redemption.error.witness_name_mismatch', undefined, 'witnessName');
    witnessName = elder.familyContactName.trim(); // the name on record, however it was spaced at the counter
  }
  const note = (input.note ?? '').trim();
  if (note.length === 0 || Array.from(note).length > 200 || /[<>]/.test(note)) return refuse(422, 'redemption.error.attest_note_required', undefined, 'note');
  if (input.readOut !== true) return refuse(422, 'redemption.error.attest_read_out', undefined, 'readOut');
  return postBasket(context, actor, redemptionId, open.site, {
    confirmedWith: 'attested', attestation: { witness: input.witness, witnessName, note, clerkUserId: actor.userId },
  });
}

/** Cancels a held basket: voids every leg in one linked call and releases the stock. Cancelling twice is harmless. */
export function cancelBasket(context: RedemptionContext, actor: Actor, redemptionId: number): Outcome<Redemption> {
  const loaded = loadForCounter(context, actor, redemptionId);
  if (!loaded.ok) return loaded;
  return writeTransaction(context, () => {
    const current = present(findRedemption(context, redemptionId), 'the basket loaded before this transaction still exists');
    if (current.status === 'cancelled' || current.status === 'expired') return success(current);
    if (current.status !== 'held') return closedRefusal(current);
    const holds = JSON.parse(current.holdTransferIds) as string[];
    const voided = ledgerOf(context).createTransfers(linkedChain(holds.map((holdId, index) => ({
      id: `rdm:${current.id}:void:${index + 1}`, pendingId: holdId, code: 'redemption' as const, flags: TransferFlags.voidPending,
      refType: 'redemption', refId: String(current.id),
    }))));
    if (!voided.every((result) => result === 'ok' || result === 'exists')) {
      // The hold ran out in the ledger meanwhile: the basket is expired, which releases the same things.
      if (voided.some((result) => result === 'pending_transfer_expired' || result === 'pending_transfer_already_voided')) {
        expireBasket(context, current);
        return success(present(findRedemption(context, redemptionId), 'the basket loaded before this transaction still exists'));
      }
      throw new Error(`cancel ${current.id}: ${voided.join(',')}`);
    }
    releaseReservations(context, current.id);
    context.db.update(redemptions).set({ status: 'cancelled', closedAtMs: nowOf(context) }).where(eq(redemptions.id, current.id)).run();
    audit(context, actor, 'redemption.cancel', 'redemption', current.id, loaded.site.villageCode);
    // A member's hold released without the PIN told the clerk the balance covered it.
    if (current.memberId !== null) recordBalanceProbe(context, actor, loaded.site, 'cancelled');
    return success(present(findRedemption(context, redemptionId), 'the basket loaded before this transaction still exists'));
  });
}

/**
 * Voids a confirmed redemption within 10 minutes, with a reason: correcting
 * transfers reverse every leg (linked, code 'correction'), stock comes back,
 * the audit log records who and why. The transfers of the redemption stay.
 */
export function voidRedemption(context: RedemptionContext, actor: Actor, redemptionId: number, reason: string): Outcome<Receipt> {
  const loaded = loadForCounter(context, actor, redemptionId);
  if (!loaded.ok) return loaded;
  const why = (reason ?? '').trim();
  if (why.length === 0 || why.length > 200) return refuse(422, 'redemption.error.reason_required', undefined, 'reason');
  const outcome = writeTransaction(context, () => {
    const current = present(findRedemption(context, redemptionId), 'the basket loaded before this transaction still exists');
    if (current.status === 'voided') return success(current);
    if (current.status !== 'confirmed') return closedRefusal(current);
    const at = nowOf(context);
    assert(current.confirmedAtMs !== null, 'a confirmed redemption has its confirmation time');
    if (at - current.confirmedAtMs > voidWindowMs) return refuse(409, 'redemption.error.void_too_late', { minutes: voidWindowMs / 60_000 });
    const site = loaded.site;
    const legs = redemptionLegs(current.payerAccountId, current.memberCountyCode, { id: site.id, countyCode: current.siteCountyCode });
    const corrections = linkedChain([...legs].reverse().map((leg, index) => ({
      id: `rdm:${current.id}:correct:${index + 1}`, debitAccountId: leg.credit, creditAccountId: leg.debit, amount: current.totalMinutes,
      code: 'correction' as const, refType: 'redemption', refId: String(current.id),
    })));
    const applied = applyTransfers(context, corrections);
    if (!applied.ok) return applied;
    for (const line of linesOf(context, current.id)) {
      const item = present(context.db.select().from(siteItems).where(eq(siteItems.id, line.itemId)).get(), "a basket line's item exists (foreign key)");
      if (item.stock === null) continue;
      const after = item.stock + line.quantity;
      context.db.update(siteItems).set({ stock: after, updatedAtMs: at }).where(eq(siteItems.id, item.id)).run();
      context.db.insert(stockMovements).values({
        itemId: item.id, siteId: current.siteId, kind: 'void_return', quantityDelta: line.quantity, stockAfter: after, reason: why, redemptionId: current.id, actorUserId: actor.userId, atMs: at,
      }).run();
    }
    reopenReservations(context, current.id);
    context.db
      .update(redemptions)
      .set({ status: 'voided', closedAtMs: at, voidReason: why, voidedByUserId: actor.userId, voidTransferIds: JSON.stringify(corrections.map((c) => c.id)) })
      .where(eq(redemptions.id, current.id))
      .run();
    audit(context, actor, 'redemption.void', 'redemption', current.id, site.villageCode, { totalMinutes: current.totalMinutes, reason: why });
    return success(current);
  });
  if (!outcome.ok) return outcome;
  return success(present(receiptOf(context, redemptionId), 'a confirmed basket has a receipt'));
}

/** A site's recent baskets for the counter screen (newest first). */
/** The site's latest baskets as a page shows them (see asSeenAt). */
export function recentAtSite(context: RedemptionContext, siteId: number, limit = 20): Redemption[] {
  const at = nowOf(context);
  return context.db.select().from(redemptions).where(eq(redemptions.siteId, siteId)).orderBy(desc(redemptions.id)).limit(limit).all()
    .map((redemption) => asSeenAt(redemption, at));
}

import { and, asc, desc, eq, isNull, like, lte, or, sql } from 'drizzle-orm';
import { regions, users } from '../../db/schema/core.ts';
import { members } from '../../db/schema/people.ts';
import { elders } from '../../db/schema/people.ts';
import { partnerSites, redemptionLines, redemptions, siteItems, stockMovements } from '../../db/schema/redemption.ts';
import { TransferFlags, balanceOf, type TransferInput } from '../../ledger/index.ts';
import { hasRefusedNameCharacters } from '../../lib/display-name.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { grantsFor, permission, regionScopes, type Actor } from '../access/authorize.ts';
import { accountIds, accountInputs, countyCodeOfPath, ensureAccounts } from '../ledger/accounts.ts';
import { findCardHolder } from '../members/cards.ts';
import { openIdNumber } from '../members/identity.ts';
import { cardMatches, confirmSignInPresence, confirmStaffSetPin, pinConsentOf, verifyMemberPin } from '../members/pin.ts';
import {
  ageOf, applyTransfers, checkAuthorized, countyOfRegion, ledgerOf, memberFacts, nowOf, peopleContextOf, redemptionAccounts, refuse,
  replayKeyed, success, writeOnceKeyed, writeTransaction, type Outcome, type RedemptionContext, type Refusal,
} from './context.ts';
import { contentHash } from '../kernel/idempotency.ts';
import { getPolicy } from './policy.ts';
import { findSite, type Site } from './sites.ts';
import { audit } from '../audit/audit.ts';
import { countyPathOf } from '../regions/path.ts';

/**
 * The counter of a partner site (通存通兑).
 *
 * Ledger form of a redemption. Same county (the payer's home county is the
 * site's county): one transfer payer -> site:S. Across counties (member M of
 * county A at site S in county B): a linked chain of two transfers
 *
 *     leg 1  payer (wallet:M or voucher:e…) -> clearing:A
 *     leg 2  clearing:B                     -> site:S
 *
 * so (1) the payer is debited once, (2) the site is credited once, (3) A's
 * clearing account is credited with what A's members spent elsewhere and B's
 * is debited with what B's sites took in for others: a clearing balance
 * (credits - debits) > 0 is what that county owes the network, < 0 what it is
 * owed, and the balances of all clearing accounts sum to zero at every moment,
 * straight from the ledger; (4) the legs are linked, all or nothing; (5) each
 * leg is a pending transfer (the hold, 15-minute timeout) and confirm / cancel
 * post / void every leg's pending id in one linked call. A third leg
 * clearing:A -> clearing:B was considered and dropped: it would zero both
 * clearing balances and hide the positions in transfer history. Settlement
 * between two counties is one transfer clearing:A -> clearing:B (code
 * 'settlement'), which brings both positions back toward zero.
 *
 * Ledger ids (idempotency keys) derive from the basket id: rdm:<id>:hold:<n>,
 * rdm:<id>:post:<n>, rdm:<id>:void:<n>, rdm:<id>:correct:<n>; expiry uses the
 * ledger's own expire:<pending id>. The basket itself is found again by the
 * form's idempotency key, so a double tap never places two baskets.
 */

export const holdSeconds = 15 * 60;
export const voidWindowMs = 10 * 60_000;

/** Clerks of the site, and staff over the site's region, work its counter. */
export const canWorkCounter = permission('counter.work', ['clerk', 'coordinator', 'office', 'admin']);

export interface CounterMember {
  memberId: number;
  realName: string;
  cardNumber: string | null;
  villageName: string;
  countyCode: string;
  walletAvailableMinutes: number;
  /** Set when the member is a registered elder with a voucher balance. */
  elderId: number | null;
  voucherAvailableMinutes: number | null;
  /** When the member's PIN (the holder's channel, the one a counter uses) unlocks again; null when it is not locked now. */
  pinLockedUntilMs: number | null;
}

function pinLockedUntil(context: RedemptionContext, memberId: number): number | null {
  const row = context.db.select({ until: members.pinLockedUntilMs }).from(members).where(eq(members.id, memberId)).get();
  return row?.until != null && row.until > nowOf(context) ? row.until : null;
}

/**
 * What the account may spend now: the ledger's available balance, plus the
 * holds of baskets whose 15 minutes are over but which the sweep (src/jobs)
 * has not closed yet. Pages read such a basket as expired, so its hold is
 * not counted against the payer either (a GET writes nothing).
 */
function availableNow(context: RedemptionContext, accountId: string): number {
  const account = ledgerOf(context).account(accountId);
  return account ? balanceOf(account).available + overdueHeldMinutes(context, accountId) : 0;
}

/** The ledger's available balance, for the write paths (they run after the sweep). */
function available(context: RedemptionContext, accountId: string): number {
  const account = ledgerOf(context).account(accountId);
  return account ? balanceOf(account).available : 0;
}

function overdueHeldMinutes(context: RedemptionContext, payerAccountId: string): number {
  const row = context.db
    .select({ total: sql<number>`coalesce(sum(${redemptions.totalMinutes}), 0)` })
    .from(redemptions)
    .where(and(eq(redemptions.payerAccountId, payerAccountId), eq(redemptions.status, 'held'), lte(redemptions.expiresAtMs, nowOf(context))))
    .get();
  return row?.total ?? 0;
}

export function voucherElderOf(context: RedemptionContext, memberId: number): number | null {
  const elder = context.db.select({ id: elders.id }).from(elders).where(and(eq(elders.memberId, memberId), eq(elders.status, 'active'))).get();
  if (!elder) return null;
  return ledgerOf(context).account(redemptionAccounts.voucher(elder.id).id) ? elder.id : null;
}

export function counterMember(context: RedemptionContext, memberId: number): CounterMember | undefined {
  const facts = memberFacts(context.db, memberId);
  if (!facts) return undefined;
  const elderId = voucherElderOf(context, memberId);
  const village = context.db.$client.prepare('SELECT name_zh AS name FROM regions WHERE code = ?').get(facts.villageCode) as { name: string };
  return {
    memberId,
    realName: facts.realName,
    cardNumber: facts.cardNumber,
    villageName: village.name,
    countyCode: facts.countyCode,
    walletAvailableMinutes: availableNow(context, accountIds.wallet(memberId)),
    elderId,
    voucherAvailableMinutes: elderId === null ? null : availableNow(context, redemptionAccounts.voucher(elderId).id),
    pinLockedUntilMs: pinLockedUntil(context, memberId),
  };
}

/**
 * Finds the member at the counter: by the card's QR token, by the typed card
 * number, or by phone. Uses the members domain for cards (suspended members
 * are refused with the reason).
 */
export function identifyMember(
  context: RedemptionContext,
  by: { token: string } | { cardNumber: string } | { phone: string },
): Outcome<CounterMember> {
  let memberId: number;
  if ('phone' in by) {
    const phone = normalizePhone(by.phone);
    if (!phone) return refuse(422, 'redemption.error.phone_invalid', undefined, 'lookup');
    const row = context.db.select({ id: members.id, status: members.status }).from(members).where(eq(members.phone, phone)).get();
    if (!row || (row.status !== 'active' && row.status !== 'suspended')) return refuse(404, 'redemption.error.member_not_found', undefined, 'lookup');
    if (row.status === 'suspended') return refuse(423, 'people.error.member_suspended', undefined, 'lookup');
    memberId = row.id;
  } else {
    const found = findCardHolder(peopleContextOf(context), by);
    if (!found.ok) return { ok: false, status: found.status, problems: found.problems.map((p) => ({ ...p, field: 'lookup' })) };
    memberId = found.value.memberId;
  }
  return success(counterMember(context, memberId)!);
}

/**
 * A registered elder at the counter of a service station. Elders usually have
 * no login and often no member record (no card, no PIN): they spend their
 * vouchers (消费券) through the clerk, see identifyElder and confirmAttested.
 */
export interface CounterElder {
  elderId: number;
  realName: string;
  villageName: string;
  countyCode: string;
  /** Set when the elder is also a member: then the member's card and PIN are used instead. */
  memberId: number | null;
  voucherAvailableMinutes: number | null;
  familyContactName: string | null;
  familyContactRelation: string | null;
}

export function counterElder(context: RedemptionContext, elderId: number): CounterElder | undefined {
  const row = context.db.$client
    .prepare(`SELECT e.id, e.real_name AS realName, e.member_id AS memberId, e.family_contact_name AS familyContactName,
                     e.family_contact_relation AS familyContactRelation, r.name_zh AS villageName, r.path
                FROM elders e JOIN regions r ON r.code = e.village_code WHERE e.id = ? AND e.status = 'active'`)
    .get(elderId) as { id: number; realName: string; memberId: number | null; familyContactName: string | null; familyContactRelation: string | null; villageName: string; path: string } | undefined;
  if (!row) return undefined;
  const voucher = ledgerOf(context).account(redemptionAccounts.voucher(row.id).id);
  return {
    elderId: row.id, realName: row.realName, villageName: row.villageName, countyCode: countyCodeOfPath(row.path) ?? '',
    memberId: row.memberId, voucherAvailableMinutes: voucher ? availableNow(context, voucher.id) : null,
    familyContactName: row.familyContactName, familyContactRelation: row.familyContactRelation,
  };
}

/**
 * Finds a registered elder at the counter of a service station: the full
 * name as registered plus either the whole ID-card number or its last four
 * characters (what the elder's ID card or 老年证 shows). Only elders of the
 * site's county are searched; the answer never says whether someone is
 * registered elsewhere. Two elders with the same name and last four digits
 * ask for the whole number. A successful lookup is audited (it shows a
 * voucher balance).
 */
export function identifyElder(
  context: RedemptionContext,
  actor: Actor,
  siteId: number,
  by: { name: string; idDigits: string },
): Outcome<CounterElder> {
  const counter = siteForCounter(context, actor, siteId);
  if (!counter.ok) return counter;
  const site = counter.site;
  if (site.kind !== 'service_station') return refuse(409, 'redemption.error.voucher_only_service_station', undefined, 'elderName');
  const name = (by.name ?? '').trim();
  if (name.length === 0 || Array.from(name).length > 40) return refuse(422, 'redemption.error.elder_name_required', undefined, 'elderName');
  if (hasRefusedNameCharacters(name)) return refuse(422, 'redemption.error.elder_name_invalid', undefined, 'elderName');
  const digits = (by.idDigits ?? '').replace(/\s/g, '').toUpperCase();
  if (!/^(\d{3}[\dX]|\d{17}[\dX])$/.test(digits)) return refuse(422, 'redemption.error.elder_digits_invalid', undefined, 'elderDigits');
  const candidates = context.db.$client
    .prepare(`SELECT e.id, e.id_number_ciphertext AS ciphertext FROM elders e JOIN regions r ON r.code = e.village_code
               WHERE e.status = 'active' AND e.real_name = ? AND r.path LIKE ? ORDER BY e.id LIMIT 50`)
    .all(name, `${countyPathOf(site.villagePath) ?? site.villagePath}%`) as { id: number; ciphertext: string }[];
  const matches = candidates.filter((candidate) => {
    const idNumber = openIdNumber(context.keys, candidate.ciphertext).toUpperCase();
    return digits.length === 18 ? idNumber === digits : idNumber.endsWith(digits);
  });
  if (matches.length === 0) return refuse(404, 'redemption.error.counter_elder_not_found', undefined, 'elderName');
  if (matches.length > 1) return refuse(409, 'redemption.error.elder_ambiguous', undefined, 'elderDigits');
  const elder = counterElder(context, matches[0]!.id)!;
  audit(context, actor, 'redemption.elder_identified', 'elder', elder.elderId, site.villageCode, { siteId: site.id });
  return success(elder);
}

export interface BasketLine {
  itemId: number;
  quantity: number;
}

export interface PlaceBasket {
  siteId: number;
  /** The member who pays; null when a registered elder without a member record pays by voucher (elderId). */
  memberId: number | null;
  elderId?: number | null;
  lines: BasketLine[];
  payer: 'wallet' | 'voucher';
  idempotencyKey: string;
}

export type Redemption = typeof redemptions.$inferSelect;

export function findRedemption(context: RedemptionContext, redemptionId: number): Redemption | undefined {
  return context.db.select().from(redemptions).where(eq(redemptions.id, redemptionId)).get();
}

/**
 * A basket as a reader sees it at `nowMs`: a held basket whose 15 minutes are
 * over reads as expired (closed when its hold ran out), whether or not the
 * sweep in src/jobs has closed it yet. Pages read this, so a GET never writes.
 */
export function asSeenAt(redemption: Redemption, nowMs: number): Redemption {
  if (redemption.status !== 'held' || nowMs < redemption.expiresAtMs) return redemption;
  return { ...redemption, status: 'expired', closedAtMs: redemption.expiresAtMs };
}

/** The basket a page shows (see asSeenAt). */
export function redemptionAsSeen(context: RedemptionContext, redemptionId: number): Redemption | undefined {
  const redemption = findRedemption(context, redemptionId);
  return redemption && asSeenAt(redemption, nowOf(context));
}

/** Active sites the actor may work at: their clerk sites, and every site in their staff regions (at most 200 of those). */
export function workableSites(context: RedemptionContext, actor: Actor): Site[] {
  const siteIds = new Set(grantsFor(actor, canWorkCounter).map((grant) => grant.siteId).filter((id): id is number => id !== null));
  const regionPaths = regionScopes(actor, canWorkCounter);
  const fromRegions = regionPaths.length === 0 ? [] : context.db
    .select({ id: partnerSites.id })
    .from(partnerSites)
    .innerJoin(regions, eq(regions.code, partnerSites.villageCode))
    .where(or(...regionPaths.map((path) => like(regions.path, `${path}%`))))
    .orderBy(asc(partnerSites.id))
    .limit(200)
    .all()
    .map((row) => row.id);
  return [...new Set([...siteIds, ...fromRegions])]
    .map((id) => findSite(context.db, id))
    .filter((site): site is Site => site !== undefined && site.active);
}

function siteForCounter(context: RedemptionContext, actor: Actor, siteId: number): { ok: true; site: Site } | Refusal {
  const site = findSite(context.db, siteId);
  if (!site) return refuse(404, 'redemption.error.site_not_found');
  const denied = checkAuthorized(actor, canWorkCounter, { siteId, regionPath: site.villagePath });
  if (denied) return denied;
  return { ok: true, site };
}

interface Leg {
  debit: string;
  credit: string;
}

/** The legs of a redemption: one, or two through the counties' clearing accounts (see the comment at the top). */
export function redemptionLegs(payerAccountId: string, payerCounty: string, site: { id: number; countyCode: string }): Leg[] {
  if (payerCounty === site.countyCode) return [{ debit: payerAccountId, credit: accountIds.site(site.id) }];
  return [
    { debit: payerAccountId, credit: accountIds.clearing(payerCounty) },
    { debit: accountIds.clearing(site.countyCode), credit: accountIds.site(site.id) },
  ];
}

function linkedChain(transfers: TransferInput[]): TransferInput[] {
  return transfers.map((transfer, index) => ({
    ...transfer,
    flags: (transfer.flags ?? 0) | (index < transfers.length - 1 ? TransferFlags.linked : 0),
  }));
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
  const replayed = replayKeyed(context, once, basketRecord(context));
  if (replayed) return replayed;
  if (!site.active) return refuse(409, 'redemption.error.site_inactive');
  const quantities = new Map<number, number>();
  for (const line of input.lines) {
    if (!Number.isInteger(line.quantity) || line.quantity < 0 || line.quantity > 99) return refuse(422, 'redemption.error.quantity_invalid', undefined, 'quantity');
    if (line.quantity > 0) quantities.set(line.itemId, (quantities.get(line.itemId) ?? 0) + line.quantity);
  }

  let payerAccountId: string;
  let payerCounty: string;
  let elderId: number | null = null;
  let member: ReturnType<typeof memberFacts> = undefined;
  if (input.memberId === null) {
    // A registered elder without a member record: vouchers only, at a service station of the elder's own county.
    if (input.payer !== 'voucher' || !input.elderId) return refuse(422, 'redemption.error.no_voucher');
    if (site.kind !== 'service_station') return refuse(409, 'redemption.error.voucher_only_service_station');
    const elder = counterElder(context, input.elderId);
    if (!elder || elder.countyCode !== site.countyCode) return refuse(404, 'redemption.error.elder_not_found');
    if (elder.memberId !== null) return refuse(409, 'redemption.error.elder_is_member');
    if (quantities.size === 0) return refuse(422, 'redemption.error.basket_empty');
    if (elder.voucherAvailableMinutes === null) return refuse(409, 'redemption.error.no_voucher');
    elderId = elder.elderId;
    payerAccountId = redemptionAccounts.voucher(elderId).id;
    payerCounty = elder.countyCode;
  } else {
    member = memberFacts(context.db, input.memberId);
    if (!member || member.status !== 'active') return refuse(404, 'redemption.error.member_not_found');
    if (quantities.size === 0) return refuse(422, 'redemption.error.basket_empty');
    payerAccountId = accountIds.wallet(member.id);
    payerCounty = member.countyCode;
    if (input.payer === 'voucher') {
      if (site.kind !== 'service_station') return refuse(409, 'redemption.error.voucher_only_service_station');
      elderId = voucherElderOf(context, member.id);
      if (elderId === null) return refuse(409, 'redemption.error.no_voucher');
      payerAccountId = redemptionAccounts.voucher(elderId).id;
      const elder = context.db.select({ villageCode: elders.villageCode }).from(elders).where(eq(elders.id, elderId)).get()!;
      payerCounty = countyOfRegion(context.db, elder.villageCode)!;
    }
  }
  const policy = getPolicy(context.db);
  const at = nowOf(context);
  sweepExpired(context);

  return writeOnceKeyed(context, actor, once, basketRecord(context), () => {
    const busy = openBasketOf(context, member?.id ?? null, elderId);
    if (busy) return refuse(409, 'redemption.error.basket_open_elsewhere', { site: busy.siteName });
    const lines: { item: typeof siteItems.$inferSelect; quantity: number }[] = [];
    for (const [itemId, quantity] of quantities) {
      const item = context.db.select().from(siteItems).where(eq(siteItems.id, itemId)).get();
      if (!item || item.siteId !== site.id || !item.active) return refuse(422, 'redemption.error.item_not_found');
      if (member && item.kind === 'service' && site.kind === 'service_station' && input.payer === 'wallet' && ageOf(context, member.birthDate) < policy.careAgeYears) {
        return refuse(409, 'redemption.error.care_age', { age: policy.careAgeYears, item: item.name });
      }
      // One statement: two counters cannot both reserve the last one.
      const reserved = context.db.$client
        .prepare('UPDATE site_items SET reserved = reserved + ? WHERE id = ? AND (stock IS NULL OR stock - reserved >= ?)')
        .run(quantity, itemId, quantity);
      if (reserved.changes === 0) return refuse(409, 'redemption.error.out_of_stock', { item: item.name, left: Math.max(0, (item.stock ?? 0) - item.reserved) });
      lines.push({ item, quantity });
    }
    const total = lines.reduce((sum, line) => sum + line.item.priceMinutes * line.quantity, 0);
    const row = context.db
      .insert(redemptions)
      .values({
        idempotencyKey: input.idempotencyKey, siteId: site.id, memberId: member?.id ?? null, payer: input.payer, payerAccountId, elderId,
        status: 'held', totalMinutes: total, memberCountyCode: payerCounty, siteCountyCode: site.countyCode, holdTransferIds: '[]',
        clerkUserId: actor.userId, createdAtMs: at, expiresAtMs: at + holdSeconds * 1000,
      })
      .returning({ id: redemptions.id })
      .get();
    for (const line of lines) {
      context.db.insert(redemptionLines).values({ redemptionId: row.id, itemId: line.item.id, name: line.item.name, priceMinutes: line.item.priceMinutes, quantity: line.quantity }).run();
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
      const problem = applied.problems[0]!;
      if (problem.code === 'redemption.error.insufficient_balance') {
        return refuse(409, problem.code, { available: available(context, payerAccountId), total });
      }
      return applied;
    }
    context.db.update(redemptions).set({ holdTransferIds: JSON.stringify(holds.map((hold) => hold.id)) }).where(eq(redemptions.id, row.id)).run();
    audit(context, actor, 'redemption.hold', 'redemption', row.id, site.villageCode, { siteId: site.id, totalMinutes: total, legs: legs.length });
    return success(findRedemption(context, row.id)!);
  });
}

/** The idempotency scope of a basket; migration 0017 copied earlier baskets' keys under it. */
export const basketKeyScope = 'redemption.basket';

function basketRecord(context: RedemptionContext) {
  return { idOf: (basket: Redemption) => basket.id, load: (id: number) => findRedemption(context, id) };
}

/**
 * The payer's open basket, if any: at most one basket holds a member's credits
 * (or an elder's voucher) at a time, so a clerk cannot tie up a balance with
 * repeated holds. Called inside placeBasket's IMMEDIATE transaction (two
 * clerks racing see each other); a hold whose 15 minutes are over is expired
 * here first. The database refuses a second one too (migration 0015).
 */
function openBasketOf(context: RedemptionContext, memberId: number | null, elderId: number | null): { siteName: string } | null {
  const open = memberId !== null
    ? context.db.select().from(redemptions).where(and(eq(redemptions.memberId, memberId), eq(redemptions.status, 'held'))).get()
    : context.db.select().from(redemptions).where(and(isNull(redemptions.memberId), eq(redemptions.elderId, elderId!), eq(redemptions.status, 'held'))).get();
  if (!open) return null;
  if (nowOf(context) >= open.expiresAtMs) {
    expireBasket(context, open);
    return null;
  }
  return { siteName: findSite(context.db, open.siteId)?.name ?? '' };
}

function releaseReservations(context: RedemptionContext, redemptionId: number): void {
  const lines = context.db.select().from(redemptionLines).where(eq(redemptionLines.redemptionId, redemptionId)).all();
  for (const line of lines) {
    context.db.$client.prepare('UPDATE site_items SET reserved = reserved - ? WHERE id = ?').run(line.quantity, line.itemId);
  }
}

/** Marks a held basket expired: voids its legs (code 'expiry', the ledger's own ids) and releases its stock. */
function expireBasket(context: RedemptionContext, redemption: Redemption): void {
  const holds = JSON.parse(redemption.holdTransferIds) as string[];
  // Not linked: the ledger's own expirePending may have voided some legs already ('exists' then).
  const results = ledgerOf(context).createTransfers(holds.map((id) => ({ id: `expire:${id}`, pendingId: id, code: 'expiry' as const, flags: TransferFlags.voidPending })));
  for (const [index, result] of results.entries()) {
    if (result !== 'ok' && result !== 'exists' && result !== 'pending_transfer_expired' && result !== 'pending_transfer_already_voided') {
      throw new Error(`expiring ${holds[index]}: ${result}`);
    }
  }
  releaseReservations(context, redemption.id);
  context.db.update(redemptions).set({ status: 'expired', closedAtMs: nowOf(context) }).where(eq(redemptions.id, redemption.id)).run();
}

/** Closes one held basket whose hold the ledger no longer has (or whose time is up). */
function closeExpired(context: RedemptionContext, redemptionId: number): void {
  context.db.$client
    .transaction(() => {
      const current = findRedemption(context, redemptionId);
      if (current?.status === 'held') expireBasket(context, current);
    })
    .immediate();
}

/** Expires every held basket whose 15 minutes have passed. Returns how many. The jobs (src/jobs) run it every minute; placing a basket runs it too. */
export function sweepExpired(context: RedemptionContext): number {
  const at = nowOf(context);
  const due = context.db.select().from(redemptions).where(and(eq(redemptions.status, 'held'), lte(redemptions.expiresAtMs, at))).all();
  if (due.length === 0) return 0;
  let expired = 0;
  context.db.$client
    .transaction(() => {
      for (const stale of due) {
        const current = findRedemption(context, stale.id)!;
        if (current.status !== 'held') continue;
        expireBasket(context, current);
        expired += 1;
      }
    })
    .immediate();
  return expired;
}

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
  const site = findSite(context.db, redemption.siteId)!;
  const member = redemption.memberId === null ? undefined : memberFacts(context.db, redemption.memberId);
  const elderName = member ? null : (context.db.select({ name: elders.realName }).from(elders).where(eq(elders.id, redemption.elderId!)).get()?.name ?? '');
  return {
    redemptionId,
    receiptNumber: redemption.receiptNumber,
    siteId: site.id,
    siteName: site.name,
    siteAddress: site.address,
    memberName: member ? member.realName : elderName!,
    cardNumber: member ? member.cardNumber : null,
    payer: redemption.payer,
    lines: linesOf(context, redemptionId),
    totalMinutes: redemption.totalMinutes,
    balanceAfterMinutes: redemption.balanceAfterMinutes!,
    confirmedAtMs: redemption.confirmedAtMs!,
    crossCounty: redemption.memberCountyCode !== redemption.siteCountyCode,
    status: redemption.status,
    voidReason: redemption.voidReason,
    confirmedWith: redemption.confirmedWith,
    attestation: redemption.attestation ? (JSON.parse(redemption.attestation) as Attestation) : null,
    clerkName: clerkNameOf(context, redemption.clerkUserId),
  };
}

function clerkNameOf(context: RedemptionContext, userId: number | null): string | null {
  if (userId === null) return null;
  return context.db.select({ name: users.displayName }).from(users).where(eq(users.id, userId)).get()?.name ?? null;
}

export function linesOf(context: RedemptionContext, redemptionId: number) {
  return context.db
    .select({ itemId: redemptionLines.itemId, name: redemptionLines.name, priceMinutes: redemptionLines.priceMinutes, quantity: redemptionLines.quantity })
    .from(redemptionLines)
    .where(eq(redemptionLines.redemptionId, redemptionId))
    .orderBy(asc(redemptionLines.id))
    .all();
}

function receiptNumberFor(redemption: Redemption, atMs: number): string {
  const day = new Date(atMs + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
  return `R${String(redemption.siteId).padStart(4, '0')}-${day}-${String(redemption.id).padStart(6, '0')}`;
}

function loadForCounter(context: RedemptionContext, actor: Actor, redemptionId: number): { ok: true; redemption: Redemption; site: Site } | Refusal {
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
    const current = findRedemption(context, redemptionId)!;
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
      const item = context.db.select().from(siteItems).where(eq(siteItems.id, line.itemId)).get()!;
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
  return success(receiptOf(context, redemptionId)!);
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
  if (open.done) return success(receiptOf(context, redemptionId)!);
  const memberId = open.redemption.memberId;
  if (memberId === null) return refuse(409, 'redemption.error.attestation_required');
  const consent = pinConsentOf(peopleContextOf(context), memberId);
  const staffSet = staffSetPinCheck(actor, consent, cardScan);
  if (staffSet) return staffSet;
  const checked = await verifyMemberPin(peopleContextOf(context), memberId, pin);
  if (!checked.ok) return { ok: false, status: checked.status, problems: checked.problems.map((p) => ({ ...p, field: 'pin' })) };
  const posted = postBasket(context, actor, redemptionId, open.site, { confirmedWith: 'pin' });
  // The member typed the PIN with their card scanned at the counter: it is theirs from now on.
  if (posted.ok && consent?.setByStaff) confirmStaffSetPin(peopleContextOf(context), actor, memberId, consent.setAtMs!, { redemptionId, siteId: open.site.id });
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
  if (open.done) return success(receiptOf(context, redemptionId)!);
  const { redemption } = open;
  if (redemption.memberId !== null || redemption.elderId === null) return refuse(409, 'redemption.error.pin_required');
  const elder = context.db
    .select({ realName: elders.realName, familyContactName: elders.familyContactName })
    .from(elders)
    .where(eq(elders.id, redemption.elderId))
    .get()!;
  if (input.witness !== 'elder' && input.witness !== 'family') return refuse(422, 'redemption.error.witness_invalid', undefined, 'witness');
  let witnessName = elder.realName;
  if (input.witness === 'family') {
    const typed = (input.witnessName ?? '').trim();
    if (hasRefusedNameCharacters(typed)) return refuse(422, 'redemption.error.elder_name_invalid', undefined, 'witnessName');
    if (!elder.familyContactName) return refuse(409, 'redemption.error.no_family_contact', undefined, 'witness');
    if (typed !== elder.familyContactName.trim()) return refuse(422, 'redemption.error.witness_name_mismatch', undefined, 'witnessName');
    witnessName = typed;
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
    const current = findRedemption(context, redemptionId)!;
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
        return success(findRedemption(context, redemptionId)!);
      }
      throw new Error(`cancel ${current.id}: ${voided.join(',')}`);
    }
    releaseReservations(context, current.id);
    context.db.update(redemptions).set({ status: 'cancelled', closedAtMs: nowOf(context) }).where(eq(redemptions.id, current.id)).run();
    audit(context, actor, 'redemption.cancel', 'redemption', current.id, loaded.site.villageCode);
    return success(findRedemption(context, redemptionId)!);
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
    const current = findRedemption(context, redemptionId)!;
    if (current.status === 'voided') return success(current);
    if (current.status !== 'confirmed') return closedRefusal(current);
    const at = nowOf(context);
    if (at - current.confirmedAtMs! > voidWindowMs) return refuse(409, 'redemption.error.void_too_late', { minutes: voidWindowMs / 60_000 });
    const site = loaded.site;
    const legs = redemptionLegs(current.payerAccountId, current.memberCountyCode, { id: site.id, countyCode: current.siteCountyCode });
    const corrections = linkedChain([...legs].reverse().map((leg, index) => ({
      id: `rdm:${current.id}:correct:${index + 1}`, debitAccountId: leg.credit, creditAccountId: leg.debit, amount: current.totalMinutes,
      code: 'correction' as const, refType: 'redemption', refId: String(current.id),
    })));
    const applied = applyTransfers(context, corrections);
    if (!applied.ok) return applied;
    for (const line of linesOf(context, current.id)) {
      const item = context.db.select().from(siteItems).where(eq(siteItems.id, line.itemId)).get()!;
      if (item.stock === null) continue;
      const after = item.stock + line.quantity;
      context.db.update(siteItems).set({ stock: after, updatedAtMs: at }).where(eq(siteItems.id, item.id)).run();
      context.db.insert(stockMovements).values({
        itemId: item.id, siteId: current.siteId, kind: 'void_return', quantityDelta: line.quantity, stockAfter: after, reason: why, redemptionId: current.id, actorUserId: actor.userId, atMs: at,
      }).run();
    }
    context.db
      .update(redemptions)
      .set({ status: 'voided', closedAtMs: at, voidReason: why, voidedByUserId: actor.userId, voidTransferIds: JSON.stringify(corrections.map((c) => c.id)) })
      .where(eq(redemptions.id, current.id))
      .run();
    audit(context, actor, 'redemption.void', 'redemption', current.id, site.villageCode, { totalMinutes: current.totalMinutes, reason: why });
    return success(current);
  });
  if (!outcome.ok) return outcome;
  return success(receiptOf(context, redemptionId)!);
}

/** A site's recent baskets for the counter screen (newest first). */
/** The site's latest baskets as a page shows them (see asSeenAt). */
export function recentAtSite(context: RedemptionContext, siteId: number, limit = 20): Redemption[] {
  const at = nowOf(context);
  return context.db.select().from(redemptions).where(eq(redemptions.siteId, siteId)).orderBy(desc(redemptions.id)).limit(limit).all()
    .map((redemption) => asSeenAt(redemption, at));
}

import { and, asc, eq, isNull, like, lte, or } from 'drizzle-orm';
import { regions } from '../../db/schema/core.ts';
import { members } from '../../db/schema/people.ts';
import { elders } from '../../db/schema/people.ts';
import { partnerSites, redemptionLines, redemptions } from '../../db/schema/redemption.ts';
import { TransferFlags, balanceOf, type TransferInput } from '../../ledger/index.ts';
import { grantsFor, permission, regionScopes, type Actor } from '../access/authorize.ts';
import { accountIds } from '../bookkeeping/accounts.ts';
import { checkAuthorized, ledgerOf, nowOf, redemptionAccounts, refuse, roleRefusal, type RedemptionContext, type Refusal } from './context.ts';
import { findSite, type Site } from './site-core.ts';
import { assert, present } from '../../lib/assert.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { connectionOf } from '../../db/client.ts';

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

/** What every step at the counter shares: the hold and void windows, who works a counter, balances, the basket row and its ledger legs, and the sweep of expired holds (the ledger form is described above). */

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

export function pinLockedUntil(context: RedemptionContext, memberId: number): number | null {
  const row = context.db.select({ until: members.pinLockedUntilMs }).from(members).where(eq(members.id, memberId)).get();
  return row?.until != null && row.until > nowOf(context) ? row.until : null;
}

/**
 * What the account may spend now. The ledger does not count a hold whose 15
 * minutes are over, though the sweep (src/jobs) has not closed its basket yet:
 * pages read such a basket as expired, and a debit that needs its credits
 * voids it first (Ledger.availableAt; a GET writes nothing).
 */
export function availableNow(context: RedemptionContext, accountId: string): number {
  return ledgerOf(context).availableAt(accountId, nowOf(context));
}

/** The ledger's available balance, for the write paths (they run after the sweep). */
export function available(context: RedemptionContext, accountId: string): number {
  const account = ledgerOf(context).account(accountId);
  return account ? balanceOf(account).available : 0;
}

export function voucherElderOf(context: RedemptionContext, memberId: number): number | null {
  const elder = context.db.select({ id: elders.id }).from(elders).where(and(eq(elders.memberId, memberId), eq(elders.status, 'active'))).get();
  if (!elder) return null;
  return ledgerOf(context).account(redemptionAccounts.voucher(elder.id).id) ? elder.id : null;
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
  /** True when the member showed their card (a present counter reference); a basket for a member not present is limited (balance-probes.ts). */
  present?: boolean;
}

export type Redemption = typeof redemptions.$inferSelect;

// Raw SQL on the statement cache, in the schema's column order (what drizzle's select() gives): a confirmation reads its basket
// two or three times, and building the drizzle query cost more than running it (docs/PERFORMANCE.md, "the confirmations").
const findRedemptionSql = `SELECT id, idempotency_key AS idempotencyKey, site_id AS siteId, member_id AS memberId, payer,
  payer_account_id AS payerAccountId, elder_id AS elderId, status, total_minutes AS totalMinutes, member_county_code AS memberCountyCode,
  site_county_code AS siteCountyCode, hold_transfer_ids AS holdTransferIds, void_transfer_ids AS voidTransferIds, receipt_number AS receiptNumber,
  balance_after_minutes AS balanceAfterMinutes, clerk_user_id AS clerkUserId, created_at_ms AS createdAtMs, expires_at_ms AS expiresAtMs,
  confirmed_at_ms AS confirmedAtMs, closed_at_ms AS closedAtMs, void_reason AS voidReason, voided_by_user_id AS voidedByUserId,
  confirmed_with AS confirmedWith, attestation, policy_version_id AS policyVersionId FROM redemptions WHERE id = ?`;

export function findRedemption(context: RedemptionContext, redemptionId: number): Redemption | undefined {
  return connectionOf(context.db).prepare(findRedemptionSql).get(redemptionId) as Redemption | undefined;
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

/** Null when the actor works a counter (clerks, staff); otherwise the 403 page (issue 15), asked before any site or basket is looked up. */
export function counterAccess(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canWorkCounter);
}

/** The counter's site: the role first (403 page, whatever the site), then the site (404), then its scope (outside it: the same 404). */
export function siteForCounter(context: RedemptionContext, actor: Actor, siteId: number): { ok: true; site: Site } | Refusal {
  const roleDenied = counterAccess(actor);
  if (roleDenied) return roleDenied;
  const site = findSite(context.db, siteId);
  if (!site) return refuse(404, 'redemption.error.site_not_found');
  const denied = checkAuthorized(actor, canWorkCounter, { siteId, regionPath: site.villagePath });
  if (denied) return denied;
  return { ok: true, site };
}

export interface Leg {
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

export function linkedChain(transfers: TransferInput[]): TransferInput[] {
  return transfers.map((transfer, index) => ({
    ...transfer,
    flags: (transfer.flags ?? 0) | (index < transfers.length - 1 ? TransferFlags.linked : 0),
  }));
}

/** The idempotency scope of a basket; migration 0017 copied earlier baskets' keys under it. */
export const basketKeyScope = 'redemption.basket';

export function basketRecord(context: RedemptionContext) {
  return { idOf: (basket: Redemption) => basket.id, load: (id: number) => findRedemption(context, id) };
}

/**
 * The payer's open basket, if any: at most one basket holds a member's credits
 * (or an elder's voucher) at a time, so a clerk cannot tie up a balance with
 * repeated holds. Called inside placeBasket's IMMEDIATE transaction (two
 * clerks racing see each other); a hold whose 15 minutes are over is expired
 * here first. The database refuses a second one too (migration 0015).
 */
function heldBasketOf(context: RedemptionContext, memberId: number | null, elderId: number | null): Redemption | undefined {
  if (memberId !== null) return context.db.select().from(redemptions).where(and(eq(redemptions.memberId, memberId), eq(redemptions.status, 'held'))).get();
  assert(elderId !== null, 'a basket without a member is paid by an elder');
  return context.db.select().from(redemptions).where(and(isNull(redemptions.memberId), eq(redemptions.elderId, elderId), eq(redemptions.status, 'held'))).get();
}

export function openBasketOf(context: RedemptionContext, memberId: number | null, elderId: number | null): { siteName: string } | null {
  const open = heldBasketOf(context, memberId, elderId);
  if (!open) return null;
  if (nowOf(context) >= open.expiresAtMs) {
    expireBasket(context, open);
    return null;
  }
  return { siteName: findSite(context.db, open.siteId)?.name ?? '' };
}

export function releaseReservations(context: RedemptionContext, redemptionId: number): void {
  const lines = context.db.select().from(redemptionLines).where(eq(redemptionLines.redemptionId, redemptionId)).all();
  for (const line of lines) {
    context.db.$client.prepare('UPDATE site_items SET reserved = reserved - ? WHERE id = ?').run(line.quantity, line.itemId);
  }
  // A reservation the basket held (reservations.ts) gets its place on the list back.
  context.db.$client.prepare("UPDATE stock_reservations SET status = 'waiting', redemption_id = NULL WHERE redemption_id = ? AND status = 'held'").run(redemptionId);
}

/** Marks a held basket expired: voids its legs (code 'expiry', the ledger's own ids) and releases its stock. */
export function expireBasket(context: RedemptionContext, redemption: Redemption): void {
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
export function closeExpired(context: RedemptionContext, redemptionId: number): void {
  writeTransaction(context.db, () => {
    const current = findRedemption(context, redemptionId);
    if (current?.status === 'held') expireBasket(context, current);
  });
}

/** Expires every held basket whose 15 minutes have passed. Returns how many. The jobs (src/jobs) run it every minute; placing a basket runs it too. */
export function sweepExpired(context: RedemptionContext): number {
  const at = nowOf(context);
  const due = context.db.select().from(redemptions).where(and(eq(redemptions.status, 'held'), lte(redemptions.expiresAtMs, at))).all();
  if (due.length === 0) return 0;
  let expired = 0;
  writeTransaction(context.db, () => {
    for (const stale of due) {
      const current = present(findRedemption(context, stale.id), 'a basket listed a moment ago exists (baskets are never deleted)');
      if (current.status !== 'held') continue;
      expireBasket(context, current);
      expired += 1;
    }
  });
  return expired;
}

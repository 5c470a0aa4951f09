import { ageOn, shanghaiDate } from '../../lib/idcard.ts';
import { maskName } from '../../lib/mask.ts';
import { present } from '../../lib/assert.ts';
import type { Actor } from '../access/authorize.ts';
import { audit } from '../audit/audit.ts';
import { countyCodeOfPath } from '../regions/path.ts';
import { nowOf, refuse, success, writeTransaction, type Outcome, type RedemptionContext, type Refusal } from './context.ts';
import { siteForCounter } from './counter-core.ts';

/**
 * The reservation list of a short item (policy rule priorityStockThreshold):
 * an eligible elder (registered, active, empty-nest, aged 80+, of the site's
 * county) is put on an item's list by a coordinator or the clerk (anyone who
 * works the counter); while the item's free stock is at or below the
 * threshold, only the first N waiting elders (N = units free) may take it,
 * one unit each. The basket that takes it holds the reservation, confirming
 * fulfils it with the stock decrement (counter-confirm.ts), cancelling or
 * expiring puts it back to waiting (releaseReservations).
 */

/** Priority goes to empty-nest elders of this age or more. */
export const priorityAgeYears = 80;

interface ElderFacts { id: number; realName: string; birthDate: string; path: string; emptyNest: number }

function elderFacts(context: RedemptionContext, elderId: number): ElderFacts | undefined {
  return context.db.$client
    .prepare(`SELECT e.id, e.real_name AS realName, e.birth_date AS birthDate, r.path,
                     EXISTS (SELECT 1 FROM elder_categories c WHERE c.elder_id = e.id AND c.category = 'empty_nest') AS emptyNest
                FROM elders e JOIN regions r ON r.code = e.village_code WHERE e.id = ? AND e.status = 'active'`)
    .get(elderId) as ElderFacts | undefined;
}

/**
 * Why an elder may not be put on a reservation list (null when they may). Anyone the list does not offer
 * (missing, of another county, under 80, not empty-nest) gets the same answer: the refusal must not tell a
 * clerk who types an id the age or the family situation of an elder the page never showed.
 */
function eligibilityRefusal(context: RedemptionContext, elder: ElderFacts | undefined, countyCode: string): Refusal | null {
  const offered = elder !== undefined && countyCodeOfPath(elder.path) === countyCode && elder.emptyNest === 1
    && ageOn(elder.birthDate, shanghaiDate(nowOf(context))) >= priorityAgeYears;
  return offered ? null : refuse(404, 'redemption.error.reservation_not_offered', undefined, 'elder_id');
}

interface ItemFacts { id: number; name: string; siteId: number; stock: number | null; active: number }

/** Puts an eligible elder on a counted item's reservation list at the site; audited. Refusals write nothing. */
export function addReservation(context: RedemptionContext, actor: Actor, input: { siteId: number; itemId: number; elderId: number }): Outcome<{ id: number }> {
  const counter = siteForCounter(context, actor, input.siteId);
  if (!counter.ok) return counter;
  const site = counter.site;
  return writeTransaction(context, () => {
    const item = context.db.$client.prepare('SELECT id, name, site_id AS siteId, stock, active FROM site_items WHERE id = ?').get(input.itemId) as ItemFacts | undefined;
    if (!item || item.siteId !== site.id || !item.active) return refuse(422, 'redemption.error.item_not_found', undefined, 'item_id');
    if (item.stock === null) return refuse(409, 'redemption.error.reservation_uncounted', { item: item.name }, 'item_id');
    const refused = eligibilityRefusal(context, elderFacts(context, input.elderId), site.countyCode);
    if (refused) return refused;
    const open = context.db.$client.prepare("SELECT 1 FROM stock_reservations WHERE item_id = ? AND elder_id = ? AND status IN ('waiting', 'held')").get(item.id, input.elderId);
    if (open) return refuse(409, 'redemption.error.reservation_exists', { item: item.name }, 'elder_id');
    const row = context.db.$client
      .prepare('INSERT INTO stock_reservations (site_id, item_id, elder_id, created_by_user_id, created_at_ms) VALUES (?, ?, ?, ?, ?) RETURNING id')
      .get(site.id, item.id, input.elderId, actor.userId, nowOf(context)) as { id: number };
    audit(context, actor, 'redemption.reservation_add', 'elder', input.elderId, site.villageCode, { siteId: site.id, itemId: item.id, reservationId: row.id });
    return success(row);
  });
}

/** Waiting reservations of an item, first come first. */
function waitingOf(context: RedemptionContext, itemId: number): { id: number; elderId: number }[] {
  return context.db.$client
    .prepare("SELECT id, elder_id AS elderId FROM stock_reservations WHERE item_id = ? AND status = 'waiting' ORDER BY id")
    .all(itemId) as { id: number; elderId: number }[];
}

/**
 * Inside the hold's transaction, for an item at or below the threshold: the
 * payer's waiting reservation when it is among the first `free` ones, and
 * the quantity is one; otherwise the refusal. Null means nobody waits (the
 * older rule applies: empty-nest elders aged 80+ only).
 */
export function reservationFor(context: RedemptionContext, item: { id: number; name: string }, free: number, elderId: number | null, quantity: number, version: number): { reservationId: number } | Refusal | null {
  const waiting = waitingOf(context, item.id);
  if (waiting.length === 0) return null;
  const position = elderId === null ? -1 : waiting.findIndex((row) => row.elderId === elderId);
  if (position < 0 || position >= free) return refuse(409, 'redemption.error.reservation_not_your_turn', { item: item.name, left: free, waiting: waiting.length, version });
  if (quantity !== 1) return refuse(409, 'redemption.error.reservation_one_unit', { item: item.name, version }, 'quantity');
  return { reservationId: present(waiting[position], 'a position found in the list is in it').id };
}

/** Inside the hold's transaction: the reservation is held by the basket. */
export function holdReservation(context: RedemptionContext, reservationId: number, redemptionId: number): void {
  const held = context.db.$client.prepare("UPDATE stock_reservations SET status = 'held', redemption_id = ? WHERE id = ? AND status = 'waiting'").run(redemptionId, reservationId);
  if (held.changes !== 1) throw new Error(`reservation ${reservationId} was not waiting`);
}

/** Inside postBasket's transaction (with the stock decrement): the basket's held reservations are fulfilled. */
export function fulfilReservations(context: RedemptionContext, redemptionId: number, atMs: number): void {
  context.db.$client.prepare("UPDATE stock_reservations SET status = 'fulfilled', fulfilled_at_ms = ? WHERE redemption_id = ? AND status = 'held'").run(atMs, redemptionId);
}

/** A voided basket gives its fulfilled reservations back their places (the stock returns too); cancel and expiry: releaseReservations. */
export function reopenReservations(context: RedemptionContext, redemptionId: number): void {
  context.db.$client
    .prepare("UPDATE stock_reservations SET status = 'waiting', redemption_id = NULL, fulfilled_at_ms = NULL WHERE redemption_id = ? AND status IN ('held', 'fulfilled')")
    .run(redemptionId);
}

/** The registry record of a basket's payer: the voucher's elder, or the elder the member is. */
export function payerElderId(context: RedemptionContext, memberId: number | null, elderId: number | null): number | null {
  if (elderId !== null || memberId === null) return elderId;
  const row = context.db.$client.prepare("SELECT id FROM elders WHERE member_id = ? AND status = 'active' ORDER BY id LIMIT 1").pluck().get(memberId) as number | undefined;
  return row ?? null;
}

export interface ReservationList {
  itemId: number;
  item: string;
  entries: { position: number; name: string; age: number; status: 'waiting' | 'held' }[];
}

/** The open reservation lists of a site's items, in order, names masked (the counter page). */
export function reservationLists(context: RedemptionContext, siteId: number): ReservationList[] {
  const today = shanghaiDate(nowOf(context));
  const rows = context.db.$client
    .prepare(`SELECT s.item_id AS itemId, i.name AS item, e.real_name AS realName, e.birth_date AS birthDate, s.status
                FROM stock_reservations s JOIN site_items i ON i.id = s.item_id JOIN elders e ON e.id = s.elder_id
               WHERE s.site_id = ? AND s.status IN ('waiting', 'held') ORDER BY i.name, s.item_id, s.id`)
    .all(siteId) as { itemId: number; item: string; realName: string; birthDate: string; status: 'waiting' | 'held' }[];
  const lists = new Map<number, ReservationList>();
  for (const row of rows) {
    const list = lists.get(row.itemId) ?? { itemId: row.itemId, item: row.item, entries: [] };
    list.entries.push({ position: list.entries.length + 1, name: maskName(row.realName), age: ageOn(row.birthDate, today), status: row.status });
    lists.set(row.itemId, list);
  }
  return [...lists.values()];
}

import { and, asc, eq, like, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { regions, users } from '../../db/schema/core.ts';
import { partnerSites, siteItems, stockMovements } from '../../db/schema/redemption.ts';
import type { Actor } from '../access/authorize.ts';
import { contentHash } from '../kernel/idempotency.ts';
import { checkAuthorized, nowOf, refuse, regionOf, roleRefusal, success, writeOnceWhole, writeTransaction, type Outcome, type RedemptionContext, type Refusal } from './context.ts';
import { audit } from '../audit/audit.ts';
import { type Site, type SiteItem, type SiteKind, canKeepCatalogue, checkText, findSite, stockKeyScope } from './site-core.ts';
import { present } from '../../lib/assert.ts';

/** A site's catalogue and stock, and the public list of sites (see sites.ts). */

export interface ItemInput {
  name: string;
  kind: string;
  priceMinutes: number;
  /** null: not counted (services, meals). */
  stock: number | null;
}

function checkItem(input: ItemInput): ReturnType<typeof refuse> | null {
  const name = checkText(input.name, 'item_name', 40);
  if ('problem' in name) return name.problem;
  if (input.kind !== 'goods' && input.kind !== 'service') return refuse(422, 'redemption.error.item_kind_invalid', undefined, 'kind');
  if (!Number.isInteger(input.priceMinutes) || input.priceMinutes <= 0 || input.priceMinutes > 100 * 60) {
    return refuse(422, 'redemption.error.price_invalid', undefined, 'price');
  }
  if (input.stock !== null && (!Number.isInteger(input.stock) || input.stock < 0 || input.stock > 100_000)) {
    return refuse(422, 'redemption.error.stock_invalid', undefined, 'stock');
  }
  return null;
}

export function addItem(context: RedemptionContext, actor: Actor, siteId: number, input: ItemInput): Outcome<{ itemId: number }> {
  // The role before any lookup (issue 15): someone without it learns nothing about which sites or items exist.
  const roleDenied = roleRefusal(actor, canKeepCatalogue);
  if (roleDenied) return roleDenied;
  const site = findSite(context.db, siteId);
  if (!site) return refuse(404, 'redemption.error.site_not_found');
  const denied = checkAuthorized(actor, canKeepCatalogue, { siteId, regionPath: site.villagePath });
  if (denied) return denied;
  const invalid = checkItem(input);
  if (invalid) return invalid;
  const at = nowOf(context);
  return writeTransaction(context, () => {
    // A site offers one active item per name: a repeated submit finds the first one.
    const same = context.db.select({ id: siteItems.id }).from(siteItems)
      .where(and(eq(siteItems.siteId, siteId), eq(siteItems.name, input.name.trim()), eq(siteItems.active, true))).get();
    if (same) return success({ itemId: same.id });
    const row = context.db
      .insert(siteItems)
      .values({ siteId, name: input.name.trim(), kind: input.kind as 'goods' | 'service', priceMinutes: input.priceMinutes, stock: input.stock, createdAtMs: at, updatedAtMs: at })
      .returning({ id: siteItems.id })
      .get();
    if (input.stock !== null && input.stock > 0) {
      context.db.insert(stockMovements).values({ itemId: row.id, siteId, kind: 'receive', quantityDelta: input.stock, stockAfter: input.stock, reason: 'opening', actorUserId: actor.userId, atMs: at }).run();
    }
    audit(context, actor, 'site.item_add', 'site_item', row.id, site.villageCode, { siteId, priceMinutes: input.priceMinutes, stock: input.stock });
    return success({ itemId: row.id });
  });
}

/**
 * A catalogue item the actor keeps: the role before any lookup (issue 15:
 * someone without it learns nothing about which sites or items exist), then
 * the item, then its site's scope.
 */
function itemToKeep(context: RedemptionContext, actor: Actor, itemId: number): { ok: true; item: typeof siteItems.$inferSelect; site: Site } | Refusal {
  const roleDenied = roleRefusal(actor, canKeepCatalogue);
  if (roleDenied) return roleDenied;
  const item = context.db.select().from(siteItems).where(eq(siteItems.id, itemId)).get();
  if (!item) return refuse(404, 'redemption.error.item_not_found');
  const site = present(findSite(context.db, item.siteId), "an item's site exists (foreign key)");
  return checkAuthorized(actor, canKeepCatalogue, { siteId: site.id, regionPath: site.villagePath }) ?? { ok: true, item, site };
}

/**
 * Changes the name, price or active flag of a catalogue item (a price change
 * never touches baskets already placed: lines keep their name and price).
 * Audited with the values before and after.
 */
export function updateItem(
  context: RedemptionContext,
  actor: Actor,
  itemId: number,
  change: { name?: string; priceMinutes?: number; active?: boolean },
): Outcome<{ itemId: number }> {
  const found = itemToKeep(context, actor, itemId);
  if (!found.ok) return found;
  const { item, site } = found;
  const price = change.priceMinutes ?? item.priceMinutes;
  const name = change.name === undefined ? item.name : change.name.trim();
  const active = change.active ?? item.active;
  const invalid = checkItem({ name, kind: item.kind, priceMinutes: price, stock: null });
  if (invalid) return invalid;
  if (name === item.name && price === item.priceMinutes && active === item.active) return success({ itemId });
  return writeTransaction(context, () => {
    if (active && (name !== item.name || !item.active)) {
      // A site offers one active item per name (addItem relies on it).
      const same = context.db.select({ id: siteItems.id }).from(siteItems)
        .where(and(eq(siteItems.siteId, item.siteId), eq(siteItems.name, name), eq(siteItems.active, true))).get();
      if (same && same.id !== itemId) return refuse(409, 'redemption.error.item_name_taken', { name }, 'name');
    }
    context.db.update(siteItems).set({ name, priceMinutes: price, active, updatedAtMs: nowOf(context) }).where(eq(siteItems.id, itemId)).run();
    audit(context, actor, 'site.item_update', 'site_item', itemId, site.villageCode, {
      siteId: site.id, nameBefore: item.name, name, priceMinutesBefore: item.priceMinutes, priceMinutes: price, activeBefore: item.active, active,
    });
    return success({ itemId });
  });
}

/**
 * Receives goods (delta > 0) or corrects a count (the new count, with a
 * reason). A correction may not go below what open baskets have reserved.
 * Every change is a stock movement and an audit entry; the idempotency key
 * makes a double tap count once.
 */
export function changeStock(
  context: RedemptionContext,
  actor: Actor,
  itemId: number,
  change: { kind: 'receive'; quantity: number; idempotencyKey: string } | { kind: 'correct'; count: number; reason: string; idempotencyKey: string },
): Outcome<{ stock: number }> {
  const found = itemToKeep(context, actor, itemId);
  if (!found.ok) return found;
  const { item, site } = found;
  if (item.stock === null) return refuse(409, 'redemption.error.stock_not_counted');
  const once = {
    key: change.idempotencyKey, scope: stockKeyScope,
    contentHash: contentHash(change.kind === 'receive' ? { itemId, kind: change.kind, quantity: change.quantity } : { itemId, kind: change.kind, count: change.count, reason: (change.reason ?? '').trim() }),
  };
  return writeOnceWhole(context, actor, once, () => {
    const current = present(context.db.select().from(siteItems).where(eq(siteItems.id, itemId)).get(), 'an item found before this transaction still exists (items are never deleted)');
    if (current.stock === null) return refuse(409, 'redemption.error.stock_not_counted');
    let after: number;
    let reason: string | null = null;
    if (change.kind === 'receive') {
      if (!Number.isInteger(change.quantity) || change.quantity <= 0 || change.quantity > 100_000) return refuse(422, 'redemption.error.quantity_invalid', undefined, 'quantity');
      after = current.stock + change.quantity;
    } else {
      if (!Number.isInteger(change.count) || change.count < 0 || change.count > 100_000) return refuse(422, 'redemption.error.stock_invalid', undefined, 'count');
      reason = (change.reason ?? '').trim();
      if (reason.length === 0 || reason.length > 200) return refuse(422, 'redemption.error.reason_required', undefined, 'reason');
      if (change.count < current.reserved) return refuse(409, 'redemption.error.below_reserved', { reserved: current.reserved }, 'count');
      after = change.count;
    }
    const at = nowOf(context);
    context.db.update(siteItems).set({ stock: after, updatedAtMs: at }).where(eq(siteItems.id, itemId)).run();
    context.db.insert(stockMovements).values({
      itemId, siteId: site.id, kind: change.kind, quantityDelta: after - current.stock, stockAfter: after, reason,
      actorUserId: actor.userId, idempotencyKey: change.idempotencyKey, atMs: at,
    }).run();
    audit(context, actor, `site.stock_${change.kind}`, 'site_item', itemId, site.villageCode, { delta: after - current.stock, stockAfter: after });
    return success({ stock: after });
  });
}

export function itemsOf(db: Db, siteId: number, options: { activeOnly?: boolean } = {}): SiteItem[] {
  const condition = options.activeOnly ? and(eq(siteItems.siteId, siteId), eq(siteItems.active, true)) : eq(siteItems.siteId, siteId);
  return db.select().from(siteItems).where(condition).orderBy(asc(siteItems.id)).all();
}

export function movementsOf(db: Db, siteId: number, limit = 50) {
  return db
    .select({
      id: stockMovements.id, itemName: siteItems.name, kind: stockMovements.kind, quantityDelta: stockMovements.quantityDelta,
      stockAfter: stockMovements.stockAfter, reason: stockMovements.reason, atMs: stockMovements.atMs, actorName: users.displayName,
    })
    .from(stockMovements)
    .innerJoin(siteItems, eq(siteItems.id, stockMovements.itemId))
    .leftJoin(users, eq(users.id, stockMovements.actorUserId))
    .where(eq(stockMovements.siteId, siteId))
    .orderBy(sql`${stockMovements.id} DESC`)
    .limit(limit)
    .all();
}

export interface PublicSite {
  id: number;
  name: string;
  kind: SiteKind;
  address: string;
  openingHours: string;
  villageCode: string;
  villageName: string;
  villageNameEn: string | null;
  countyCode: string;
  countyName: string;
  countyNameEn: string | null;
  items: { name: string; kind: string; priceMinutes: number; inStock: boolean }[];
}

/**
 * Active sites and what they offer, for the public list: by county and
 * village (a region code narrows it to a subtree). No stock counts, only
 * whether something is available.
 */
/** Counties and villages that have active sites, for the public filter. */
export function siteRegions(db: Db): { code: string; level: 'county' | 'village'; nameZh: string; nameEn: string | null; countyCode: string }[] {
  return db.$client
    .prepare(`SELECT DISTINCT r.code, r.level, r.name_zh AS nameZh, r.name_en AS nameEn, s.county_code AS countyCode
                FROM partner_sites s JOIN regions r ON r.code IN (s.county_code, s.village_code)
               WHERE s.active = 1 ORDER BY s.county_code, r.level = 'village', r.code`)
    .all() as { code: string; level: 'county' | 'village'; nameZh: string; nameEn: string | null; countyCode: string }[];
}

export function publicSites(db: Db, regionCode?: string): PublicSite[] {
  const scope = regionCode ? regionOf(db, regionCode) : undefined;
  const rows = db
    .select({
      id: partnerSites.id, name: partnerSites.name, kind: partnerSites.kind, address: partnerSites.address, openingHours: partnerSites.openingHours,
      villageCode: partnerSites.villageCode, villageName: regions.nameZh, villageNameEn: regions.nameEn, countyCode: partnerSites.countyCode,
    })
    .from(partnerSites)
    .innerJoin(regions, eq(regions.code, partnerSites.villageCode))
    .where(scope ? and(eq(partnerSites.active, true), like(regions.path, `${scope.path}%`)) : eq(partnerSites.active, true))
    .orderBy(asc(partnerSites.countyCode), asc(partnerSites.villageCode), asc(partnerSites.id))
    .all();
  return rows.map((row) => {
    const county = regionOf(db, row.countyCode);
    return {
      ...row,
      countyName: county?.nameZh ?? row.countyCode,
      countyNameEn: county?.nameEn ?? null,
      items: itemsOf(db, row.id, { activeOnly: true }).map((item) => ({
        name: item.name, kind: item.kind, priceMinutes: item.priceMinutes, inStock: item.stock === null || item.stock - item.reserved > 0,
      })),
    };
  });
}

import { and, asc, eq, like, sql } from 'drizzle-orm';
import { hasRefusedNameCharacters } from '../../lib/display-name.ts';
import type { Db } from '../../db/client.ts';
import { regions, userRoles, users } from '../../db/schema/core.ts';
import { partnerSites, siteItems, stockMovements } from '../../db/schema/redemption.ts';
import { permission, type Actor } from '../access/authorize.ts';
import { accountInputs, countyCodeOfPath, ensureAccounts } from '../ledger/accounts.ts';
import { contentHash } from '../kernel/idempotency.ts';
import {
  checkAuthorized, ledgerOf, nowOf, refuse, regionOf, replayWhole, success, writeOnceWhole, writeTransaction, type Outcome, type RedemptionContext,
} from './context.ts';
import { audit } from '../audit/audit.ts';

export const siteKinds = ['love_supermarket', 'service_station', 'canteen', 'other'] as const;
export type SiteKind = (typeof siteKinds)[number];

/** Coordinators and offices register partner sites in their region; administrators anywhere. */
export const canManageSites = permission('sites.manage', ['coordinator', 'office', 'admin']);
/** The site's clerks (and staff over its region) keep its catalogue and stock. */
export const canKeepCatalogue = permission('sites.catalogue', ['clerk', 'coordinator', 'office', 'admin']);

export type Site = typeof partnerSites.$inferSelect & { villageName: string; villageNameEn: string | null; villagePath: string };
export type SiteItem = typeof siteItems.$inferSelect;

export function findSite(db: Db, siteId: number): Site | undefined {
  return db
    .select({
      id: partnerSites.id, name: partnerSites.name, kind: partnerSites.kind, villageCode: partnerSites.villageCode,
      countyCode: partnerSites.countyCode, address: partnerSites.address, openingHours: partnerSites.openingHours,
      active: partnerSites.active, idempotencyKey: partnerSites.idempotencyKey, createdByUserId: partnerSites.createdByUserId,
      createdAtMs: partnerSites.createdAtMs, villageName: regions.nameZh, villageNameEn: regions.nameEn, villagePath: regions.path,
    })
    .from(partnerSites)
    .innerJoin(regions, eq(regions.code, partnerSites.villageCode))
    .where(eq(partnerSites.id, siteId))
    .get();
}

export interface NewSite {
  name: string;
  kind: string;
  villageCode: string;
  address: string;
  openingHours: string;
  idempotencyKey?: string | null;
}

function checkText(value: string, field: string, max: number): { text: string } | { problem: ReturnType<typeof refuse> } {
  const text = (value ?? '').trim();
  if (text.length === 0) return { problem: refuse(422, `redemption.error.${field}_required`, undefined, field) };
  if (Array.from(text).length > max || hasRefusedNameCharacters(text)) return { problem: refuse(422, `redemption.error.${field}_invalid`, { max }, field) };
  return { text };
}

/** The idempotency scopes of a site registration and a stock change; migration 0017 copied their earlier keys. */
export const siteKeyScope = 'redemption.site';
export const stockKeyScope = 'redemption.stock';

/** Registers a partner site in a village and opens its ledger account. The same key with other content is refused. */
export function registerSite(context: RedemptionContext, actor: Actor, input: NewSite): Outcome<{ siteId: number }> {
  const once = input.idempotencyKey ? {
    key: input.idempotencyKey, scope: siteKeyScope,
    contentHash: contentHash({
      name: (input.name ?? '').trim(), kind: input.kind, villageCode: (input.villageCode ?? '').trim(), address: (input.address ?? '').trim(), openingHours: (input.openingHours ?? '').trim(),
    }),
  } : null;
  const replayed = once ? replayWhole<{ siteId: number }>(context, once) : undefined;
  if (replayed) return replayed;
  const name = checkText(input.name, 'name', 40);
  if ('problem' in name) return name.problem;
  if (!(siteKinds as readonly string[]).includes(input.kind)) return refuse(422, 'redemption.error.kind_invalid', undefined, 'kind');
  const village = regionOf(context.db, (input.villageCode ?? '').trim());
  if (!village || village.level !== 'village') return refuse(422, 'redemption.error.village_unknown', undefined, 'villageCode');
  const denied = checkAuthorized(actor, canManageSites, { regionPath: village.path });
  if (denied) return denied;
  const address = checkText(input.address, 'address', 100);
  if ('problem' in address) return address.problem;
  const hours = checkText(input.openingHours, 'opening_hours', 60);
  if ('problem' in hours) return hours.problem;
  const at = nowOf(context);
  const work = (): Outcome<{ siteId: number }> => {
    const row = context.db
      .insert(partnerSites)
      .values({
        name: name.text, kind: input.kind as SiteKind, villageCode: village.code, countyCode: countyCodeOfPath(village.path)!,
        address: address.text, openingHours: hours.text, idempotencyKey: input.idempotencyKey ?? null, createdByUserId: actor.userId, createdAtMs: at,
      })
      .returning({ id: partnerSites.id })
      .get();
    ensureAccounts(ledgerOf(context), [accountInputs.site(row.id)]);
    audit(context, actor, 'site.register', 'site', row.id, village.code, { kind: input.kind });
    return success({ siteId: row.id });
  };
  return once ? writeOnceWhole(context, actor, once, work) : writeTransaction(context, work);
}

/** Makes an existing user a clerk of the site (a user_roles row scoped to the site). */
export function addClerk(context: RedemptionContext, actor: Actor, siteId: number, userId: number): Outcome<{ userId: number }> {
  const site = findSite(context.db, siteId);
  if (!site) return refuse(404, 'redemption.error.site_not_found');
  const denied = checkAuthorized(actor, canManageSites, { regionPath: site.villagePath });
  if (denied) return denied;
  if (!context.db.select({ id: users.id }).from(users).where(eq(users.id, userId)).get()) return refuse(404, 'redemption.error.user_not_found');
  return writeTransaction(context, () => {
    const existing = context.db
      .select({ id: userRoles.id })
      .from(userRoles)
      .where(and(eq(userRoles.userId, userId), eq(userRoles.role, 'clerk'), eq(userRoles.siteId, siteId)))
      .get();
    if (!existing) {
      context.db.insert(userRoles).values({ userId, role: 'clerk', siteId, grantedByUserId: actor.userId, grantedAtMs: nowOf(context) }).run();
      audit(context, actor, 'site.clerk_add', 'site', siteId, site.villageCode, { userId });
    }
    return success({ userId });
  });
}

/**
 * Takes the clerk role for this site away from a user (their other roles stay).
 * The grants are read on every request, so the counter closes for them at once.
 */
export function removeClerk(context: RedemptionContext, actor: Actor, siteId: number, userId: number): Outcome<{ userId: number }> {
  const site = findSite(context.db, siteId);
  if (!site) return refuse(404, 'redemption.error.site_not_found');
  const denied = checkAuthorized(actor, canManageSites, { regionPath: site.villagePath });
  if (denied) return denied;
  return writeTransaction(context, () => {
    const rows = context.db
      .select({ id: userRoles.id })
      .from(userRoles)
      .where(and(eq(userRoles.userId, userId), eq(userRoles.role, 'clerk'), eq(userRoles.siteId, siteId)))
      .all();
    if (rows.length === 0) return refuse(404, 'redemption.error.clerk_not_found');
    for (const row of rows) context.db.delete(userRoles).where(eq(userRoles.id, row.id)).run();
    audit(context, actor, 'site.clerk_remove', 'site', siteId, site.villageCode, { userId });
    return success({ userId });
  });
}

export interface SiteChange {
  name: string;
  kind: string;
  address: string;
  openingHours: string;
}

/**
 * Edits a site's name, kind, address and opening hours (not its village: the
 * site's ledger account and county stay). Audited with what was there before.
 */
export function updateSite(context: RedemptionContext, actor: Actor, siteId: number, input: SiteChange): Outcome<{ siteId: number }> {
  const site = findSite(context.db, siteId);
  if (!site) return refuse(404, 'redemption.error.site_not_found');
  const denied = checkAuthorized(actor, canManageSites, { regionPath: site.villagePath });
  if (denied) return denied;
  const name = checkText(input.name, 'name', 40);
  if ('problem' in name) return name.problem;
  if (!(siteKinds as readonly string[]).includes(input.kind)) return refuse(422, 'redemption.error.kind_invalid', undefined, 'kind');
  const address = checkText(input.address, 'address', 100);
  if ('problem' in address) return address.problem;
  const hours = checkText(input.openingHours, 'opening_hours', 60);
  if ('problem' in hours) return hours.problem;
  const after = { name: name.text, kind: input.kind as SiteKind, address: address.text, openingHours: hours.text };
  const before = { name: site.name, kind: site.kind, address: site.address, openingHours: site.openingHours };
  if (JSON.stringify(after) === JSON.stringify(before)) return success({ siteId });
  return writeTransaction(context, () => {
    context.db.update(partnerSites).set(after).where(eq(partnerSites.id, siteId)).run();
    audit(context, actor, 'site.update', 'site', siteId, site.villageCode, {
      nameBefore: before.name, name: after.name, kindBefore: before.kind, kind: after.kind,
      addressBefore: before.address, address: after.address, openingHoursBefore: before.openingHours, openingHours: after.openingHours,
    });
    return success({ siteId });
  });
}

/**
 * Closes a site (no new baskets; it leaves the public list) or opens it again,
 * with a reason. Baskets already held can still be confirmed or cancelled, and
 * the site's ledger account stays.
 */
export function setSiteActive(context: RedemptionContext, actor: Actor, siteId: number, active: boolean, reason: string): Outcome<{ siteId: number }> {
  const site = findSite(context.db, siteId);
  if (!site) return refuse(404, 'redemption.error.site_not_found');
  const denied = checkAuthorized(actor, canManageSites, { regionPath: site.villagePath });
  if (denied) return denied;
  const why = (reason ?? '').trim();
  if (why.length === 0 || Array.from(why).length > 200 || /[<>]/.test(why)) return refuse(422, 'redemption.error.reason_required', undefined, 'reason');
  if (site.active === active) return success({ siteId });
  return writeTransaction(context, () => {
    context.db.update(partnerSites).set({ active }).where(eq(partnerSites.id, siteId)).run();
    audit(context, actor, active ? 'site.reopen' : 'site.close', 'site', siteId, site.villageCode, { reason: why });
    return success({ siteId });
  });
}

export function clerksOf(db: Db, siteId: number): { userId: number; displayName: string }[] {
  return db
    .select({ userId: users.id, displayName: users.displayName })
    .from(userRoles)
    .innerJoin(users, eq(users.id, userRoles.userId))
    .where(and(eq(userRoles.role, 'clerk'), eq(userRoles.siteId, siteId)))
    .orderBy(asc(users.id))
    .all();
}

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
  const item = context.db.select().from(siteItems).where(eq(siteItems.id, itemId)).get();
  if (!item) return refuse(404, 'redemption.error.item_not_found');
  const site = findSite(context.db, item.siteId)!;
  const denied = checkAuthorized(actor, canKeepCatalogue, { siteId: site.id, regionPath: site.villagePath });
  if (denied) return denied;
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
  const item = context.db.select().from(siteItems).where(eq(siteItems.id, itemId)).get();
  if (!item) return refuse(404, 'redemption.error.item_not_found');
  const site = findSite(context.db, item.siteId)!;
  const denied = checkAuthorized(actor, canKeepCatalogue, { siteId: site.id, regionPath: site.villagePath });
  if (denied) return denied;
  if (item.stock === null) return refuse(409, 'redemption.error.stock_not_counted');
  const once = {
    key: change.idempotencyKey, scope: stockKeyScope,
    contentHash: contentHash(change.kind === 'receive' ? { itemId, kind: change.kind, quantity: change.quantity } : { itemId, kind: change.kind, count: change.count, reason: (change.reason ?? '').trim() }),
  };
  return writeOnceWhole(context, actor, once, () => {
    const current = context.db.select().from(siteItems).where(eq(siteItems.id, itemId)).get()!;
    let after: number;
    let reason: string | null = null;
    if (change.kind === 'receive') {
      if (!Number.isInteger(change.quantity) || change.quantity <= 0 || change.quantity > 100_000) return refuse(422, 'redemption.error.quantity_invalid', undefined, 'quantity');
      after = current.stock! + change.quantity;
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
      itemId, siteId: site.id, kind: change.kind, quantityDelta: after - current.stock!, stockAfter: after, reason,
      actorUserId: actor.userId, idempotencyKey: change.idempotencyKey, atMs: at,
    }).run();
    audit(context, actor, `site.stock_${change.kind}`, 'site_item', itemId, site.villageCode, { delta: after - current.stock!, stockAfter: after });
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

import { and, asc, eq } from 'drizzle-orm';
import { hasRefusedNameCharacters } from '../../lib/display-name.ts';
import { connectionOf, type Db } from '../../db/client.ts';
import { regions, userRoles, users } from '../../db/schema/core.ts';
import { partnerSites, siteItems } from '../../db/schema/redemption.ts';
import { authorize, permission, regionScopes, type Actor } from '../access/authorize.ts';
import { underAnyPath } from '../../db/conditions.ts';
import { accountInputs, ensureAccounts } from '../bookkeeping/accounts.ts';
import { countyCodeOfPath } from '../regions/path.ts';
import { contentHash } from '../kernel/idempotency.ts';
import {
  checkAuthorized, ledgerOf, nowOf, refuse, regionOf, replayWhole, roleRefusal, success, writeOnceWhole, writeTransaction, type Outcome, type RedemptionContext, type Refusal,
} from './context.ts';
import { audit } from '../audit/audit.ts';
import { present } from '../../lib/assert.ts';

/** Partner sites themselves: kinds, who manages them, registration, details, opening and closing, clerks (see sites.ts). */

export const siteKinds = ['love_supermarket', 'service_station', 'canteen', 'other'] as const;
export type SiteKind = (typeof siteKinds)[number];

/** Coordinators and offices register partner sites in their region; administrators anywhere. */
export const canManageSites = permission('sites.manage', ['coordinator', 'office', 'admin']);
/** The site's clerks (and staff over its region) keep its catalogue and stock. */
export const canKeepCatalogue = permission('sites.catalogue', ['clerk', 'coordinator', 'office', 'admin']);

export type Site = typeof partnerSites.$inferSelect & { villageName: string; villageNameEn: string | null; villagePath: string };
export type SiteItem = typeof siteItems.$inferSelect;

const siteNotFound = 'redemption.error.site_not_found';

/** Null when the actor may register sites (coordinators, offices); otherwise the 403 page (issue 15), asked before the form is read. */
export function sitesAccess(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canManageSites);
}

/**
 * The site whose manage page (catalogue and stock) the actor opens: the role
 * first (403 page, whatever the site), then the site (404), then its scope
 * (outside it: the same 404, so that site ids cannot be probed).
 */
export function siteToKeep(context: RedemptionContext, actor: Actor, siteId: number): { ok: true; site: Site } | Refusal {
  const denied = roleRefusal(actor, canKeepCatalogue);
  if (denied) return denied;
  const site = findSite(context.db, siteId);
  if (!site) return refuse(404, siteNotFound);
  return checkAuthorized(actor, canKeepCatalogue, { siteId, regionPath: site.villagePath }, siteNotFound) ?? { ok: true, site };
}

/**
 * The site whose clerks, details or opening the actor changes: as siteToKeep,
 * then staff over the site (outside it: the 404 of a missing site); a clerk,
 * who keeps the catalogue but manages no site, gets the role's 403 page (您的账户不能使用这个功能):
 * the site is hers, so "outside your area" would be untrue.
 */
export function siteToManage(context: RedemptionContext, actor: Actor, siteId: number): { ok: true; site: Site } | Refusal {
  const kept = siteToKeep(context, actor, siteId);
  if (!kept.ok || authorize(actor, canManageSites, { regionPath: kept.site.villagePath })) return kept;
  return authorize(actor, canManageSites) ? refuse(404, siteNotFound) : refuse(403, 'errors.forbidden.message');
}

// Raw SQL on the connection's statement cache: every counter request reads its site (docs/PERFORMANCE.md,
// "the confirmations"), where building the drizzle query cost more than running it. Same columns as drizzle's select.
const findSiteSql = `SELECT s.id, s.name, s.kind, s.village_code AS villageCode, s.county_code AS countyCode, s.address,
  s.opening_hours AS openingHours, s.active, s.idempotency_key AS idempotencyKey, s.created_by_user_id AS createdByUserId,
  s.created_at_ms AS createdAtMs, r.name_zh AS villageName, r.name_en AS villageNameEn, r.path AS villagePath
  FROM partner_sites s JOIN regions r ON r.code = s.village_code WHERE s.id = ?`;

export function findSite(db: Db, siteId: number): Site | undefined {
  const row = connectionOf(db).prepare(findSiteSql).get(siteId) as (Omit<Site, 'active'> & { active: number }) | undefined;
  return row ? { ...row, active: row.active === 1 } : undefined;
}

export interface NewSite {
  name: string;
  kind: string;
  villageCode: string;
  address: string;
  openingHours: string;
  idempotencyKey?: string | null;
}

export function checkText(value: string, field: string, max: number): { text: string } | { problem: ReturnType<typeof refuse> } {
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
  const roleDenied = sitesAccess(actor);
  if (roleDenied) return roleDenied;
  const once = input.idempotencyKey ? {
    key: input.idempotencyKey, scope: siteKeyScope,
    contentHash: contentHash({
      name: (input.name ?? '').trim(), kind: input.kind, villageCode: (input.villageCode ?? '').trim(), address: (input.address ?? '').trim(), openingHours: (input.openingHours ?? '').trim(),
    }),
  } : null;
  const replayed = once ? replayWhole<{ siteId: number }>(context, actor, once) : undefined;
  if (replayed) return replayed;
  const name = checkText(input.name, 'name', 40);
  if ('problem' in name) return name.problem;
  if (!(siteKinds as readonly string[]).includes(input.kind)) return refuse(422, 'redemption.error.kind_invalid', undefined, 'kind');
  const village = regionOf(context.db, (input.villageCode ?? '').trim());
  // A village outside the actor's area answers exactly like one that does not exist (the role was checked above).
  if (!village || village.level !== 'village' || !authorize(actor, canManageSites, { regionPath: village.path })) {
    return refuse(422, 'redemption.error.village_unknown', undefined, 'villageCode');
  }
  const address = checkText(input.address, 'address', 100);
  if ('problem' in address) return address.problem;
  const hours = checkText(input.openingHours, 'opening_hours', 60);
  if ('problem' in hours) return hours.problem;
  const at = nowOf(context);
  const work = (): Outcome<{ siteId: number }> => {
    const row = context.db
      .insert(partnerSites)
      .values({
        name: name.text, kind: input.kind as SiteKind, villageCode: village.code, countyCode: present(countyCodeOfPath(village.path), 'a village lies in a county'),
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

/** The site whose clerks, details or opening the actor changes: the role first, then the site, then its scope (outside it: the refusal checkAuthorized gives). */
function siteToChange(context: RedemptionContext, actor: Actor, siteId: number): { ok: true; site: Site } | Refusal {
  const roleDenied = sitesAccess(actor);
  if (roleDenied) return roleDenied;
  const site = findSite(context.db, siteId);
  if (!site) return refuse(404, 'redemption.error.site_not_found');
  return checkAuthorized(actor, canManageSites, { regionPath: site.villagePath }) ?? { ok: true, site };
}

/**
 * Makes the account with this phone (normalised) a clerk of the site. Only an account of the actor's area
 * (its home region, whatever its roles) is found: any other answers exactly like a phone with no account,
 * so the form neither grants a role outside the area nor tells whose phone is in use elsewhere.
 */
export function addClerkByPhone(context: RedemptionContext, actor: Actor, siteId: number, phone: string): Outcome<{ userId: number }> {
  const found = siteToChange(context, actor, siteId);
  if (!found.ok) return found;
  const account = phone === '' ? undefined : context.db
    .select({ id: users.id })
    .from(users)
    .innerJoin(regions, eq(regions.code, users.homeRegionCode))
    .where(and(eq(users.phone, phone), underAnyPath(regions.path, regionScopes(actor, canManageSites))))
    .get();
  if (!account) return refuse(422, 'redemption.error.user_not_found', undefined, 'phone');
  return addClerk(context, actor, siteId, account.id);
}

/** Makes an existing user a clerk of the site (a user_roles row scoped to the site). */
export function addClerk(context: RedemptionContext, actor: Actor, siteId: number, userId: number): Outcome<{ userId: number }> {
  const found = siteToChange(context, actor, siteId);
  if (!found.ok) return found;
  const site = found.site;
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
  const found = siteToChange(context, actor, siteId);
  if (!found.ok) return found;
  const site = found.site;
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
  const found = siteToChange(context, actor, siteId);
  if (!found.ok) return found;
  const site = found.site;
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
  const found = siteToChange(context, actor, siteId);
  if (!found.ok) return found;
  const site = found.site;
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

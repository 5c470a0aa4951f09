import type { Db } from '../../db/client.ts';
import { authorize, hasRole, regionScopes, roles, type Actor, type Role } from '../access/authorize.ts';
import { findRegion } from '../regions/regions.ts';
import { canManageAccounts, type AccountRole, type AccountSummary } from './accounts.ts';
import { siteRegionPath } from './staff.ts';

/**
 * Read models of the accounts pages (src/routes/accounts): what a grant form
 * offers the actor, and which roles of an account the actor may revoke.
 */

export interface ScopeChoice {
  value: string;
  label: string;
  kind: 'region' | 'site';
}

const indent: Record<string, string> = { province: '', city: '· ', county: '· · ', township: '· · · ', village: '· · · · ' };

/** Regions (and partner sites) inside the actor's scope a role can be granted in, labelled in the page's language. */
export function grantScopeChoices(db: Db, actor: Actor, locale: string): ScopeChoice[] {
  const scopes = regionScopes(actor, canManageAccounts);
  if (scopes.length === 0) return [];
  const inScope = scopes.map(() => 'r.path LIKE ?').join(' OR ');
  const args = scopes.map((scope) => `${scope}%`);
  const en = locale === 'en';
  const regions = db.$client
    .prepare(`SELECT r.code, r.name_zh AS nameZh, r.name_en AS nameEn, r.level FROM regions r WHERE ${inScope} ORDER BY r.path`)
    .all(...args) as { code: string; nameZh: string; nameEn: string | null; level: string }[];
  const sites = db.$client
    .prepare(`SELECT s.id, s.name, r.name_zh AS nameZh, r.name_en AS nameEn FROM partner_sites s JOIN regions r ON r.code = s.village_code WHERE (${inScope}) ORDER BY s.name, s.id`)
    .all(...args) as { id: number; name: string; nameZh: string; nameEn: string | null }[];
  return [
    ...regions.map((region) => ({ value: `region:${region.code}`, label: `${indent[region.level] ?? ''}${en && region.nameEn ? region.nameEn : region.nameZh} ${region.code}`, kind: 'region' as const })),
    ...sites.map((site) => ({ value: `site:${site.id}`, label: `${site.name} (${en && site.nameEn ? site.nameEn : site.nameZh})`, kind: 'site' as const })),
  ];
}

/** Roles the actor may offer: administrators also grant office and administrator roles. */
export function grantRoleChoices(actor: Actor): Role[] {
  return hasRole(actor, 'admin') ? [...roles] : ['volunteer', 'coordinator', 'clerk'];
}

/**
 * The account's roles, each with whether the actor may revoke it: the role's
 * region (or its site's village) is in the actor's scope, and office and
 * administrator roles only by an administrator.
 */
export function accountRolesView(db: Db, actor: Actor, account: AccountSummary): (AccountRole & { mayRevoke: boolean })[] {
  const isAdmin = hasRole(actor, 'admin');
  return account.roles.map((role) => {
    const path = role.regionCode ? findRegion(db, role.regionCode)?.path ?? null : role.siteId !== null ? siteRegionPath(db, role.siteId) : null;
    const staffRole = role.role === 'office' || role.role === 'admin';
    const inScope = path !== null && authorize(actor, canManageAccounts, { regionPath: path }) !== null;
    return { ...role, mayRevoke: inScope && (!staffRole || isAdmin) };
  });
}

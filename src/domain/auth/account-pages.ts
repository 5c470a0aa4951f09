import type { Db } from '../../db/client.ts';
import { hasRefusedNameCharacters } from '../../lib/display-name.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { authorize, hasRole, regionScopes, roles, type Actor, type Role } from '../access/authorize.ts';
import { findRegion } from '../regions/regions.ts';
import type { Secrets } from '../../lib/secrets.ts';
import { canManageAccounts, signInLockOfAccount, type AccountRole, type AccountSummary } from './accounts.ts';
import { isSignInLocked, type SignInLock } from './throttle.ts';
import { passwordMaximumLength, passwordMinimumLength } from './passwords.ts';
import { accountsRoleRefusal, siteRegionPath, type AccountsRoleRefusal, type NewAccount, type RoleScope } from './staff.ts';
import { present } from '../../lib/assert.ts';

/**
 * Read models and form rules of the accounts pages (src/routes/accounts):
 * what a grant form offers the actor, which roles of an account the actor
 * may revoke, and what makes an account form or a grant form complete.
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

/** The choices of the new-account form (roles, then regions and sites), for an actor who manages accounts; the 403 refusal otherwise. */
export function newAccountChoices(db: Db, actor: Actor, locale: string): { ok: true; roleChoices: Role[]; scopeChoices: ScopeChoice[] } | AccountsRoleRefusal {
  const denied = accountsRoleRefusal(actor);
  if (denied) return denied;
  return { ok: true, roleChoices: grantRoleChoices(actor), scopeChoices: grantScopeChoices(db, actor, locale) };
}

/** One account's page: its roles (which the actor may revoke), whether it is the actor's own, its sign-in lock now, and the grant form's choices. */
export function accountPage(db: Db, secrets: Secrets, actor: Actor, account: AccountSummary, at: { locale: string; nowMs: number }): {
  account: AccountSummary; roles: (AccountRole & { mayRevoke: boolean })[]; self: boolean; lock: SignInLock | null; roleChoices: Role[]; scopeChoices: ScopeChoice[];
} {
  const lock = signInLockOfAccount(db, secrets, account.id, at.nowMs);
  return {
    account, roles: accountRolesView(db, actor, account), self: account.id === actor.userId, lock: lock && isSignInLocked(lock) ? lock : null,
    roleChoices: grantRoleChoices(actor), scopeChoices: grantScopeChoices(db, actor, at.locale),
  };
}

/** Reads the role and scope fields; message keys per field when they do not make a grant. */
export function readGrantScope(role: string, scope: string): { ok: true; scope: RoleScope } | { ok: false; errors: Partial<Record<'role' | 'scope', string>> } {
  const match = /^(region|site):(\d{1,12})$/.exec(scope);
  const errors: Partial<Record<'role' | 'scope', string>> = {};
  if (!(roles as readonly string[]).includes(role)) errors.role = 'accounts.error.role_missing';
  if (!match) errors.scope = 'accounts.error.scope_missing';
  // Clerks work at one partner site; every other role covers a region.
  else if (!errors.role && (role === 'clerk') !== (match[1] === 'site')) errors.scope = role === 'clerk' ? 'accounts.error.clerk_needs_site' : 'accounts.error.role_needs_region';
  if (!match || errors.role || errors.scope) return { ok: false, errors };
  const code = present(match[2], 'the scope pattern captures a code');
  return { ok: true, scope: match[1] === 'site' ? { role: role as Role, siteId: Number(code) } : { role: role as Role, regionCode: code } };
}

/** The message key of what is wrong with a temporary password, or null. */
export function temporaryPasswordProblem(password: string): string | null {
  if (password === '') return 'accounts.error.password_missing';
  if ([...password].length < passwordMinimumLength) return 'accounts.error.password_too_short';
  if ([...password].length > passwordMaximumLength) return 'accounts.error.password_too_long';
  return null;
}

/** The new-account form checked field by field (message keys under the form's field names), or the account to create. */
export function readNewAccountForm(form: { phone: string; displayName: string; role: string; scope: string; temporaryPassword: string }): { ok: true; account: NewAccount } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const phone = normalizePhone(form.phone);
  if (form.phone.trim() === '') errors.phone = 'accounts.error.phone_missing';
  else if (!phone) errors.phone = 'accounts.error.phone_invalid';
  if (form.displayName === '') errors.display_name = 'accounts.error.name_missing';
  else if ([...form.displayName].length > 40) errors.display_name = 'accounts.error.name_too_long';
  else if (hasRefusedNameCharacters(form.displayName)) errors.display_name = 'accounts.error.name_invalid';
  const grant = readGrantScope(form.role, form.scope);
  if (!grant.ok) Object.assign(errors, grant.errors);
  const passwordProblem = temporaryPasswordProblem(form.temporaryPassword);
  if (passwordProblem) errors.temporary_password = passwordProblem;
  if (!grant.ok || !phone || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, account: { phone, displayName: form.displayName, temporaryPassword: form.temporaryPassword, roles: [grant.scope] } };
}

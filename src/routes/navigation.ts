import { authorize, permission, type Actor, type Permission } from '../domain/access/authorize.ts';
import { canLogOwnHours, canManageStandard, canRunActivities, canVerifyHours, canViewCoverage } from '../domain/hours/permissions.ts';
import { canViewAudit } from './audit/permissions.ts';
import { canManageAccounts } from '../domain/auth/accounts.ts';
import { canManageMembers, canSeeOwnMemberRecord } from './members/permissions.ts';
import { canViewRegions } from './regions/permissions.ts';
import { canViewReports, canViewVisitCoverage } from './reports/permissions.ts';
import { canViewClearing } from '../domain/redemption/clearing.ts';
import { canWorkCounter } from '../domain/redemption/counter.ts';
import { canGrantVouchers } from '../domain/redemption/vouchers.ts';
import { canUseGifts } from './gifts/routes.ts';
import { canUseRequests } from './requests/routes.ts';

export interface NavigationItem {
  href: string;
  labelKey: string;
  permission: Permission;
}

const anySignedIn = permission('home.view', ['volunteer', 'coordinator', 'clerk', 'office', 'admin']);

/**
 * The header navigation, in order. A feature adds its entry here; the entry
 * shows to users for whom authorize(actor, permission) allows it.
 */
export const navigationItems: NavigationItem[] = [
  { href: '/', labelKey: 'nav.home', permission: anySignedIn },
  { href: '/members', labelKey: 'nav.members', permission: canManageMembers },
  { href: '/members/me', labelKey: 'nav.me', permission: canSeeOwnMemberRecord },
  { href: '/elders', labelKey: 'nav.elders', permission: canManageMembers },
  { href: '/teams', labelKey: 'nav.teams', permission: canManageMembers },
  { href: '/hours', labelKey: 'nav.hours', permission: canLogOwnHours },
  { href: '/hours/queue', labelKey: 'nav.hoursQueue', permission: canVerifyHours },
  { href: '/coverage', labelKey: 'nav.coverage', permission: canViewCoverage },
  { href: '/activities', labelKey: 'nav.activities', permission: canRunActivities },
  { href: '/hours/standard', labelKey: 'nav.standard', permission: canManageStandard },
  { href: '/regions', labelKey: 'nav.regions', permission: canViewRegions },
  { href: '/counter', labelKey: 'nav.counter', permission: canWorkCounter },
  { href: '/sites', labelKey: 'nav.sites', permission: anySignedIn },
  { href: '/gifts', labelKey: 'nav.gifts', permission: canUseGifts },
  { href: '/requests', labelKey: 'nav.requests', permission: canUseRequests },
  { href: '/vouchers', labelKey: 'nav.vouchers', permission: canGrantVouchers },
  { href: '/clearing', labelKey: 'nav.clearing', permission: canViewClearing },
  { href: '/reports', labelKey: 'reports.nav', permission: canViewReports },
  { href: '/reports/visits', labelKey: 'reports.navVisits', permission: canViewVisitCoverage },
  { href: '/accounts', labelKey: 'nav.accounts', permission: canManageAccounts },
  { href: '/audit', labelKey: 'nav.audit', permission: canViewAudit },
  { href: '/account', labelKey: 'nav.account', permission: anySignedIn },
];

export function navigationFor(actor: Actor | null, currentPath: string) {
  return navigationItems
    .filter((item) => authorize(actor, item.permission) !== null)
    .map((item) => ({
      href: item.href,
      labelKey: item.labelKey,
      current: item.href === '/' ? currentPath === '/' : currentPath === item.href || currentPath.startsWith(`${item.href}/`),
    }));
}

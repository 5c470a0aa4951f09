import { authorize, permission, type Actor, type Permission } from '../domain/access/authorize.ts';
import { canViewAudit } from '../domain/audit/permissions.ts';
import { canManageAccounts } from '../domain/auth/accounts.ts';
import { canLogOwnHours, canManageStandard, canRunActivities, canVerifyHours, canViewCoverage } from '../domain/hours/permissions.ts';
import { canManageMembers, canSeeOwnMemberRecord } from '../domain/people/members/permissions.ts';
import { canViewClearing } from '../domain/redemption/clearing.ts';
import { canSetPolicy } from '../domain/redemption/policy.ts';
import { canWorkCounter } from '../domain/redemption/counter-core.ts';
import { canUseGifts } from '../domain/redemption/gifts.ts';
import { canUseRequests } from '../domain/redemption/requests.ts';
import { canGrantVouchers } from '../domain/redemption/vouchers.ts';
import { canManageStars } from '../domain/stars/permissions.ts';
import { canViewRegions } from '../domain/regions/permissions.ts';
import { canViewReports, canViewVisitCoverage } from '../domain/reports/permissions.ts';
import { canIssueCertificates } from '../domain/records/permissions.ts';

/** The menus the header folds staff entries into: 人员 / 服务 / 兑换 / 报表. */
export const navigationGroups = ['people', 'service', 'redemption', 'reports'] as const;
export type NavigationGroup = (typeof navigationGroups)[number];

export interface NavigationItem {
  href: string;
  labelKey: string;
  permission: Permission;
  /** The menu this entry folds into when a user has many entries; none: always on the top row. */
  group?: NavigationGroup;
}

/** Up to this many entries show as plain links; beyond it, grouped entries fold into menus. */
export const maximumFlatEntries = 7;

const anySignedIn = permission('home.view', ['volunteer', 'coordinator', 'clerk', 'office', 'admin']);

/**
 * The header navigation, in order. A feature adds its entry here; the entry
 * shows to users for whom authorize(actor, permission) allows it.
 */
export const navigationItems: NavigationItem[] = [
  { href: '/', labelKey: 'nav.home', permission: anySignedIn },
  { href: '/members', labelKey: 'nav.members', permission: canManageMembers, group: 'people' },
  { href: '/members/me', labelKey: 'nav.me', permission: canSeeOwnMemberRecord },
  { href: '/elders', labelKey: 'nav.elders', permission: canManageMembers, group: 'people' },
  { href: '/teams', labelKey: 'nav.teams', permission: canManageMembers, group: 'people' },
  { href: '/hours', labelKey: 'nav.hours', permission: canLogOwnHours },
  { href: '/hours/queue', labelKey: 'nav.hoursQueue', permission: canVerifyHours, group: 'service' },
  { href: '/coverage', labelKey: 'nav.coverage', permission: canViewCoverage, group: 'service' },
  { href: '/activities', labelKey: 'nav.activities', permission: canRunActivities, group: 'service' },
  { href: '/hours/standard', labelKey: 'nav.standard', permission: canManageStandard, group: 'service' },
  { href: '/stars', labelKey: 'nav.stars', permission: canManageStars, group: 'service' },
  { href: '/regions', labelKey: 'nav.regions', permission: canViewRegions, group: 'people' },
  { href: '/counter', labelKey: 'nav.counter', permission: canWorkCounter, group: 'redemption' },
  { href: '/sites', labelKey: 'nav.sites', permission: anySignedIn, group: 'redemption' },
  { href: '/gifts', labelKey: 'nav.gifts', permission: canUseGifts, group: 'redemption' },
  { href: '/requests', labelKey: 'nav.requests', permission: canUseRequests, group: 'service' },
  { href: '/vouchers', labelKey: 'nav.vouchers', permission: canGrantVouchers, group: 'redemption' },
  { href: '/clearing', labelKey: 'nav.clearing', permission: canViewClearing, group: 'redemption' },
  { href: '/policy', labelKey: 'nav.policy', permission: canSetPolicy, group: 'redemption' },
  { href: '/reports', labelKey: 'reports.nav', permission: canViewReports, group: 'reports' },
  { href: '/reports/visits', labelKey: 'reports.navVisits', permission: canViewVisitCoverage, group: 'reports' },
  { href: '/certificates', labelKey: 'nav.records', permission: canIssueCertificates, group: 'reports' },
  { href: '/accounts', labelKey: 'nav.accounts', permission: canManageAccounts, group: 'people' },
  { href: '/audit', labelKey: 'nav.audit', permission: canViewAudit, group: 'reports' },
  { href: '/account', labelKey: 'nav.account', permission: anySignedIn },
];

export interface NavigationLink {
  kind: 'link';
  href: string;
  labelKey: string;
  current: boolean;
}

export interface NavigationMenu {
  kind: 'menu';
  group: NavigationGroup;
  labelKey: string;
  /** The page shown is one of the menu's entries. */
  current: boolean;
  links: NavigationLink[];
}

/** Every entry the user may see, flat, in order (the home page's shortcuts). */
export function navigationFor(actor: Actor | null, currentPath: string): NavigationLink[] {
  return navigationItems
    .filter((item) => authorize(actor, item.permission) !== null)
    .map((item) => ({ kind: 'link', href: item.href, labelKey: item.labelKey, current: isCurrent(item.href, currentPath) }));
}

function isCurrent(href: string, currentPath: string): boolean {
  return href === '/' ? currentPath === '/' : currentPath === href || currentPath.startsWith(`${href}/`);
}

/**
 * The header entries a user sees. A user with at most seven entries (a
 * volunteer, a clerk) gets them all as links; staff with more get their
 * grouped entries folded into <details> menus (人员 / 服务 / 兑换 / 报表), each
 * in the place of its group's first entry; a group with one entry stays a link.
 * `alsoShown` counts entries the layout adds to the same row (the 消息 link
 * with its unread count), so the row never passes seven.
 */
export function headerNavigationFor(actor: Actor | null, currentPath: string, alsoShown = 0): (NavigationLink | NavigationMenu)[] {
  const allowed = navigationItems.filter((item) => authorize(actor, item.permission) !== null);
  // The most specific entry is the current one (/hours/queue, not /hours, on the queue).
  const currentHref = allowed.filter((item) => isCurrent(item.href, currentPath)).sort((a, b) => b.href.length - a.href.length)[0]?.href;
  const link = (item: NavigationItem): NavigationLink => ({ kind: 'link', href: item.href, labelKey: item.labelKey, current: item.href === currentHref });
  if (allowed.length + alsoShown <= maximumFlatEntries) return allowed.map(link);
  const sizes = new Map<NavigationGroup, number>();
  for (const item of allowed) if (item.group) sizes.set(item.group, (sizes.get(item.group) ?? 0) + 1);
  const entries: (NavigationLink | NavigationMenu)[] = [];
  const menus = new Map<NavigationGroup, NavigationMenu>();
  for (const item of allowed) {
    if (!item.group || sizes.get(item.group) === 1) {
      entries.push(link(item));
      continue;
    }
    let menu = menus.get(item.group);
    if (!menu) {
      menu = { kind: 'menu', group: item.group, labelKey: `nav.group.${item.group}`, current: false, links: [] };
      menus.set(item.group, menu);
      entries.push(menu);
    }
    const entry = link(item);
    menu.links.push(entry);
    menu.current ||= entry.current;
  }
  return entries;
}

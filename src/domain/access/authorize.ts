/**
 * The one authorization rule of the application: a user may do something when
 * they hold one of the roles the permission names, and the object is inside
 * that role's scope: its region subtree, or its partner site. Every route
 * calls this (through request.authorize) with the object it is about to read
 * or change, so an id edited in a URL is checked like any other.
 */

export const roles = ['volunteer', 'coordinator', 'clerk', 'office', 'admin'] as const;
export type Role = (typeof roles)[number];

/** A role held by a user, with its scope resolved to a region path ('/430000/433100/'). */
export interface RoleGrant {
  readonly role: Role;
  readonly regionCode: string | null;
  readonly regionPath: string | null;
  readonly siteId: number | null;
}

/**
 * The signed-in user as every domain function sees them, built once per
 * request by the session plugin: who they are, the member they are (member
 * sign-ins), their roles with resolved scopes, the language they read, and
 * the address their request came from (for the audit log).
 */
export interface Actor {
  readonly userId: number;
  /** Set when the user is a member themselves (volunteer sign-in). */
  readonly memberId?: number | null;
  readonly grants: readonly RoleGrant[];
  readonly locale?: string;
  readonly ipAddress?: string | null;
}

/** What an action is about: something in a region, or something at a partner site (which lies in a region). */
export type Target = { readonly regionPath: string } | { readonly siteId: number; readonly regionPath?: string | null };

export interface Permission {
  readonly name: string;
  readonly roles: readonly Role[];
}

/** Declare a permission next to the code that needs it: `export const canViewRegions = permission('regions.view', ['office'])`. */
export function permission(name: string, allowedRoles: readonly Role[]): Permission {
  if (allowedRoles.length === 0) throw new Error(`permission ${name} names no role`);
  return Object.freeze({ name, roles: Object.freeze([...allowedRoles]) });
}

function regionContains(scopePath: string, objectPath: string): boolean {
  return scopePath.endsWith('/') && objectPath.startsWith(scopePath);
}

function grantCovers(grant: RoleGrant, target: Target): boolean {
  if ('siteId' in target) {
    if (grant.siteId !== null && grant.siteId === target.siteId) return true;
    return grant.regionPath !== null && typeof target.regionPath === 'string' && regionContains(grant.regionPath, target.regionPath);
  }
  return grant.regionPath !== null && regionContains(grant.regionPath, target.regionPath);
}

/**
 * Returns the first grant that allows `permission` on `target` (or, with no
 * target, any grant holding an allowed role), or null when none does.
 */
export function authorize(actor: Actor | null, permission: Permission, target?: Target): RoleGrant | null {
  if (!actor) return null;
  for (const grant of actor.grants) {
    if (!permission.roles.includes(grant.role)) continue;
    if (target === undefined || grantCovers(grant, target)) return grant;
  }
  return null;
}

/** The grants through which `permission` applies: list queries filter by these paths and sites. */
export function grantsFor(actor: Actor | null, permission: Permission): RoleGrant[] {
  if (!actor) return [];
  return actor.grants.filter((grant) => permission.roles.includes(grant.role));
}

/**
 * The "own member" scope rule: a member who signs in may read and change
 * their own member record (their PIN, their data copy) whatever roles they
 * hold; staff reach other members through a permission and its region scope.
 */
export function ownsMember(actor: Pick<Actor, 'memberId'> | null, memberId: number): boolean {
  return actor !== null && actor.memberId !== undefined && actor.memberId !== null && actor.memberId === memberId;
}

/** Is `regionPath` inside the scope of one of the actor's grants for `permission`? No actor: never. */
export function allowsRegion(actor: Actor | null, permission: Permission, regionPath: string): boolean {
  return authorize(actor, permission, { regionPath }) !== null;
}

/** Region paths (deduplicated, no path inside another) within which `permission` applies. */
export function regionScopes(actor: Actor | null, permission: Permission): string[] {
  const paths = grantsFor(actor, permission)
    .map((grant) => grant.regionPath)
    .filter((path): path is string => path !== null)
    .sort((a, b) => a.length - b.length);
  const roots: string[] = [];
  for (const path of paths) if (!roots.some((root) => regionContains(root, path))) roots.push(path);
  return roots;
}

export function hasRole(actor: Actor | null, role: Role): boolean {
  return actor?.grants.some((grant) => grant.role === role) ?? false;
}

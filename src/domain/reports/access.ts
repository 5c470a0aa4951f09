import { authorize, regionScopes, type Actor, type Permission } from '../access/authorize.ts';
import { failure, success, type Outcome, type Refusal } from '../kernel/outcome.ts';
import { codeOfPath } from '../regions/path.ts';
import type { ReportReader } from './dashboard.ts';
import { canEditTargets } from './permissions.ts';
import type { RegionNode } from './regions-cache.ts';

/**
 * Who may see which report (issue 15: the reports routes authorize only
 * through here). The role comes first: someone who holds none of the roles a
 * report needs gets the 403 page's refusal, whatever region the address
 * names. Region codes are public (official codes, every village is listed on
 * /join), so a region outside the scope is refused plainly (403), not hidden.
 */

/** The message of the 403 page someone gets who holds none of the roles an action needs. */
const roleRefusalCode = 'errors.forbidden.message';

/** Null when the actor holds one of the roles `permission` names (whatever their scope); otherwise the 403. */
export function reportRoleRefusal(actor: Actor | null, permission: Permission): Refusal | null {
  return authorize(actor, permission) ? null : failure(403, { code: roleRefusalCode });
}

/** A report's region as the actor may see it: the role, then the region (404), then the scope (403). */
export function reportRegion(reader: ReportReader, actor: Actor, code: string, permission: Permission): Outcome<RegionNode> {
  const denied = reportRoleRefusal(actor, permission);
  if (denied) return denied;
  const region = reader.region(code);
  // A region outside the asker's scope answers exactly like a missing one.
  if (!region || !authorize(actor, permission, { regionPath: region.path })) return failure(404, { code: 'reports.error.notFound' });
  return success(region);
}

/** The region a role's way in leads to: the first region of its scope. */
export function reportRoot(actor: Actor, permission: Permission): Outcome<string> {
  const denied = reportRoleRefusal(actor, permission);
  if (denied) return denied;
  const scope = regionScopes(actor, permission)[0];
  const code = scope === undefined ? undefined : codeOfPath(scope);
  return code === undefined ? failure(403, { code: 'reports.error.outOfScope' }) : success(code);
}

/** The plan targets are the top office's: an administrator whose scope is a root region (the province). */
export function targetsEditorRefusal(reader: ReportReader, actor: Actor): Refusal | null {
  const root = reportRoot(actor, canEditTargets);
  if (!root.ok) return root;
  const rootRegion = reader.region(root.value);
  if (!rootRegion || rootRegion.parentCode !== null) return failure(403, { code: 'reports.error.outOfScope' });
  return null;
}

/** Whether the actor may edit the plan targets somewhere (the dashboard links to them). */
export function mayEditTargets(actor: Actor): boolean {
  return authorize(actor, canEditTargets) !== null;
}

/** A region's ancestors as a breadcrumb, each linked only where the actor may see that region's report. */
export function reportBreadcrumb(reader: ReportReader, actor: Actor, region: RegionNode, permission: Permission): { node: RegionNode; linked: boolean }[] {
  return reader.ancestors(region).map((node) => ({ node, linked: authorize(actor, permission, { regionPath: node.path }) !== null }));
}

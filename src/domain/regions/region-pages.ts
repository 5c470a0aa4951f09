import type { Db } from '../../db/client.ts';
import { authorize, regionScopes, type Actor } from '../access/authorize.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { codeOfPath } from './path.ts';
import { canAddRegions, canViewRegions } from './permissions.ts';
import { addRefusal, ancestorsOf, childLevel, childrenOf, findRegion, regionNotFoundCode, type Region, type RegionLevel } from './regions.ts';

/** The message of the 403 page someone gets who holds none of the roles an action needs. */
export const roleRefusalCode = 'errors.forbidden.message';

/** The roots of the actor's scope, the regions page's list; the 403 page without the role. */
export function regionRoots(db: Db, actor: Actor): Outcome<Region[]> {
  if (!authorize(actor, canViewRegions)) return failure(403, { code: roleRefusalCode });
  return success(regionScopes(actor, canViewRegions)
    .map((path) => findRegion(db, codeOfPath(path) ?? ''))
    .filter((region): region is Region => region !== undefined));
}

export interface RegionPage {
  region: Region;
  /** Ancestors outside the actor's scope are named but not linked. */
  ancestors: (Region & { linked: boolean })[];
  children: Region[];
  nextLevel: RegionLevel | null;
  canAdd: boolean;
}

/**
 * A region the actor may see. The role first: without it, the 403 page whatever
 * the code. With it, a region outside the scope answers exactly like a missing
 * code (404, the same page), as the report pages do: the page does not tell
 * which codes exist beyond the scope.
 */
export function regionPage(db: Db, actor: Actor, code: string): Outcome<RegionPage> {
  if (!authorize(actor, canViewRegions)) return failure(403, { code: roleRefusalCode });
  const region = findRegion(db, code);
  if (!region || !authorize(actor, canViewRegions, { regionPath: region.path })) return failure(404, { code: regionNotFoundCode });
  return success(pageOf(db, actor, region));
}

/** The page of a region the actor may see (also shown again with a refused form). */
export function pageOf(db: Db, actor: Actor, region: Region): RegionPage {
  const nextLevel = childLevel[region.level];
  return {
    region,
    ancestors: ancestorsOf(db, region).map((ancestor) => ({ ...ancestor, linked: authorize(actor, canViewRegions, { regionPath: ancestor.path }) !== null })),
    children: childrenOf(db, region.code),
    nextLevel,
    canAdd: (nextLevel === 'township' || nextLevel === 'village') && authorize(actor, canAddRegions, { regionPath: region.path }) !== null,
  };
}

/**
 * The region a new township or village would go under: the 403 page without
 * the role, 404 when there is none or it is outside the scope (the same
 * answer), 422 when its level has no children to add (a village, or above a county).
 */
export function parentToAddUnder(db: Db, actor: Actor, code: string): Outcome<Region> {
  if (!authorize(actor, canAddRegions)) return failure(403, { code: roleRefusalCode });
  const parent = findRegion(db, code);
  if (!parent) return failure(404, { code: regionNotFoundCode });
  const refused = addRefusal(actor, parent);
  if (refused) return refused;
  const nextLevel = childLevel[parent.level];
  if (nextLevel !== 'township' && nextLevel !== 'village') return failure(422, { code: 'regions.error.cannotAddHere' });
  return success(parent);
}

import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { partnerSites } from '../../db/schema/redemption.ts';
import type { RoleGrant } from '../../domain/access/authorize.ts';
import { findRegion, regionName } from '../../domain/regions/regions.ts';

export interface GrantView {
  role: RoleGrant['role'];
  /** The region's name, or null for a site-scoped role. */
  scope: string | null;
  siteId: number | null;
  siteName: string | null;
}

/** Roles as the user reads them: the region by name, the partner site by name. */
export function describeGrants(db: Db, grants: readonly RoleGrant[], locale: string): GrantView[] {
  return grants.map((grant) => {
    const region = grant.regionCode ? findRegion(db, grant.regionCode) : undefined;
    const site = grant.siteId !== null ? db.select({ name: partnerSites.name }).from(partnerSites).where(eq(partnerSites.id, grant.siteId)).get() : undefined;
    return { role: grant.role, scope: region ? regionName(region, locale) : null, siteId: grant.siteId, siteName: site?.name ?? null };
  });
}

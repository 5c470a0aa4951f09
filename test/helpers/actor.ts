import type { Db } from '../../src/db/client.ts';
import type { Actor, Role } from '../../src/domain/access/authorize.ts';

/**
 * An actor for a domain test, from roles written the short way (role and
 * region code, or site id): the region paths are read from the test database,
 * as the session plugin resolves them for a signed-in user.
 */
export function actorWithRoles(
  db: Db,
  spec: { userId: number; memberId?: number | null; roles: readonly { role: Role; regionCode?: string | null; siteId?: number | null }[]; ipAddress?: string | null },
): Actor {
  const pathOf = db.$client.prepare('SELECT path FROM regions WHERE code = ?').pluck();
  return {
    userId: spec.userId,
    memberId: spec.memberId ?? null,
    ipAddress: spec.ipAddress ?? null,
    grants: spec.roles.map((role) => ({
      role: role.role,
      regionCode: role.regionCode ?? null,
      regionPath: role.regionCode ? ((pathOf.get(role.regionCode) as string | undefined) ?? null) : null,
      siteId: role.siteId ?? null,
    })),
  };
}

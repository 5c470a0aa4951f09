import { eq } from 'drizzle-orm';
import { connectionOf, type Db } from '../../db/client.ts';
import { userRoles, users } from '../../db/schema/core.ts';
import type { Actor, Role, RoleGrant } from '../access/authorize.ts';

export type User = typeof users.$inferSelect;

export function findUserByPhone(db: Db, phone: string): User | undefined {
  return db.select().from(users).where(eq(users.phone, phone)).get();
}

/** Every column of users, named as drizzle names them (test/domain/auth/users.test.ts compares the two). */
const userColumns = `id, phone, display_name AS displayName, password_hash AS passwordHash, must_change_password AS mustChangePassword,
  status, member_id AS memberId, home_region_code AS homeRegionCode, created_at_ms AS createdAtMs,
  password_changed_at_ms AS passwordChangedAtMs, password_set_by_user_id AS passwordSetByUserId`;

/**
 * The user of a session, read on every request: raw SQL on the connection's
 * statement cache, not a drizzle query built anew each time.
 */
export function findUser(db: Db, userId: number): User | undefined {
  const row = connectionOf(db).prepare(`SELECT ${userColumns} FROM users WHERE id = ?`).get(userId) as
    (Omit<User, 'mustChangePassword'> & { mustChangePassword: number }) | undefined;
  return row === undefined ? undefined : { ...row, mustChangePassword: row.mustChangePassword === 1 };
}

/** The user's role grants with their regions' paths, oldest first; read on every request like findUser. */
export function grantsOf(db: Db, userId: number): RoleGrant[] {
  return connectionOf(db)
    .prepare(`SELECT user_roles.role, user_roles.region_code AS regionCode, regions.path AS regionPath, user_roles.site_id AS siteId
      FROM user_roles LEFT JOIN regions ON regions.code = user_roles.region_code
      WHERE user_roles.user_id = ? ORDER BY user_roles.id`)
    .all(userId) as RoleGrant[];
}

/**
 * The actor of a user: their member id (member sign-ins), their roles with
 * scopes, and the request's language and address when known. The session
 * plugin builds it once per request; every domain function takes it.
 */
export function actorOf(db: Db, userId: number, request: { user?: User; locale?: string; ipAddress?: string | null } = {}): Actor {
  const user = request.user ?? findUser(db, userId);
  return { userId, memberId: user?.memberId ?? null, grants: grantsOf(db, userId), locale: request.locale, ipAddress: request.ipAddress ?? null };
}

/** The region to file a user's audit entries under: their first region-scoped role. */
export function homeRegionCode(grants: readonly RoleGrant[]): string | null {
  return grants.find((grant) => grant.regionCode !== null)?.regionCode ?? null;
}

export interface NewUser {
  phone: string;
  displayName: string;
  passwordHash: string;
  mustChangePassword: boolean;
  memberId?: number | null;
  /** Where the account belongs whatever its roles; by default the first role's region (or its site's village). */
  homeRegionCode?: string | null;
  roles: { role: Role; regionCode?: string | null; siteId?: number | null }[];
  grantedByUserId?: number | null;
  /** The staff user who chose the password of a member's sign-in (users.password_set_by_user_id). */
  passwordSetByUserId?: number | null;
}

/** The region of the first role: its region, or the village of its partner site. */
function homeRegionOfRoles(db: Db, grants: NewUser['roles']): string | null {
  const first = grants[0];
  if (!first) return null;
  if (first.regionCode) return first.regionCode;
  if (first.siteId === null || first.siteId === undefined) return null;
  const site = db.$client.prepare('SELECT village_code AS villageCode FROM partner_sites WHERE id = ?').get(first.siteId) as { villageCode: string } | undefined;
  return site?.villageCode ?? null;
}

/** Creates a user and their roles. Call inside the caller's transaction when other writes go with it. */
export function insertUser(db: Db, input: NewUser, nowMs: number): number {
  const inserted = db
    .insert(users)
    .values({
      phone: input.phone,
      displayName: input.displayName,
      passwordHash: input.passwordHash,
      mustChangePassword: input.mustChangePassword,
      memberId: input.memberId ?? null,
      homeRegionCode: input.homeRegionCode ?? homeRegionOfRoles(db, input.roles),
      createdAtMs: nowMs,
      passwordChangedAtMs: nowMs,
      passwordSetByUserId: input.passwordSetByUserId ?? null,
    })
    .returning({ id: users.id })
    .get();
  for (const grant of input.roles) {
    db.insert(userRoles)
      .values({
        userId: inserted.id,
        role: grant.role,
        regionCode: grant.regionCode ?? null,
        siteId: grant.siteId ?? null,
        grantedByUserId: input.grantedByUserId ?? null,
        grantedAtMs: nowMs,
      })
      .run();
  }
  return inserted.id;
}

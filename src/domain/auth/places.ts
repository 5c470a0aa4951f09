import type { Db } from '../../db/client.ts';

/**
 * Where an account belongs: the regions of its roles, the villages of its
 * sites, its member's village and its home region. An office manages an
 * account when any of these lies in its scope (issue 12 item 12).
 */
export const placesSql = `
  SELECT ur.user_id AS user_id, r.path AS path FROM user_roles ur JOIN regions r ON r.code = ur.region_code
  UNION ALL
  SELECT ur.user_id, r.path FROM user_roles ur JOIN partner_sites s ON s.id = ur.site_id JOIN regions r ON r.code = s.village_code
  UNION ALL
  SELECT u.id, r.path FROM users u JOIN members m ON m.id = u.member_id JOIN regions r ON r.code = m.village_code
  UNION ALL
  SELECT u.id, r.path FROM users u JOIN regions r ON r.code = u.home_region_code`;

/** The region paths through which a user belongs to an area. */
export function accountPlaces(db: Db, userId: number): string[] {
  return (db.$client.prepare(`SELECT DISTINCT path FROM (${placesSql}) WHERE user_id = ?`).all(userId) as { path: string }[]).map((row) => row.path);
}

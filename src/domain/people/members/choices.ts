import { asc, eq } from 'drizzle-orm';
import { regions } from '../../../db/schema/core.ts';
import { regionScopes, type Actor, type Permission } from '../../access/authorize.ts';
import { roleRefusal, success, type Outcome, type PeopleContext } from './context.ts';
import { canManageMembers } from './permissions.ts';

/** A village a form offers, with its township, in the reader's language. */
export interface VillageChoice {
  code: string;
  name: string;
  township: string;
}

/** Villages under the given scope paths (all villages when `paths` is null), ordered by path. */
function villagesUnder(context: PeopleContext, paths: readonly string[] | null, locale: string): VillageChoice[] {
  if (paths !== null && paths.length === 0) return [];
  const rows = context.db
    .select({ code: regions.code, nameZh: regions.nameZh, nameEn: regions.nameEn, parentCode: regions.parentCode, path: regions.path })
    .from(regions)
    .where(eq(regions.level, 'village'))
    .orderBy(asc(regions.path))
    .all()
    .filter((row) => paths === null || paths.some((path) => row.path.startsWith(path)));
  const townships = context.db.select({ code: regions.code, nameZh: regions.nameZh, nameEn: regions.nameEn }).from(regions).where(eq(regions.level, 'township')).all();
  const parents = new Map(townships.map((row) => [row.code, row]));
  const label = (row: { nameZh: string; nameEn: string | null }) => (locale === 'en' && row.nameEn ? row.nameEn : row.nameZh);
  return rows.map((row) => {
    const parent = row.parentCode ? parents.get(row.parentCode) : undefined;
    return { code: row.code, name: label(row), township: parent ? label(parent) : '' };
  });
}

/** The villages the actor may register people in (through `permission`), for a form's village list. */
export function villageChoices(context: PeopleContext, actor: Actor, locale: string, permission: Permission = canManageMembers): VillageChoice[] {
  return villagesUnder(context, regionScopes(actor, permission), locale);
}

/** The villages of a staff registration form (members, elders), for actors who hold the role; the 403 otherwise. */
export function registrationChoices(context: PeopleContext, actor: Actor, locale: string): Outcome<VillageChoice[]> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  return success(villageChoices(context, actor, locale));
}

/** Every village: the public self-registration form offers them all. */
export function allVillageChoices(context: PeopleContext, locale: string): VillageChoice[] {
  return villagesUnder(context, null, locale);
}

export interface JoinableTeam {
  id: number;
  name: string;
  sponsorUnit: string;
  /** 'active' or 'pending' when the member is already in it or has asked; null otherwise. */
  membership: string | null;
}

/** Teams whose region contains the member's village: the ones a member can ask to join. */
export function teamsToJoin(context: PeopleContext, memberId: number): JoinableTeam[] {
  return context.db.$client
    .prepare(`SELECT t.id, t.name, t.sponsor_unit AS sponsorUnit,
        (SELECT tm.status FROM team_memberships tm WHERE tm.team_id = t.id AND tm.member_id = m.id AND tm.status IN ('active','pending')) AS membership
      FROM members m JOIN regions v ON v.code = m.village_code
      JOIN teams t JOIN regions tr ON tr.code = t.region_code
      WHERE m.id = ? AND substr(v.path, 1, length(tr.path)) = tr.path
      ORDER BY t.name`)
    .all(memberId) as JoinableTeam[];
}

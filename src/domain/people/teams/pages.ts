import { regions } from '../../../db/schema/core.ts';
import { authorize, regionScopes, type Actor, type Permission } from '../../access/authorize.ts';
import { failure, nowMs, roleRefusal, success, type Outcome, type PeopleContext } from '../members/context.ts';
import { canCreateTeams, canManageMembers } from '../members/permissions.ts';
import { activitiesBySponsor, getTeam, listTeams, type SponsorKind, type TeamDetail, type TeamSummary } from './teams.ts';

/** A region a team may be founded in, named in the reader's language. */
export interface TeamRegionChoice {
  code: string;
  name: string;
  level: string;
}

/** Regions above village level where the actor may found a team (offices over their region subtree), ordered by path. */
export function teamRegionChoices(context: PeopleContext, actor: Actor, locale: string): TeamRegionChoice[] {
  const paths = regionScopes(actor, canCreateTeams);
  return context.db.select({ code: regions.code, nameZh: regions.nameZh, nameEn: regions.nameEn, level: regions.level, path: regions.path }).from(regions).all()
    .filter((region) => region.level !== 'village' && paths.some((path) => region.path.startsWith(path)))
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((region) => ({ code: region.code, name: locale === 'en' && region.nameEn ? region.nameEn : region.nameZh, level: region.level }));
}

/** The teams page: the teams in scope, activities per sponsoring unit this year, and the founding form when the actor may found teams. */
export interface TeamsIndex {
  teams: TeamSummary[];
  bySponsor: { sponsorUnit: string; sponsorKind: SponsorKind; teams: number; activities: number }[];
  year: number;
  canCreate: boolean;
  regions: TeamRegionChoice[];
}

/** `needed`: the page shown again after a form of it was refused also needs that form's role (founding a team: canCreateTeams). */
export function teamsIndex(context: PeopleContext, actor: Actor, filter: { sponsorUnit?: string }, locale: string, needed: Permission = canManageMembers): Outcome<TeamsIndex> {
  const denied = roleRefusal(actor, needed);
  if (denied) return denied;
  const teams = listTeams(context, actor, filter);
  if (!teams.ok) return failure(teams.status, ...teams.problems);
  // The calendar year in Shanghai (UTC+8, no daylight saving).
  const year = Number(new Date(nowMs(context) + 8 * 3600_000).toISOString().slice(0, 4));
  const bySponsor = activitiesBySponsor(context, actor, year);
  const canCreate = authorize(actor, canCreateTeams) !== null;
  return success({ teams: teams.value, bySponsor: bySponsor.ok ? bySponsor.value : [], year, canCreate, regions: canCreate ? teamRegionChoices(context, actor, locale) : [] });
}

/** One team's page: the team as the actor may see it, and whether the actor may choose its leader (`needed`: as teamsIndex). */
export function teamPage(context: PeopleContext, actor: Actor, teamId: number, needed: Permission = canManageMembers): Outcome<{ team: TeamDetail; canLead: boolean }> {
  const denied = roleRefusal(actor, needed);
  if (denied) return denied;
  const team = getTeam(context, actor, teamId);
  if (!team.ok) return team;
  return success({ team: team.value, canLead: authorize(actor, canCreateTeams) !== null });
}

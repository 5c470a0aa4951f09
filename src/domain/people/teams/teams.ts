import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { hasRefusedNameCharacters } from '../../../lib/display-name.ts';
import { regions } from '../../../db/schema/core.ts';
import { members, teamActivities, teamMemberships, teams } from '../../../db/schema/people.ts';
import { maskPhone } from '../../../lib/mask.ts';
import { allowsRegion, regionScopes, type Permission } from '../../access/authorize.ts';
import { canCreateTeams, canManageMembers } from '../members/permissions.ts';
import {
  checkReason, failure, findRegion, nowMs, roleRefusal, success, villageInScope,
  type Actor, type Outcome, type PeopleContext, type Problem, type RegionRow,
} from '../members/context.ts';
import { underAnyPath } from '../../../db/conditions.ts';
import { audit } from '../../audit/audit.ts';
import { keyConflict, keyOf } from '../members/once.ts';
import { memberIdByCardNumber } from '../members/cards.ts';
import { writeOnceValue } from '../../kernel/idempotency.ts';
import { assert, present } from '../../../lib/assert.ts';
import { writeTransaction } from '../../kernel/transaction.ts';

export type SponsorKind = 'member_unit' | 'county_committee';

export interface TeamInput {
  name: string;
  sponsorUnit: string;
  sponsorKind: SponsorKind;
  regionCode: string;
}

type TeamRow = typeof teams.$inferSelect;

function txContext(context: PeopleContext, tx: unknown): PeopleContext {
  return { ...context, db: tx as PeopleContext['db'] };
}

/** The team and its region if the actor holds `permission` over the team's region. */
function teamInScope(context: PeopleContext, actor: Actor, teamId: number, permission: Permission = canManageMembers): { ok: true; team: TeamRow; region: RegionRow } | { ok: false; status: 403 | 404; problems: Problem[] } {
  const team = context.db.select().from(teams).where(eq(teams.id, teamId)).get();
  if (!team) return { ok: false, status: 404, problems: [{ code: 'people.error.team_not_found' }] };
  const region = present(findRegion(context, team.regionCode), "a team's region exists (foreign key)");
  // A team outside the scope is answered exactly like a missing one (it is none of the actor's business that it exists).
  if (!allowsRegion(actor, permission, region.path)) return { ok: false, status: 404, problems: [{ code: 'people.error.team_not_found' }] };
  return { ok: true, team, region };
}

/** The team's region contains the village. */
function teamCoversVillage(context: PeopleContext, teamRegionPath: string, villageCode: string): boolean {
  const village = findRegion(context, villageCode);
  return village !== undefined && village.path.startsWith(teamRegionPath);
}

/**
 * An office creates a silver-age team (银龄行动队伍) in its region: sponsored by
 * a member unit of an ageing committee, or by a county ageing committee (then
 * the region is that county).
 */
export function createTeam(context: PeopleContext, actor: Actor, input: TeamInput, idempotencyKey: string | null = null): Outcome<{ teamId: number; replayed?: boolean }> {
  const denied = roleRefusal(actor, canCreateTeams);
  if (denied) return denied;
  const problems: Problem[] = [];
  const name = (input.name ?? '').trim();
  const sponsorUnit = (input.sponsorUnit ?? '').trim();
  if (name === '' || name.length > 50) problems.push({ code: 'people.error.team_name_required', field: 'name' });
  else if (hasRefusedNameCharacters(name)) problems.push({ code: 'people.error.team_name_invalid', field: 'name' });
  if (sponsorUnit === '' || sponsorUnit.length > 50) problems.push({ code: 'people.error.sponsor_unit_required', field: 'sponsorUnit' });
  if (input.sponsorKind !== 'member_unit' && input.sponsorKind !== 'county_committee') problems.push({ code: 'people.error.sponsor_kind_invalid', field: 'sponsorKind' });
  const found = findRegion(context, (input.regionCode ?? '').trim());
  // A region outside the actor's area answers exactly like one that does not exist (the role was checked above).
  const region = found && allowsRegion(actor, canCreateTeams, found.path) ? found : undefined;
  if (!region) problems.push({ code: 'people.error.region_unknown', field: 'regionCode', params: { code: (input.regionCode ?? '').slice(0, 20) } });
  else if (input.sponsorKind === 'county_committee' && region.level !== 'county') problems.push({ code: 'people.error.county_committee_region', field: 'regionCode' });
  if (problems.length > 0 || !region) return failure(422, ...problems);
  const at = nowMs(context);
  const once = keyOf(idempotencyKey, 'teams.create', { name, sponsorUnit, sponsorKind: input.sponsorKind, regionCode: region.code });
  return writeOnceValue(context.db, once, actor.userId, at, { conflict: keyConflict }, () => {
    const taken = context.db.select({ id: teams.id }).from(teams).where(and(eq(teams.regionCode, region.code), eq(teams.name, name))).get();
    if (taken) return failure(409, { code: 'people.error.team_name_taken', field: 'name' });
    const team = context.db.insert(teams).values({ name, sponsorUnit, sponsorKind: input.sponsorKind, regionCode: region.code, createdByUserId: actor.userId, idempotencyKey, createdAtMs: at, updatedAtMs: at }).returning({ id: teams.id }).get();
    audit(context, actor, 'team.create', 'team', team.id, region.code);
    return success({ teamId: team.id });
  });
}

/**
 * A coordinator (of the member's village) or an office (of the team's region)
 * adds a member directly: active at once. Suspended or pending members cannot join.
 */
export function addTeamMember(context: PeopleContext, actor: Actor, teamId: number, memberId: number, idempotencyKey: string | null = null): Outcome<{ membershipId: number; replayed?: boolean }> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const at = nowMs(context);
  const once = keyOf(idempotencyKey, 'teams.member_add', { teamId, memberId });
  return writeOnceValue(context.db, once, actor.userId, at, { conflict: keyConflict }, () => {
    const team = context.db.select().from(teams).where(eq(teams.id, teamId)).get();
    if (!team) return failure(404, { code: 'people.error.team_not_found' });
    const member = context.db.select({ id: members.id, status: members.status, villageCode: members.villageCode }).from(members).where(eq(members.id, memberId)).get();
    if (!member) return failure(404, { code: 'people.error.member_not_found' });
    const teamRegion = present(findRegion(context, team.regionCode), "a team's region exists (foreign key)");
    const officeOfTeam = allowsRegion(actor, canCreateTeams, teamRegion.path);
    // The team must be one the actor works with: an office over its region, or staff whose area overlaps it.
    const teamVisible = officeOfTeam || regionScopes(actor, canManageMembers).some((path) => path.startsWith(teamRegion.path) || teamRegion.path.startsWith(path));
    if (!teamVisible) return failure(404, { code: 'people.error.team_not_found' });
    // A member outside the actor's own area is answered like a card that does not exist: who holds
    // a card elsewhere (and their name, shown once added) is none of this actor's business.
    if (!villageInScope(context, actor, member.villageCode).ok) return failure(422, { code: 'people.error.card_not_found', field: 'cardNumber' });
    // A coordinator adds a member of their area only to a team covering the member's village; an office of the team's region, any member of its area.
    const allowed = officeOfTeam || teamCoversVillage(context, teamRegion.path, member.villageCode);
    if (!allowed) return failure(403, { code: 'people.error.forbidden' });
    if (member.status !== 'active') return failure(409, { code: 'people.error.not_active', params: { status: member.status } });
    const existing = context.db.select().from(teamMemberships).where(and(eq(teamMemberships.teamId, teamId), eq(teamMemberships.memberId, memberId))).get();
    if (existing && existing.status === 'active') return failure(409, { code: 'people.error.already_in_team' });
    let membershipId: number;
    if (existing) {
      context.db.update(teamMemberships).set({ status: 'active', decidedByUserId: actor.userId, decidedAtMs: at, decisionReason: null }).where(eq(teamMemberships.id, existing.id)).run();
      membershipId = existing.id;
    } else {
      membershipId = context.db.insert(teamMemberships).values({ teamId, memberId, status: 'active', requestedByUserId: actor.userId, requestedAtMs: at, decidedByUserId: actor.userId, decidedAtMs: at }).returning({ id: teamMemberships.id }).get().id;
    }
    audit(context, actor, 'team.member_add', 'team', teamId, team.regionCode, { memberId });
    return success({ membershipId });
  });
}

/**
 * The team page's form: the member is named by the card number typed (none,
 * or a number nobody holds, is a problem on that field), then addTeamMember.
 */
export function addTeamMemberByCard(context: PeopleContext, actor: Actor, teamId: number, cardNumber: string, idempotencyKey: string | null = null): Outcome<{ membershipId: number; replayed?: boolean }> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  if (cardNumber === '') return failure(422, { code: 'teams.error.cardRequired', field: 'cardNumber' });
  const memberId = memberIdByCardNumber(context, cardNumber);
  if (memberId === null) return failure(422, { code: 'people.error.card_not_found', field: 'cardNumber' });
  return addTeamMember(context, actor, teamId, memberId, idempotencyKey);
}

/**
 * A member (signed in as themself) asks to join a team of their own area; it
 * waits for approval. A sign-in that is no member, and a team elsewhere, are
 * answered like a team that does not exist.
 */
export function requestTeamMembership(context: PeopleContext, actor: Actor, teamId: number, idempotencyKey: string | null = null): Outcome<{ membershipId: number; replayed?: boolean }> {
  if (!actor.memberId) return failure(404, { code: 'people.error.team_not_found' });
  const memberId = actor.memberId;
  const at = nowMs(context);
  const once = keyOf(idempotencyKey, 'teams.member_request', { teamId, memberId });
  return writeOnceValue(context.db, once, actor.userId, at, { conflict: keyConflict }, () => {
    const team = context.db.select({ id: teams.id, regionCode: teams.regionCode }).from(teams).where(eq(teams.id, teamId)).get();
    if (!team) return failure(404, { code: 'people.error.team_not_found' });
    const member = context.db.select({ status: members.status, villageCode: members.villageCode }).from(members).where(eq(members.id, memberId)).get();
    // Members ask to join teams of their own area only (a team elsewhere is as if it did not exist).
    if (!member || !teamCoversVillage(context, present(findRegion(context, team.regionCode), "a team's region exists (foreign key)").path, member.villageCode)) {
      return failure(404, { code: 'people.error.team_not_found' });
    }
    if (member.status !== 'active') return failure(409, { code: 'people.error.not_active', params: { status: member.status } });
    const existing = context.db.select().from(teamMemberships).where(and(eq(teamMemberships.teamId, teamId), eq(teamMemberships.memberId, memberId))).get();
    if (existing && (existing.status === 'active' || existing.status === 'pending')) return failure(409, { code: 'people.error.already_in_team' });
    let membershipId: number;
    if (existing) {
      context.db.update(teamMemberships).set({ status: 'pending', requestedByUserId: actor.userId, requestedAtMs: at, decidedByUserId: null, decidedAtMs: null, decisionReason: null }).where(eq(teamMemberships.id, existing.id)).run();
      membershipId = existing.id;
    } else {
      membershipId = context.db.insert(teamMemberships).values({ teamId, memberId, status: 'pending', requestedByUserId: actor.userId, requestedAtMs: at }).returning({ id: teamMemberships.id }).get().id;
    }
    audit(context, actor, 'team.member_request', 'team', teamId, team.regionCode, { memberId });
    return success({ membershipId });
  });
}

/** Staff in scope of the team's region (or of the member's village) approve or decline a request; declining needs a reason. */
export function decideTeamMembership(
  context: PeopleContext,
  actor: Actor,
  membershipId: number,
  decision: { approve: true } | { approve: false; reason: string },
): Outcome<{ membershipId: number; status: 'active' | 'declined' }> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  if (!decision.approve) {
    const problem = checkReason(decision.reason);
    if (problem) return failure(422, problem);
  }
  const at = nowMs(context);
  return writeTransaction(context.db, (tx) => {
      const ctx = txContext(context, tx);
      const membership = tx.select().from(teamMemberships).where(eq(teamMemberships.id, membershipId)).get();
      if (!membership) return failure(404, { code: 'people.error.membership_not_found' });
      const team = teamInScope(ctx, actor, membership.teamId);
      if (!team.ok) {
        // The coordinator of the member's village decides too, for a team of that area.
        const member = tx.select({ villageCode: members.villageCode }).from(members).where(eq(members.id, membership.memberId)).get();
        assert(member !== undefined, "a membership's member exists (foreign key)");
        const teamRow = present(tx.select({ regionCode: teams.regionCode }).from(teams).where(eq(teams.id, membership.teamId)).get(), "a membership's team exists (foreign key)");
        const covers = teamCoversVillage(ctx, present(findRegion(ctx, teamRow.regionCode), "a team's region exists (foreign key)").path, member.villageCode);
        if (!covers || !villageInScope(ctx, actor, member.villageCode).ok) return failure(404, { code: 'people.error.membership_not_found' });
      }
      if (membership.status !== 'pending') return failure(409, { code: 'people.error.membership_not_pending' });
      const status = decision.approve ? 'active' : 'declined';
      const reason = decision.approve ? null : decision.reason.trim();
      tx.update(teamMemberships).set({ status, decidedByUserId: actor.userId, decidedAtMs: at, decisionReason: reason }).where(eq(teamMemberships.id, membershipId)).run();
      // Filed under the team's region, so the offices of that area see the decision in their audit log.
      const teamRegionCode = present(tx.select({ regionCode: teams.regionCode }).from(teams).where(eq(teams.id, membership.teamId)).get(), "a membership's team exists (foreign key)").regionCode;
      audit(ctx, actor, decision.approve ? 'team.member_approve' : 'team.member_decline', 'team', membership.teamId, teamRegionCode, { memberId: membership.memberId, reason });
      return success({ membershipId, status });
    });
}

/** Offices choose the leader, who must be an active member of the team (no member chosen: the same refusal). */
export function setTeamLeader(context: PeopleContext, actor: Actor, teamId: number, memberId: number | null): Outcome<{ teamId: number }> {
  const denied = roleRefusal(actor, canCreateTeams);
  if (denied) return denied;
  return writeTransaction(context.db, (tx) => {
      const ctx = txContext(context, tx);
      const team = teamInScope(ctx, actor, teamId, canCreateTeams);
      if (!team.ok) return failure(team.status, ...team.problems);
      const membership = memberId === null ? undefined : tx.select({ status: teamMemberships.status }).from(teamMemberships).where(and(eq(teamMemberships.teamId, teamId), eq(teamMemberships.memberId, memberId))).get();
      if (memberId === null || membership?.status !== 'active') return failure(422, { code: 'people.error.leader_not_member', field: 'leaderMemberId' });
      tx.update(teams).set({ leaderMemberId: memberId, updatedAtMs: nowMs(context) }).where(eq(teams.id, teamId)).run();
      audit(ctx, actor, 'team.leader_set', 'team', teamId, team.team.regionCode, { memberId });
      return success({ teamId });
    });
}

export interface ActivityInput {
  activityDate: string;
  place: string;
  theme: string;
}

/** A themed activity (主题活动) of a team, by staff in scope of the team's region. */
export function createActivity(context: PeopleContext, actor: Actor, teamId: number, input: ActivityInput, idempotencyKey: string | null = null): Outcome<{ activityId: number; replayed?: boolean }> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const problems: Problem[] = [];
  const date = (input.activityDate ?? '').trim();
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(date) && new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) === date;
  if (!valid) problems.push({ code: 'people.error.activity_date_invalid', field: 'activityDate' });
  const place = (input.place ?? '').trim();
  const theme = (input.theme ?? '').trim();
  if (place === '' || place.length > 100) problems.push({ code: 'people.error.activity_place_required', field: 'place' });
  if (theme === '' || theme.length > 100) problems.push({ code: 'people.error.activity_theme_required', field: 'theme' });
  else if (hasRefusedNameCharacters(theme)) problems.push({ code: 'people.error.activity_theme_invalid', field: 'theme' });
  const team = teamInScope(context, actor, teamId);
  if (!team.ok) return failure(team.status, ...team.problems);
  if (problems.length > 0) return failure(422, ...problems);
  const once = keyOf(idempotencyKey, 'teams.activity', { teamId, date, place, theme });
  return writeOnceValue(context.db, once, actor.userId, nowMs(context), { conflict: keyConflict }, () => {
    const activity = context.db.insert(teamActivities).values({ teamId, activityDate: date, place, theme, createdByUserId: actor.userId, idempotencyKey, createdAtMs: nowMs(context) }).returning({ id: teamActivities.id }).get();
    audit(context, actor, 'team.activity_create', 'team', teamId, team.team.regionCode, { activityId: activity.id });
    return success({ activityId: activity.id });
  });
}

export interface TeamSummary {
  id: number;
  name: string;
  sponsorUnit: string;
  sponsorKind: SponsorKind;
  regionCode: string;
  regionName: string;
  leaderName: string | null;
  activeMembers: number;
  pendingMembers: number;
  activities: number;
  lastActivityDate: string | null;
}

/** Teams whose region lies in the actor's scope, optionally of one sponsoring unit. */
export function listTeams(context: PeopleContext, actor: Actor, filter: { sponsorUnit?: string } = {}): Outcome<TeamSummary[]> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const scope = regionScopes(actor, canManageMembers);
  if (scope.length === 0) return failure(403, { code: 'people.error.no_scope' });
  const conditions: SQL[] = [underAnyPath(regions.path, scope)];
  if (filter.sponsorUnit) conditions.push(eq(teams.sponsorUnit, filter.sponsorUnit));
  const rows = context.db
    .select({
      id: teams.id, name: teams.name, sponsorUnit: teams.sponsorUnit, sponsorKind: teams.sponsorKind, regionCode: teams.regionCode, regionName: regions.nameZh,
      leaderName: sql<string | null>`(SELECT ${members.realName} FROM ${members} WHERE ${members.id} = ${teams.leaderMemberId})`,
      activeMembers: sql<number>`(SELECT count(*) FROM ${teamMemberships} WHERE ${teamMemberships.teamId} = ${teams.id} AND ${teamMemberships.status} = 'active')`,
      pendingMembers: sql<number>`(SELECT count(*) FROM ${teamMemberships} WHERE ${teamMemberships.teamId} = ${teams.id} AND ${teamMemberships.status} = 'pending')`,
      activities: sql<number>`(SELECT count(*) FROM ${teamActivities} WHERE ${teamActivities.teamId} = ${teams.id})`,
      lastActivityDate: sql<string | null>`(SELECT max(${teamActivities.activityDate}) FROM ${teamActivities} WHERE ${teamActivities.teamId} = ${teams.id})`,
    })
    .from(teams)
    .innerJoin(regions, eq(regions.code, teams.regionCode))
    .where(and(...conditions))
    .orderBy(asc(teams.sponsorUnit), asc(teams.name))
    .all();
  return success(rows);
}

export interface TeamDetail extends TeamSummary {
  members: { membershipId: number; memberId: number; realName: string; maskedPhone: string; status: string; requestedAtMs: number }[];
  activityList: { id: number; activityDate: string; place: string; theme: string }[];
}

export function getTeam(context: PeopleContext, actor: Actor, teamId: number): Outcome<TeamDetail> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const team = teamInScope(context, actor, teamId);
  if (!team.ok) return failure(team.status, ...team.problems);
  const summary = listTeams(context, actor);
  const own = summary.ok ? summary.value.find((entry) => entry.id === teamId) : undefined;
  if (!own) return failure(404, { code: 'people.error.team_not_found' });
  const memberRows = context.db
    .select({ membershipId: teamMemberships.id, memberId: members.id, realName: members.realName, phone: members.phone, status: teamMemberships.status, requestedAtMs: teamMemberships.requestedAtMs })
    .from(teamMemberships)
    .innerJoin(members, eq(members.id, teamMemberships.memberId))
    .where(and(eq(teamMemberships.teamId, teamId), inArray(teamMemberships.status, ['active', 'pending'])))
    .orderBy(asc(teamMemberships.status), asc(members.namePinyin))
    .all()
    .map(({ phone, ...row }) => ({ ...row, maskedPhone: maskPhone(phone) }));
  const activityList = context.db
    .select({ id: teamActivities.id, activityDate: teamActivities.activityDate, place: teamActivities.place, theme: teamActivities.theme })
    .from(teamActivities)
    .where(eq(teamActivities.teamId, teamId))
    .orderBy(desc(teamActivities.activityDate))
    .all();
  return success({ ...own, members: memberRows, activityList });
}

/** Activities per sponsoring unit in scope, for the "every unit has a team and an activity a year" target. */
export function activitiesBySponsor(context: PeopleContext, actor: Actor, year: number): Outcome<{ sponsorUnit: string; sponsorKind: SponsorKind; teams: number; activities: number }[]> {
  const scope = regionScopes(actor, canManageMembers);
  if (scope.length === 0) return failure(403, { code: 'people.error.no_scope' });
  const rows = context.db
    .select({
      sponsorUnit: teams.sponsorUnit,
      sponsorKind: teams.sponsorKind,
      teams: sql<number>`count(DISTINCT ${teams.id})`,
      activities: sql<number>`count(${teamActivities.id})`,
    })
    .from(teams)
    .innerJoin(regions, eq(regions.code, teams.regionCode))
    .leftJoin(teamActivities, and(eq(teamActivities.teamId, teams.id), sql`substr(${teamActivities.activityDate}, 1, 4) = ${String(year)}`))
    .where(underAnyPath(regions.path, scope))
    .groupBy(teams.sponsorUnit, teams.sponsorKind)
    .orderBy(asc(teams.sponsorUnit))
    .all();
  return success(rows);
}


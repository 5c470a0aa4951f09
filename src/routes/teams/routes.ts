import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { regions } from '../../db/schema/core.ts';
import { members } from '../../db/schema/people.ts';
import { authorize, permission } from '../../domain/access/authorize.ts';
import { scopePaths, officeRoles } from '../../domain/members/context.ts';
import { activitiesBySponsor, addTeamMember, createActivity, createTeam, decideTeamMembership, getTeam, listTeams, setTeamLeader, type SponsorKind } from '../../domain/teams/teams.ts';
import { field, newIdempotencyKey, readIdempotencyKey } from '../../lib/forms.ts';
import { notFound } from '../../plugins/http-errors.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { canManageMembers } from '../../domain/members/permissions.ts';
import { parseId, peopleActor, peopleContext, problemsToForm, refuse } from '../members/support.ts';

export const canCreateTeams = permission('teams.create', ['office', 'admin']);

interface TeamFormValues { name: string; sponsorUnit: string; sponsorKind: string; regionCode: string }

const teamsRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  function regionChoices(request: FastifyRequest) {
    const paths = scopePaths(peopleContext(app), peopleActor(app, request), officeRoles);
    return app.db.select({ code: regions.code, nameZh: regions.nameZh, nameEn: regions.nameEn, level: regions.level, path: regions.path }).from(regions).all()
      .filter((region) => region.level !== 'village' && paths.some((path) => region.path.startsWith(path)))
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((region) => ({ code: region.code, name: request.locale === 'en' && region.nameEn ? region.nameEn : region.nameZh, level: region.level }));
  }

  async function showIndex(request: FastifyRequest, reply: FastifyReply, form: { values: TeamFormValues; errors: Record<string, string>; messages: string[]; idempotencyKey: string }, status = 200) {
    const context = peopleContext(app);
    const actor = peopleActor(app, request);
    const teams = listTeams(context, actor, { sponsorUnit: (request.query as { sponsor?: string }).sponsor || undefined });
    if (!teams.ok) refuse(teams);
    const year = Number(new Date(app.clock() + 8 * 3600_000).toISOString().slice(0, 4));
    const bySponsor = activitiesBySponsor(context, actor, year);
    const canCreate = authorize(request.requireUser().actor, canCreateTeams) !== null;
    return reply.page('pages/teams/index', { teams: teams.value, bySponsor: bySponsor.ok ? bySponsor.value : [], year, canCreate, form, regions: canCreate ? regionChoices(request) : [], sponsor: (request.query as { sponsor?: string }).sponsor ?? '' }, { titleKey: 'teams.title', status });
  }

  app.get('/teams', async (request, reply) => {
    request.authorize(canManageMembers);
    return showIndex(request, reply, { values: { name: '', sponsorUnit: '', sponsorKind: '', regionCode: '' }, errors: {}, messages: [], idempotencyKey: newIdempotencyKey() });
  });

  app.post('/teams', async (request, reply) => {
    request.authorize(canCreateTeams);
    const values: TeamFormValues = { name: field(request.body, 'name'), sponsorUnit: field(request.body, 'sponsor_unit'), sponsorKind: field(request.body, 'sponsor_kind'), regionCode: field(request.body, 'region_code') };
    const key = readIdempotencyKey(request.body);
    const result = createTeam(peopleContext(app), peopleActor(app, request), { ...values, sponsorKind: values.sponsorKind as SponsorKind }, key);
    if (!result.ok) {
      const { errors, messages } = problemsToForm(result.problems, request.t);
      return showIndex(request, reply, { values, errors, messages, idempotencyKey: key ?? newIdempotencyKey() }, result.status);
    }
    return reply.seeOther(`/teams/${result.value.teamId}`);
  });

  async function showTeam(request: FastifyRequest, reply: FastifyReply, teamId: number, problems: { section: string; message: string } | null = null, status = 200) {
    const result = getTeam(peopleContext(app), peopleActor(app, request), teamId);
    if (!result.ok) refuse(result);
    const canLead = authorize(request.requireUser().actor, canCreateTeams) !== null;
    return reply.page('pages/teams/show', { team: result.value, problems, canLead, activityKey: newIdempotencyKey(), done: (request.query as { done?: string }).done ?? '' }, { titleKey: 'teams.show.title', titleVariables: { name: result.value.name }, status });
  }

  function teamId(value: string): number {
    const id = parseId(value);
    if (id === null) throw notFound('people.error.team_not_found');
    return id;
  }

  app.get<{ Params: { id: string } }>('/teams/:id', async (request, reply) => {
    request.authorize(canManageMembers);
    return showTeam(request, reply, teamId(request.params.id));
  });

  app.post<{ Params: { id: string } }>('/teams/:id/members', async (request, reply) => {
    request.authorize(canManageMembers);
    const id = teamId(request.params.id);
    const card = field(request.body, 'card_number').trim();
    const member = card ? app.db.select({ id: members.id }).from(members).where(eq(members.cardNumber, card)).get() : undefined;
    if (!member) return showTeam(request, reply, id, { section: 'members', message: request.t(card ? 'people.error.card_not_found' : 'teams.error.cardRequired') }, 422);
    const result = addTeamMember(peopleContext(app), peopleActor(app, request), id, member.id);
    if (!result.ok) {
      if (result.status === 404) refuse(result);
      return showTeam(request, reply, id, { section: 'members', message: request.t(result.problems[0]!.code, result.problems[0]!.params) }, result.status);
    }
    return reply.seeOther(`/teams/${id}?done=member`);
  });

  app.post<{ Params: { id: string; membershipId: string } }>('/teams/:id/memberships/:membershipId', async (request, reply) => {
    request.authorize(canManageMembers);
    const id = teamId(request.params.id);
    const membershipId = parseId(request.params.membershipId);
    if (membershipId === null) throw notFound('people.error.membership_not_found');
    const approve = field(request.body, 'decision') === 'approve';
    const result = decideTeamMembership(peopleContext(app), peopleActor(app, request), membershipId, approve ? { approve: true } : { approve: false, reason: field(request.body, 'reason') });
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refuse(result);
      return showTeam(request, reply, id, { section: 'members', message: request.t(result.problems[0]!.code, result.problems[0]!.params) }, result.status);
    }
    return reply.seeOther(`/teams/${id}?done=decided`);
  });

  app.post<{ Params: { id: string } }>('/teams/:id/leader', async (request, reply) => {
    request.authorize(canCreateTeams);
    const id = teamId(request.params.id);
    const memberId = parseId(field(request.body, 'member_id'));
    const result = memberId === null ? null : setTeamLeader(peopleContext(app), peopleActor(app, request), id, memberId);
    if (!result || !result.ok) {
      if (result && (result.status === 403 || result.status === 404)) refuse(result);
      return showTeam(request, reply, id, { section: 'leader', message: request.t('people.error.leader_not_member') }, 422);
    }
    return reply.seeOther(`/teams/${id}?done=leader`);
  });

  app.post<{ Params: { id: string } }>('/teams/:id/activities', async (request, reply) => {
    request.authorize(canManageMembers);
    const id = teamId(request.params.id);
    const result = createActivity(peopleContext(app), peopleActor(app, request), id, { activityDate: field(request.body, 'activity_date'), place: field(request.body, 'place'), theme: field(request.body, 'theme') }, readIdempotencyKey(request.body));
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refuse(result);
      const { errors } = problemsToForm(result.problems, request.t);
      return showTeam(request, reply, id, { section: 'activity', message: Object.values(errors).join(' ') }, result.status);
    }
    return reply.seeOther(`/teams/${id}?done=activity`);
  });
};

export default teamsRoutes;

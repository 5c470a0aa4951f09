import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isRoleRefusal } from '../../domain/members/context.ts';
import { teamPage, teamsIndex } from '../../domain/teams/pages.ts';
import { addTeamMemberByCard, createActivity, createTeam, decideTeamMembership, setTeamLeader, type SponsorKind } from '../../domain/teams/teams.ts';
import { field, newIdempotencyKey, readIdempotencyKey } from '../../lib/forms.ts';
import { notFound } from '../../plugins/http-errors.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { parseId, peopleContext, refuse } from '../members/support.ts';
import { problemsToForm } from '../../plugins/forms.ts';

interface TeamFormValues { name: string; sponsorUnit: string; sponsorKind: string; regionCode: string }

async function showIndex(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, form: { values: TeamFormValues; errors: Record<string, string>; messages: string[]; idempotencyKey: string }, status = 200) {
  const sponsor = (request.query as { sponsor?: string }).sponsor ?? '';
  const index = teamsIndex(peopleContext(app), request.requireUser().actor, { sponsorUnit: sponsor || undefined }, request.locale);
  if (!index.ok) refuse(index);
  return reply.page('pages/teams/index', { ...index.value, form, sponsor }, { titleKey: 'teams.title', status });
}

async function showTeam(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, teamId: number, problems: { section: string; message: string } | null = null, status = 200) {
  const result = teamPage(peopleContext(app), request.requireUser().actor, teamId);
  if (!result.ok) refuse(result);
  const { team, canLead } = result.value;
  return reply.page('pages/teams/show', { team, problems, canLead, activityKey: newIdempotencyKey(), done: (request.query as { done?: string }).done ?? '' }, { titleKey: 'teams.show.title', titleVariables: { name: team.name }, status });
}

function teamId(value: string): number {
  const id = parseId(value);
  if (id === null) throw notFound('people.error.team_not_found');
  return id;
}

/** The list of teams and the creation of a team. */
function registerTeamListRoutes(app: FastifyInstance): void {
  app.get('/teams', async (request, reply) => {
    return showIndex(app, request, reply, { values: { name: '', sponsorUnit: '', sponsorKind: '', regionCode: '' }, errors: {}, messages: [], idempotencyKey: newIdempotencyKey() });
  });

  app.post('/teams', async (request, reply) => {
    const values: TeamFormValues = { name: field(request.body, 'name'), sponsorUnit: field(request.body, 'sponsor_unit'), sponsorKind: field(request.body, 'sponsor_kind'), regionCode: field(request.body, 'region_code') };
    const key = readIdempotencyKey(request.body);
    const result = createTeam(peopleContext(app), request.requireUser().actor, { ...values, sponsorKind: values.sponsorKind as SponsorKind }, key);
    if (!result.ok) {
      if (isRoleRefusal(result)) refuse(result);
      const { byField: errors, general: messages } = problemsToForm(request.t, result.problems);
      return showIndex(app, request, reply, { values, errors, messages, idempotencyKey: key ?? newIdempotencyKey() }, result.status);
    }
    return reply.seeOther(`/teams/${result.value.teamId}`);
  });
}

/** One team: the page, adding members and deciding requests to join, the leader, activities. */
function registerTeamRoutes(app: FastifyInstance): void {
  app.get<{ Params: { id: string } }>('/teams/:id', async (request, reply) => {
    return showTeam(app, request, reply, teamId(request.params.id));
  });

  app.post<{ Params: { id: string } }>('/teams/:id/members', async (request, reply) => {
    const id = teamId(request.params.id);
    const card = field(request.body, 'card_number').trim();
    const result = addTeamMemberByCard(peopleContext(app), request.requireUser().actor, id, card, readIdempotencyKey(request.body));
    if (!result.ok) {
      if (result.status === 404 || isRoleRefusal(result)) refuse(result);
      return showTeam(app, request, reply, id, { section: 'members', message: request.t(result.problems[0]!.code, result.problems[0]!.params) }, result.status);
    }
    return reply.seeOther(`/teams/${id}?done=member`);
  });

  app.post<{ Params: { id: string; membershipId: string } }>('/teams/:id/memberships/:membershipId', async (request, reply) => {
    const id = teamId(request.params.id);
    const membershipId = parseId(request.params.membershipId);
    if (membershipId === null) throw notFound('people.error.membership_not_found');
    const approve = field(request.body, 'decision') === 'approve';
    const result = decideTeamMembership(peopleContext(app), request.requireUser().actor, membershipId, approve ? { approve: true } : { approve: false, reason: field(request.body, 'reason') });
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refuse(result);
      return showTeam(app, request, reply, id, { section: 'members', message: request.t(result.problems[0]!.code, result.problems[0]!.params) }, result.status);
    }
    return reply.seeOther(`/teams/${id}?done=decided`);
  });

  app.post<{ Params: { id: string } }>('/teams/:id/leader', async (request, reply) => {
    const id = teamId(request.params.id);
    const memberId = parseId(field(request.body, 'member_id'));
    const result = setTeamLeader(peopleContext(app), request.requireUser().actor, id, memberId);
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refuse(result);
      return showTeam(app, request, reply, id, { section: 'leader', message: request.t('people.error.leader_not_member') }, 422);
    }
    return reply.seeOther(`/teams/${id}?done=leader`);
  });

  app.post<{ Params: { id: string } }>('/teams/:id/activities', async (request, reply) => {
    const id = teamId(request.params.id);
    const result = createActivity(peopleContext(app), request.requireUser().actor, id, { activityDate: field(request.body, 'activity_date'), place: field(request.body, 'place'), theme: field(request.body, 'theme') }, readIdempotencyKey(request.body));
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refuse(result);
      const { byField: errors, general: messages } = problemsToForm(request.t, result.problems);
      return showTeam(app, request, reply, id, { section: 'activity', message: [...Object.values(errors), ...messages].join(' ') }, result.status);
    }
    return reply.seeOther(`/teams/${id}?done=activity`);
  });
}

const teamsRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  registerTeamListRoutes(app);
  registerTeamRoutes(app);
};

export default teamsRoutes;

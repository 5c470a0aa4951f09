import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Permission } from '../../../domain/access/authorize.ts';
import { isRoleRefusal, type Problem } from '../../../domain/people/members/context.ts';
import { canCreateTeams } from '../../../domain/people/members/permissions.ts';
import { teamPage, teamsIndex } from '../../../domain/people/teams/pages.ts';
import { addTeamMemberByCard, createActivity, createTeam, decideTeamMembership, setTeamLeader, type SponsorKind } from '../../../domain/people/teams/teams.ts';
import { IdParams } from '../../../lib/form-schema.ts';
import { newIdempotencyKey, readIdempotencyKey } from '../../../lib/forms.ts';
import { shapeProblems, typedValues } from '../../../plugins/forms.ts';
import type { RouteApp, RoutePlugin } from '../../../plugins/route-options.ts';
import { peopleContext } from '../members/support.ts';
import { ActivityForm, LeaderForm, MembershipParams, TeamDecisionForm, TeamFieldNames, TeamForm, TeamMemberForm, TeamPageQuery, TeamsQuery } from './schemas.ts';
import { problemsToForm } from '../../../plugins/forms.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';

interface TeamFormValues { name: string; sponsorUnit: string; sponsorKind: string; regionCode: string }

/** The teams page; after a refused founding form, only for those who may found teams (`needed`). */
async function showIndex(
  app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, form: { values: TeamFormValues; errors: Record<string, string>; messages: string[]; idempotencyKey: string },
  status = 200, needed?: Permission,
) {
  const sponsor = (request.query as { sponsor?: string }).sponsor ?? '';
  const index = teamsIndex(peopleContext(app), request.requireUser().actor, { sponsorUnit: sponsor || undefined }, request.locale, needed);
  if (!index.ok) refusalPage(index);
  return reply.page('pages/people/teams/index', { ...index.value, form, sponsor }, { titleKey: 'teams.title', status });
}

/** One team's page, with the message of a refused form in its section; `needed` as for showIndex. */
async function showTeam(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, teamId: number, problems: { section: string; message: string } | null = null, status = 200, needed?: Permission) {
  const result = teamPage(peopleContext(app), request.requireUser().actor, teamId, needed);
  if (!result.ok) refusalPage(result);
  const { team, canLead } = result.value;
  return reply.page('pages/people/teams/show', { team, problems, canLead, activityKey: newIdempotencyKey(), done: (request.query as { done?: string }).done ?? '' }, { titleKey: 'teams.show.title', titleVariables: { name: team.name }, status });
}

/** All the messages of a refusal, in one sentence for a section of the team page. */
function sectionMessage(request: FastifyRequest, problems: readonly Problem[]): string {
  const { byField, general } = problemsToForm(request.t, problems);
  return [...Object.values(byField), ...general].join(' ');
}

/** The list of teams and the creation of a team. */
function registerTeamListRoutes(app: RouteApp): void {
  app.get('/teams', { schema: { querystring: TeamsQuery } }, async (request, reply) => {
    return showIndex(app, request, reply, { values: { name: '', sponsorUnit: '', sponsorKind: '', regionCode: '' }, errors: {}, messages: [], idempotencyKey: newIdempotencyKey() });
  });

  app.post('/teams', { schema: { body: TeamForm }, attachValidation: true }, async (request, reply) => {
    const typed = typedValues(request.body);
    const values: TeamFormValues = { name: typed.name ?? '', sponsorUnit: typed.sponsor_unit ?? '', sponsorKind: typed.sponsor_kind ?? '', regionCode: typed.region_code ?? '' };
    const key = readIdempotencyKey(request.body);
    const shape = shapeProblems(request, TeamFieldNames);
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape }
      : createTeam(peopleContext(app), request.requireUser().actor, { ...values, sponsorKind: values.sponsorKind as SponsorKind }, key);
    if (!result.ok) {
      if (isRoleRefusal(result)) refusalPage(result);
      const { byField: errors, general: messages } = problemsToForm(request.t, result.problems);
      return showIndex(app, request, reply, { values, errors, messages, idempotencyKey: key ?? newIdempotencyKey() }, result.status, canCreateTeams);
    }
    return reply.seeOther(`/teams/${result.value.teamId}`);
  });
}

/** One team: the page, adding members and deciding requests to join, the leader, activities. */
function registerTeamRoutes(app: RouteApp): void {
  app.get('/teams/:id', { schema: { params: IdParams, querystring: TeamPageQuery } }, async (request, reply) => {
    return showTeam(app, request, reply, request.params.id);
  });

  app.post('/teams/:id/members', { schema: { params: IdParams, body: TeamMemberForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const id = request.params.id;
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape }
      : addTeamMemberByCard(peopleContext(app), request.requireUser().actor, id, (request.body.card_number ?? '').trim(), readIdempotencyKey(request.body));
    if (!result.ok) {
      if (result.status === 404 || isRoleRefusal(result)) refusalPage(result);
      return showTeam(app, request, reply, id, { section: 'members', message: sectionMessage(request, result.problems) }, result.status);
    }
    return reply.seeOther(`/teams/${id}?done=member`);
  });

  app.post('/teams/:id/memberships/:membershipId', { schema: { params: MembershipParams, body: TeamDecisionForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const { id, membershipId } = request.params;
    const approve = request.body.decision === 'approve';
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape }
      : decideTeamMembership(peopleContext(app), request.requireUser().actor, membershipId, approve ? { approve: true } : { approve: false, reason: request.body.reason ?? '' });
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refusalPage(result);
      return showTeam(app, request, reply, id, { section: 'members', message: sectionMessage(request, result.problems) }, result.status);
    }
    return reply.seeOther(`/teams/${id}?done=decided`);
  });

  app.post('/teams/:id/leader', { schema: { params: IdParams, body: LeaderForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const id = request.params.id;
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape }
      : setTeamLeader(peopleContext(app), request.requireUser().actor, id, request.body.member_id || null);
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refusalPage(result);
      return showTeam(app, request, reply, id, { section: 'leader', message: request.t('people.error.leader_not_member') }, 422, canCreateTeams);
    }
    return reply.seeOther(`/teams/${id}?done=leader`);
  });

  app.post('/teams/:id/activities', { schema: { params: IdParams, body: ActivityForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const id = request.params.id;
    const body = request.body;
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape }
      : createActivity(peopleContext(app), request.requireUser().actor, id, { activityDate: body.activity_date ?? '', place: body.place ?? '', theme: body.theme ?? '' }, readIdempotencyKey(request.body));
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refusalPage(result);
      return showTeam(app, request, reply, id, { section: 'activity', message: sectionMessage(request, result.problems) }, result.status);
    }
    return reply.seeOther(`/teams/${id}?done=activity`);
  });
}

const teamsRoutes: RoutePlugin = async (app) => {
  registerTeamListRoutes(app);
  registerTeamRoutes(app);
};

export default teamsRoutes;

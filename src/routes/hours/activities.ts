import { qrSvg } from '../../lib/qr.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { nowOf, type DomainContext } from '../../domain/hours/context.ts';
import { authorize } from '../../domain/access/authorize.ts';
import {
  activitiesFor, activityVillages, attendanceOf, attendanceOfMember, checkInPath, checkInWithTicket, closeSignIn, findActivity, findSession, isCodeCurrent, isTicketGenuine, isTicketValid,
  mayRunActivity, openSignIn, sessionOf, ticketFor, type ActivityInfo,
} from '../../domain/hours/activities.ts';
import { canRunActivities } from '../../domain/hours/permissions.ts';
import { typesInForce } from '../../domain/hours/standard.ts';
import { shanghaiDateOf } from '../../domain/hours/time.ts';
import { Form, IdParams, type Static } from '../../lib/form-schema.ts';
import { HttpProblem, notFound } from '../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../plugins/route-options.ts';
import { formatters, hoursContext, problemOf } from './support.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../plugins/forms.ts';
import { present } from '../../lib/assert.ts';
import { noErrors, type FormErrors } from '../../plugins/forms.ts';

/** The sign-in screen's address after closing: how many records were made, and who was skipped and why. */
const SignInQuery = Form.object({ records: Form.optional(Form.integer(0, 1_000_000)), skipped: Form.optional(Form.text(10_000)) });
/** Opening the sign-in: the service type its records get and, for a team activity, the village where it happens. */
const OpenSignInForm = Form.object({ service_type: Form.optional(Form.text(40)), village_code: Form.optional(Form.text(12)) });
const signInPageNames = { service_type: 'serviceType', village_code: 'village' };
/** An activity's pages; the shape is checked after sign-in (shapeProblems in loadActivity), as before. */
const activityRoute = { schema: { params: IdParams, querystring: SignInQuery }, attachValidation: true } as const;

const CheckInParams = Form.object({ session: Form.id(), code: Form.text(200) });
const TicketParams = Form.object({ session: Form.id(), ticket: Form.text(200) });
const TicketQuery = Form.object({ done: Form.optional(Form.text(10)) });
const CheckInForm = Form.object({ action: Form.optional(Form.text(10)) });

/** The activity of the address, once the user is known; a malformed id is a missing activity (shapeProblems throws the 404). */
function loadActivity(context: DomainContext, request: FastifyRequest<{ Params: Static<typeof IdParams> }>): ActivityInfo {
  const user = request.requireUser();
  shapeProblems(request, {}, 'hours.error.activity_not_found'); // throws the 404 of a malformed id; a refused form or query is the caller's to show
  const activity = findActivity(context, request.params.id);
  // An activity the user may not run is answered exactly like a missing one.
  if (!activity || !mayRunActivity(context, user.actor, activity)) throw notFound('hours.error.activity_not_found');
  return activity;
}

async function codeView(context: DomainContext, request: FastifyRequest, activityId: number) {
  const session = sessionOf(context, activityId);
  if (!session || session.closedAtMs !== null) return null;
  const path = checkInPath(session, nowOf(context));
  const url = `${request.protocol}://${request.host}${path}`;
  const svg = await qrSvg(url);
  return { url, svg, activityId };
}

async function showSignIn(context: DomainContext, request: FastifyRequest, reply: FastifyReply, activity: ActivityInfo, status = 200, errors: FormErrors = noErrors) {
  const session = sessionOf(context, activity.id);
  // The query was checked by SignInQuery (both routes that show this page declare it).
  const query = request.query as Static<typeof SignInQuery>;
  const typed = typedValues(request.body);
  return reply.page(
    'pages/hours/sign-in',
    {
      activity, session, code: await codeView(context, request, activity.id), attendance: session ? attendanceOf(context, session.id) : [],
      types: typesInForce(context, shanghaiDateOf(nowOf(context))).filter((type) => type.active), f: formatters(request),
      villages: session ? [] : activityVillages(context, activity), errors, values: { serviceType: typed.service_type ?? '', village: typed.village_code ?? '' },
      closedCount: query.records ?? null,
      skipped: (query.skipped ?? '').split(',').filter((entry) => /^\d{1,9}\.(overlapping|over_daily_max|too_short)$/.test(entry)).slice(0, 200).map((entry) => {
        const [memberId, reason] = entry.split('.');
        return { memberId: Number(memberId), reason: reason ?? '' };
      }),
    },
    { titleKey: 'hours.activity.title', titleVariables: { theme: activity.theme }, status },
  );
}

/** The activities list and an activity's sign-in screen: opening it, its QR code, closing it. */
function registerSignInRoutes(app: RouteApp, context: DomainContext): void {
  app.get('/activities', async (request, reply) => {
    const user = request.requireUser();
    const activities = activitiesFor(context, user.actor);
    if (activities.length === 0 && (user.actor.memberId ?? null) === null && authorize(user.actor, canRunActivities) === null) {
      throw new HttpProblem(403, 'errors.forbidden.message');
    }
    return reply.page('pages/hours/activities', { activities }, { titleKey: 'hours.activity.list' });
  });


  app.get('/activities/:id/sign-in', activityRoute, async (request, reply) => {
    const activity = loadActivity(context, request);
    if (shapeProblems(request).length > 0) throw new HttpProblem(400, 'errors.badRequest.message');
    return showSignIn(context, request, reply, activity);
  });

  app.post('/activities/:id/sign-in', { ...activityRoute, schema: { ...activityRoute.schema, body: OpenSignInForm } }, async (request, reply) => {
    const user = request.requireUser();
    const activity = loadActivity(context, request);
    const shape = shapeProblems(request, signInPageNames);
    if (shape.length > 0) return showSignIn(context, request, reply, activity, 422, problemsToForm(request.t, shape));
    const outcome = openSignIn(context, user.actor, activity.id, request.body.service_type || 'culture_sport', request.body.village_code ?? '');
    if (!outcome.ok) {
      if (outcome.status === 422) return showSignIn(context, request, reply, activity, 422, problemsToForm(request.t, outcome.problems));
      throw problemOf(outcome);
    }
    return reply.seeOther(`/activities/${activity.id}/sign-in`);
  });

  /** The QR code alone: the sign-in screen asks for it again every 20 seconds. */
  app.get('/activities/:id/sign-in/code', activityRoute, async (request, reply) => {
    const activity = loadActivity(context, request);
    return reply.fragment('partials/hours/qr', { code: await codeView(context, request, activity.id) });
  });

  app.post('/activities/:id/close', activityRoute, async (request, reply) => {
    const user = request.requireUser();
    const activity = loadActivity(context, request);
    const session = sessionOf(context, activity.id);
    if (session?.closedAtMs !== null && session?.closedAtMs !== undefined) return reply.seeOther(`/activities/${activity.id}/sign-in`); // closed already: a retry
    const outcome = closeSignIn(context, user.actor, activity.id);
    if (!outcome.ok) throw problemOf(outcome);
    const skipped = outcome.value.skipped.map((entry) => `${entry.memberId}.${entry.reason}`).join(',');
    return reply.seeOther(`/activities/${activity.id}/sign-in?records=${outcome.value.recordIds.length}${skipped ? `&skipped=${skipped}` : ''}`);
  });
}

/** A volunteer's check-in: the QR code's public link, the ticket page and checking in or out. */
function registerCheckInRoutes(app: RouteApp, context: DomainContext): void {

  /**
   * What the phone camera opens. Public, so a volunteer who is not signed in
   * yet is not stopped by the sign-in page while the code moves on: a fresh
   * code is exchanged for a ten-minute ticket, and the ticket page asks for
   * sign-in if needed.
   */
  app.get('/activities/check-in/:session/:code', { config: { public: true }, schema: { params: CheckInParams } }, async (request, reply) => {
    const session = findSession(context, request.params.session);
    if (!session) throw notFound('hours.error.activity_not_found');
    if (session.closedAtMs !== null) throw new HttpProblem(409, 'hours.error.activity_closed');
    if (!isCodeCurrent(session, request.params.code, app.clock())) throw new HttpProblem(410, 'hours.error.code_expired');
    return reply.seeOther(`/activities/check-in/${session.id}/t/${ticketFor(session, app.clock())}`);
  });

  app.get('/activities/check-in/:session/t/:ticket', { schema: { params: TicketParams, querystring: TicketQuery }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    // Who may check in at all is decided before the session is looked up, so the answer says nothing about it.
    const memberId = (user.actor.memberId ?? null);
    if (memberId === null) throw new HttpProblem(403, 'hours.error.not_a_member');
    const session = shapeProblems(request).length > 0 ? undefined : findSession(context, request.params.session);
    if (!session) throw notFound('hours.error.activity_not_found');
    const attendance = attendanceOfMember(context, session.id, memberId);
    // Without a ticket made for this session, and never checked in to it: answered like a missing session,
    // so a session id from the address shows nothing of another team's activity.
    if (!attendance && !isTicketGenuine(session, request.params.ticket)) throw notFound('hours.error.activity_not_found');
    const activity = present(findActivity(context, session.activityId), "a session's activity exists (foreign key)");
    // The page after checking in or out (?done=1) is hers to see again only when she did.
    const done = request.query.done === '1' && attendance !== null;
    if (!done) {
      if (session.closedAtMs !== null) throw new HttpProblem(409, 'hours.error.activity_closed');
      if (!isTicketValid(session, request.params.ticket, app.clock())) throw new HttpProblem(410, 'hours.error.code_expired');
    }
    return reply.page(
      'pages/hours/check-in',
      { activity, attendance: attendance ?? null, done, ticket: request.params.ticket, sessionId: session.id, f: formatters(request) },
      { titleKey: 'hours.checkIn.title' },
    );
  });

  app.post('/activities/check-in/:session/t/:ticket', { schema: { params: TicketParams, body: CheckInForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    if (shapeProblems(request).length > 0) throw new HttpProblem(400, 'errors.badRequest.message');
    const sessionId = request.params.session;
    const want = request.body.action === 'out' ? 'out' : 'in';
    const outcome = checkInWithTicket(context, user.actor, sessionId, request.params.ticket, want);
    if (!outcome.ok) throw problemOf(outcome);
    return reply.seeOther(`/activities/check-in/${sessionId}/t/${request.params.ticket}?done=1`);
  });
}

const activityRoutes: RoutePlugin = async (app) => {
  const context = hoursContext(app);
  registerSignInRoutes(app, context);
  registerCheckInRoutes(app, context);
};
export default activityRoutes;

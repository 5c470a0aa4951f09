import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createMemberSignIn } from '../../../domain/auth/accounts.ts';
import { printableCards, reissueCard } from '../../../domain/people/members/cards.ts';
import { scanCard } from '../../../domain/people/members/card-scan.ts';
import { withQrCodes } from '../../../domain/people/members/card.ts';
import { allVillageChoices, registrationChoices } from '../../../domain/people/members/choices.ts';
import { setMemberPin, setMemberPinByStaff } from '../../../domain/people/members/pin.ts';
import { type MemberStatus, pendingRegistrations, searchMembers } from '../../../domain/people/members/query.ts';
import { phoneRefusalsPerHour } from '../../../domain/auth/phone-in-use.ts';
import { exportMemberData, exportMemberDataWithReason, exportOwnData } from '../../../domain/people/members/export.ts';
import { registerMember, reviewSelfRegistration, selfRegisterMember, type MemberInput } from '../../../domain/people/members/register.ts';
import { ownRecordPage } from '../../../domain/people/members/own-record.ts';
import { memberPage, type MemberSignInView } from '../../../domain/people/members/sign-in-view.ts';
import { changeMemberStatus } from '../../../domain/people/members/status.ts';
import { requestTeamMembership } from '../../../domain/people/teams/teams.ts';
import { newIdempotencyKey, readIdempotencyKey } from '../../../lib/forms.ts';
import { IdParams } from '../../../lib/form-schema.ts';
import { formatDateTime } from '../../../lib/time.ts';
import { forbidden, notFound } from '../../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../../plugins/route-options.ts';
import { type FormState, peopleContext } from './support.ts';
import { shapeProblems, typedValues } from '../../../plugins/forms.ts';
import { CardSheetQuery, ExportForm, KeyOnlyForm, memberFieldNames, MemberForm, MemberListQuery, OwnPinForm, PageNoticeQuery, ReviewForm, SignInForm, StaffPinForm, StatusForm, TeamIdParams, TokenParams } from './schemas.ts';
import { present } from '../../../lib/assert.ts';
import { firstProblem } from '../../../domain/kernel/outcome.ts';
import { problemsToForm } from '../../../plugins/forms.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';

const statusFilters: readonly MemberStatus[] = ['active', 'suspended', 'pending', 'rejected'];

/** The member form as typed (a refused form shows it again). */
function memberForm(body: unknown): MemberInput {
  const typed = typedValues(body);
  return { realName: typed.real_name ?? '', phone: typed.phone ?? '', idNumber: typed.id_number ?? '', villageCode: typed.village_code ?? '' };
}

/** The problems of a refused shape (first) or of the domain, as the member form shows them. */
function memberFormState(request: FastifyRequest, problems: Parameters<typeof problemsToForm>[1], key: string | null): FormState<MemberInput> {
  const { byField: errors, general: messages } = problemsToForm(request.t, problems);
  return { values: memberForm(request.body), errors, messages, idempotencyKey: key ?? newIdempotencyKey() };
}

function emptyForm(): FormState<MemberInput> {
  return { values: { realName: '', phone: '', idNumber: '', villageCode: '' }, errors: {}, messages: [], idempotencyKey: newIdempotencyKey() };
}

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}


async function showNew(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, form: FormState<MemberInput>, status = 200) {
  const villages = registrationChoices(peopleContext(app), request.requireUser().actor, request.locale);
  if (!villages.ok) refusalPage(villages);
  return reply.page('pages/people/members/new', { form, villages: villages.value }, { titleKey: 'members.new.title', status });
}

/** The member's page for staff; `signIn` changes its sign-in part (a refused sign-in shows what was typed). */
async function showMember(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, id: number, extra: Record<string, unknown> = {}, status = 200, signIn: (view: MemberSignInView) => Record<string, unknown> = () => ({})) {
  const page = memberPage(peopleContext(app), request.requireUser().actor, id);
  if (!page.ok) refusalPage(page);
  const member = page.value.member;
  const query = request.query as Record<string, string | undefined>;
  const signInView = { ...page.value.signIn, error: '', phone: '', ...signIn(page.value.signIn) };
  const notices = ['registered', 'approved', 'suspend', 'reactivate', 'pin', 'signIn'];
  const done = query.registered ? 'registered' : query.approved ? 'approved' : notices.includes(String(query.done)) ? String(query.done) : '';
  return reply.page(
    'pages/people/members/show',
    { member, notice: done, statusError: '', pinError: '', reason: '', exportError: '', exportReason: '', signIn: signInView, ...extra },
    { titleKey: 'members.show.title', titleVariables: { name: member.realName }, status },
  );
}

async function showMemberWithSignInError(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, id: number, error: string, phone: string, status: number) {
  return showMember(app, request, reply, id, {}, status, (view) => ({ linkAccount: false, mayCreate: view.account === null, error, phone }));
}

async function renderCards(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, ids: number[], layout: 'single' | 'sheet') {
  const result = printableCards(peopleContext(app), request.requireUser().actor, ids);
  if (!result.ok) refusalPage(result);
  const cards = await withQrCodes(result.value, baseUrl(request));
  return reply.page('pages/people/members/cards', { cards, layout, reissued: Boolean((request.query as { reissued?: string }).reissued), memberId: ids.length === 1 ? ids[0] : null }, { titleKey: layout === 'single' ? 'members.card.title' : 'members.cards.title' });
}

async function showOwn(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
  const result = ownRecordPage(peopleContext(app), request.requireUser().actor);
  if (!result.ok) refusalPage(result);
  return reply.page('pages/people/members/me', { ...result.value, pinError: '', notice: (request.query as { done?: string }).done ?? '', formatDateTime, ...extra }, { titleKey: 'members.me.title', status });
}

function sendCopy(reply: FastifyReply, id: number, copy: Record<string, unknown>) {
  reply.header('Content-Disposition', `attachment; filename="member-${id}.json"`);
  reply.header('Cache-Control', 'no-store');
  reply.type('application/json; charset=utf-8');
  return JSON.stringify(copy, null, 2);
}

async function showJoin(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, form: FormState<MemberInput>, status = 200, consented = false) {
  return reply.page('pages/people/members/join', { form, consented, villages: allVillageChoices(peopleContext(app), request.locale) }, { titleKey: 'members.join.title', status });
}

/** The member list and search. */
function registerListRoutes(app: RouteApp): void {
  app.get('/members', { schema: { querystring: MemberListQuery } }, async (request, reply) => {
    const actor = request.requireUser().actor;
    const query = (request.query.q ?? '').slice(0, 40);
    const status = statusFilters.includes(request.query.status as MemberStatus) ? (request.query.status as MemberStatus) : '';
    const result = searchMembers(peopleContext(app), actor, { query, statuses: status ? [status] : undefined, page: Number(request.query.page) || 1, pageSize: 20 });
    if (!result.ok) refusalPage(result);
    const pending = pendingRegistrations(peopleContext(app), actor);
    return reply.page('pages/people/members/index', { query, status, statusFilters, result: result.value, pendingCount: pending.ok ? pending.value.total : 0 }, { titleKey: 'members.title' });
  });
}

/** Registering a member by staff. */
function registerNewMemberRoutes(app: RouteApp): void {
  app.get('/members/new', async (request, reply) => {
    return showNew(app, request, reply, emptyForm());
  });

  app.post('/members', { schema: { body: MemberForm }, attachValidation: true }, async (request, reply) => {
    const key = readIdempotencyKey(request.body);
    const shape = shapeProblems(request, memberFieldNames);
    if (shape.length > 0) return showNew(app, request, reply, memberFormState(request, shape, key), 422);
    const result = registerMember(peopleContext(app), request.requireUser().actor, memberForm(request.body), key);
    if (!result.ok) {
      return showNew(app, request, reply, memberFormState(request, result.problems, key), result.status === 403 ? 403 : result.status === 409 || result.status === 429 ? result.status : 422);
    }
    return reply.seeOther(`/members/${result.value.memberId}?registered=1`);
  });
}

/** The review queue of self-registrations. */
function registerReviewRoutes(app: RouteApp): void {
  app.get('/members/review', { schema: { querystring: MemberListQuery } }, async (request, reply) => {
    const result = pendingRegistrations(peopleContext(app), request.requireUser().actor);
    if (!result.ok) refusalPage(result);
    const reviewed = request.query.reviewed ?? '';
    return reply.page('pages/people/members/review', { items: result.value.items, reviewed, errors: {} as Record<number, string> }, { titleKey: 'members.review.title' });
  });

  app.post('/members/:id/review', { schema: { params: IdParams, body: ReviewForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const id = request.params.id;
    const decision = request.body.decision;
    const context = peopleContext(app);
    const actor = request.requireUser().actor;
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape }
      : reviewSelfRegistration(context, actor, id, decision === 'approve' ? { decision: 'approve' } : { decision: 'reject', reason: request.body.reason ?? '' });
    if (!result.ok) {
      if (result.status !== 422 && result.status !== 409) refusalPage(result);
      const queue = pendingRegistrations(context, actor);
      if (!queue.ok) refusalPage(queue);
      const message = request.t(firstProblem(result).code, firstProblem(result).params);
      return reply.page('pages/people/members/review', { items: queue.value.items, reviewed: '', errors: { [id]: message } }, { titleKey: 'members.review.title', status: result.status });
    }
    return reply.seeOther(decision === 'approve' ? `/members/${id}?approved=1` : '/members/review?reviewed=rejected');
  });
}

/** One member: the page, status, PIN, card reissue and a sign-in for the member (volunteer role in their village, must change the password at first sign-in). */
function registerMemberRoutes(app: RouteApp): void {
  app.get('/members/:id', { schema: { params: IdParams, querystring: PageNoticeQuery } }, async (request, reply) => {
    return showMember(app, request, reply, request.params.id);
  });

  app.post('/members/:id/status', { schema: { params: IdParams, body: StatusForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const id = request.params.id;
    const action = request.body.action === 'reactivate' ? 'reactivate' : 'suspend';
    const reason = typedValues(request.body).reason ?? '';
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape } : changeMemberStatus(peopleContext(app), request.requireUser().actor, id, action, reason);
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refusalPage(result);
      return showMember(app, request, reply, id, { statusError: request.t(firstProblem(result).code, firstProblem(result).params), reason }, result.status);
    }
    return reply.seeOther(`/members/${id}?done=${action}`);
  });

  app.post('/members/:id/pin', { schema: { params: IdParams, body: StaffPinForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const id = request.params.id;
    const entry = { pin: request.body.pin ?? '', confirm: request.body.pin_confirm ?? '', cardScan: request.body.card ?? '' };
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape } : await setMemberPinByStaff(peopleContext(app), request.requireUser().actor, id, entry);
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refusalPage(result);
      return showMember(app, request, reply, id, { pinError: request.t(firstProblem(result).code, firstProblem(result).params) }, result.status);
    }
    return reply.seeOther(`/members/${id}?done=pin`);
  });

  app.post('/members/:id/card', { schema: { params: IdParams } }, async (request, reply) => {
    const id = request.params.id;
    const result = reissueCard(peopleContext(app), request.requireUser().actor, id);
    if (!result.ok) refusalPage(result);
    return reply.seeOther(`/members/${id}/card?reissued=1`);
  });

  app.post('/members/:id/account', { schema: { params: IdParams, body: SignInForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const id = request.params.id;
    const phone = typedValues(request.body).phone ?? '';
    if (shape.length > 0) return showMemberWithSignInError(app, request, reply, id, problemsToForm(request.t, shape).summary.join(' '), phone, 422);
    const result = await createMemberSignIn(app.db, request.requireUser().actor, { memberId: id, phone, temporaryPassword: request.body.temporary_password ?? '' }, request.ip, app.clock());
    if (!result.ok) {
      if (result.reason === 'forbidden') throw forbidden();
      if (result.reason === 'member_not_found') throw notFound('people.error.member_not_found');
      const status = result.reason === 'phone_limit' ? 429 : ['already_has_account', 'phone_taken', 'phone_unavailable'].includes(result.reason) ? 409 : 422;
      const response = await showMemberWithSignInError(app, request, reply, id, request.t(`accounts.error.${result.reason}`, { max: phoneRefusalsPerHour }), phone, status);
      return response;
    }
    return reply.seeOther(`/members/${id}?done=signIn`);
  });
}

/** Cards: one card, or an A4 sheet of several. */
function registerCardRoutes(app: RouteApp): void {
  app.get('/members/:id/card', { schema: { params: IdParams, querystring: PageNoticeQuery } }, async (request, reply) => {
    return renderCards(app, request, reply, [request.params.id], 'single');
  });

  app.get('/members/cards', { schema: { querystring: CardSheetQuery } }, async (request, reply) => {
    // The schema let through only comma-separated positive ids.
    const ids = [...new Set((request.query.ids ?? '').split(',').filter((part) => part.trim() !== '').map(Number))].slice(0, 40);
    return renderCards(app, request, reply, ids, 'sheet');
  });
}

/** A member's own record: masked facts, own PIN, own data copy, teams to join. */
function registerOwnRecordRoutes(app: RouteApp): void {
  app.get('/members/me', async (request, reply) => showOwn(app, request, reply));

  app.post('/members/me/pin', { schema: { body: OwnPinForm }, attachValidation: true }, async (request, reply) => {
    const actor = request.requireUser().actor;
    if (!actor.memberId) throw notFound('people.error.member_not_found');
    const shape = shapeProblems(request);
    if (shape.length > 0) return showOwn(app, request, reply, { pinError: problemsToForm(request.t, shape).summary.join(' ') }, 422);
    const pin = request.body.pin ?? '';
    if (pin !== (request.body.pin_confirm ?? '')) return showOwn(app, request, reply, { pinError: request.t('members.pin.mismatch') }, 422);
    const result = await setMemberPin(peopleContext(app), actor, actor.memberId, pin, { currentPin: request.body.current_pin ?? '' });
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refusalPage(result);
      return showOwn(app, request, reply, { pinError: request.t(firstProblem(result).code, firstProblem(result).params) }, result.status);
    }
    return reply.seeOther('/members/me?done=pin');
  });

  app.post('/members/me/teams/:teamId', { schema: { params: TeamIdParams, body: KeyOnlyForm } }, async (request, reply) => {
    const actor = request.requireUser().actor;
    const result = requestTeamMembership(peopleContext(app), actor, request.params.teamId, readIdempotencyKey(request.body));
    if (!result.ok) {
      if (result.status === 404) refusalPage(result);
      return showOwn(app, request, reply, { teamError: request.t(firstProblem(result).code, firstProblem(result).params) }, result.status);
    }
    return reply.seeOther('/members/me?done=team');
  });
}

/** PIPL copy: a member's own (in clear), or one made by staff in scope (masked, or in clear with a recorded reason). */
function registerCopyRoutes(app: RouteApp): void {
  app.get('/members/me/export', async (request, reply) => {
    const actor = request.requireUser().actor;
    const result = exportOwnData(peopleContext(app), actor);
    if (!result.ok) refusalPage(result);
    return sendCopy(reply, present(actor.memberId, 'exportOwnData answers only a member'), result.value);
  });

  app.get('/members/:id/export', { schema: { params: IdParams } }, async (request, reply) => {
    request.requireUser();
    const id = request.params.id;
    const result = exportMemberData(peopleContext(app), request.requireUser().actor, id);
    if (!result.ok) refusalPage(result);
    return sendCopy(reply, id, result.value);
  });

  app.post('/members/:id/export', { schema: { params: IdParams, body: ExportForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const id = request.params.id;
    const reason = typedValues(request.body).export_reason ?? '';
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape } : exportMemberDataWithReason(peopleContext(app), request.requireUser().actor, id, reason);
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refusalPage(result);
      return showMember(app, request, reply, id, { exportError: request.t(firstProblem(result).code, firstProblem(result).params), exportReason: reason }, result.status);
    }
    return sendCopy(reply, id, result.value);
  });
}

/** Public self-registration, and what a scanned card's QR code opens: validity for anyone, the holder for staff in scope. */
function registerPublicRoutes(app: RouteApp): void {
  app.get('/join', { config: { public: true } }, async (request, reply) => showJoin(app, request, reply, emptyForm()));

  app.post('/join', { schema: { body: MemberForm }, attachValidation: true, config: { public: true, rateLimit: { max: 20, timeWindow: '15 minutes' } } }, async (request, reply) => {
    const key = readIdempotencyKey(request.body);
    const shape = shapeProblems(request, memberFieldNames);
    if (shape.length > 0) return showJoin(app, request, reply, memberFormState(request, shape, key), 422, request.body.consent === 'yes');
    if (request.body.consent !== 'yes') {
      return showJoin(app, request, reply, memberFormState(request, [{ code: 'members.join.consentRequired', field: 'consent' }], key), 422);
    }
    const result = selfRegisterMember(peopleContext(app), memberForm(request.body), key);
    if (!result.ok) {
      // What was typed stays, a mistyped ID number included (the person corrects one digit), and so does the consent tick.
      return showJoin(app, request, reply, memberFormState(request, result.problems, key), result.status === 409 ? 409 : 422, true);
    }
    return reply.seeOther('/join/done');
  });

  // ---- what a scanned card's QR code opens: validity for anyone, the holder for staff in scope ----
  app.get('/c/:token', { schema: { params: TokenParams }, config: { public: true } }, async (request, reply) => {
    const token = /^[A-Za-z0-9_-]{20,100}$/.test(request.params.token) ? request.params.token : '';
    const scanned = scanCard(peopleContext(app), request.currentUser?.actor ?? null, token);
    // A clerk scanning a card at the counter goes straight to that member's redemption screen.
    if (scanned.kind === 'counter') return reply.seeOther(`/counter/scan/${token}`);
    return reply.page('pages/people/members/card-scan', { valid: scanned.valid, holder: scanned.holder }, { titleKey: 'members.cardScan.title', status: scanned.valid ? 200 : 404 });
  });

  app.get('/join/done', { config: { public: true } }, async (request, reply) => reply.page('pages/people/members/join-done', {}, { titleKey: 'members.join.doneTitle' }));
}

const membersRoutes: RoutePlugin = async (app) => {
  registerListRoutes(app);
  registerNewMemberRoutes(app);
  registerReviewRoutes(app);
  registerMemberRoutes(app);
  registerCardRoutes(app);
  registerOwnRecordRoutes(app);
  registerCopyRoutes(app);
  registerPublicRoutes(app);
};

export default membersRoutes;

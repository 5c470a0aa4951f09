import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorize } from '../../domain/access/authorize.ts';
import type { DomainContext } from '../../domain/hours/context.ts';
import { memberChoiceById, ownVillageCode, recipientChoices, searchMembersToLogFor, villagesInArea } from '../../domain/hours/choices.ts';
import { logServiceWithPin, type LogInput } from '../../domain/hours/log.ts';
import { canLogForMembers, canLogOwnHours } from '../../domain/hours/permissions.ts';
import { typesInForce } from '../../domain/hours/standard.ts';
import { shanghaiDateOf } from '../../domain/hours/time.ts';
import type { Problem } from '../../domain/kernel/outcome.ts';
import { newIdempotencyKey } from '../../lib/forms.ts';
import { Form, type Static } from '../../lib/form-schema.ts';
import { wantsJson } from '../../plugins/errors.ts';
import { offlineOwnerProblem } from '../../plugins/render.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../plugins/route-options.ts';
import { formatters, hoursContext } from './support.ts';
import { noErrors, problemsToForm, shapeProblems, typedValues, type FormErrors } from '../../plugins/forms.ts';

interface LogFormValues {
  idempotencyKey: string;
  memberQuery: string;
  volunteerMemberId: string;
  serviceType: string;
  recipientQuery: string;
  elderId: string;
  date: string;
  startTime: string;
  endTime: string;
  durationMinutes: string;
  villageCode: string;
  note: string;
  /** Never echoed back into the form. */
  elderPin: string;
}

/** The log form's fields. The domain checks what they mean (a real date, an end after the start, the type's maximum). */
const LogForm = Form.object({
  idempotency_key: Form.idempotencyKey(),
  member_query: Form.optional(Form.text(40)),
  volunteer_member_id: Form.optional(Form.optionalId({ messageKey: 'hours.error.volunteer_required' })),
  service_type: Form.optional(Form.text(40)),
  recipient_query: Form.optional(Form.text(40)),
  elder_id: Form.optional(Form.optionalId({ messageKey: 'hours.error.elder_not_found' })),
  date: Form.optional(Form.text(10)),
  start_time: Form.optional(Form.text(5)),
  end_time: Form.optional(Form.text(5)),
  duration_minutes: Form.optional(Form.blankOr(Form.integer(1, 9999), { messageKey: 'hours.error.duration_invalid' })),
  village_code: Form.optional(Form.text(12)),
  note: Form.optional(Form.text(200, { messageKey: 'hours.error.note_too_long' })),
  elder_pin: Form.optional(Form.text(12)),
  /** The phone's outbox names who saved the entry offline (offlineOwnerTag); absent on a form posted online. */
  offline_owner: Form.optional(Form.text(40)),
});
type LogFormInput = Static<typeof LogForm>;
/** The form's own searches and links that preselect a recipient or a volunteer: any text, cut to the boxes' lengths. */
const LogQuery = Form.object({
  member_query: Form.optional(Form.text(200)), recipient_query: Form.optional(Form.text(200)), volunteer_member_id: Form.optional(Form.text(20)),
  elder_id: Form.optional(Form.text(20)), service_type: Form.optional(Form.text(200)), date: Form.optional(Form.text(20)), village_code: Form.optional(Form.text(20)),
});

/** The page's names for the fields it marks (the domain's names), where they differ from the form's. */
const pageFieldNames = {
  volunteer_member_id: 'volunteer', service_type: 'serviceType', elder_id: 'elder', start_time: 'startTime', end_time: 'endTime',
  duration_minutes: 'durationMinutes', village_code: 'village', elder_pin: 'elderPin',
};

/** What the form shows: the fields as typed (a refused form shows them again), the PIN never. */
function readValues(source: unknown, today: string): LogFormValues {
  const typed = typedValues(source);
  const key = typed.idempotency_key ?? '';
  return {
    idempotencyKey: /^[0-9a-f-]{36}$/i.test(key) ? key.toLowerCase() : newIdempotencyKey(),
    memberQuery: (typed.member_query ?? '').slice(0, 40),
    volunteerMemberId: typed.volunteer_member_id ?? '',
    serviceType: typed.service_type ?? '',
    recipientQuery: (typed.recipient_query ?? '').slice(0, 40),
    elderId: typed.elder_id ?? '',
    date: typed.date || today,
    startTime: typed.start_time ?? '',
    endTime: typed.end_time ?? '',
    durationMinutes: typed.duration_minutes ?? '',
    villageCode: typed.village_code ?? '',
    note: (typed.note ?? '').slice(0, 400),
    elderPin: (typed.elder_pin ?? '').slice(0, 12),
  };
}

function logInput(form: LogFormInput, staff: boolean, idempotencyKey: string, today: string): LogInput {
  return {
    idempotencyKey,
    volunteerMemberId: staff && form.volunteer_member_id ? form.volunteer_member_id : null,
    serviceTypeCode: form.service_type ?? '',
    elderId: form.elder_id || null,
    villageCode: form.village_code ?? '',
    date: form.date || today,
    startTime: form.start_time ?? '',
    endTime: form.end_time ?? '',
    durationMinutes: form.duration_minutes ?? '',
    note: form.note ?? '',
    elderPin: staff ? '' : form.elder_pin ?? '',
  };
}

function mode(request: FastifyRequest): 'staff' | 'self' {
  const user = request.requireUser();
  if (authorize(user.actor, canLogForMembers)) return 'staff';
  if (authorize(user.actor, canLogOwnHours)) return 'self';
  throw new HttpProblem(403, 'hours.error.not_a_member');
}

async function showForm(app: FastifyInstance, context: DomainContext, request: FastifyRequest, reply: FastifyReply, values: LogFormValues, errors: FormErrors, status = 200) {
  const user = request.requireUser();
  const staff = mode(request) === 'staff';
  if (!staff && (user.actor.memberId ?? null) === null) throw new HttpProblem(403, 'hours.error.not_a_member');
  const today = shanghaiDateOf(app.clock());
  const types = typesInForce(context, today).filter((type) => type.active);
  const recipients = recipientChoices(context, user.actor, staff, values.recipientQuery, values.elderId);
  const selectedMember = staff && /^[1-9]\d{0,9}$/.test(values.volunteerMemberId) ? memberChoiceById(context, user.actor, Number(values.volunteerMemberId)) : undefined;
  const memberChoices = staff ? searchMembersToLogFor(context, user.actor, values.memberQuery) : [];
  if (selectedMember && !memberChoices.some((m) => m.id === selectedMember.id)) memberChoices.unshift(selectedMember);
  let villageCode = values.villageCode;
  if (!villageCode && !staff) villageCode = ownVillageCode(context, user.actor);
  return reply.page(
    'pages/hours/new',
    {
      staff, values: { ...values, villageCode }, errors, types, recipients, memberChoices, villages: villagesInArea(context, user.actor),
      searchedRecipients: values.recipientQuery.trim() !== '', searchedMembers: values.memberQuery.trim() !== '', f: formatters(request), today,
    },
    // Her own form (her recipients, types and villages) may be kept on the phone for offline use; staff's lists other members.
    { titleKey: staff ? 'hours.form.titleFor' : 'hours.form.title', status, offline: !staff },
  );
}

/** The form that logs a service: for oneself, or by staff for a member. */
function registerLogFormRoutes(app: RouteApp, context: DomainContext): void {
  app.get('/hours/new', { schema: { querystring: LogQuery } }, async (request, reply) => {
    mode(request);
    return showForm(app, context, request, reply, readValues(request.query, shanghaiDateOf(app.clock())), noErrors);
  });

  app.post('/hours', { schema: { body: LogForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    const staff = mode(request) === 'staff';
    // An entry kept offline by one user is never saved under another's session (a shared phone, a failed sign-out).
    const notTheOwner = offlineOwnerProblem(app, user.id, request.body.offline_owner, wantsJson(request));
    if (notTheOwner) throw new HttpProblem(409, notTheOwner);
    const today = shanghaiDateOf(app.clock());
    const values = readValues(request.body, today);
    const refuse = (problems: readonly Problem[], status: number) => wantsJson(request)
      ? reply.code(status).header('Cache-Control', 'no-store').send({ ok: false, messages: problemsToForm(request.t, problems).summary })
      : showForm(app, context, request, reply, { ...values, elderPin: '' }, problemsToForm(request.t, problems), status);
    // A field of the wrong shape (minutes that are not a number, an over-long note) comes back marked; nothing is written.
    const shape = shapeProblems(request, pageFieldNames);
    if (shape.length > 0) return refuse(shape, 422);
    // A missing or malformed key is refused, never silently replaced: a replaced key would let a
    // retry of the same form write a second record. The form comes back with a fresh key.
    if (!/^[0-9a-f-]{36}$/i.test(request.body.idempotency_key ?? '')) return refuse([{ code: 'hours.error.form_expired' }], 400);
    const input = logInput(request.body, staff, values.idempotencyKey, today);
    const outcome = await logServiceWithPin(context, user.actor, input);
    if (!outcome.ok) return refuse(outcome.problems, outcome.status);
    const record = outcome.value.record;
    const recordUrl = `/hours/records/${record.id}`;
    // The phone's outbox (static/outbox.js) asks for JSON: it shows the answer in place of its pending entry.
    if (wantsJson(request)) return reply.header('Cache-Control', 'no-store').send({ ok: true, recordUrl, status: record.status });
    return reply.seeOther(`${recordUrl}?logged=${record.status === 'approved' ? 'approved' : 'pending'}`);
  });
}

/** What the recipient search sends; a query is cut to its first 40 characters, as the form's box holds. */
const RecipientQuery = Form.object({ recipient_query: Form.optional(Form.text(200)), elder_id: Form.optional(Form.text(12)) });

/** htmx: the recipient choices for what was typed so far. */
function registerRecipientRoutes(app: RouteApp, context: DomainContext): void {
  app.get('/hours/recipients', { schema: { querystring: RecipientQuery } }, async (request, reply) => {
    const user = request.requireUser();
    const staff = mode(request) === 'staff';
    const query = (request.query.recipient_query ?? '').slice(0, 40);
    const elderId = request.query.elder_id ?? '';
    const recipients = recipientChoices(context, user.actor, staff, query, elderId);
    return reply.fragment('partials/hours/recipients', { recipients, values: { elderId }, searchedRecipients: query.trim() !== '', f: formatters(request) });
  });
}

const logRoutes: RoutePlugin = async (app) => {
  const context = hoursContext(app);
  registerLogFormRoutes(app, context);
  registerRecipientRoutes(app, context);
};
export default logRoutes;

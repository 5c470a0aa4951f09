import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { authorize } from '../../domain/access/authorize.ts';
import type { HoursContext } from '../../domain/hours/context.ts';
import { memberChoiceById, ownVillageCode, recipientById, searchMembersToLogFor, searchRecipients, villagesInArea } from '../../domain/hours/choices.ts';
import { logServiceWithPin, type LogInput } from '../../domain/hours/log.ts';
import { canLogForMembers, canLogOwnHours } from '../../domain/hours/permissions.ts';
import { typesInForce } from '../../domain/hours/standard.ts';
import { shanghaiDateOf } from '../../domain/hours/time.ts';
import { field, newIdempotencyKey } from '../../lib/forms.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { formatters, formErrors, hoursContext, noErrors, positiveInteger, type FormErrors } from './support.ts';

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

function readValues(source: unknown, today: string): LogFormValues {
  const key = field(source, 'idempotency_key');
  return {
    idempotencyKey: /^[0-9a-f-]{36}$/i.test(key) ? key.toLowerCase() : newIdempotencyKey(),
    memberQuery: field(source, 'member_query').slice(0, 40),
    volunteerMemberId: field(source, 'volunteer_member_id'),
    serviceType: field(source, 'service_type'),
    recipientQuery: field(source, 'recipient_query').slice(0, 40),
    elderId: field(source, 'elder_id'),
    date: field(source, 'date') || today,
    startTime: field(source, 'start_time'),
    endTime: field(source, 'end_time'),
    durationMinutes: field(source, 'duration_minutes'),
    villageCode: field(source, 'village_code'),
    note: field(source, 'note').slice(0, 400),
    elderPin: field(source, 'elder_pin').slice(0, 12),
  };
}

function mode(request: FastifyRequest): 'staff' | 'self' {
  const user = request.requireUser();
  if (authorize(user.actor, canLogForMembers)) return 'staff';
  if (authorize(user.actor, canLogOwnHours)) return 'self';
  throw new HttpProblem(403, 'hours.error.not_a_member');
}

async function showForm(app: FastifyInstance, context: HoursContext, request: FastifyRequest, reply: FastifyReply, values: LogFormValues, errors: FormErrors, status = 200) {
  const user = request.requireUser();
  const staff = mode(request) === 'staff';
  if (!staff && (user.actor.memberId ?? null) === null) throw new HttpProblem(403, 'hours.error.not_a_member');
  const today = shanghaiDateOf(app.clock());
  const types = typesInForce(context, today).filter((type) => type.active);
  const selectedElder = positiveInteger(values.elderId) ? recipientById(context, user.actor, Number(values.elderId)) : undefined;
  const recipients = searchRecipients(context, user.actor, values.recipientQuery);
  if (selectedElder && !recipients.some((r) => r.id === selectedElder.id)) recipients.unshift(selectedElder);
  const selectedMember = staff && positiveInteger(values.volunteerMemberId) ? memberChoiceById(context, Number(values.volunteerMemberId)) : undefined;
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
    { titleKey: staff ? 'hours.form.titleFor' : 'hours.form.title', status },
  );
}

/** The form that logs a service: for oneself, or by staff for a member. */
function registerLogFormRoutes(app: FastifyInstance, context: HoursContext): void {
  app.get('/hours/new', async (request, reply) => {
    mode(request);
    return showForm(app, context, request, reply, readValues(request.query, shanghaiDateOf(app.clock())), noErrors);
  });

  app.post('/hours', async (request, reply) => {
    const user = request.requireUser();
    const staff = mode(request) === 'staff';
    const values = readValues(request.body, shanghaiDateOf(app.clock()));
    // A missing or malformed key is refused, never silently replaced: a replaced key would let a
    // retry of the same form write a second record. The form comes back with a fresh key.
    if (!/^[0-9a-f-]{36}$/i.test(field(request.body, 'idempotency_key'))) {
      return showForm(app, context, request, reply, { ...values, elderPin: '' }, formErrors(request, [{ code: 'hours.error.form_expired' }]), 400);
    }
    const input: LogInput = {
      idempotencyKey: values.idempotencyKey,
      volunteerMemberId: staff ? positiveInteger(values.volunteerMemberId) : null,
      serviceTypeCode: values.serviceType,
      elderId: values.elderId === '' ? null : positiveInteger(values.elderId) ?? -1,
      villageCode: values.villageCode,
      date: values.date,
      startTime: values.startTime,
      endTime: values.endTime,
      durationMinutes: values.durationMinutes,
      note: values.note,
      elderPin: staff ? '' : values.elderPin,
    };
    const outcome = await logServiceWithPin(context, { db: app.db, keys: app.secrets, now: app.clock }, user.actor, input);
    if (!outcome.ok) return showForm(app, context, request, reply, { ...values, elderPin: '' }, formErrors(request, outcome.problems), outcome.status);
    const record = outcome.value.record;
    return reply.seeOther(`/hours/records/${record.id}?logged=${record.status === 'approved' ? 'approved' : 'pending'}`);
  });
}

/** htmx: the recipient choices for what was typed so far. */
function registerRecipientRoutes(app: FastifyInstance, context: HoursContext): void {
  app.get('/hours/recipients', async (request, reply) => {
    const user = request.requireUser();
    mode(request);
    const query = field(request.query, 'recipient_query').slice(0, 40);
    return reply.fragment('partials/hours/recipients', {
      recipients: searchRecipients(context, user.actor, query), values: { elderId: field(request.query, 'elder_id') }, searchedRecipients: query.trim() !== '', f: formatters(request),
    });
  });
}

const logRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  const context = hoursContext(app);
  registerLogFormRoutes(app, context);
  registerRecipientRoutes(app, context);
};
export default logRoutes;

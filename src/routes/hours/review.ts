import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, DomainContext } from '../../domain/hours/context.ts';
import { findRecord, type ServiceRecord } from '../../domain/hours/records.ts';
import { recordPage, userDisplayName } from '../../domain/hours/record-page.ts';
import { approveMany, approveRecord, checkCanVerify, recordToDecide, rejectRecord, reverseRecord } from '../../domain/hours/review.ts';
import { defaultQueueOrder, parseQueueOrder, queueSortKeys, type QueueOrder } from '../../domain/hours/queue.ts';
import { queuePageFor } from '../../domain/hours/queue-page.ts';
import { typesInForce } from '../../domain/hours/standard.ts';
import { shanghaiDateOf } from '../../domain/hours/time.ts';
import { Form, IdParams } from '../../lib/form-schema.ts';
import { localReturnPath } from '../../lib/return-path.ts';
import { notFound } from '../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../plugins/route-options.ts';
import { formatters, hoursContext, problemOf } from './support.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../plugins/forms.ts';
import { present } from '../../lib/assert.ts';
import { noErrors, type FormErrors } from '../../plugins/forms.ts';

function isDefaultOrder(order: QueueOrder): boolean {
  return order.sort === defaultQueueOrder.sort && order.direction === defaultQueueOrder.direction;
}

/**
 * A header link per sortable column of the queue: it keeps the filters, starts
 * again at page 1, and turns the direction round when the column is the one sorted by.
 */
function sortColumns(filterQuery: string, order: QueueOrder) {
  return Object.fromEntries(queueSortKeys.map((key) => {
    const sorted = order.sort === key;
    const direction = sorted && order.direction === 'asc' ? 'desc' : 'asc';
    const href = `/hours/queue?${[filterQuery, `sort=${key}&dir=${direction}`].filter(Boolean).join('&')}`;
    return [key, { href, ariaSort: sorted ? (order.direction === 'asc' ? 'ascending' : 'descending') : null, arrow: sorted ? (order.direction === 'asc' ? '▲' : '▼') : '' }];
  }));
}

/** What the record page reads from its address (after a log or a decision). */
const RecordQuery = Form.object({ logged: Form.optional(Form.text(200)), done: Form.optional(Form.text(200)) });
/** A decision's form: the reason (rejecting, reversing) and the page to go back to. */
const DecisionForm = Form.object({
  reason: Form.optional(Form.text(200, { messageKey: 'hours.error.reason_too_long' })),
  reverse_reason: Form.optional(Form.text(200, { messageKey: 'hours.error.reason_too_long' })),
  return_to: Form.optional(Form.text(500)),
});
const recordRoute = { schema: { params: IdParams, querystring: RecordQuery, body: DecisionForm }, attachValidation: true } as const;

function loadRecord(context: DomainContext, recordId: number): ServiceRecord {
  const record = findRecord(context, recordId);
  if (!record) throw notFound('hours.error.record_not_found');
  return record;
}

/** The 403 page for someone without a reviewer's role (before anything else is read). */
function refuseUnlessVerifier(actor: Actor): void {
  const refused = checkCanVerify(actor);
  if (refused) throw problemOf(refused);
}

/** The record to decide on, or its refusal's page: 403 without the role, 404 missing or outside the scope. */
function recordToDecideOrPage(context: DomainContext, actor: Actor, recordId: number): ServiceRecord {
  const outcome = recordToDecide(context, actor, recordId);
  if (!outcome.ok) throw problemOf(outcome);
  return outcome.value;
}

/** Shown when another reviewer decided first: what happened, by whom, and the way back to the queue. */
interface RaceLost {
  message: string;
  backHref: string;
}

async function showRecord(context: DomainContext, request: FastifyRequest, reply: FastifyReply, record: ServiceRecord, errors: { reject: FormErrors; reverse: FormErrors }, status = 200, raceLost: RaceLost | null = null) {
  const page = recordPage(context, request.requireUser().actor, record);
  // Someone else's record outside the scope is answered exactly like a missing one.
  if (!page) throw notFound('hours.error.record_not_found');
  const query = typedValues(request.query);
  const typed = typedValues(request.body);
  return reply.page(
    'pages/hours/record',
    {
      record, ...page, errors, f: formatters(request),
      logged: query.logged === 'approved' || query.logged === 'pending' ? query.logged : null,
      done: ['approved', 'rejected', 'reversed'].includes(query.done ?? '') ? query.done : null,
      values: { reason: typed.reason ?? '', reverseReason: typed.reverse_reason ?? '' },
      raceLost,
    },
    { titleKey: 'hours.record.title', status },
  );
}

/** The record as it is now was decided with `status` by this user (read after the attempt: a parallel tap may have decided it). */
function isOwnDecision(context: DomainContext, recordId: number, userId: number, status: 'approved' | 'rejected'): boolean {
  const now = findRecord(context, recordId);
  return now?.status === status && now.reviewedByUserId === userId;
}

/** Someone else decided the record first (not another refusal with status 409, such as the balance cap). */
function isRaceLost(outcome: { ok: false; problems: readonly { code: string }[] }): boolean {
  return outcome.problems[0]?.code.startsWith('hours.error.record_already_') === true;
}

/** The loser of an approve/reject race: the record as it stands, who decided it, and a way back to the queue. */
function showRaceLost(context: DomainContext, request: FastifyRequest, reply: FastifyReply, recordId: number) {
  const now = present(findRecord(context, recordId), 'a record decided by someone else exists (records are never deleted)');
  const by = userDisplayName(context, now.reviewedByUserId) ?? '';
  const message = request.t(by ? 'hours.record.raceLost' : 'hours.record.raceLostNoName', { name: by, status: request.t(`hours.status.${now.status}`) });
  const backHref = localReturnPath(typedValues(request.body).return_to ?? '', '/hours/queue');
  return showRecord(context, request, reply, now, { reject: noErrors, reverse: noErrors }, 409, { message, backHref });
}

/** One record: its page, and approving, rejecting or reversing it. */
function registerRecordRoutes(app: RouteApp, context: DomainContext): void {
  app.get('/hours/records/:id', { schema: { params: IdParams, querystring: RecordQuery }, attachValidation: true }, async (request, reply) => {
    if (shapeProblems(request, {}, 'hours.error.record_not_found').length > 0) throw problemOf({ status: 400, problems: [] });
    return showRecord(context, request, reply, loadRecord(context, request.params.id), { reject: noErrors, reverse: noErrors });
  });

  app.post('/hours/records/:id/approve', recordRoute, async (request, reply) => {
    const user = request.requireUser();
    refuseUnlessVerifier(user.actor);
    const shape = shapeProblems(request, {}, 'hours.error.record_not_found');
    const record = recordToDecideOrPage(context, user.actor, request.params.id);
    if (shape.length > 0) throw problemOf({ status: 400, problems: shape });
    const outcome = approveRecord(context, user.actor, record.id);
    // A double tap or a retry after a lost response finds its own decision done: show success, not an error.
    const repeat = !outcome.ok && isOwnDecision(context, record.id, user.id, 'approved');
    if (!outcome.ok && !repeat) {
      if (isRaceLost(outcome)) return showRaceLost(context, request, reply, record.id);
      throw problemOf(outcome);
    }
    const back = localReturnPath(request.body.return_to ?? '', '');
    return reply.seeOther(back ? `${back}${back.includes('?') ? '&' : '?'}approved=1` : `/hours/records/${record.id}?done=approved`);
  });

  app.post('/hours/records/:id/reject', recordRoute, async (request, reply) => {
    const user = request.requireUser();
    refuseUnlessVerifier(user.actor);
    const shape = shapeProblems(request, {}, 'hours.error.record_not_found');
    const record = recordToDecideOrPage(context, user.actor, request.params.id);
    if (shape.length > 0) return showRecord(context, request, reply, record, { reject: problemsToForm(request.t, shape), reverse: noErrors }, 422);
    const outcome = rejectRecord(context, user.actor, record.id, request.body.reason ?? '');
    if (!outcome.ok && isOwnDecision(context, record.id, user.id, 'rejected')) return reply.seeOther(`/hours/records/${record.id}?done=rejected`);
    if (!outcome.ok) {
      if (outcome.status === 422) return showRecord(context, request, reply, record, { reject: problemsToForm(request.t, outcome.problems), reverse: noErrors }, 422);
      if (isRaceLost(outcome)) return showRaceLost(context, request, reply, record.id);
      throw problemOf(outcome);
    }
    return reply.seeOther(`/hours/records/${record.id}?done=rejected`);
  });

  app.post('/hours/records/:id/reverse', recordRoute, async (request, reply) => {
    const user = request.requireUser();
    refuseUnlessVerifier(user.actor);
    const shape = shapeProblems(request, { reverse_reason: 'reason' }, 'hours.error.record_not_found');
    const record = recordToDecideOrPage(context, user.actor, request.params.id);
    if (shape.length > 0) return showRecord(context, request, reply, record, { reject: noErrors, reverse: problemsToForm(request.t, shape) }, 422);
    const outcome = reverseRecord(context, user.actor, record.id, request.body.reverse_reason ?? '');
    if (!outcome.ok && record.status === 'reversed' && record.reversedByUserId === user.id) return reply.seeOther(`/hours/records/${record.id}?done=reversed`);
    if (!outcome.ok) {
      if (outcome.status === 422 || outcome.status === 409) {
        return showRecord(context, request, reply, present(findRecord(context, record.id), 'a loaded record still exists (records are never deleted)'), { reject: noErrors, reverse: problemsToForm(request.t, outcome.problems) }, outcome.status);
      }
      throw problemOf(outcome);
    }
    return reply.seeOther(`/hours/records/${record.id}?done=reversed`);
  });
}

/** The verification queue (filtered, sorted, paged) and approving many records at once. */
/** The queue's filters, order and page, as its links write them; a filter that names nothing is ignored. */
const QueueQuery = Form.object({
  village: Form.optional(Form.text(200)), type: Form.optional(Form.text(200)), volunteer: Form.optional(Form.id()), activity: Form.optional(Form.id()),
  sort: Form.optional(Form.text(200)), dir: Form.optional(Form.text(200)), page: Form.optional(Form.integer(1, 1_000_000)),
  approved: Form.optional(Form.integer(0, 1_000_000)), skipped: Form.optional(Form.text(2000)),
});
/** Approving many: the ticked records and the page to go back to. */
const ApproveManyForm = Form.object({ record: Form.optional(Form.list(Form.id(), 500)), return_to: Form.optional(Form.text(500)) });

function registerQueueRoutes(app: RouteApp, context: DomainContext): void {
  app.get('/hours/queue', { schema: { querystring: QueueQuery } }, async (request, reply) => {
    const user = request.requireUser();
    const query = request.query;
    const filter = {
      villageCode: /^\d{12}$/.test(query.village ?? '') ? query.village : undefined,
      serviceTypeCode: /^[a-z][a-z0-9_]{1,31}$/.test(query.type ?? '') ? query.type : undefined,
      volunteerMemberId: query.volunteer,
      activityId: query.activity,
    };
    const order = parseQueueOrder(query.sort, query.dir);
    const pageSize = 100;
    const skippedEntries = (query.skipped ?? '').split(',').filter((entry) => /^\d+\.[a-z_]+$/.test(entry)).slice(0, 50).map((entry) => {
      const [id, code] = entry.split('.');
      return { id: Number(id), code: code ?? '' };
    });
    const outcome = queuePageFor(context, user.actor, { filter, order, page: query.page ?? 1, pageSize, skippedIds: skippedEntries.map((entry) => entry.id) });
    if (!outcome.ok) throw problemOf(outcome);
    const { items, total, page, lastPage, villages, volunteers, canLogForMembers } = outcome.value;
    // Skipped records are named the way the list shows them: volunteer, date, service type.
    const labels = new Map(outcome.value.labels.map((label) => [label.id, label]));
    const f = formatters(request);
    const skipped = skippedEntries.map(({ id, code }) => {
      // The skipped list carries codes only; messages that need numbers have a short form.
      const key = code === 'over_balance_cap' ? 'hours.error.over_balance_cap_short' : `hours.error.${code}`;
      const label = labels.get(id);
      return { label: label ? `${label.volunteerName} · ${label.serviceDate} · ${f.typeName(label)}` : request.t('hours.queue.unknownRecord'), message: request.t(key) };
    });
    const filterQuery = new URLSearchParams(Object.entries({ village: filter.villageCode ?? '', type: filter.serviceTypeCode ?? '', volunteer: String(filter.volunteerMemberId ?? ''), activity: String(filter.activityId ?? '') }).filter(([, value]) => value !== '')).toString();
    const orderQuery = isDefaultOrder(order) ? '' : `sort=${order.sort}&dir=${order.direction}`;
    const pageHref = (n: number) => `/hours/queue?${[filterQuery, orderQuery, `page=${n}`].filter(Boolean).join('&')}`;
    return reply.page(
      'pages/hours/queue',
      {
        items, filter: { village: filter.villageCode ?? '', type: filter.serviceTypeCode ?? '', volunteer: String(filter.volunteerMemberId ?? ''), activity: String(filter.activityId ?? '') },
        order, columns: sortColumns(filterQuery, order), orderQuery,
        villages, volunteers, types: typesInForce(context, shanghaiDateOf(app.clock())), f,
        approvedCount: query.approved ?? 0, skipped, canLogForMembers,
        total, page, lastPage, firstShown: (page - 1) * pageSize + 1, lastShown: (page - 1) * pageSize + items.length,
        previousHref: page > 1 ? pageHref(page - 1) : null, nextHref: page < lastPage ? pageHref(page + 1) : null,
        decidableIds: items.filter((item) => !item.own).map((item) => item.id),
        returnTo: request.url.replace(/([?&])(approved|skipped)=[^&]*/g, '$1').replace(/[?&]+$/, ''),
      },
      { titleKey: 'hours.queue.title' },
    );
  });

  app.post('/hours/queue/approve', { schema: { body: ApproveManyForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    refuseUnlessVerifier(user.actor);
    const shape = shapeProblems(request);
    if (shape.length > 0) throw problemOf({ status: 400, problems: shape });
    const ids = request.body.record ?? [];
    const back = localReturnPath(request.body.return_to ?? '', '/hours/queue');
    const outcome = approveMany(context, user.actor, ids);
    if (!outcome.ok) throw problemOf(outcome);
    const skipped = outcome.value.skipped.map((entry) => `${entry.id}.${entry.problem.code.replace('hours.error.', '')}`).join(',');
    return reply.seeOther(`${back}${back.includes('?') ? '&' : '?'}approved=${outcome.value.approved.length}${skipped ? `&skipped=${skipped}` : ''}`);
  });
}

const reviewRoutes: RoutePlugin = async (app) => {
  const context = hoursContext(app);
  registerRecordRoutes(app, context);
  registerQueueRoutes(app, context);
};
export default reviewRoutes;

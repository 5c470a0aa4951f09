import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../../../domain/redemption/context.ts';
import { lookUpGiftMember } from '../../../domain/redemption/lookup.ts';
import { giftsBoard } from '../../../domain/redemption/gifts-board.ts';
import { giftsAccess, giveCredits, mayGiveFrom, mayRegisterRelativesOf, registerRelative, relationKinds, relativesAccess, relativesOf } from '../../../domain/redemption/gifts.ts';
import { minutesFromParts } from '../../../lib/duration.ts';
import { Form } from '../../../lib/form-schema.ts';
import { readIdempotencyKey } from '../../../lib/forms.ts';
import type { RouteApp, RoutePlugin } from '../../../plugins/route-options.ts';
import { amountFields, minutesFromHours, redemptionContext } from '../sites/shared.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../../plugins/forms.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';

/**
 * The amount as typed: 小时 and 分钟 fields; the old decimal-hours field
 * ("1.5") is still read when neither is sent (older clients and scripts).
 */
function amountMinutesOf(values: { amount_hours: string; amount_minutes: string; amount: string }): number {
  if (values.amount_hours === '' && values.amount_minutes === '' && values.amount !== '') return minutesFromHours(values.amount);
  return minutesFromParts(values.amount_hours, values.amount_minutes);
}

const GiftsQuery = Form.object({ done: Form.optional(Form.optionalId()), relative: Form.optional(Form.text(10)) });
const GiftForm = Form.object({
  idempotency_key: Form.idempotencyKey(), kind: Form.optional(Form.oneOf(['gift', 'donation'])), from: Form.optional(Form.text(200)), to: Form.optional(Form.text(200)),
  ...amountFields('amount', 'amount'), relative: Form.optional(Form.text(40)), pin: Form.optional(Form.text(20)),
});
const RelativeForm = Form.object({ member: Form.optional(Form.text(200)), relative: Form.optional(Form.text(200)), relation: Form.optional(Form.text(40)), relation_kind: Form.optional(Form.text(40)) });

/** The gift form as typed (shown again after a refusal). */
function giftValues(body: unknown) {
  const typed = typedValues(body);
  const text = (name: string) => (typed[name] ?? '').trim();
  return {
    kind: typed.kind === 'donation' ? 'donation' : 'gift', from: text('from'), to: text('to'), amount_hours: text('amount_hours'), amount_minutes: text('amount_minutes'),
    amount: text('amount'), relative: text('relative'), idempotency_key: readIdempotencyKey(body) ?? '',
  };
}

/** The gifts page: the board, the form as typed and its refusals. */
/** What the relatives form keeps on a refusal (its card numbers under their own names: the gift form has a `relative` field too). */
function relativeValues(body: unknown): Record<string, string> {
  const typed = typedValues(body);
  const text = (name: string) => (typed[name] ?? '').trim();
  return { relatives_member: text('member'), relatives_relative: text('relative'), relation_kind: text('relation_kind'), relation: text('relation') };
}

function giftsPageFor(app: RouteApp, request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) {
  const query = request.query as { done?: number | ''; relative?: string };
  const board = giftsBoard(redemptionContext(app), request.requireUser().actor, query.done || null);
  return reply.page('pages/redemption/gifts/index', {
    ...board,
    relativeDone: query.relative === '1',
    relationKinds,
    // A refused PIN puts the cursor back in the PIN box.
    pinRefused: problems.some((problem) => /\.pin_/.test(problem.code)),
    values, errors: problemsToForm(request.t, problems).summary, idempotencyKey: values.idempotency_key ?? '',
  }, { titleKey: 'redemption.gifts.title', status });
}

function registerGiftRoutes(app: RouteApp): void {
  const giftsPage = (request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) => giftsPageFor(app, request, reply, problems, values, status);

  app.get('/gifts', { schema: { querystring: GiftsQuery } }, async (request, reply) => {
    const denied = giftsAccess(request.requireUser().actor);
    if (denied) refusalPage(denied);
    return giftsPage(request, reply, []);
  });

  app.post('/gifts', { schema: { body: GiftForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    const denied = giftsAccess(user.actor);
    if (denied) refusalPage(denied);
    const context = redemptionContext(app);
    const values = giftValues(request.body);
    const shape = shapeProblems(request);
    if (shape.length > 0) return giftsPage(request, reply, shape, values, 422);
    if (!values.idempotency_key) return giftsPage(request, reply, [{ code: 'redemption.error.key_reused' }], values, 400);
    const selfMemberId = (user.actor.memberId ?? null);
    let fromMemberId = selfMemberId;
    if (values.from !== '') {
      const giver = lookUpGiftMember(context, user.actor, values.from, 'from', { usable: (id) => mayGiveFrom(app.db, user.actor, selfMemberId, id) });
      if (!giver.ok) return giftsPage(request, reply, giver.problems, values, giver.status);
      fromMemberId = giver.value.memberId;
    }
    if (fromMemberId === null) return giftsPage(request, reply, [{ code: 'redemption.error.no_member_login' }], values, 422);
    let toMemberId: number | null = null;
    if (values.kind === 'gift' && values.relative !== '' && values.relative !== 'card') {
      // A registered relative picked from the list; anyone else is refused as before (relatives only).
      const picked = relativesOf(app.db, fromMemberId).find((relative) => String(relative.memberId) === values.relative);
      if (!picked) return giftsPage(request, reply, [{ code: 'redemption.error.receiver_not_found' }], values, 404);
      toMemberId = picked.memberId;
    } else if (values.kind === 'gift') {
      const receiver = lookUpGiftMember(context, user.actor, values.to, 'to', { relativeOf: fromMemberId });
      if (!receiver.ok) return giftsPage(request, reply, receiver.problems, values, receiver.status);
      toMemberId = receiver.value.memberId;
    }
    const result = await giveCredits(context, user.actor, {
      fromMemberId, toMemberId, kind: values.kind as 'gift' | 'donation', amountMinutes: amountMinutesOf(values), pin: (request.body.pin ?? '').trim(),
      idempotencyKey: values.idempotency_key, actorMemberId: selfMemberId,
    });
    if (!result.ok) return giftsPage(request, reply, result.problems, values, result.status);
    return reply.seeOther(`/gifts?done=${result.value.id}`);
  });
}

function registerRelativeRoutes(app: RouteApp): void {
  const giftsPage = (request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) => giftsPageFor(app, request, reply, problems, values, status);
  app.post('/gifts/relatives', { schema: { body: RelativeForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    const denied = relativesAccess(user.actor);
    if (denied) refusalPage(denied);
    const context = redemptionContext(app);
    const shape = shapeProblems(request);
    if (shape.length > 0) return giftsPage(request, reply, shape, relativeValues(request.body), 422);
    const a = lookUpGiftMember(context, user.actor, (request.body.member ?? '').trim(), 'member', { usable: (id) => mayRegisterRelativesOf(app.db, user.actor, id) });
    if (!a.ok) return giftsPage(request, reply, a.problems, relativeValues(request.body), a.status);
    const b = lookUpGiftMember(context, user.actor, (request.body.relative ?? '').trim(), 'relative');
    if (!b.ok) return giftsPage(request, reply, b.problems, relativeValues(request.body), b.status);
    const result = registerRelative(context, user.actor, { memberId: a.value.memberId, relativeMemberId: b.value.memberId, kind: request.body.relation_kind ?? '', relation: request.body.relation ?? '' });
    if (!result.ok) return giftsPage(request, reply, result.problems, relativeValues(request.body), result.status);
    return reply.seeOther('/gifts?relative=1');
  });
}

const giftsRoutes: RoutePlugin = async (app) => {
  registerGiftRoutes(app);
  registerRelativeRoutes(app);
};
export default giftsRoutes;

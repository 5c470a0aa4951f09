import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { permission } from '../../domain/access/authorize.ts';
import type { Problem } from '../../domain/redemption/context.ts';
import { lookUpGiftMember } from '../../domain/redemption/lookup.ts';
import { giftsBoard } from '../../domain/redemption/gifts-board.ts';
import { canRegisterRelatives, canUseGifts, giveCredits, mayGiveFrom, mayRegisterRelativesOf, registerRelative, relativesOf } from '../../domain/redemption/gifts.ts';
import { minutesFromParts } from '../../lib/duration.ts';
import { field, readIdempotencyKey } from '../../lib/forms.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { minutesFromHours, positiveId, redemptionContext } from '../sites/shared.ts';
import { problemsToForm } from '../../plugins/forms.ts';

/**
 * The amount as typed: 小时 and 分钟 fields; the old decimal-hours field
 * ("1.5") is still read when neither is sent (older clients and scripts).
 */
function amountMinutesOf(values: { amount_hours: string; amount_minutes: string; amount: string }): number {
  if (values.amount_hours === '' && values.amount_minutes === '' && values.amount !== '') return minutesFromHours(values.amount);
  return minutesFromParts(values.amount_hours, values.amount_minutes);
}

const giftsRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  function giftsPage(request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) {
    const board = giftsBoard(redemptionContext(app), request.requireUser().actor, positiveId(field(request.query, 'done')));
    return reply.page('pages/gifts/index', {
      ...board,
      relativeDone: field(request.query, 'relative') === '1',
      // A refused PIN puts the cursor back in the PIN box.
      pinRefused: problems.some((problem) => /\.pin_/.test(problem.code)),
      values, errors: problemsToForm(request.t, problems).summary, idempotencyKey: values.idempotency_key ?? '',
    }, { titleKey: 'redemption.gifts.title', status });
  }

  app.get('/gifts', async (request, reply) => {
    request.authorize(canUseGifts);
    return giftsPage(request, reply, []);
  });

  app.post('/gifts', async (request, reply) => {
    request.authorize(canUseGifts);
    const user = request.requireUser();
    const context = redemptionContext(app);
    const values = {
      kind: field(request.body, 'kind') === 'donation' ? 'donation' : 'gift', from: field(request.body, 'from').trim(), to: field(request.body, 'to').trim(),
      amount_hours: field(request.body, 'amount_hours').trim(), amount_minutes: field(request.body, 'amount_minutes').trim(),
      amount: field(request.body, 'amount').trim(), relative: field(request.body, 'relative').trim(), idempotency_key: readIdempotencyKey(request.body) ?? '',
    };
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
      fromMemberId, toMemberId, kind: values.kind as 'gift' | 'donation', amountMinutes: amountMinutesOf(values), pin: field(request.body, 'pin').trim(),
      idempotencyKey: values.idempotency_key, actorMemberId: selfMemberId,
    });
    if (!result.ok) return giftsPage(request, reply, result.problems, values, result.status);
    return reply.seeOther(`/gifts?done=${result.value.id}`);
  });

  app.post('/gifts/relatives', async (request, reply) => {
    request.authorize(canRegisterRelatives);
    const user = request.requireUser();
    const context = redemptionContext(app);
    const a = lookUpGiftMember(context, user.actor, field(request.body, 'member').trim(), 'member', { usable: (id) => mayRegisterRelativesOf(app.db, user.actor, id) });
    if (!a.ok) return giftsPage(request, reply, a.problems, {}, a.status);
    const b = lookUpGiftMember(context, user.actor, field(request.body, 'relative').trim(), 'relative');
    if (!b.ok) return giftsPage(request, reply, b.problems, {}, b.status);
    const result = registerRelative(context, user.actor, { memberId: a.value.memberId, relativeMemberId: b.value.memberId, relation: field(request.body, 'relation') });
    if (!result.ok) return giftsPage(request, reply, result.problems, {}, result.status);
    return reply.seeOther('/gifts?relative=1');
  });
};
export default giftsRoutes;

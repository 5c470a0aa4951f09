import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { permission } from '../../domain/access/authorize.ts';
import type { Problem } from '../../domain/redemption/context.ts';
import { requestsBoard } from '../../domain/redemption/requests-board.ts';
import {
  acceptRequest, cancelRequest, confirmRequest, findRequest, postRequest, requestsIn, serviceCategories, type ServiceRequest,
} from '../../domain/redemption/requests.ts';
import { field, readIdempotencyKey } from '../../lib/forms.ts';
import { notFound } from '../../plugins/http-errors.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { amountFieldValues, minutesFromAmountFields, positiveId, redemptionContext } from '../sites/shared.ts';
import { problemsToForm } from '../../plugins/forms.ts';

/** Volunteers (members) and coordinators see and act on the service requests of their area. */
export const canUseRequests = permission('requests.use', ['volunteer', 'coordinator', 'office', 'admin']);

const requestsRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  function requestsPage(request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) {
    const board = requestsBoard(redemptionContext(app), request.requireUser().actor);
    return reply.page('pages/requests/index', {
      ...board, categories: serviceCategories,
      posted: field(request.query, 'posted') === '1', values, errors: problemsToForm(request.t, problems).summary, idempotencyKey: values.idempotency_key ?? '',
    }, { titleKey: 'redemption.requests.title', status });
  }

  app.get('/requests', async (request, reply) => {
    request.authorize(canUseRequests);
    return requestsPage(request, reply, []);
  });

  app.post('/requests', async (request, reply) => {
    request.authorize(canUseRequests);
    const user = request.requireUser();
    const memberId = (user.actor.memberId ?? null);
    const values = {
      elder: field(request.body, 'elder').trim(), payer: field(request.body, 'payer') || 'wallet', category: field(request.body, 'category'),
      description: field(request.body, 'description'), when: field(request.body, 'when').trim(), place: field(request.body, 'place'),
      ...amountFieldValues(request.body, 'offered'), idempotency_key: readIdempotencyKey(request.body) ?? '',
    };
    if (!values.idempotency_key) return requestsPage(request, reply, [{ code: 'redemption.error.key_reused' }], values, 400);
    const elderId = positiveId(values.elder);
    const result = postRequest(redemptionContext(app), user.actor, {
      requesterMemberId: elderId === null ? memberId : null, elderId, payer: (['wallet', 'pool', 'voucher'].includes(values.payer) ? values.payer : 'wallet') as 'wallet',
      serviceCategory: values.category, description: values.description, scheduledFor: values.when, place: values.place,
      offeredMinutes: minutesFromAmountFields(request.body, 'offered', 'offered'), idempotencyKey: values.idempotency_key, actorMemberId: memberId,
    });
    if (!result.ok) return requestsPage(request, reply, result.problems, values, result.status);
    return reply.seeOther('/requests?posted=1');
  });

  function loadRequest(request: FastifyRequest): ServiceRequest {
    const id = positiveId((request.params as { id: string }).id);
    const found = id === null ? undefined : findRequest(redemptionContext(app), id);
    if (!found) throw notFound('redemption.error.request_not_found');
    return found;
  }

  for (const action of ['accept', 'confirm', 'cancel'] as const) {
    app.post<{ Params: { id: string } }>(`/requests/:id/${action}`, async (request, reply) => {
      request.authorize(canUseRequests);
      const user = request.requireUser();
      const found = loadRequest(request);
      const memberId = (user.actor.memberId ?? null);
      const context = redemptionContext(app);
      let result;
      if (action === 'accept') {
        if (memberId === null) return requestsPage(request, reply, [{ code: 'redemption.error.no_member_login' }], {}, 422);
        result = acceptRequest(context, user.actor, found.id, memberId, memberId);
      } else if (action === 'confirm') result = confirmRequest(context, user.actor, found.id, memberId);
      else result = cancelRequest(context, user.actor, found.id, memberId);
      if (!result.ok && result.problems[0]?.code === 'redemption.error.request_not_found') throw notFound('redemption.error.request_not_found');
      if (!result.ok) return requestsPage(request, reply, result.problems, {}, result.status);
      return reply.seeOther('/requests');
    });
  }
};
export default requestsRoutes;

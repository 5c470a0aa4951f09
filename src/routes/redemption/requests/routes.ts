import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../../../domain/redemption/context.ts';
import { requestsBoard } from '../../../domain/redemption/requests-board.ts';
import {
  acceptRequest, cancelRequest, confirmRequest, findRequest, postRequest, requestsAccess, serviceCategories, type ServiceRequest,
} from '../../../domain/redemption/requests.ts';
import { Form, IdParams } from '../../../lib/form-schema.ts';
import { readIdempotencyKey } from '../../../lib/forms.ts';
import { notFound } from '../../../plugins/http-errors.ts';
import type { RoutePlugin } from '../../../plugins/route-options.ts';
import { amountFields, amountFieldValues, minutesFromAmountFields, redemptionContext } from '../sites/shared.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../../plugins/forms.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';

const RequestsQuery = Form.object({ posted: Form.optional(Form.text(10)) });
const RequestForm = Form.object({
  idempotency_key: Form.idempotencyKey(), elder: Form.optional(Form.optionalId()), payer: Form.optional(Form.oneOf(['wallet', 'pool', 'voucher'])),
  category: Form.optional(Form.text(40)), description: Form.optional(Form.text(1000)), when: Form.optional(Form.text(40)), place: Form.optional(Form.text(200)),
  ...amountFields('offered', 'offered'),
});

const requestsRoutes: RoutePlugin = async (app) => {
  function requestsPage(request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) {
    const board = requestsBoard(redemptionContext(app), request.requireUser().actor);
    return reply.page('pages/redemption/requests/index', {
      ...board, categories: serviceCategories,
      posted: (request.query as { posted?: string }).posted === '1', values, errors: problemsToForm(request.t, problems).summary, idempotencyKey: values.idempotency_key ?? '',
    }, { titleKey: 'redemption.requests.title', status });
  }

  app.get('/requests', { schema: { querystring: RequestsQuery } }, async (request, reply) => {
    const denied = requestsAccess(request.requireUser().actor);
    if (denied) refusalPage(denied);
    return requestsPage(request, reply, []);
  });

  app.post('/requests', { schema: { body: RequestForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    const denied = requestsAccess(user.actor);
    if (denied) refusalPage(denied);
    const memberId = (user.actor.memberId ?? null);
    const typed = typedValues(request.body);
    const values = {
      elder: (typed.elder ?? '').trim(), payer: typed.payer || 'wallet', category: typed.category ?? '',
      description: typed.description ?? '', when: (typed.when ?? '').trim(), place: typed.place ?? '',
      ...amountFieldValues(request.body, 'offered'), idempotency_key: readIdempotencyKey(request.body) ?? '',
    };
    const shape = shapeProblems(request);
    if (shape.length > 0) return requestsPage(request, reply, shape, values, 422);
    if (!values.idempotency_key) return requestsPage(request, reply, [{ code: 'redemption.error.key_reused' }], values, 400);
    const elderId = request.body.elder || null;
    const result = postRequest(redemptionContext(app), user.actor, {
      requesterMemberId: elderId === null ? memberId : null, elderId, payer: request.body.payer ?? 'wallet',
      serviceCategory: values.category, description: values.description, scheduledFor: values.when, place: values.place,
      offeredMinutes: minutesFromAmountFields(request.body, 'offered', 'offered'), idempotencyKey: values.idempotency_key, actorMemberId: memberId,
    });
    if (!result.ok) return requestsPage(request, reply, result.problems, values, result.status);
    return reply.seeOther('/requests?posted=1');
  });

  function loadRequest(request: FastifyRequest): ServiceRequest {
    const found = findRequest(redemptionContext(app), (request.params as { id: number }).id);
    if (!found) throw notFound('redemption.error.request_not_found');
    return found;
  }

  for (const action of ['accept', 'confirm', 'cancel'] as const) {
    app.post(`/requests/:id/${action}`, { schema: { params: IdParams } }, async (request, reply) => {
      const user = request.requireUser();
      // The role before the lookup: someone without it learns nothing about which requests exist.
      const denied = requestsAccess(user.actor);
      if (denied) refusalPage(denied);
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

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { regionScopes } from '../../domain/access/authorize.ts';
import { elderCategoryCodes } from '../../domain/elders/categories.ts';
import type { Problem } from '../../domain/redemption/context.ts';
import { canGrantVouchers, findGrantableElders, grantVouchers, grantableRegions, grantsIn } from '../../domain/redemption/vouchers.ts';
import { field, readIdempotencyKey } from '../../lib/forms.ts';
import { formatDateTime } from '../../lib/time.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { amountFieldValues, minutesFromAmountFields, positiveId, redemptionContext } from '../sites/shared.ts';
import { problemsToForm } from '../../plugins/forms.ts';

/** Offices grant vouchers (消费券) to registered elders, one or a whole category in a region. */
const vouchersRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  function vouchersPage(request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) {
    const user = request.requireUser();
    const grants = regionScopes(user.actor, canGrantVouchers)
      .flatMap((path) => grantsIn(redemptionContext(app), path))
      .sort((a, b) => b.id - a.id)
      .map((grant) => ({ ...grant, when: formatDateTime(grant.atMs, request.locale) }));
    const doneId = positiveId(field(request.query, 'done'));
    const find = field(request.query, 'find').trim().slice(0, 40);
    const context = redemptionContext(app);
    const pickedId = positiveId(values.elder ?? '');
    const picked = pickedId === null ? [] : findGrantableElders(context, user.actor, { elderId: pickedId });
    const found = find === '' ? [] : findGrantableElders(context, user.actor, { query: find });
    const elders = [...picked, ...found.filter((elder) => elder.id !== pickedId)];
    return reply.page('pages/vouchers/index', {
      grants, done: grants.find((grant) => grant.id === doneId) ?? null, categories: elderCategoryCodes,
      find, searched: find !== '', elders, regions: grantableRegions(context, user.actor),
      values, errors: problemsToForm(request.t, problems).summary, idempotencyKey: values.idempotency_key ?? '',
    }, { titleKey: 'redemption.vouchers.title', status });
  }

  app.get('/vouchers', async (request, reply) => {
    request.authorize(canGrantVouchers);
    return vouchersPage(request, reply, []);
  });

  app.post('/vouchers', async (request, reply) => {
    request.authorize(canGrantVouchers);
    const user = request.requireUser();
    const values = {
      source: field(request.body, 'source') === 'pool' ? 'pool' : 'issuance', region: field(request.body, 'region').trim(), category: field(request.body, 'category'),
      elder: field(request.body, 'elder').trim(), ...amountFieldValues(request.body, 'amount'), reason: field(request.body, 'reason'), idempotency_key: readIdempotencyKey(request.body) ?? '',
    };
    if (!values.idempotency_key) return vouchersPage(request, reply, [{ code: 'redemption.error.key_reused' }], values, 400);
    const result = grantVouchers(redemptionContext(app), user.actor, {
      source: values.source as 'issuance' | 'pool', regionCode: values.region, elderId: positiveId(values.elder), category: values.category || null,
      amountPerElderMinutes: minutesFromAmountFields(request.body, 'amount', 'amount'), reason: values.reason, idempotencyKey: values.idempotency_key,
    });
    if (!result.ok) return vouchersPage(request, reply, result.problems, values, result.status);
    return reply.seeOther(`/vouchers?done=${result.value.id}`);
  });
};
export default vouchersRoutes;

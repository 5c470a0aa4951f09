import type { FastifyReply, FastifyRequest } from 'fastify';
import { regionScopes } from '../../../domain/access/authorize.ts';
import { elderCategoryCodes } from '../../../domain/people/elders/categories.ts';
import type { Problem } from '../../../domain/redemption/context.ts';
import { canGrantVouchers, findGrantableElders, grantVouchers, grantableRegions, grantsIn, vouchersAccess } from '../../../domain/redemption/vouchers.ts';
import { Form } from '../../../lib/form-schema.ts';
import { readIdempotencyKey } from '../../../lib/forms.ts';
import { formatDateTime } from '../../../lib/time.ts';
import type { RoutePlugin } from '../../../plugins/route-options.ts';
import { amountFields, amountFieldValues, minutesFromAmountFields, redemptionContext } from '../sites/shared.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../../plugins/forms.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';

/** Offices grant vouchers (消费券) to registered elders, one or a whole category in a region. */
const VouchersQuery = Form.object({ done: Form.optional(Form.optionalId()), find: Form.optional(Form.text(200)) });
const VoucherForm = Form.object({
  idempotency_key: Form.idempotencyKey(), source: Form.optional(Form.oneOf(['issuance', 'pool'])), region: Form.optional(Form.text(20)), category: Form.optional(Form.text(40)),
  elder: Form.optional(Form.optionalId()), ...amountFields('amount', 'amount'), reason: Form.optional(Form.text(1000)),
});

const vouchersRoutes: RoutePlugin = async (app) => {
  function vouchersPage(request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) {
    const user = request.requireUser();
    const grants = regionScopes(user.actor, canGrantVouchers)
      .flatMap((path) => grantsIn(redemptionContext(app), path))
      .sort((a, b) => b.id - a.id)
      .map((grant) => ({ ...grant, when: formatDateTime(grant.atMs, request.locale) }));
    const query = request.query as { done?: number | ''; find?: string };
    const doneId = query.done || null;
    const find = (query.find ?? '').trim().slice(0, 40);
    const context = redemptionContext(app);
    // The elder picked in a refused form, when the schema read a valid id (it coerces each field it can).
    const elder = (request.body as { elder?: unknown } | undefined)?.elder;
    const pickedId = typeof elder === 'number' ? elder : null;
    const picked = pickedId === null ? [] : findGrantableElders(context, user.actor, { elderId: pickedId });
    const found = find === '' ? [] : findGrantableElders(context, user.actor, { query: find });
    const elders = [...picked, ...found.filter((elder) => elder.id !== pickedId)];
    return reply.page('pages/redemption/vouchers/index', {
      grants, done: grants.find((grant) => grant.id === doneId) ?? null, categories: elderCategoryCodes,
      find, searched: find !== '', elders, regions: grantableRegions(context, user.actor),
      values, errors: problemsToForm(request.t, problems).summary, idempotencyKey: values.idempotency_key ?? '',
    }, { titleKey: 'redemption.vouchers.title', status });
  }

  app.get('/vouchers', { schema: { querystring: VouchersQuery } }, async (request, reply) => {
    const denied = vouchersAccess(request.requireUser().actor);
    if (denied) refusalPage(denied);
    return vouchersPage(request, reply, []);
  });

  app.post('/vouchers', { schema: { body: VoucherForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    const denied = vouchersAccess(user.actor);
    if (denied) refusalPage(denied);
    const typed = typedValues(request.body);
    const values = {
      source: typed.source === 'pool' ? 'pool' : 'issuance', region: (typed.region ?? '').trim(), category: typed.category ?? '',
      elder: (typed.elder ?? '').trim(), ...amountFieldValues(request.body, 'amount'), reason: typed.reason ?? '', idempotency_key: readIdempotencyKey(request.body) ?? '',
    };
    const shape = shapeProblems(request);
    if (shape.length > 0) return vouchersPage(request, reply, shape, values, 422);
    if (!values.idempotency_key) return vouchersPage(request, reply, [{ code: 'redemption.error.key_reused' }], values, 400);
    const result = grantVouchers(redemptionContext(app), user.actor, {
      source: values.source as 'issuance' | 'pool', regionCode: values.region, elderId: request.body.elder || null, category: values.category || null,
      amountPerElderMinutes: minutesFromAmountFields(request.body, 'amount', 'amount'), reason: values.reason, idempotencyKey: values.idempotency_key,
    });
    if (!result.ok) return vouchersPage(request, reply, result.problems, values, result.status);
    return reply.seeOther(`/vouchers?done=${result.value.id}`);
  });
};
export default vouchersRoutes;

import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorize, regionScopes } from '../../../domain/access/authorize.ts';
import { canViewClearing, clearingAccess, clearingView, recordSettlement, settlementAccess, settlementMatrix } from '../../../domain/redemption/clearing.ts';
import { regionOf, type Problem } from '../../../domain/redemption/context.ts';
import { canSetPolicy } from '../../../domain/redemption/policy.ts';
import { Form } from '../../../lib/form-schema.ts';
import { readIdempotencyKey } from '../../../lib/forms.ts';
import { formatDateTime } from '../../../lib/time.ts';
import type { RouteApp, RoutePlugin } from '../../../plugins/route-options.ts';
import { amountFields, amountFieldValues, minutesFromAmountFields, redemptionContext } from '../sites/shared.ts';
import { durationParts } from '../../../lib/duration.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../../plugins/forms.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';

/**
 * Inter-county clearing for offices: positions from the ledger per county and
 * month, settlements recorded by a higher-level office, and (for the top
 * office) a link to the network policy's page (../policy/routes.ts).
 */
/** "结算" in the matrix links to the page with the pair and the most it may move filled in; other values are not offered again. */
const ClearingQuery = Form.object({
  from: Form.optional(Form.text(20)), to: Form.optional(Form.text(20)), amount_hours: Form.optional(Form.text(10)), amount_minutes: Form.optional(Form.text(10)),
  settled: Form.optional(Form.text(10)),
});
const SettlementForm = Form.object({
  idempotency_key: Form.idempotencyKey(), from: Form.optional(Form.text(20)), to: Form.optional(Form.text(20)), ...amountFields('amount', 'amount'), note: Form.optional(Form.text(1000)),
});

/** The settlement form as the matrix's "结算" link fills it: the pair and the most it may move, when they look like codes and an amount. */
function prefillOf(query: { from?: string; to?: string; amount_hours?: string; amount_minutes?: string }): Record<string, string> {
  const offered = (value: string | undefined, shape: RegExp) => (value !== undefined && shape.test(value) ? value : '');
  return {
    from: offered(query.from, /^\d{6}$/), to: offered(query.to, /^\d{6}$/),
    amount_hours: offered(query.amount_hours, /^\d{1,4}$/), amount_minutes: offered(query.amount_minutes, /^\d{1,2}$/),
  };
}

/** The clearing page: the county positions, settlements and the policy, in the actor's scope; the form as typed and its refusals. */
function clearingPageFor(app: RouteApp, request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) {
  const user = request.requireUser();
  const scopes = regionScopes(user.actor, canViewClearing);
  const view = clearingView(redemptionContext(app));
  const inScope = (countyCode: string) => {
    const county = regionOf(app.db, countyCode);
    return county !== undefined && scopes.some((path) => county.path.startsWith(path));
  };
  const name = (code: string) => {
    const region = regionOf(app.db, code);
    return region ? (request.locale === 'en' && region.nameEn ? region.nameEn : region.nameZh) : code;
  };
  return reply.page('pages/redemption/clearing/index', {
    counties: view.counties.filter((county) => inScope(county.countyCode)).map((county) => ({ ...county, name: name(county.countyCode) })),
    months: view.months.filter((month) => inScope(month.countyCode)).map((month) => ({ ...month, name: name(month.countyCode) })),
    pairs: view.pairs.filter((pair) => inScope(pair.fromCountyCode) || inScope(pair.toCountyCode)).map((pair) => ({ ...pair, fromName: name(pair.fromCountyCode), toName: name(pair.toCountyCode) })),
    settlements: view.settlements.filter((s) => inScope(s.fromCountyCode) || inScope(s.toCountyCode))
      .map((s) => ({ ...s, fromName: name(s.fromCountyCode), toName: name(s.toCountyCode), when: formatDateTime(s.atMs, request.locale) })),
    networkSumMinutes: view.networkSumMinutes,
    matrix: settlementMatrix(redemptionContext(app), user.actor),
    regionName: (region: { nameZh: string; nameEn: string | null }) => (request.locale === 'en' && region.nameEn ? region.nameEn : region.nameZh),
    canSetPolicy: authorize(user.actor, canSetPolicy) !== null,
    settled: (request.query as { settled?: string }).settled === '1',
    values, errors: problemsToForm(request.t, problems).summary, durationParts, idempotencyKey: values.idempotency_key ?? '',
  }, { titleKey: 'redemption.clearing.title', status });
}

const clearingRoutes: RoutePlugin = async (app) => {
  const clearingPage = (request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) =>
    clearingPageFor(app, request, reply, problems, values, status);

  app.get('/clearing', { schema: { querystring: ClearingQuery } }, async (request, reply) => {
    const denied = clearingAccess(request.requireUser().actor);
    if (denied) refusalPage(denied);
    return clearingPage(request, reply, [], prefillOf(request.query));
  });

  app.post('/clearing/settlements', { schema: { body: SettlementForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    const denied = settlementAccess(user.actor);
    if (denied) refusalPage(denied);
    const typed = typedValues(request.body);
    const values = {
      from: (typed.from ?? '').trim(), to: (typed.to ?? '').trim(), ...amountFieldValues(request.body, 'amount'),
      note: typed.note ?? '', idempotency_key: readIdempotencyKey(request.body) ?? '',
    };
    const shape = shapeProblems(request);
    if (shape.length > 0) return clearingPage(request, reply, shape, values, 422);
    if (!values.idempotency_key) return clearingPage(request, reply, [{ code: 'redemption.error.key_reused' }], values, 400);
    const result = recordSettlement(redemptionContext(app), user.actor, {
      fromCountyCode: values.from, toCountyCode: values.to, amountMinutes: minutesFromAmountFields(request.body, 'amount', 'amount'), note: values.note, idempotencyKey: values.idempotency_key,
    });
    if (!result.ok) return clearingPage(request, reply, result.problems, values, result.status);
    return reply.seeOther('/clearing?settled=1');
  });
};
export default clearingRoutes;

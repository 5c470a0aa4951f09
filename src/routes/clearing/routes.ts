import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { authorize, regionScopes } from '../../domain/access/authorize.ts';
import { canSettle, canViewClearing, clearingView, recordSettlement, settlementMatrix } from '../../domain/redemption/clearing.ts';
import { regionOf, type Problem } from '../../domain/redemption/context.ts';
import { canSetPolicy, getPolicy, setPolicy } from '../../domain/redemption/policy.ts';
import { field, readIdempotencyKey } from '../../lib/forms.ts';
import { formatDateTime } from '../../lib/time.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { amountFieldsBlank, amountFieldValues, minutesFromAmountFields, redemptionContext } from '../sites/shared.ts';
import { durationParts } from '../../lib/duration.ts';
import { problemsToForm } from '../../plugins/forms.ts';

/**
 * Inter-county clearing for offices: positions from the ledger per county and
 * month, settlements recorded by a higher-level office, and (for the top
 * office) the network policy for spending credits.
 */
const clearingRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  function clearingPage(request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) {
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
    return reply.page('pages/clearing/index', {
      counties: view.counties.filter((county) => inScope(county.countyCode)).map((county) => ({ ...county, name: name(county.countyCode) })),
      months: view.months.filter((month) => inScope(month.countyCode)).map((month) => ({ ...month, name: name(month.countyCode) })),
      pairs: view.pairs.filter((pair) => inScope(pair.fromCountyCode) || inScope(pair.toCountyCode)).map((pair) => ({ ...pair, fromName: name(pair.fromCountyCode), toName: name(pair.toCountyCode) })),
      settlements: view.settlements.filter((s) => inScope(s.fromCountyCode) || inScope(s.toCountyCode))
        .map((s) => ({ ...s, fromName: name(s.fromCountyCode), toName: name(s.toCountyCode), when: formatDateTime(s.atMs, request.locale) })),
      networkSumMinutes: view.networkSumMinutes,
      matrix: settlementMatrix(redemptionContext(app), user.actor),
      regionName: (region: { nameZh: string; nameEn: string | null }) => (request.locale === 'en' && region.nameEn ? region.nameEn : region.nameZh),
      canSetPolicy: authorize(user.actor, canSetPolicy) !== null,
      policy: getPolicy(app.db),
      settled: field(request.query, 'settled') === '1', policySaved: field(request.query, 'policy') === '1',
      values, errors: problemsToForm(request.t, problems).summary, durationParts, idempotencyKey: values.idempotency_key ?? '',
    }, { titleKey: 'redemption.clearing.title', status });
  }

  app.get('/clearing', async (request, reply) => {
    request.authorize(canViewClearing);
    // "结算" in the matrix links here with the pair and the most it may move filled in.
    const prefill = {
      from: /^\d{6}$/.test(field(request.query, 'from')) ? field(request.query, 'from') : '',
      to: /^\d{6}$/.test(field(request.query, 'to')) ? field(request.query, 'to') : '',
      amount_hours: /^\d{1,4}$/.test(field(request.query, 'amount_hours')) ? field(request.query, 'amount_hours') : '',
      amount_minutes: /^\d{1,2}$/.test(field(request.query, 'amount_minutes')) ? field(request.query, 'amount_minutes') : '',
    };
    return clearingPage(request, reply, [], prefill);
  });

  app.post('/clearing/settlements', async (request, reply) => {
    request.authorize(canSettle);
    const user = request.requireUser();
    const values = {
      from: field(request.body, 'from').trim(), to: field(request.body, 'to').trim(), ...amountFieldValues(request.body, 'amount'),
      note: field(request.body, 'note'), idempotency_key: readIdempotencyKey(request.body) ?? '',
    };
    if (!values.idempotency_key) return clearingPage(request, reply, [{ code: 'redemption.error.key_reused' }], values, 400);
    const result = recordSettlement(redemptionContext(app), user.actor, {
      fromCountyCode: values.from, toCountyCode: values.to, amountMinutes: minutesFromAmountFields(request.body, 'amount', 'amount'), note: values.note, idempotencyKey: values.idempotency_key,
    });
    if (!result.ok) return clearingPage(request, reply, result.problems, values, result.status);
    return reply.seeOther('/clearing?settled=1');
  });

  app.post('/clearing/policy', async (request, reply) => {
    request.authorize(canSetPolicy);
    const user = request.requireUser();
    const ageText = field(request.body, 'care_age').trim();
    const result = setPolicy(redemptionContext(app), user.actor, {
      balanceCapMinutes: amountFieldsBlank(request.body, 'cap', 'cap') ? null : minutesFromAmountFields(request.body, 'cap', 'cap'),
      capMode: field(request.body, 'cap_mode') === 'divert' ? 'divert' : 'refuse',
      careAgeYears: /^\d{1,3}$/.test(ageText) ? Number(ageText) : -1,
      giftsRelativesOnly: field(request.body, 'relatives_only') === '1',
    });
    if (!result.ok) return clearingPage(request, reply, result.problems, {}, result.status);
    return reply.seeOther('/clearing?policy=1');
  });
};
export default clearingRoutes;

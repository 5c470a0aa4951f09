import type { FastifyReply, FastifyRequest } from 'fastify';
import { reportRoot } from '../../domain/reports/access.ts';
import { fundSources } from '../../domain/fund/accounts.ts';
import { yuanText } from '../../domain/fund/amounts.ts';
import { recordFundEntry } from '../../domain/fund/fund.ts';
import { publishValuationRate } from '../../domain/fund/rates.ts';
import { cellText, isTimeCell, type Cell } from '../../domain/reports/exports.ts';
import { fundPageFor, liabilityFor } from '../../domain/reports/liability-access.ts';
import { liabilityFlagColumn, liabilitySections, reachText } from '../../domain/reports/liability-exports.ts';
import { reportMonthOf } from './month.ts';
import { canViewReports } from '../../domain/reports/permissions.ts';
import { regionDisplayName, regionTree } from '../../domain/reports/regions-cache.ts';
import type { Problem } from '../../domain/kernel/outcome.ts';
import { Form } from '../../lib/form-schema.ts';
import { readIdempotencyKey } from '../../lib/forms.ts';
import { formatDateTime } from '../../lib/time.ts';
import { problemsToForm, noErrors, shapeProblems, typedValues } from '../../plugins/forms.ts';
import { HttpProblem, refusalPage } from '../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../plugins/route-options.ts';

/**
 * The liability and guarantee-fund view (issue 20): /reports/liability leads
 * to the viewer's own region, /reports/:code/liability shows a region in
 * scope (another region answers like a missing one), /reports/fund lets the
 * offices that keep a fund record contributions and payouts and the top
 * office publish valuation rates.
 */
const LiabilityParams = Form.object({ code: Form.text(12, { pattern: '^\\d{6}(\\d{3}){0,2}$' }) });
const MonthQuery = Form.object({ month: Form.optional(Form.text(20)) });
const EntryForm = Form.object({
  idempotency_key: Form.idempotencyKey(), scope: Form.text(20, { messageKey: 'liability.error.fund_not_found' }), kind: Form.optional(Form.text(20)), amount: Form.optional(Form.text(40)),
  source: Form.optional(Form.text(20)), note: Form.optional(Form.text(400)),
});
const RateForm = Form.object({ effective_from: Form.optional(Form.text(20)), yuan_per_hour: Form.optional(Form.text(40)) });
const FundQuery = Form.object({ saved: Form.optional(Form.text(10)) });

function monthOf(app: RouteApp, request: FastifyRequest): string {
  return reportMonthOf(request, app.clock());
}

/** The fund page, with the form as typed and its refusals when a post was refused. */
function fundPage(app: RouteApp, request: FastifyRequest, reply: FastifyReply, form: { which: 'entry' | 'rate'; problems: Problem[]; values: Record<string, string> } | null, status = 200) {
  const page = fundPageFor(app.db, request.requireUser().actor);
  if (!page.ok) refusalPage(page);
  const tree = regionTree(app.db.$client);
  const scopeName = (scope: string) => {
    const county = tree.get(scope);
    return scope === 'network' ? request.t('liability.scope.network') : request.t('liability.scope.county', { county: county ? regionDisplayName(county, request.locale) : scope });
  };
  const saved = typedValues(request.query).saved;
  return reply.page('pages/reports/fund', {
    ...page.value, scopeName, yuanText, formatDateTime, fundSources, today: new Date(app.clock() + 8 * 3600_000).toISOString().slice(0, 10),
    entryErrors: form?.which === 'entry' ? problemsToForm(request.t, form.problems) : noErrors, entryValues: form?.which === 'entry' ? form.values : {},
    rateErrors: form?.which === 'rate' ? problemsToForm(request.t, form.problems) : noErrors, rateValues: form?.which === 'rate' ? form.values : {},
    saved: status === 200 ? saved ?? '' : '',
  }, { titleKey: 'liability.section.fund', status });
}

const liabilityRoutes: RoutePlugin = async (app) => {
  app.get('/reports/liability', async (request, reply) => {
    const root = reportRoot(request.requireUser().actor, canViewReports);
    if (!root.ok) refusalPage(root);
    return reply.seeOther(`/reports/${root.value}/liability`);
  });

  app.get('/reports/:code/liability', { schema: { params: LiabilityParams, querystring: MonthQuery }, attachValidation: true }, async (request, reply) => {
    request.requireUser();
    if (shapeProblems(request, {}, 'reports.error.notFound').length > 0) throw new HttpProblem(400, 'errors.badRequest.message');
    const report = liabilityFor(app.db, request.requireUser().actor, request.params.code, monthOf(app, request), app.clock());
    if (!report.ok) refusalPage(report);
    const t = request.t;
    const regionName = regionDisplayName(report.value.region, request.locale);
    return reply.page('pages/reports/liability', {
      report: report.value, regionName, sections: liabilitySections(report.value, t, request.locale), cell: (value: Cell) => cellText(t, value), isTimeCell,
      reach: (band: Parameters<typeof reachText>[1]) => reachText(t, band), yuanText, flagColumn: liabilityFlagColumn,
    }, { titleKey: 'liability.title', titleVariables: { region: regionName } });
  });

  app.get('/reports/fund', { schema: { querystring: FundQuery } }, async (request, reply) => fundPage(app, request, reply, null));

  app.post('/reports/fund/entries', { schema: { body: EntryForm }, attachValidation: true }, async (request, reply) => {
    const actor = request.requireUser().actor;
    const values = typedValues(request.body);
    const shape = shapeProblems(request);
    if (shape.length > 0) return fundPage(app, request, reply, { which: 'entry', problems: shape, values }, 422);
    const outcome = recordFundEntry({ db: app.db, now: app.clock }, actor, {
      scope: values.scope ?? '', kind: values.kind === 'payout' ? 'payout' : values.kind === 'contribution' ? 'contribution' : (values.kind ?? '') as 'contribution',
      amount: values.amount ?? '', source: values.source, note: values.note,
    }, readIdempotencyKey(request.body));
    if (!outcome.ok) {
      if (outcome.status === 403 || outcome.status === 404) refusalPage(outcome);
      return fundPage(app, request, reply, { which: 'entry', problems: outcome.problems, values }, outcome.status);
    }
    return reply.seeOther('/reports/fund?saved=entry');
  });

  app.post('/reports/fund/rates', { schema: { body: RateForm }, attachValidation: true }, async (request, reply) => {
    const actor = request.requireUser().actor;
    const values = typedValues(request.body);
    const outcome = publishValuationRate({ db: app.db, now: app.clock }, actor, { effectiveFrom: values.effective_from ?? '', yuanPerHour: values.yuan_per_hour ?? '' });
    if (!outcome.ok) {
      if (outcome.status === 403) refusalPage(outcome);
      return fundPage(app, request, reply, { which: 'rate', problems: outcome.problems, values }, outcome.status);
    }
    return reply.seeOther('/reports/fund?saved=rate');
  });
};

export default liabilityRoutes;

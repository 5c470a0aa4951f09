import type { FastifyRequest } from 'fastify';
import { PassThrough } from 'node:stream';
import type { Permission } from '../../domain/access/authorize.ts';
import { mayEditTargets, reportBreadcrumb, reportRegion, reportRoleRefusal, reportRoot, targetsEditorRefusal } from '../../domain/reports/access.ts';
import { horizontalBars, trendLine } from '../../domain/reports/charts.ts';
import { ReportReader } from '../../domain/reports/dashboard.ts';
import type { DashboardCache, DashboardEntry } from '../../domain/reports/dashboard-cache.ts';
import { balanceRows, cellText, currentColumn, figureValue, hours, isTimeCell, monthlySections, percent, sectionsCsv, summaryFigures, writeMonthlyXlsx, checkpointSection, type Cell, type Section } from '../../domain/reports/exports.ts';
import { durationText } from '../../lib/duration.ts';
import { publicChainLines, publicHead } from '../../domain/bookkeeping/public-chain.ts';
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { createGzip } from 'node:zlib';
import { checkpointBefore, checkpointsDocument } from '../../domain/bookkeeping/signed-checkpoints.ts';
import { overdueElders, settlementsIn, transparency, volunteerRoster } from '../../domain/reports/lists.ts';
import { addMonths, isMonth, monthBoundsMs, monthOfMs, silverBornOnOrBefore } from '../../domain/reports/months.ts';
import { reportMonthOf } from './month.ts';
import { drainReports, refreshReports } from '../../domain/reports/refresh.ts';
import { regionDisplayName, type RegionNode } from '../../domain/reports/regions-cache.ts';
import { readTargets, targetDefinitions, updateTargets } from '../../domain/reports/targets.ts';
import { translator, type Translate } from '../../i18n/index.ts';
import { formatDateTime } from '../../lib/time.ts';
import { HttpProblem, refusalPage } from '../../plugins/http-errors.ts';
import { Form, type Static } from '../../lib/form-schema.ts';
import { shapeProblems, typedValues } from '../../plugins/forms.ts';
import type { RouteApp, RoutePlugin } from '../../plugins/route-options.ts';
import { canViewReports, canViewVisitCoverage } from '../../domain/reports/permissions.ts';
import { present } from '../../lib/assert.ts';
import { liabilityFor, publicLiability } from '../../domain/reports/liability-access.ts';
import { liabilitySections } from '../../domain/reports/liability-exports.ts';
import { yuanText } from '../../domain/fund/amounts.ts';


/**
 * A download's file name: the Chinese name (RFC 6266 filename*, what browsers
 * save) with an ASCII fallback of codes for old clients. Every export names its
 * file the same way.
 */
function attachment(asciiName: string, chineseName: string): string {
  return `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(chineseName)}`;
}

/** A report's region: its code of 6, 9 or 12 digits (another is a missing report: the 404 page). */
const ReportParams = Form.object({ code: Form.text(12, { pattern: '^\\d{6}(\\d{3}){0,2}$' }) });
/** The period of a report; a month that is not YYYY-MM is refused by monthOf (reports.error.month), other odd values fall back. */
const ReportQuery = Form.object({
  month: Form.optional(Form.text(20)), year: Form.optional(Form.text(20)), from: Form.optional(Form.text(20)), to: Form.optional(Form.text(20)),
  page: Form.optional(Form.integer(1, 1_000_000)),
});
/** Every report of a region: the shape is checked in loadRegion, after the figures are brought up to date, as before. */
const reportRoute = { schema: { params: ReportParams, querystring: ReportQuery }, attachValidation: true } as const;
/** The targets form: one number per target (the domain checks the ranges). */
const TargetsForm = Form.object(Object.fromEntries(targetDefinitions.map((definition) => [definition.key, Form.optional(Form.text(20, { messageKey: 'reports.targets.error.range' }))])));

const verifierSource = (() => {
  let source: string | undefined;
  return () => (source ??= readFileSync(new URL('../../../tools/verify-public-ledger.mjs', import.meta.url), 'utf8'));
})();

/** Transfers a request may fold in before answering; the timer does the rest. */
const requestRefreshLimit = 20_000;

type FastifyApp = RouteApp;

/**
 * The region of a report's address: the role first (403 whatever the address), then its shape, then the region in the actor's scope
 * (404 outside it, like a missing region). Handlers call it with a plain reader before `kit.freshReader()`: the refresh writes, and
 * nobody outside the report's scope may make the server do it.
 */
function loadRegion(reader: ReportReader, request: FastifyRequest<{ Params: Static<typeof ReportParams> }>, permissionNeeded: Permission = canViewReports): RegionNode {
  const actor = request.requireUser().actor;
  const denied = reportRoleRefusal(actor, permissionNeeded);
  if (denied) refusalPage(denied);
  // A malformed code is a missing report (shapeProblems throws the 404); a query of the wrong shape is a 400.
  if (shapeProblems(request, {}, 'reports.error.notFound').length > 0) throw new HttpProblem(400, 'errors.badRequest.message');
  const region = reportRegion(reader, actor, request.params.code, permissionNeeded);
  if (!region.ok) refusalPage(region);
  return region.value;
}

function breadcrumb(reader: ReportReader, request: FastifyRequest, region: RegionNode, permissionNeeded: Permission = canViewReports) {
  return reportBreadcrumb(reader, request.requireUser().actor, region, permissionNeeded)
    .map(({ node, linked }) => ({ code: node.code, name: regionDisplayName(node, request.locale), linked }));
}

/** What every reports handler shares: the connection, the bounded refresh before a read, the month and period of a query. */
function reportsKit(app: FastifyApp, dashboards: DashboardCache) {
  const sqlite = app.db.$client;
  // The figures are kept fresh in the background by the reports job (src/jobs); a page that finds them far behind starts a drain too.
  const drain = () => drainReports(sqlite, app.clock).catch((error: unknown) => app.log.error(error, 'reports refresh failed'));
  const kit = {
    sqlite,
    /** Whether the last read found the figures still behind the ledger's head. */
    behind: false,
    /** Before a read: fold in new transfers (bounded); build the registry only if it never was. */
    freshReader(): ReportReader {
      const { transfers } = refreshReports(sqlite, app.clock(), { registryMaxAgeMs: Number.POSITIVE_INFINITY, maxTransfers: requestRefreshLimit });
      // Still behind the ledger's head: the page says the figures are being brought up to date.
      kit.behind = transfers >= requestRefreshLimit;
      if (kit.behind) void drain();
      return new ReportReader(sqlite);
    },
    /** The dashboard of a region the viewer was allowed to see (loadRegion first), from memory while nothing it reads changed. */
    dashboardOf(region: RegionNode, month: string): DashboardEntry {
      return dashboards.get(sqlite, region.code, month, monthOfMs(app.clock()));
    },
    /** The liability and fund figures of a region the viewer may see (issue 20): loadRegion first. */
    liabilityOf(request: FastifyRequest, region: RegionNode, month: string) {
      const report = liabilityFor(app.db, request.requireUser().actor, region.code, month, app.clock());
      if (!report.ok) refusalPage(report);
      return report.value;
    },
    /** The month's signed month-end checkpoint as a report section (issue 17). */
    checkpointSectionOf(month: string, t: Translate, locale: string): Section {
      return checkpointSection(checkpointBefore(sqlite, monthBoundsMs(month).endMs), t, (ms) => formatDateTime(ms, locale));
    },
    monthOf(request: FastifyRequest): string {
      return reportMonthOf(request, app.clock());
    },
    rosterQuery(request: FastifyRequest) {
      // Checked by ReportQuery in loadRegion, which every roster route calls first.
      const query = request.query as Static<typeof ReportQuery>;
      const to = query.to && isMonth(query.to) ? query.to : monthOfMs(app.clock());
      const from = query.from && isMonth(query.from) && query.from <= to ? query.from : addMonths(to, -2);
      const page = Math.min(10_000, query.page ?? 1);
      return { from, to, page };
    },
    /** The top office: an administrator whose scope is a root region (the province). */
    requireTopOffice(request: FastifyRequest): void {
      const denied = targetsEditorRefusal(new ReportReader(sqlite), request.requireUser().actor);
      if (denied) refusalPage(denied);
    },
  };
  return kit;
}
type ReportsKit = ReturnType<typeof reportsKit>;

/** The way in: each role is sent to the dashboard or the visit coverage of its own region. */
function registerEntryRoutes(app: FastifyApp, kit: ReportsKit): void {
  app.get('/reports', async (request, reply) => {
    const root = reportRoot(request.requireUser().actor, canViewReports);
    if (!root.ok) refusalPage(root);
    return reply.seeOther(`/reports/${root.value}`);
  });

  // The navigation entry for the visit coverage report: coordinators have no dashboard, so they need a way in.
  app.get('/reports/visits', async (request, reply) => {
    const root = reportRoot(request.requireUser().actor, canViewVisitCoverage);
    if (!root.ok) refusalPage(root);
    return reply.seeOther(`/reports/${root.value}/visits`);
  });
}

/** The dashboard and the monthly report, on screen and as downloads. */
function registerMonthlyRoutes(app: FastifyApp, kit: ReportsKit): void {
  app.get('/reports/:code', reportRoute, async (request, reply) => {
    const region = loadRegion(new ReportReader(kit.sqlite), request);
    const reader = kit.freshReader();
    const month = kit.monthOf(request);
    const entry = kit.dashboardOf(region, month);
    const dashboard = entry.dashboard;
    const t = request.t;
    const name = (node: RegionNode) => regionDisplayName(node, request.locale);
    const charts = entry.view(request.locale, () => ({
      subregions: dashboard.children.length === 0 ? '' : horizontalBars('chart-subregions', t('reports.chart.subregions.title'), t('reports.chart.subregions.desc'),
        dashboard.children.map((child) => ({ label: name(child.region), value: child.figures.serviceMinutes, display: durationText(t, child.figures.serviceMinutes) }))),
      trend: trendLine('chart-trend', t('reports.chart.trend.title'), t('reports.chart.trend.desc', { from: present(dashboard.trend[0], 'a trend shows 12 months').month, to: month }),
        dashboard.trend.map((point) => ({ label: point.month.slice(2).replace('-', '/'), value: point.serviceMinutes, display: durationText(t, point.serviceMinutes) }))),
      services: dashboard.serviceCategories.length === 0 ? '' : horizontalBars('chart-services', t('reports.chart.services.title'), t('reports.chart.services.desc'),
        dashboard.serviceCategories.map((row) => ({ label: t(`reports.category.${row.category}`), value: row.minutes, display: `${percent(row.sharePermille)}%` }))),
    }));
    const user = request.requireUser();
    return reply.page('pages/reports/dashboard', {
      dashboard, charts, breadcrumb: breadcrumb(reader, request, region), regionName: name(region), hours: (minutes: number) => durationText(t, minutes), cell: (value: Cell) => cellText(t, value), percent, summaryFigures, figureValue, balanceRows, currentColumn,
      countyName: (code: string) => { const node = reader.region(code); return node ? name(node) : code; },
      behind: kit.behind, canEditTargets: mayEditTargets(user.actor), name, liability: kit.liabilityOf(request, region, month), yuanText,
      tablesOnce: (render: () => string) => entry.view(`${request.locale}|tables`, render),
    }, { titleKey: 'reports.title', titleVariables: { region: name(region) } });
  });

  app.get('/reports/:code/monthly', reportRoute, async (request, reply) => {
    const region = loadRegion(new ReportReader(kit.sqlite), request);
    const reader = kit.freshReader();
    const month = kit.monthOf(request);
    const dashboard = kit.dashboardOf(region, month).dashboard;
    const sections = [...monthlySections(dashboard, request.t, request.locale), ...liabilitySections(kit.liabilityOf(request, region, month), request.t, request.locale),
      kit.checkpointSectionOf(month, request.t, request.locale)];
    return reply.page('pages/reports/monthly', {
      dashboard, sections, cell: (value: Cell) => cellText(request.t, value), isTimeCell, regionName: regionDisplayName(region, request.locale), generatedAt: formatDateTime(app.clock(), request.locale),
      breadcrumb: breadcrumb(reader, request, region),
    }, { titleKey: 'reports.monthly.title', titleVariables: { region: regionDisplayName(region, request.locale), month } });
  });

  app.get('/reports/:code/monthly.xlsx', reportRoute, async (request, reply) => {
    const region = loadRegion(new ReportReader(kit.sqlite), request);
    const reader = kit.freshReader();
    const month = kit.monthOf(request);
    const dashboard = kit.dashboardOf(region, month).dashboard;
    // Exports carry Chinese headers whatever the screen language: they are handed upward.
    const t = translator('zh-CN');
    const sections = [...monthlySections(dashboard, t, 'zh-CN'), ...liabilitySections(kit.liabilityOf(request, region, month), t, 'zh-CN'), kit.checkpointSectionOf(month, t, 'zh-CN')];
    const stream = new PassThrough();
    reply.header('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    reply.header('Content-Disposition', attachment(`${region.code}-${month}-monthly.xlsx`, `${region.nameZh}-${month}-月报.xlsx`));
    reply.header('Cache-Control', 'no-store');
    writeMonthlyXlsx(stream, sections, { title: t('reports.monthly.title', { region: region.nameZh, month }) }).catch((error: unknown) => stream.destroy(error as Error));
    return reply.send(stream);
  });

  app.get('/reports/:code/monthly.csv', reportRoute, async (request, reply) => {
    const region = loadRegion(new ReportReader(kit.sqlite), request);
    const reader = kit.freshReader();
    const month = kit.monthOf(request);
    const dashboard = kit.dashboardOf(region, month).dashboard;
    const zh = translator('zh-CN');
    const sections = [...monthlySections(dashboard, zh, 'zh-CN'), ...liabilitySections(kit.liabilityOf(request, region, month), zh, 'zh-CN'), kit.checkpointSectionOf(month, zh, 'zh-CN')];
    reply.header('Content-Type', 'text/csv; charset=utf-8');
    reply.header('Content-Disposition', attachment(`${region.code}-${month}-monthly.csv`, `${region.nameZh}-${month}-月报.csv`));
    reply.header('Cache-Control', 'no-store');
    return reply.send(sectionsCsv(sections));
  });
}

/** Visit coverage, sponsoring teams and the volunteer roster of a region. */
function registerListRoutes(app: FastifyApp, kit: ReportsKit): void {
  app.get('/reports/:code/visits', reportRoute, async (request, reply) => {
    const region = loadRegion(new ReportReader(kit.sqlite), request, canViewVisitCoverage);
    const reader = kit.freshReader();
    const today = new Date(app.clock() + 8 * 3600_000).toISOString().slice(0, 10);
    const limit = 200;
    const coverage = overdueElders(kit.sqlite, region, today, limit);
    return reply.page('pages/reports/visits', { region, regionName: regionDisplayName(region, request.locale), coverage, limit, breadcrumb: breadcrumb(reader, request, region, canViewVisitCoverage) },
      { titleKey: 'reports.visits.title', titleVariables: { region: regionDisplayName(region, request.locale) } });
  });

  app.get('/reports/:code/teams', reportRoute, async (request, reply) => {
    const region = loadRegion(new ReportReader(kit.sqlite), request);
    const reader = kit.freshReader();
    const raw = request.query.year;
    const year = raw && /^\d{4}$/.test(raw) ? raw : monthOfMs(app.clock()).slice(0, 4);
    const sponsors = reader.sponsors(region, year, readTargets(kit.sqlite));
    return reply.page('pages/reports/teams', { region, regionName: regionDisplayName(region, request.locale), sponsors, year, breadcrumb: breadcrumb(reader, request, region) },
      { titleKey: 'reports.teams.title', titleVariables: { region: regionDisplayName(region, request.locale), year } });
  });

  app.get('/reports/:code/roster', reportRoute, async (request, reply) => {
    const region = loadRegion(new ReportReader(kit.sqlite), request);
    const reader = kit.freshReader();
    const { from, to, page } = kit.rosterQuery(request);
    const pageSize = 50;
    const roster = volunteerRoster(kit.sqlite, region, from, to, silverBornOnOrBefore(to), { limit: pageSize, offset: (page - 1) * pageSize });
    return reply.page('pages/reports/roster', { region, regionName: regionDisplayName(region, request.locale), roster, from, to, page, pageSize, hours: (minutes: number) => durationText(request.t, minutes), breadcrumb: breadcrumb(reader, request, region) },
      { titleKey: 'reports.roster.title', titleVariables: { region: regionDisplayName(region, request.locale) } });
  });

  app.get('/reports/:code/roster.csv', reportRoute, async (request, reply) => {
    const region = loadRegion(new ReportReader(kit.sqlite), request);
    const reader = kit.freshReader();
    const { from, to } = kit.rosterQuery(request);
    const t = translator('zh-CN');
    const roster = volunteerRoster(kit.sqlite, region, from, to, silverBornOnOrBefore(to), { limit: 1_000_000, offset: 0 });
    const sections = [{
      key: 'roster', title: t('reports.roster.title', { region: region.nameZh }) + ' ' + t('reports.roster.period', { from, to }),
      header: [t('reports.column.volunteerNumber'), t('reports.column.name'), t('reports.column.phone'), t('reports.column.village'), t('reports.column.silver'), t('reports.column.records'), t('reports.column.serviceHours'), t('reports.column.creditedHours'), t('reports.column.balance')],
      rows: roster.rows.map((row) => [row.volunteerNumber ?? '', row.maskedName, row.maskedPhone, row.villageName, row.silver ? '是' : '否', row.records, hours(row.serviceMinutes), hours(row.creditedMinutes), hours(row.balanceMinutes)]),
    }];
    reply.header('Content-Type', 'text/csv; charset=utf-8');
    reply.header('Content-Disposition', attachment(`${region.code}-${from}-${to}-roster.csv`, `${region.nameZh}-${from}至${to}-志愿者名册.csv`));
    reply.header('Cache-Control', 'no-store');
    return reply.send(sectionsCsv(sections));
  });
}

/** The county ledger, the province targets and the public transparency page. */
function registerLedgerAndTargetRoutes(app: FastifyApp, kit: ReportsKit): void {
  app.get('/reports/:code/ledger', reportRoute, async (request, reply) => {
    const region = loadRegion(new ReportReader(kit.sqlite), request);
    const reader = kit.freshReader();
    const month = kit.monthOf(request);
    const counties = reader.countyRows(region, month);
    const clearing = reader.flows(counties, month, 'clearing_flow');
    const settlements = settlementsIn(kit.sqlite, counties.map((row) => row.county.code), month);
    const countyName = (code: string) => { const node = reader.region(code); return node ? regionDisplayName(node, request.locale) : code; };
    return reply.page('pages/reports/ledger', { region, regionName: regionDisplayName(region, request.locale), month, counties, clearing, settlements, hours: (minutes: number) => durationText(request.t, minutes), countyName, formatDateTime, breadcrumb: breadcrumb(reader, request, region) },
      { titleKey: 'reports.ledger.title', titleVariables: { region: regionDisplayName(region, request.locale), month } });
  });

  app.get('/reports/targets', { schema: { querystring: Form.object({ saved: Form.optional(Form.text(10)) }) } }, async (request, reply) => {
    kit.requireTopOffice(request);
    return reply.page('pages/reports/targets', { targets: readTargets(kit.sqlite), definitions: targetDefinitions, errors: {}, values: null, saved: request.query.saved === '1' }, { titleKey: 'reports.targets.title' });
  });

  app.post('/reports/targets', { schema: { body: TargetsForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    kit.requireTopOffice(request);
    const typed = typedValues(request.body);
    const input: Record<string, string> = {};
    for (const definition of targetDefinitions) {
      const value = typed[definition.key];
      if (value !== undefined) input[definition.key] = value;
    }
    const shape = shapeProblems(request);
    if (shape.length > 0) {
      const errors = Object.fromEntries(shape.map((problem) => [problem.field, problem.code]));
      return reply.page('pages/reports/targets', { targets: readTargets(kit.sqlite), definitions: targetDefinitions, errors, values: input, saved: false }, { titleKey: 'reports.targets.title', status: 422 });
    }
    const result = updateTargets(kit.sqlite, input, user.id, app.clock());
    if (!result.ok) {
      return reply.page('pages/reports/targets', { targets: readTargets(kit.sqlite), definitions: targetDefinitions, errors: result.errors, values: input, saved: false }, { titleKey: 'reports.targets.title', status: 422 });
    }
    return reply.seeOther('/reports/targets?saved=1');
  });

  app.get('/transparency', { config: { public: true } }, async (request, reply) => {
    const reader = kit.freshReader();
    const counties = [...reader.tree.values()].filter((node) => node.level === 'county').sort((a, b) => a.code.localeCompare(b.code));
    const data = transparency(kit.sqlite, counties);
    const liability = publicLiability(app.db, monthOfMs(app.clock()));
    return reply.page('pages/reports/transparency', { data, liability, yuanText, publicKey: app.checkpointKeys.publicKey, retiredPublicKeys: app.checkpointKeys.retiredPublicKeys, hours: (minutes: number) => durationText(request.t, minutes), name: (node: RegionNode) => regionDisplayName(node, request.locale), formatDateTime }, { titleKey: 'reports.transparency.title' });
  });

  // The public chain (issue 17): every transfer's public part, gzip NDJSON, read a page at a time so memory stays flat.
  app.get('/transparency/chain', { config: { public: true } }, async (_request, reply) => {
    reply.header('content-disposition', attachment('silver-hours-chain.ndjson.gz', 'silver-hours-chain.ndjson.gz'));
    reply.header('cache-control', 'no-cache');
    const head = publicHead(kit.sqlite);
    return reply.type('application/gzip').send(Readable.from(publicChainLines(kit.sqlite, head)).pipe(createGzip()));
  });

  // The verifier itself (the same file as tools/ in the source repository), so the page's steps need nothing else.
  app.get('/transparency/verify-public-ledger.mjs', { config: { public: true } }, async (_request, reply) => {
    reply.header('content-disposition', attachment('verify-public-ledger.mjs', 'verify-public-ledger.mjs'));
    return reply.type('text/javascript; charset=utf-8').send(verifierSource());
  });

  // Every signed checkpoint with the public keys that verify them (issue 17): what tools/verify-public-ledger.mjs reads.
  app.get('/transparency/checkpoints.json', { config: { public: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(checkpointsDocument(kit.sqlite, app.checkpointKeys), null, 1));
  });
}

const reportsRoutes: RoutePlugin = async (app, options) => {
  const kit = reportsKit(app, options.dashboardCache);
  registerEntryRoutes(app, kit);
  registerMonthlyRoutes(app, kit);
  registerListRoutes(app, kit);
  registerLedgerAndTargetRoutes(app, kit);
};

export default reportsRoutes;

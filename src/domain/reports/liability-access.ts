import type { Db, Sqlite } from '../../db/client.ts';
import { inputsVersion } from './dashboard-cache.ts';
import { refreshReports } from './refresh.ts';
import { authorize, type Actor } from '../access/authorize.ts';
import { fundBalanceFen, fundEntries, fundScopesOf, keepsNetworkFund, type FundEntry } from '../fund/fund.ts';
import { valuationRates, type ValuationRate } from '../fund/rates.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { reportRoleRefusal } from './access.ts';
import { liabilityReport, redemptionAgeOn, type LiabilityReport } from './liability.ts';
import { coveragePermille } from './liability-figures.ts';
import { lastDayOf } from './months.ts';
import { canViewReports } from './permissions.ts';
import { regionTree } from './regions-cache.ts';

/**
 * Who sees which liability view: offices and administrators, for regions in
 * their scope. A region outside the scope answers exactly like a region that
 * does not exist (404), so the page tells nothing about other counties.
 */
export function liabilityFor(db: Db, actor: Actor, code: string, month: string, nowMs: number): Outcome<LiabilityReport> {
  const denied = reportRoleRefusal(actor, canViewReports);
  if (denied) return denied;
  const region = regionTree(db.$client).get(code);
  if (!region || !authorize(actor, canViewReports, { regionPath: region.path })) return failure(404, { code: 'reports.error.notFound' });
  // Only now (a refresh writes): fold in new transfers, bounded like the other report pages.
  refreshReports(db.$client, nowMs, { registryMaxAgeMs: Number.POSITIVE_INFINITY, maxTransfers: 20_000 });
  const careAgeYears = redemptionAgeOn(db, lastDayOf(month));
  return success(cachedLiability(db.$client, `${region.code}|${month}|${careAgeYears}`, () => liabilityReport(db.$client, region, month, { careAgeYears })));
}

/** What a liability report reads besides the dashboard's inputs: its own cursor, the fund's entries and the valuation rates. */
const liabilityVersionSql = `SELECT
  (SELECT position FROM report_cursors WHERE name = 'liability') AS liabilityCursor,
  (SELECT count(*) || ':' || coalesce(max(id), 0) FROM fund_entries) AS fund,
  (SELECT count(*) || ':' || coalesce(max(id), 0) FROM fund_valuation_rates) AS rates`;

const liabilityCaches = new WeakMap<Sqlite, Map<string, { version: string; report: LiabilityReport }>>();
const liabilityCacheSize = 64;
/** How many liability reports were computed (not served from memory): read by the tests. */
export const liabilityComputations = { count: 0 };

/**
 * A liability report is computed once per change of what it reads (the
 * dashboard's inputs version, the liability cursor, the fund and the rates)
 * and served from memory until then, like the dashboard (issue 16): it made
 * the dashboard three times slower when computed on every request.
 */
function cachedLiability(sqlite: Sqlite, key: string, compute: () => LiabilityReport): LiabilityReport {
  let cache = liabilityCaches.get(sqlite);
  if (!cache) liabilityCaches.set(sqlite, (cache = new Map()));
  return sqlite.transaction(() => {
    const version = `${inputsVersion(sqlite)}|${Object.values(sqlite.prepare(liabilityVersionSql).get() as Record<string, unknown>).join('|')}`;
    const hit = cache.get(key);
    if (hit && hit.version === version) return hit.report;
    const report = compute();
    liabilityComputations.count += 1;
    cache.delete(key);
    cache.set(key, { version, report });
    if (cache.size > liabilityCacheSize) cache.delete(cache.keys().next().value as string);
    return report;
  }).deferred();
}

export interface FundPage {
  funds: { scope: string; balanceFen: number }[];
  entries: FundEntry[];
  rates: ValuationRate[];
  mayPublishRates: boolean;
}

/** The funds the actor keeps, their latest entries and the valuation rates (403 for someone who keeps none). */
export function fundPageFor(db: Db, actor: Actor): Outcome<FundPage> {
  const scopes = fundScopesOf(db.$client, actor);
  if (scopes.length === 0) return failure(403, { code: 'errors.forbidden.message' });
  return success({
    funds: scopes.map((scope) => ({ scope, balanceFen: fundBalanceFen(db.$client, scope) })),
    entries: fundEntries(db.$client, scopes, 50),
    rates: valuationRates(db.$client),
    mayPublishRates: keepsNetworkFund(actor),
  });
}

export interface PublicLiability {
  month: string;
  outstandingMinutes: number;
  fundFen: number;
  fenPerHour: number | null;
  coveragePermille: number | null;
}

/** The network's outstanding credits and fund coverage for /transparency: totals over the root regions, nothing else. */
export function publicLiability(db: Db, month: string): PublicLiability {
  const roots = [...regionTree(db.$client).values()].filter((node) => node.parentCode === null);
  const reports = roots.map((root) => liabilityReport(db.$client, root, month, { careAgeYears: redemptionAgeOn(db, lastDayOf(month)) }));
  const outstandingMinutes = reports.reduce((sum, report) => sum + report.outstandingMinutes, 0);
  const fundFen = reports.reduce((sum, report) => sum + report.fundFen, 0);
  const fenPerHour = reports[0]?.fenPerHour ?? null;
  return { month, outstandingMinutes, fundFen, fenPerHour, coveragePermille: coveragePermille(fundFen, outstandingMinutes, fenPerHour) };
}

import type { Sqlite } from '../../db/client.ts';
import { transferCodes } from '../../ledger/types.ts';
import { metric, registryMetric } from './metrics.ts';
import { liabilityMetric } from './liability-refresh.ts';
import { addMonths, monthsEndingWith } from './months.ts';
import { childrenIn, regionTree, type RegionNode } from './regions-cache.ts';
import { ratePermilleOf, readTargets, type Targets } from './targets.ts';

/**
 * Reads a region's report from the pre-aggregated tables only: every query
 * is a primary-key range for one region (or its direct children), so the
 * cost does not grow with the number of members or records.
 */

export interface MonthFigures {
  month: string;
  volunteersRegistered: number;
  volunteersRegisteredSilver: number;
  volunteersActive: number;
  volunteersActiveSilver: number;
  serviceMinutes: number;
  serviceRecords: number;
  creditsIssued: number;
  creditsRedeemed: number;
  redeemedAtSites: number;
  /** Posted balances of member wallets and elder voucher accounts at the end of the month. */
  outstanding: number;
  /** The same at the end of the month before: outstanding = openingOutstanding + the sum of walletFlows. */
  openingOutstanding: number;
  /** The month's movements of those balances, one per named flow (balanceFlows), in that order. */
  walletFlows: { flow: BalanceFlow; minutes: number }[];
  vouchersGranted: number;
  vouchersUsed: number;
  eldersRegistered: number;
  eldersVisited: number;
  visitRatePermille: number | null;
  ruralDisabledElders: number;
  ruralDisabledHelped: number;
  helpRatePermille: number | null;
}

export interface TargetStatus {
  key: 'visit_rate' | 'rural_disabled_help_rate' | 'village_point_share' | 'teams_and_activities';
  /** Per mille for rates; for teams: units meeting the target. */
  actual: number | null;
  target: number;
  unit: 'permille' | 'units';
  /** For teams: units counted. */
  of?: number;
  met: boolean | null;
}

export interface SponsorRow {
  sponsorUnit: string;
  sponsorKind: 'member_unit' | 'county_committee';
  regionCode: string | null;
  teams: number;
  activities: number;
  met: boolean;
}

export interface ChildRow {
  region: RegionNode;
  figures: MonthFigures;
  previous: MonthFigures;
  lastYear: MonthFigures;
}

export interface CountyLedgerRow {
  county: RegionNode;
  issued: number;
  redeemed: number;
  redeemedAtSites: number;
  outstanding: number;
  clearingBalance: number;
  poolBalance: number;
}

export interface ClearingCell {
  from: string;
  to: string;
  minutes: number;
}

export interface Dashboard {
  region: RegionNode;
  ancestors: RegionNode[];
  month: string;
  current: MonthFigures;
  previous: MonthFigures;
  lastYear: MonthFigures;
  targets: TargetStatus[];
  targetValues: Targets;
  sponsors: SponsorRow[];
  villagesRural: number;
  villagesWithPoint: number;
  children: ChildRow[];
  /** sharePermille: the category's share of the month's service minutes (per mille, rounded). */
  serviceCategories: { category: string; minutes: number; records: number; sharePermille: number }[];
  trend: { month: string; serviceMinutes: number; creditsIssued: number; creditsRedeemed: number; volunteersActive: number }[];
  counties: CountyLedgerRow[];
  clearing: ClearingCell[];
  settlements: ClearingCell[];
  /** Every county named in `clearing` and `settlements`, so exports can print names, not codes. */
  flowCounties: RegionNode[];
  /** The month shown is the current one: its figures run to today, beside the last full month. */
  inProgress: boolean;
}

/**
 * Every transfer code that can move a member's or an elder's balance, in the
 * order the reports list them; `earlier` holds movements folded in before
 * the figures kept a code (databases refreshed by an older version).
 */
export const balanceFlows = ['opening', 'service_credit', 'redemption', 'service_payment', 'voucher', 'gift', 'donation', 'correction', 'expiry', 'cap_overflow', 'settlement', 'clearing', 'earlier'] as const;
export type BalanceFlow = (typeof balanceFlows)[number];
// A new transfer code must be given a place (and a name) here, or the figures would not add up.
// The guarantee fund's codes move fen on ledger 2, never a wallet's minutes (the ledger refuses it).
const fundCodes: readonly string[] = ['fund_contribution', 'fund_payout'];
for (const code of transferCodes) {
  if (!fundCodes.includes(code) && !(balanceFlows as readonly string[]).includes(code)) throw new Error(`transfer code without a balance flow: ${code}`);
}

/** The flow a wallet_net dimension belongs to. */
export function balanceFlowOf(dimension: string): BalanceFlow {
  return (balanceFlows as readonly string[]).includes(dimension) && dimension !== 'earlier' ? (dimension as BalanceFlow) : 'earlier';
}

/**
 * A region's figures over a range of months: month -> metric -> dimension -> value. Grouped so that a
 * month's figures are read without walking the others: the liability metric alone has one row per
 * birth month (about 600 a month), which a flat map made every lookup of the dashboard walk.
 */
type FigureMap = Map<string, Map<string, Map<string, number>>>;

const noDimensions: ReadonlyMap<string, number> = new Map();

/** The values of one metric in one month, by dimension. */
function dimensionsOf(figures: FigureMap, month: string, name: string): ReadonlyMap<string, number> {
  return figures.get(month)?.get(name) ?? noDimensions;
}

function figureOf(figures: FigureMap, month: string, name: string, dimension = ''): number {
  return dimensionsOf(figures, month, name).get(dimension) ?? 0;
}

/** The value under `key`, made and stored first when there is none. */
function entryIn<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  const found = map.get(key);
  if (found !== undefined) return found;
  const made = make();
  map.set(key, made);
  return made;
}

function totalOf(values: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const value of values.values()) total += value;
  return total;
}

/** The month's service minutes and records by category, largest first, with each category's share of the minutes (permille). */
function serviceCategoriesOf(figures: FigureMap, month: string, serviceMinutes: number) {
  const categories = new Map<string, { minutes: number; records: number }>();
  const entryOf = (category: string) => entryIn(categories, category, () => ({ minutes: 0, records: 0 }));
  for (const [category, minutes] of dimensionsOf(figures, month, metric.serviceMinutes)) entryOf(category).minutes += minutes;
  for (const [category, records] of dimensionsOf(figures, month, metric.serviceRecords)) entryOf(category).records += records;
  return [...categories].map(([category, entry]) => ({ category, ...entry, sharePermille: serviceMinutes > 0 ? Math.round((entry.minutes * 1000) / serviceMinutes) : 0 }))
    .filter((entry) => entry.minutes !== 0 || entry.records !== 0).sort((a, b) => b.minutes - a.minutes);
}

export class ReportReader {
  private readonly statements;
  readonly tree: Map<string, RegionNode>;

  constructor(private readonly sqlite: Sqlite) {
    this.tree = regionTree(sqlite);
    this.statements = {
      // The liability figures (one row per birth month) have their own reader (liability-access.ts): left in SQLite.
      monthRange: sqlite.prepare(`SELECT month, metric, dimension, value FROM report_figures WHERE region_code = ? AND month >= ? AND month <= ?
        AND metric NOT IN (${Object.values(liabilityMetric).map((name) => `'${name}'`).join(', ')})`),
      walletNetUpTo: sqlite.prepare("SELECT coalesce(sum(value), 0) FROM report_figures WHERE region_code = ? AND month <= ? AND metric = 'wallet_net'").pluck(),
      registry: sqlite.prepare('SELECT metric, dimension, value FROM report_registry WHERE region_code = ?'),
      accountPosted: sqlite.prepare('SELECT credits_posted - debits_posted FROM ledger_accounts WHERE id = ?').pluck(),
      flows: sqlite.prepare('SELECT dimension, value FROM report_figures WHERE region_code = ? AND month = ? AND metric = ?'),
    };
  }

  region(code: string): RegionNode | undefined {
    return this.tree.get(code);
  }

  ancestors(region: RegionNode): RegionNode[] {
    return region.lineage.slice(0, -1).map((code) => this.tree.get(code)).filter((node): node is RegionNode => node !== undefined);
  }

  private figures(regionCode: string, fromMonth: string, toMonth: string): FigureMap {
    const map: FigureMap = new Map();
    for (const row of this.statements.monthRange.all(regionCode, fromMonth, toMonth) as { month: string; metric: string; dimension: string; value: number }[]) {
      entryIn(entryIn(map, row.month, () => new Map()), row.metric, () => new Map<string, number>()).set(row.dimension, row.value);
    }
    return map;
  }

  private registry(regionCode: string): { metric: string; dimension: string; value: number }[] {
    return this.statements.registry.all(regionCode) as { metric: string; dimension: string; value: number }[];
  }

  /** The figures of one region and month; `figures` and `registry` may be passed when already read. */
  monthFigures(regionCode: string, month: string, figures?: FigureMap, registry?: { metric: string; dimension: string; value: number }[]): MonthFigures {
    const map = figures ?? this.figures(regionCode, month, month);
    const rows = registry ?? this.registry(regionCode);
    const get = (name: string, dimension = '') => figureOf(map, month, name, dimension);
    const serviceMinutes = totalOf(dimensionsOf(map, month, metric.serviceMinutes));
    const serviceRecords = totalOf(dimensionsOf(map, month, metric.serviceRecords));
    const flowMinutes = new Map<BalanceFlow, number>();
    for (const [dimension, value] of dimensionsOf(map, month, metric.walletNet)) {
      const flow = balanceFlowOf(dimension);
      flowMinutes.set(flow, (flowMinutes.get(flow) ?? 0) + value);
    }
    const upTo = (name: string) => rows.filter((row) => row.metric === name && row.dimension <= month).reduce((sum, row) => sum + row.value, 0);
    const eldersRegistered = upTo(registryMetric.eldersJoined);
    const ruralDisabledElders = upTo(registryMetric.ruralDisabledJoined);
    const eldersVisited = get(metric.eldersVisited);
    const ruralDisabledHelped = get(metric.ruralDisabledHelped);
    return {
      month,
      volunteersRegistered: upTo(registryMetric.membersJoined),
      volunteersRegisteredSilver: upTo(registryMetric.membersSilverJoined),
      volunteersActive: get(metric.volunteersActive),
      volunteersActiveSilver: get(metric.volunteersActiveSilver),
      serviceMinutes,
      serviceRecords,
      creditsIssued: get(metric.creditsIssued),
      creditsRedeemed: get(metric.creditsRedeemed),
      redeemedAtSites: get(metric.redeemedAtSites),
      outstanding: this.statements.walletNetUpTo.get(regionCode, month) as number,
      openingOutstanding: this.statements.walletNetUpTo.get(regionCode, addMonths(month, -1)) as number,
      walletFlows: balanceFlows.filter((flow) => flowMinutes.has(flow) || !['settlement', 'clearing', 'earlier'].includes(flow)).map((flow) => ({ flow, minutes: flowMinutes.get(flow) ?? 0 })),
      vouchersGranted: get(metric.vouchersGranted),
      vouchersUsed: get(metric.vouchersUsed),
      eldersRegistered,
      eldersVisited,
      visitRatePermille: ratePermilleOf(eldersVisited, eldersRegistered),
      ruralDisabledElders,
      ruralDisabledHelped,
      helpRatePermille: ratePermilleOf(ruralDisabledHelped, ruralDisabledElders),
    };
  }

  /** Teams and themed activities in the region's subtree per sponsoring unit, and every county ageing committee. */
  sponsors(region: RegionNode, year: string, targets: Targets): SponsorRow[] {
    const rows = this.sqlite.prepare(`SELECT t.sponsor_unit AS sponsorUnit, t.sponsor_kind AS sponsorKind,
        CASE WHEN t.sponsor_kind = 'county_committee' THEN t.region_code END AS regionCode,
        count(DISTINCT t.id) AS teams,
        (SELECT count(*) FROM team_activities a JOIN teams t2 ON t2.id = a.team_id JOIN regions r2 ON r2.code = t2.region_code
          WHERE t2.sponsor_unit = t.sponsor_unit AND t2.sponsor_kind = t.sponsor_kind AND r2.path LIKE @prefix AND substr(a.activity_date, 1, 4) = @year) AS activities
      FROM teams t JOIN regions r ON r.code = t.region_code
      WHERE r.path LIKE @prefix AND substr(date((t.created_at_ms + 28800000) / 1000, 'unixepoch'), 1, 4) <= @year
      GROUP BY t.sponsor_unit, t.sponsor_kind`).all({ prefix: `${region.path}%`, year }) as Omit<SponsorRow, 'met'>[];
    const result: SponsorRow[] = rows.map((row) => ({ ...row, met: row.teams >= targets.teams_per_sponsor_per_year && row.activities >= targets.activities_per_sponsor_per_year }));
    // Every county ageing committee must have a team: a county with none is listed as not met.
    const committees = new Set(result.filter((row) => row.sponsorKind === 'county_committee').map((row) => row.regionCode));
    for (const node of this.tree.values()) {
      if (node.level !== 'county' || !node.path.startsWith(region.path) || committees.has(node.code)) continue;
      result.push({ sponsorUnit: node.nameZh, sponsorKind: 'county_committee', regionCode: node.code, teams: 0, activities: 0, met: targets.teams_per_sponsor_per_year === 0 && targets.activities_per_sponsor_per_year === 0 });
    }
    return result.sort((a, b) => a.sponsorKind.localeCompare(b.sponsorKind) || a.sponsorUnit.localeCompare(b.sponsorUnit, 'zh-CN'));
  }

  countyRows(region: RegionNode, month: string): CountyLedgerRow[] {
    const counties = region.level === 'county' ? [region]
      : region.level === 'township' || region.level === 'village' ? []
      : [...this.tree.values()].filter((node) => node.level === 'county' && node.path.startsWith(region.path)).sort((a, b) => a.code.localeCompare(b.code));
    return counties.map((county) => {
      const figures = this.figures(county.code, month, month);
      const get = (name: string) => figureOf(figures, month, name);
      return {
        county,
        issued: get(metric.creditsIssued),
        redeemed: get(metric.creditsRedeemed),
        redeemedAtSites: get(metric.redeemedAtSites),
        outstanding: this.statements.walletNetUpTo.get(county.code, month) as number,
        clearingBalance: (this.statements.accountPosted.get(`clearing:${county.code}`) as number | undefined) ?? 0,
        poolBalance: (this.statements.accountPosted.get(`pool:${county.code}`) as number | undefined) ?? 0,
      };
    });
  }

  /**
   * A clearing or settlement flow of the month in which a county in scope
   * takes part, either way: what its members spent elsewhere (or it settled)
   * and what other counties' members spent at its sites (or settled with it).
   */
  flows(counties: CountyLedgerRow[], month: string, name: string): ClearingCell[] {
    const inScope = new Set(counties.map((row) => row.county.code));
    const cells: ClearingCell[] = [];
    // Flows are kept at the paying county with the other county as dimension: read every county's row once.
    const allCounties = [...this.tree.values()].filter((node) => node.level === 'county').sort((a, b) => a.code.localeCompare(b.code));
    for (const county of allCounties) {
      const outbound = inScope.has(county.code);
      for (const flow of this.statements.flows.all(county.code, month, name) as { dimension: string; value: number }[]) {
        if (flow.value !== 0 && (outbound || inScope.has(flow.dimension))) cells.push({ from: county.code, to: flow.dimension, minutes: flow.value });
      }
    }
    return cells;
  }

  /** The counties a dashboard's clearing and settlement rows name. */
  countiesNamedIn(cells: readonly ClearingCell[]): RegionNode[] {
    const codes = new Set(cells.flatMap((cell) => [cell.from, cell.to]));
    return [...codes].map((code) => this.tree.get(code)).filter((node): node is RegionNode => node !== undefined);
  }

  /** `currentMonth`: the month of today (Shanghai); when shown, its figures run only to today. */
  dashboard(regionCode: string, month: string, currentMonth?: string): Dashboard | undefined {
    const region = this.tree.get(regionCode);
    if (!region) return undefined;
    const targetValues = readTargets(this.sqlite);
    const previousMonth = addMonths(month, -1);
    const lastYearMonth = addMonths(month, -12);
    const trendMonths = monthsEndingWith(month, 12);
    const figures = this.figures(region.code, lastYearMonth, month);
    const registry = this.registry(region.code);
    const current = this.monthFigures(region.code, month, figures, registry);
    const previous = this.monthFigures(region.code, previousMonth, figures, registry);
    const lastYear = this.monthFigures(region.code, lastYearMonth, figures, registry);
    const registryValue = (name: string) => registry.filter((row) => row.metric === name).reduce((sum, row) => sum + row.value, 0);
    const villagesRural = registryValue(registryMetric.villagesRural);
    const villagesWithPoint = registryValue(registryMetric.villagesWithPoint);
    const sponsors = this.sponsors(region, month.slice(0, 4), targetValues);
    const sponsorsMet = sponsors.filter((row) => row.met).length;

    const rateTarget = (key: TargetStatus['key'], actual: number | null, numerator: number, denominator: number, target: number): TargetStatus => ({
      key, actual, target, unit: 'permille', met: denominator === 0 ? null : numerator * 1000 >= target * denominator,
    });
    const targets: TargetStatus[] = [
      rateTarget('visit_rate', current.visitRatePermille, current.eldersVisited, current.eldersRegistered, targetValues.visit_rate_permille),
      rateTarget('rural_disabled_help_rate', current.helpRatePermille, current.ruralDisabledHelped, current.ruralDisabledElders, targetValues.rural_disabled_help_rate_permille),
      rateTarget('village_point_share', ratePermilleOf(villagesWithPoint, villagesRural), villagesWithPoint, villagesRural, targetValues.village_point_share_permille),
      { key: 'teams_and_activities', actual: sponsorsMet, of: sponsors.length, target: targetValues.teams_per_sponsor_per_year, unit: 'units', met: sponsors.length === 0 ? null : sponsorsMet === sponsors.length },
    ];

    const children = childrenIn(this.tree, region.code).map((child) => {
      const childFigures = this.figures(child.code, lastYearMonth, month);
      const childRegistry = this.registry(child.code);
      return {
        region: child,
        figures: this.monthFigures(child.code, month, childFigures, childRegistry),
        previous: this.monthFigures(child.code, previousMonth, childFigures, childRegistry),
        lastYear: this.monthFigures(child.code, lastYearMonth, childFigures, childRegistry),
      };
    });
    const trend = trendMonths.map((trendMonth) => {
      const figuresOfMonth = this.monthFigures(region.code, trendMonth, figures, registry);
      return { month: trendMonth, serviceMinutes: figuresOfMonth.serviceMinutes, creditsIssued: figuresOfMonth.creditsIssued, creditsRedeemed: figuresOfMonth.creditsRedeemed, volunteersActive: figuresOfMonth.volunteersActive };
    });
    const counties = this.countyRows(region, month);
    const clearing = this.flows(counties, month, metric.clearingFlow);
    const settlements = this.flows(counties, month, metric.settlementFlow);
    return {
      region,
      ancestors: this.ancestors(region),
      month,
      current,
      previous,
      lastYear,
      targets,
      targetValues,
      sponsors,
      villagesRural,
      villagesWithPoint,
      children,
      serviceCategories: serviceCategoriesOf(figures, month, current.serviceMinutes),
      trend,
      counties,
      clearing,
      settlements,
      flowCounties: this.countiesNamedIn([...clearing, ...settlements]),
      inProgress: month === currentMonth,
    };
  }
}

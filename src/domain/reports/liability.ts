import type { Sqlite } from '../../db/client.ts';
import type { Db } from '../../db/client.ts';
import { fundBalancesBefore } from '../fund/fund.ts';
import { rateOn } from '../fund/rates.ts';
import { policyInForce } from '../redemption/policy-versions.ts';
import { shanghaiToUtcMs } from '../hours/time.ts';
import { bandsOf, cohortsOf, coveragePermille, fifoAgeTenths, outstandingOf, projection, regionTotals, type BandRow, type ProjectionYear } from './liability-figures.ts';
import { lastDayOf, monthBoundsMs } from './months.ts';
import { regionTree, type RegionNode } from './regions-cache.ts';
import { ratePermilleOf, readTargets } from './targets.ts';

/**
 * What the network owes its members and what backs it (issue 20), for one
 * region at the end of one month. See docs/LIABILITY.md for every definition.
 */

/**
 * The redemption age for care in force on a Shanghai date (`YYYY-MM-DD`): the
 * general care age of the policy version in force that day. The lower age for
 * registered special-difficulty elders is not applied to the bands (the bands
 * count holders, not registry entries); docs/LIABILITY.md says so.
 */
export function redemptionAgeOn(db: Db, date: string): number {
  return policyInForce(db, shanghaiToUtcMs(date)).rules.careAgeYears;
}

export interface CountyLiability {
  county: RegionNode;
  outstandingMinutes: number;
  issuedMinutes12: number;
  redeemedMinutes12: number;
  /** Redeemed ÷ issued over the 12 months to the month's end, per mille (null: nothing issued). */
  redemptionRatePermille: number | null;
  /** FIFO age of the unspent credits, tenths of a month (null: nothing owed). */
  averageAgeTenths: number | null;
  /** Below the redemption-rate target: the 易存难兑 warning. */
  belowTarget: boolean;
  fundFen: number;
  coveragePermille: number | null;
}

export interface LiabilityReport {
  region: RegionNode;
  month: string;
  careAgeYears: number;
  targetPermille: number;
  fenPerHour: number | null;
  outstandingMinutes: number;
  issuedMinutes12: number;
  redeemedMinutes12: number;
  redemptionRatePermille: number | null;
  averageAgeTenths: number | null;
  bands: BandRow[];
  /** The funds that back this region: its counties' own and its share of the network fund. */
  fundFen: number;
  networkFundFen: number;
  countyFundFen: number;
  coveragePermille: number | null;
  counties: CountyLiability[];
  projection: ProjectionYear[];
}

/** The counties a region's liability lists: its counties, or the region itself at county level; none below. */
function countiesOf(tree: Map<string, RegionNode>, region: RegionNode): RegionNode[] {
  if (region.level === 'county') return [region];
  if (region.level === 'township' || region.level === 'village') return [];
  return [...tree.values()].filter((node) => node.level === 'county' && node.path.startsWith(region.path)).sort((a, b) => a.code.localeCompare(b.code));
}

/** The county a region lies in (itself for a county), or undefined above county level. */
function countyAbove(tree: Map<string, RegionNode>, region: RegionNode): RegionNode | undefined {
  return region.lineage.map((code) => tree.get(code)).find((node) => node?.level === 'county');
}

interface FundShare {
  networkFen: number;
  networkMinutes: number;
  funds: Map<string, number>;
  minutesOf: (code: string) => number;
}

/**
 * The fund behind a region: the network fund shared in proportion to what
 * each region owes, plus the own funds of the counties inside it (a region
 * below a county gets its county's fund in proportion too).
 */
function fundBehind(tree: Map<string, RegionNode>, region: RegionNode, outstandingMinutes: number, share: FundShare): { networkFen: number; countyFen: number } {
  const proportion = (fen: number, of: number) => (of > 0 ? Math.floor((fen * Math.max(0, outstandingMinutes)) / of) : 0);
  const networkFen = proportion(share.networkFen, share.networkMinutes);
  const above = countyAbove(tree, region);
  if (above && above.code !== region.code) return { networkFen, countyFen: proportion(share.funds.get(above.code) ?? 0, share.minutesOf(above.code)) };
  const countyFen = countiesOf(tree, region).reduce((sum, county) => sum + (share.funds.get(county.code) ?? 0), 0);
  return { networkFen, countyFen };
}

export interface LiabilityOptions {
  careAgeYears: number;
  targetPermille?: number;
}

export function liabilityReport(sqlite: Sqlite, region: RegionNode, month: string, options: LiabilityOptions): LiabilityReport {
  const tree = regionTree(sqlite);
  const { endMs } = monthBoundsMs(month);
  const targetPermille = options.targetPermille ?? readTargets(sqlite).redemption_rate_permille;
  const fenPerHour = rateOn(sqlite, lastDayOf(month));
  const funds = fundBalancesBefore(sqlite, endMs);
  const roots = [...tree.values()].filter((node) => node.parentCode === null);
  const minutesOf = (code: string) => outstandingOf(sqlite, code, month);
  const share: FundShare = { networkFen: funds.get('network') ?? 0, networkMinutes: roots.reduce((sum, root) => sum + minutesOf(root.code), 0), funds, minutesOf };
  const figures = regionTotals(sqlite, region.code, month);
  const cohorts = cohortsOf(sqlite, region.code, month);
  const behind = fundBehind(tree, region, figures.outstandingMinutes, share);
  const fundFen = behind.networkFen + behind.countyFen;
  const counties = countiesOf(tree, region).map((county) => countyRow(sqlite, tree, county, month, targetPermille, fenPerHour, share));
  const rateAt = (date: string) => rateOn(sqlite, date);
  return {
    region, month, careAgeYears: options.careAgeYears, targetPermille, fenPerHour,
    outstandingMinutes: figures.outstandingMinutes, issuedMinutes12: figures.issuedMinutes12, redeemedMinutes12: figures.redeemedMinutes12,
    redemptionRatePermille: ratePermilleOf(figures.redeemedMinutes12, figures.issuedMinutes12),
    averageAgeTenths: fifoAgeTenths(figures.outstandingMinutes, figures.inflows, month),
    bands: bandsOf(cohorts, month, options.careAgeYears),
    fundFen, networkFundFen: behind.networkFen, countyFundFen: behind.countyFen,
    coveragePermille: coveragePermille(fundFen, figures.outstandingMinutes, fenPerHour),
    counties,
    projection: projection({ ...figures, cohorts, month, careAgeYears: options.careAgeYears, fundFen, rateOn: rateAt, lastDayOf }),
  };
}

function countyRow(sqlite: Sqlite, tree: Map<string, RegionNode>, county: RegionNode, month: string, targetPermille: number, fenPerHour: number | null, share: FundShare): CountyLiability {
  const figures = regionTotals(sqlite, county.code, month);
  const rate = ratePermilleOf(figures.redeemedMinutes12, figures.issuedMinutes12);
  const behind = fundBehind(tree, county, figures.outstandingMinutes, share);
  const fundFen = behind.networkFen + behind.countyFen;
  return {
    county, outstandingMinutes: figures.outstandingMinutes, issuedMinutes12: figures.issuedMinutes12, redeemedMinutes12: figures.redeemedMinutes12,
    redemptionRatePermille: rate, averageAgeTenths: fifoAgeTenths(figures.outstandingMinutes, figures.inflows, month),
    belowTarget: rate !== null && rate < targetPermille, fundFen, coveragePermille: coveragePermille(fundFen, figures.outstandingMinutes, fenPerHour),
  };
}

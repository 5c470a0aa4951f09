import type { Sqlite } from '../../db/client.ts';
import { liabilityMetric } from './liability-refresh.ts';
import { addMonths } from './months.ts';

/**
 * The pure arithmetic of the liability view (issue 20), on figures already
 * read: ages of birth-month cohorts, age bands, the FIFO age of a balance,
 * coverage and the 5-year projection. Every formula is stated in
 * docs/LIABILITY.md and on the page.
 */

export const ageBands = [
  { key: 'under50', from: 0, to: 49 },
  { key: 'from50', from: 50, to: 59 },
  { key: 'from60', from: 60, to: 64 },
  { key: 'from65', from: 65, to: 69 },
  { key: 'from70', from: 70, to: 79 },
  { key: 'from80', from: 80, to: Number.POSITIVE_INFINITY },
] as const;
export type AgeBandKey = (typeof ageBands)[number]['key'];

/** Age in whole years on the last day of `month` of someone born in `birthMonth` (both 'YYYY-MM'): exact, whatever the day of birth. */
export function ageAtMonthEnd(birthMonth: string, month: string): number {
  const [birthYear, birthMonthNumber] = birthMonth.split('-').map(Number) as [number, number];
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return year - birthYear - (birthMonthNumber > monthNumber ? 1 : 0);
}

export interface Cohort {
  birthMonth: string;
  minutes: number;
}

export interface BandRow {
  key: AgeBandKey;
  minutes: number;
  /** Minutes held by members of the band who have reached the redemption age at the month's end. */
  eligibleMinutes: number;
  /** The months in which the band's holders not yet old enough reach the redemption age (null: all have). */
  reachFrom: string | null;
  reachTo: string | null;
}

/** Outstanding minutes by age band at the end of `month`, each with when its holders reach `careAgeYears`. */
export function bandsOf(cohorts: readonly Cohort[], month: string, careAgeYears: number): BandRow[] {
  return ageBands.map((band) => {
    const row: BandRow = { key: band.key, minutes: 0, eligibleMinutes: 0, reachFrom: null, reachTo: null };
    for (const cohort of cohorts) {
      const age = ageAtMonthEnd(cohort.birthMonth, month);
      if (age < band.from || age > band.to || cohort.minutes === 0) continue;
      row.minutes += cohort.minutes;
      if (age >= careAgeYears) {
        row.eligibleMinutes += cohort.minutes;
        continue;
      }
      const reach = addMonths(cohort.birthMonth, careAgeYears * 12);
      if (row.reachFrom === null || reach < row.reachFrom) row.reachFrom = reach;
      if (row.reachTo === null || reach > row.reachTo) row.reachTo = reach;
    }
    return row;
  });
}

/** Minutes held at the end of `month` by holders at or above the redemption age then. */
export function eligibleMinutes(cohorts: readonly Cohort[], month: string, careAgeYears: number): number {
  return cohorts.reduce((sum, cohort) => sum + (ageAtMonthEnd(cohort.birthMonth, month) >= careAgeYears ? cohort.minutes : 0), 0);
}

function monthIndex(month: string): number {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return year * 12 + monthNumber - 1;
}

/**
 * The average age, in tenths of a month, of the credits still unspent at the
 * end of `month`, first in first out over the region as a whole: the
 * balance is taken to be the latest inflows (newest month first), each aged
 * from the middle of its month to the month's end. Null when nothing is owed.
 */
export function fifoAgeTenths(balanceMinutes: number, inflowsNewestFirst: readonly { month: string; minutes: number }[], month: string): number | null {
  if (balanceMinutes <= 0) return null;
  let remaining = balanceMinutes;
  let weighted = 0;
  let oldestAge = 0.5;
  for (const inflow of inflowsNewestFirst) {
    if (remaining <= 0) break;
    const taken = Math.min(remaining, Math.max(0, inflow.minutes));
    oldestAge = monthIndex(month) - monthIndex(inflow.month) + 0.5;
    weighted += taken * oldestAge;
    remaining -= taken;
  }
  weighted += Math.max(0, remaining) * oldestAge;
  return Math.round((weighted * 10) / balanceMinutes);
}

/** Coverage in per mille: fund ÷ (outstanding hours × rate) = fen × 60 × 1000 ÷ (minutes × fen per hour), rounded down; null without a debt or a rate. */
export function coveragePermille(fundFen: number, outstandingMinutes: number, fenPerHour: number | null): number | null {
  if (outstandingMinutes <= 0 || fenPerHour === null || fenPerHour <= 0) return null;
  return Math.floor((fundFen * 60 * 1000) / (outstandingMinutes * fenPerHour));
}

export interface ProjectionInput {
  outstandingMinutes: number;
  issuedMinutes12: number;
  redeemedMinutes12: number;
  cohorts: readonly Cohort[];
  month: string;
  careAgeYears: number;
  fundFen: number;
  rateOn: (date: string) => number | null;
  lastDayOf: (month: string) => string;
}

export interface ProjectionYear {
  year: number;
  month: string;
  eligibleSharePermille: number;
  redeemedMinutes: number;
  outstandingMinutes: number;
  fenPerHour: number | null;
  coveragePermille: number | null;
}

/**
 * The next 5 years, year by year (y = 1..5, at the end of month M + 12y):
 *   q   = R ÷ E0 (the share of redeemable credits redeemed in the last 12 months, at most 1; 0 when E0 = 0)
 *   e_y = share of today's balance held by holders at or above the redemption age at the end of year y
 *   R_y = round(q × e_y × H_{y-1});  H_y = max(0, H_{y-1} + I − R_y)
 *   coverage_y = F ÷ (H_y ÷ 60 × rate in force at the end of year y)
 * with H_0 the outstanding minutes now, I and R the last 12 months' issuance
 * and redemption, E0 the minutes held now by holders old enough, F the fund
 * now (no new contributions assumed).
 */
export function projection(input: ProjectionInput): ProjectionYear[] {
  const total = input.cohorts.reduce((sum, cohort) => sum + cohort.minutes, 0);
  const eligibleNow = eligibleMinutes(input.cohorts, input.month, input.careAgeYears);
  const q = eligibleNow > 0 ? Math.min(1, input.redeemedMinutes12 / eligibleNow) : 0;
  const years: ProjectionYear[] = [];
  let held = input.outstandingMinutes;
  for (let year = 1; year <= 5; year += 1) {
    const month = addMonths(input.month, 12 * year);
    const share = total > 0 ? eligibleMinutes(input.cohorts, month, input.careAgeYears) / total : 0;
    const redeemed = Math.round(q * share * held);
    held = Math.max(0, held + input.issuedMinutes12 - redeemed);
    const fenPerHour = input.rateOn(input.lastDayOf(month));
    years.push({ year, month, eligibleSharePermille: Math.round(share * 1000), redeemedMinutes: redeemed, outstandingMinutes: held, fenPerHour, coveragePermille: coveragePermille(input.fundFen, held, fenPerHour) });
  }
  return years;
}

/** The totals of one region the liability view reads (report_figures, liability cursor): no per-cohort rows. */
export function regionTotals(sqlite: Sqlite, regionCode: string, month: string) {
  const sum = sqlite.prepare('SELECT coalesce(sum(value), 0) FROM report_figures WHERE region_code = ? AND metric = ? AND month > ? AND month <= ?').pluck();
  const inflows = sqlite.prepare(`SELECT month, value AS minutes FROM report_figures WHERE region_code = ? AND metric = ? AND dimension = '' AND month <= ? ORDER BY month DESC`)
    .all(regionCode, liabilityMetric.inflow, month) as { month: string; minutes: number }[];
  const yearAgo = addMonths(month, -12);
  return {
    inflows,
    outstandingMinutes: sum.get(regionCode, liabilityMetric.balance, '', month) as number,
    issuedMinutes12: sum.get(regionCode, liabilityMetric.issued, yearAgo, month) as number,
    redeemedMinutes12: sum.get(regionCode, liabilityMetric.redeemed, yearAgo, month) as number,
  };
}

/** What a region owes at the end of `month`, by the holders' birth month (for the age bands and the projection). */
export function cohortsOf(sqlite: Sqlite, regionCode: string, month: string): Cohort[] {
  return sqlite.prepare(`SELECT dimension AS birthMonth, sum(value) AS minutes FROM report_figures
      WHERE region_code = ? AND metric = ? AND month <= ? GROUP BY dimension HAVING sum(value) <> 0 ORDER BY dimension`)
    .all(regionCode, liabilityMetric.balance, month) as Cohort[];
}

/** Outstanding minutes of a region at the end of `month`. */
export function outstandingOf(sqlite: Sqlite, regionCode: string, month: string): number {
  return sqlite.prepare('SELECT coalesce(sum(value), 0) FROM report_figures WHERE region_code = ? AND metric = ? AND month <= ?').pluck()
    .get(regionCode, liabilityMetric.balance, month) as number;
}

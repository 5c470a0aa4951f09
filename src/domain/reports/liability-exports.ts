import type { Translate } from '../../i18n/index.ts';
import { percent, timeCell, type Cell, type Section } from './exports.ts';
import type { LiabilityReport } from './liability.ts';
import { regionDisplayName } from './regions-cache.ts';

/**
 * The liability figures (issue 20) as report sections: what the page, the
 * dashboard, the print page, the xlsx and the CSV of the monthly report
 * show. Aggregates only; no personal data.
 */

const ageText = (tenths: number | null) => (tenths === null ? null : tenths / 10);
/** Yuan as a number with its fen (spreadsheets add the column up). */
const yuan = (fen: number | null) => (fen === null ? null : fen / 100);

/** When a band's holders reach the redemption age: "已达到", one month, or a span. */
export function reachText(t: Translate, band: { minutes: number; eligibleMinutes: number; reachFrom: string | null; reachTo: string | null }): string {
  if (band.minutes === 0) return '—';
  if (band.reachFrom === null) return t('liability.reach.already');
  const span = band.reachFrom === band.reachTo ? band.reachFrom : t('liability.reach.span', { from: band.reachFrom, to: band.reachTo ?? band.reachFrom });
  return band.eligibleMinutes > 0 ? t('liability.reach.partly', { span }) : span;
}

export function liabilitySummarySection(report: LiabilityReport, t: Translate): Section {
  const rows: Cell[][] = [
    [t('liability.figure.outstanding'), timeCell(report.outstandingMinutes)],
    [t('liability.figure.issued12'), timeCell(report.issuedMinutes12)],
    [t('liability.figure.redeemed12'), timeCell(report.redeemedMinutes12)],
    [t('liability.figure.redemptionRate'), percent(report.redemptionRatePermille)],
    [t('liability.figure.target'), percent(report.targetPermille)],
    [t('liability.figure.averageAge'), ageText(report.averageAgeTenths)],
    [t('liability.figure.careAge'), report.careAgeYears],
    [t('liability.figure.rate'), yuan(report.fenPerHour)],
    [t('liability.figure.fund'), yuan(report.fundFen)],
    [t('liability.figure.value'), report.fenPerHour === null ? null : yuan(Math.round((report.outstandingMinutes * report.fenPerHour) / 60))],
    [t('liability.figure.coverage'), percent(report.coveragePermille)],
  ];
  return { key: 'liability', title: t('liability.section.summary'), header: [t('reports.column.figure'), t('liability.column.value')], rows };
}

export function liabilityBandsSection(report: LiabilityReport, t: Translate): Section {
  return {
    key: 'liability-bands', title: t('liability.section.bands', { age: report.careAgeYears }),
    header: [t('liability.column.band'), t('liability.column.share'), t('liability.column.outstandingHours'), t('liability.column.reach', { age: report.careAgeYears })],
    rows: report.bands.map((band) => [t(`liability.band.${band.key}`),
      report.outstandingMinutes > 0 ? Math.round((band.minutes * 1000) / report.outstandingMinutes) / 10 : null, timeCell(band.minutes), reachText(t, band)]),
  };
}

/**
 * Columns are ordered so that no plain number follows an amount of time (a page
 * shows "3 小时 12.5" ambiguously otherwise): rates, ages and yuan first, hours last.
 * The 易存难兑 flag is the fourth column (`liabilityFlagColumn`).
 */
export const liabilityFlagColumn = 3;

export function liabilityCountiesSection(report: LiabilityReport, t: Translate, locale: string): Section {
  return {
    key: 'liability-counties', title: t('liability.section.counties', { target: percent(report.targetPermille) ?? 0 }),
    header: [t('reports.column.county'), t('liability.column.redemptionRate'), t('liability.column.averageAge'), t('liability.column.flag'),
      t('liability.column.coverage'), t('liability.column.fund'), t('liability.column.outstandingHours'), t('liability.column.issuedHours'), t('liability.column.redeemedHours')],
    rows: report.counties.map((row) => [regionDisplayName(row.county, locale), percent(row.redemptionRatePermille), ageText(row.averageAgeTenths),
      row.belowTarget ? t('liability.flag.below') : '', percent(row.coveragePermille), yuan(row.fundFen),
      timeCell(row.outstandingMinutes), timeCell(row.issuedMinutes12), timeCell(row.redeemedMinutes12)]),
  };
}

export function liabilityProjectionSection(report: LiabilityReport, t: Translate): Section {
  return {
    key: 'liability-projection', title: t('liability.section.projection'),
    header: [t('liability.column.yearEnd'), t('liability.column.eligibleShare'), t('liability.column.rate'), t('liability.column.coverage'),
      t('liability.column.redeemedHours'), t('liability.column.outstandingHours')],
    rows: report.projection.map((year) => [year.month, year.eligibleSharePermille / 10, yuan(year.fenPerHour), percent(year.coveragePermille),
      timeCell(year.redeemedMinutes), timeCell(year.outstandingMinutes)]),
  };
}

/** Every liability section, in the order the page and the monthly report show them. */
export function liabilitySections(report: LiabilityReport, t: Translate, locale: string): Section[] {
  return [liabilitySummarySection(report, t), liabilityBandsSection(report, t), liabilityCountiesSection(report, t, locale), liabilityProjectionSection(report, t)];
}

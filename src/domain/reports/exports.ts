import type { Writable } from 'node:stream';
import type { Translate } from '../../i18n/index.ts';
import type { Dashboard, MonthFigures } from './dashboard.ts';
import { regionDisplayName } from './regions-cache.ts';
import { decimalHours, durationText } from '../../lib/duration.ts';

/**
 * The monthly report as rows: the same figures the page shows, in the units
 * offices read (hours with two decimals, counts, rates in percent). Shared by
 * the .xlsx (one sheet per section) and the CSV. No personal data at all.
 */
export const hours = decimalHours;
export const percent = (permille: number | null) => (permille === null ? null : permille / 10);

/**
 * An amount of time in a section. Pages and print pages show it with the one
 * time formatter ("1 小时 30 分", src/lib/duration.ts); spreadsheets (xlsx,
 * CSV) get a number of hours to 2 decimals under a header that says 小时, so
 * offices can add columns up.
 */
export interface TimeCell { minutes: number }
export const timeCell = (minutes: number): TimeCell => ({ minutes });
export const isTimeCell = (cell: unknown): cell is TimeCell => typeof cell === 'object' && cell !== null && 'minutes' in cell;

export type Cell = string | number | null | TimeCell;
export type SpreadsheetCell = string | number | null;

/** A cell as a spreadsheet holds it: time as decimal hours. */
export function spreadsheetCell(cell: Cell): SpreadsheetCell {
  return isTimeCell(cell) ? hours(cell.minutes) : cell;
}

/** A cell as a page shows it: time through the one formatter. */
export function cellText(t: Translate, cell: Cell): string | number | null {
  return isTimeCell(cell) ? durationText(t, cell.minutes) : cell;
}
export interface Section {
  key: string;
  title: string;
  header: string[];
  rows: Cell[][];
}

/** The unit each figure is counted in, printed beside it in exports: people (人), times (次), hours, percent. */
export type FigureUnit = 'people' | 'times' | 'hours' | 'percent';

export const summaryFigures: { key: keyof MonthFigures; unit: FigureUnit }[] = [
  { key: 'volunteersRegistered', unit: 'people' },
  { key: 'volunteersRegisteredSilver', unit: 'people' },
  { key: 'volunteersActive', unit: 'people' },
  { key: 'volunteersActiveSilver', unit: 'people' },
  { key: 'serviceRecords', unit: 'times' },
  { key: 'serviceMinutes', unit: 'hours' },
  { key: 'creditsIssued', unit: 'hours' },
  { key: 'creditsRedeemed', unit: 'hours' },
  { key: 'outstanding', unit: 'hours' },
  { key: 'vouchersGranted', unit: 'hours' },
  { key: 'vouchersUsed', unit: 'hours' },
  { key: 'eldersRegistered', unit: 'people' },
  { key: 'eldersVisited', unit: 'people' },
  { key: 'visitRatePermille', unit: 'percent' },
  { key: 'ruralDisabledElders', unit: 'people' },
  { key: 'ruralDisabledHelped', unit: 'people' },
  { key: 'helpRatePermille', unit: 'percent' },
];

export function figureValue(figures: MonthFigures, key: keyof MonthFigures, unit: FigureUnit): Cell {
  const raw = figures[key] as number | null;
  if (unit === 'hours') return timeCell(raw ?? 0);
  if (unit === 'percent') return percent(raw);
  return raw;
}

/** Last month's closing balance, each named flow of the month, this month's closing balance: the first rows add up to the last. */
export function balanceRows(figures: MonthFigures): { labelKey: string; minutes: number; total: boolean }[] {
  return [
    { labelKey: 'reports.balance.opening', minutes: figures.openingOutstanding, total: true },
    ...figures.walletFlows.map((entry) => ({ labelKey: `reports.balanceFlow.${entry.flow}`, minutes: entry.minutes, total: false })),
    { labelKey: 'reports.balance.closing', minutes: figures.outstanding, total: true },
  ];
}

/** The current month's column: "to date" while the month runs. */
export function currentColumn(dashboard: Dashboard, t: Translate): string {
  return t(dashboard.inProgress ? 'reports.column.currentToDate' : 'reports.column.current', { month: dashboard.month });
}

export function monthlySections(dashboard: Dashboard, t: Translate, locale: string): Section[] {
  // A count column's header names its unit, as the hours columns' labels already do.
  const counted = (key: string, unit: 'people' | 'times') => t('reports.withUnit', { label: t(key), unit: t(`reports.unit.${unit}`) });
  const name = (code: string) => {
    const node = dashboard.flowCounties.find((county) => county.code === code) ?? dashboard.counties.find((row) => row.county.code === code)?.county;
    return node ? regionDisplayName(node, locale) : code;
  };
  return [
    {
      key: 'summary',
      title: t('reports.section.summary'),
      header: [t('reports.column.figure'), t('reports.column.unit'), currentColumn(dashboard, t), t('reports.column.previous', { month: dashboard.previous.month }), t('reports.column.lastYear', { month: dashboard.lastYear.month })],
      rows: summaryFigures.map(({ key, unit }) => [t(`reports.figure.${key}`), t(`reports.unit.${unit}`), figureValue(dashboard.current, key, unit), figureValue(dashboard.previous, key, unit), figureValue(dashboard.lastYear, key, unit)]),
    },
    {
      key: 'balance',
      title: t('reports.section.balance'),
      header: [t('reports.column.figure'), t('reports.column.unit'), currentColumn(dashboard, t)],
      rows: balanceRows(dashboard.current).map((row) => [t(row.labelKey), t('reports.unit.hours'), timeCell(row.minutes)]),
    },
    {
      key: 'targets',
      title: t('reports.section.targets'),
      header: [t('reports.column.target'), t('reports.column.actual'), t('reports.column.targetValue'), t('reports.column.met')],
      rows: dashboard.targets.map((target) => [
        t(`reports.target.${target.key}`),
        target.unit === 'permille' ? percent(target.actual) : target.actual,
        target.unit === 'permille' ? percent(target.target) : target.target,
        target.met === null ? t('reports.met.none') : t(target.met ? 'reports.met.yes' : 'reports.met.no'),
      ]),
    },
    {
      key: 'sponsors',
      title: t('reports.section.sponsors'),
      header: [t('reports.column.sponsorUnit'), t('reports.column.sponsorKind'), t('reports.column.teams'), t('reports.column.activities'), t('reports.column.met')],
      rows: dashboard.sponsors.map((row) => [row.sponsorUnit, t(`reports.sponsorKind.${row.sponsorKind}`), row.teams, row.activities, t(row.met ? 'reports.met.yes' : 'reports.met.no')]),
    },
    {
      key: 'subregions',
      title: t('reports.section.subregions'),
      header: [t('reports.column.region'), t('reports.column.code'), counted('reports.figure.volunteersActive', 'people'), t('reports.figure.serviceMinutes'), t('reports.figure.creditsIssued'), t('reports.figure.creditsRedeemed'), counted('reports.figure.eldersRegistered', 'people'), counted('reports.figure.eldersVisited', 'people'), t('reports.figure.visitRatePermille')],
      rows: dashboard.children.map(({ region, figures }) => [regionDisplayName(region, locale), region.code, figures.volunteersActive, timeCell(figures.serviceMinutes), timeCell(figures.creditsIssued), timeCell(figures.creditsRedeemed), figures.eldersRegistered, figures.eldersVisited, percent(figures.visitRatePermille)]),
    },
    {
      key: 'services',
      title: t('reports.section.services'),
      header: [t('reports.column.category'), counted('reports.figure.serviceRecords', 'times'), t('reports.figure.serviceMinutes')],
      rows: dashboard.serviceCategories.map((row) => [t(`reports.category.${row.category}`), row.records, timeCell(row.minutes)]),
    },
    {
      key: 'ledger',
      title: t('reports.section.ledger'),
      header: [t('reports.column.county'), t('reports.column.code'), t('reports.figure.creditsIssued'), t('reports.figure.creditsRedeemed'), t('reports.column.redeemedAtSites'), t('reports.figure.outstanding'), t('reports.column.clearingBalance'), t('reports.column.poolBalance')],
      rows: dashboard.counties.map((row) => [regionDisplayName(row.county, locale), row.county.code, timeCell(row.issued), timeCell(row.redeemed), timeCell(row.redeemedAtSites), timeCell(row.outstanding), timeCell(row.clearingBalance), timeCell(row.poolBalance)]),
    },
    {
      key: 'clearing',
      title: t('reports.section.clearing'),
      header: [t('reports.column.memberCounty'), t('reports.column.siteCounty'), t('reports.column.hours'), t('reports.column.kind')],
      rows: [
        ...dashboard.clearing.map((cell) => [name(cell.from), name(cell.to), timeCell(cell.minutes), t('reports.flow.redemption')]),
        ...dashboard.settlements.map((cell) => [name(cell.from), name(cell.to), timeCell(cell.minutes), t('reports.flow.settlement')]),
      ],
    },
  ];
}

/**
 * The month-end checkpoint (issue 17): the last signed checkpoint of the month,
 * so printed and spreadsheet archives anchor the chain outside the system. The
 * signature is written in hex (base64 may begin with "+", which a spreadsheet
 * cell would have to neutralise); it is the same bytes as in checkpoints.json.
 */
export function checkpointSection(checkpoint: { seq: number; hash: string; timestampMs: number; payload: string; publicKey: string; signature: string } | undefined, t: Translate, time: (ms: number) => string): Section {
  const publicHash = checkpoint ? (JSON.parse(checkpoint.payload) as { publicHash?: string }).publicHash ?? '' : '';
  return {
    key: 'checkpoint',
    title: t('reports.section.checkpoint'),
    header: [t('reports.column.figure'), t('reports.column.value')],
    rows: checkpoint ? [
      [t('reports.checkpoint.seq'), checkpoint.seq],
      [t('reports.checkpoint.time'), time(checkpoint.timestampMs)],
      [t('reports.checkpoint.hash'), checkpoint.hash],
      [t('reports.checkpoint.publicHash'), publicHash],
      [t('reports.checkpoint.signature'), Buffer.from(checkpoint.signature, 'base64').toString('hex')],
      [t('reports.checkpoint.publicKey'), checkpoint.publicKey],
    ] : [],
  };
}

/** Streams the workbook: one sheet per section, header row bold, numbers as numbers. */
export async function writeMonthlyXlsx(stream: Writable, sections: readonly Section[], meta: { title: string }): Promise<void> {
  // exceljs is loaded on the first export, not at start-up: it adds about 27 MB to every server process's
  // resident set (docs/PERFORMANCE.md, "Server memory").
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false });
  workbook.creator = 'Silver Hours 银龄时光';
  workbook.title = meta.title;
  for (const section of sections) {
    const sheet = workbook.addWorksheet(section.title.slice(0, 31));
    sheet.columns = section.header.map((_, index) => ({ width: index === 0 ? 28 : 16 }));
    const header = sheet.addRow(section.header);
    header.font = { bold: true };
    header.commit();
    for (const row of section.rows) sheet.addRow(row.map(spreadsheetCell)).commit();
    sheet.commit();
  }
  await workbook.commit();
}

/** A cell that a spreadsheet would read as a formula (= + - @, tab, CR) is prefixed with ' so it stays text. */
export function neutralise(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function csvCell(cell: Cell): string {
  const value = spreadsheetCell(cell);
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = neutralise(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** UTF-8 with BOM (Excel opens Chinese correctly), CRLF, each section headed by its title. */
export function sectionsCsv(sections: readonly Section[]): string {
  const lines: string[] = [];
  for (const section of sections) {
    lines.push(csvCell(section.title));
    lines.push(section.header.map(csvCell).join(','));
    for (const row of section.rows) lines.push(row.map(csvCell).join(','));
    lines.push('');
  }
  return `\uFEFF${lines.join('\r\n')}`;
}

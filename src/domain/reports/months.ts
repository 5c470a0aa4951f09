/**
 * Report months are calendar months in Asia/Shanghai (UTC+8, no daylight
 * saving), written 'YYYY-MM'. A transfer at 2026-01-31T17:30Z belongs to
 * 2026-02 because it is 01:30 on 1 February in Shanghai.
 */
const shanghaiOffsetMs = 8 * 3600_000;
const monthPattern = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function monthOfMs(atMs: number): string {
  return new Date(atMs + shanghaiOffsetMs).toISOString().slice(0, 7);
}

/** The month of a Shanghai calendar date 'YYYY-MM-DD'. */
export function monthOfDate(date: string): string {
  return date.slice(0, 7);
}

export function isMonth(value: unknown): value is string {
  return typeof value === 'string' && monthPattern.test(value);
}

/** The first month a report may be asked for: no network ran before it, and years below 100 would be read as 19xx. */
export const firstReportMonth = '2000-01';

/**
 * The month a report asks for ('' or absent: the current month), or why not: not a month (`format`), or one
 * before `firstReportMonth` or after the current month (`range`: a month not yet begun has no figures, only
 * today's balances under a label they do not belong to).
 */
export function reportMonth(raw: string | undefined, nowMs: number): { month: string } | { problem: 'format' | 'range'; latest: string } {
  const latest = monthOfMs(nowMs);
  if (raw === undefined || raw === '') return { month: latest };
  if (!isMonth(raw)) return { problem: 'format', latest };
  if (raw < firstReportMonth || raw > latest) return { problem: 'range', latest };
  return { month: raw };
}

export function addMonths(month: string, count: number): string {
  const match = monthPattern.exec(month);
  if (!match) throw new Error(`not a month: ${month}`);
  const index = Number(match[1]) * 12 + Number(match[2]) - 1 + count;
  const year = Math.floor(index / 12);
  return `${String(year).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The last calendar day of the month, 'YYYY-MM-DD'. */
export function lastDayOf(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const day = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  return `${month}-${String(day).padStart(2, '0')}`;
}

/** UTC milliseconds of the month's first instant in Shanghai, and of the next month's. */
export function monthBoundsMs(month: string): { startMs: number; endMs: number } {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return {
    startMs: Date.UTC(year, monthNumber - 1, 1) - shanghaiOffsetMs,
    endMs: Date.UTC(year, monthNumber, 1) - shanghaiOffsetMs,
  };
}

/** The `count` months ending with `month`, oldest first. */
export function monthsEndingWith(month: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addMonths(month, i - count + 1));
}

/** Born on or before this date: 60 or older on the month's last day ("silver-age" volunteers). */
export function silverBornOnOrBefore(month: string): string {
  const last = lastDayOf(month);
  return `${String(Number(last.slice(0, 4)) - 60).padStart(4, '0')}${last.slice(4)}`;
}

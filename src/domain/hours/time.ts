/**
 * Calendar arithmetic in the network's time zone. Asia/Shanghai is UTC+8 all
 * year (no daylight saving), so a fixed offset is exact.
 */
export const shanghaiOffsetMs = 8 * 3600_000;
export const dayMs = 86_400_000;

/** 'YYYY-MM-DD' in Shanghai for an instant. */
export function shanghaiDateOf(atMs: number): string {
  return new Date(atMs + shanghaiOffsetMs).toISOString().slice(0, 10);
}

/** 'YYYY-MM' in Shanghai for an instant: a record at 2026-01-31T17:30Z belongs to 2026-02. */
export function shanghaiMonthOf(atMs: number): string {
  return shanghaiDateOf(atMs).slice(0, 7);
}

/** 'HH:MM' in Shanghai for an instant. */
export function shanghaiTimeOf(atMs: number): string {
  return new Date(atMs + shanghaiOffsetMs).toISOString().slice(11, 16);
}

export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

export function isClockTime(value: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(value);
}

/** The UTC instant of a Shanghai wall-clock time. */
export function shanghaiToUtcMs(date: string, time = '00:00'): number {
  return Date.parse(`${date}T${time}:00Z`) - shanghaiOffsetMs;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (both 'YYYY-MM-DD'). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / dayMs);
}

/** First and last day ('YYYY-MM-DD') of a Shanghai month 'YYYY-MM'. */
export function monthBounds(month: string): { first: string; last: string } {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const first = `${month}-01`;
  const next = new Date(Date.UTC(year, monthNumber, 1)).toISOString().slice(0, 10);
  return { first, last: addDays(next, -1) };
}

/**
 * Working days in the network's calendar (Asia/Shanghai dates, 'YYYY-MM-DD'):
 * Monday to Friday. Chinese public holidays and the weekend days swapped for
 * them (调休) are not modelled: a notice over a holiday simply runs on those
 * days, which makes it longer in days, never shorter in working days.
 */

const dayMs = 86_400_000;

function utcMidnight(date: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(year, month - 1, day);
}

function dateOfUtc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whether a calendar date is a working day (Monday to Friday). */
export function isWorkingDay(date: string): boolean {
  const weekday = new Date(utcMidnight(date)).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** The first working day strictly after `date`. */
export function nextWorkingDay(date: string): string {
  let ms = utcMidnight(date) + dayMs;
  while (!isWorkingDay(dateOfUtc(ms))) ms += dayMs;
  return dateOfUtc(ms);
}

/**
 * The working days of a notice published on `publishedDate`: it starts on
 * the next working day (so the public always has whole days) and lasts
 * `workingDays` working days. Returns the first and the last of them.
 */
export function noticePeriod(publishedDate: string, workingDays: number): { startDate: string; endDate: string } {
  if (!Number.isInteger(workingDays) || workingDays < 1) throw new Error(`a notice lasts at least one working day, not ${workingDays}`);
  const startDate = nextWorkingDay(publishedDate);
  let endDate = startDate;
  for (let counted = 1; counted < workingDays; counted += 1) endDate = nextWorkingDay(endDate);
  return { startDate, endDate };
}

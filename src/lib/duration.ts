/**
 * The one way the app shows an amount of time to people: whole hours and
 * minutes ("20 小时 20 分", "40 分钟", "2 小时"), never decimal hours, so the
 * same balance reads the same on every page. Amounts are integer minutes.
 */
type Translate = (key: string, params?: Record<string, string | number>) => string;

export function durationText(t: Translate, totalMinutes: number): string {
  const sign = totalMinutes < 0 ? '-' : '';
  const absolute = Math.abs(Math.round(totalMinutes));
  const hours = Math.floor(absolute / 60);
  const minutes = absolute % 60;
  if (hours === 0) return sign + t('hours.minutes', { minutes });
  if (minutes === 0) return sign + t('hours.wholeHours', { hours });
  return sign + t('hours.hoursMinutes', { hours, minutes });
}

/**
 * Minutes as decimal hours rounded to two places (90 -> 1.5, 20 -> 0.33): the
 * unit of spreadsheets and report charts, and of the few form fields that
 * still take decimal hours. Text for people uses durationText().
 */
export function decimalHours(minutes: number): number {
  return Math.round((minutes / 60) * 100) / 100;
}

/** The same with a "+" before a positive amount (a passbook line). */
export function signedDurationText(t: Translate, totalMinutes: number): string {
  if (totalMinutes === 0) return '0';
  return (totalMinutes > 0 ? '+' : '') + durationText(t, totalMinutes);
}

/**
 * An amount typed as hours and minutes (two fields, either may be empty) to
 * whole minutes; NaN when a field is not a whole number, minutes are 60 or
 * more next to hours, or the total is not positive.
 */
export function minutesFromParts(hoursText: string | undefined, minutesText: string | undefined): number {
  const hours = (hoursText ?? '').trim();
  const minutes = (minutesText ?? '').trim();
  if (hours === '' && minutes === '') return Number.NaN;
  if (hours !== '' && !/^\d{1,4}$/.test(hours)) return Number.NaN;
  if (minutes !== '' && !/^\d{1,5}$/.test(minutes)) return Number.NaN;
  const hourCount = hours === '' ? 0 : Number(hours);
  const minuteCount = minutes === '' ? 0 : Number(minutes);
  if (hours !== '' && minuteCount >= 60) return Number.NaN;
  const total = hourCount * 60 + minuteCount;
  return total > 0 ? total : Number.NaN;
}

/** Whole minutes as the two boxes of an amount field: 90 -> { hours: '1', minutes: '30' }, 40 -> { hours: '', minutes: '40' }. */
export function durationParts(totalMinutes: number): { hours: string; minutes: string } {
  const absolute = Math.abs(Math.round(totalMinutes));
  const hours = Math.floor(absolute / 60);
  const minutes = absolute % 60;
  return { hours: hours === 0 ? '' : String(hours), minutes: minutes === 0 && hours > 0 ? '' : String(minutes) };
}

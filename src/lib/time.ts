/** Times are stored in UTC milliseconds and shown in Asia/Shanghai, the network's time zone. */
export const networkTimeZone = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();

export function formatDateTime(ms: number, locale: string): string {
  let formatter = formatters.get(locale);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'zh-CN', {
      timeZone: networkTimeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    });
    formatters.set(locale, formatter);
  }
  return formatter.format(new Date(ms));
}

/** Shanghai is UTC+8 all year (no daylight saving time). */
const shanghaiOffsetMs = 8 * 3_600_000;

/** Milliseconds from `nowMs` to the next `hour`:00 in Asia/Shanghai (a full day when it is that moment now). */
export function msUntilShanghaiHour(nowMs: number, hour: number): number {
  const day = 86_400_000;
  const sinceMidnight = (((nowMs + shanghaiOffsetMs) % day) + day) % day;
  const wait = (hour * 3_600_000 - sinceMidnight + day) % day;
  return wait === 0 ? day : wait;
}

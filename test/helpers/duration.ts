/**
 * Reads back what the one time formatter (src/lib/duration.ts) writes in
 * zh-CN: "1 小时 30 分" -> 90, "40 分钟" -> 40, "2 小时" -> 120, "-1 小时 5 分"
 * -> -65. Anything else (a decimal "1.5") is NaN, so a test that reads a
 * page's figures fails if decimal hours come back.
 */
export function minutesOfText(text: string): number {
  const match = /^(-?)(?:(\d+) 小时(?: (\d+) 分)?|(\d+) 分钟)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const [, sign, hours, minutes, onlyMinutes] = match;
  const total = onlyMinutes !== undefined ? Number(onlyMinutes) : Number(hours) * 60 + Number(minutes ?? 0);
  return sign === '-' ? -total : total;
}

/** A regular-expression fragment matching one duration as the formatter writes it in zh-CN. */
export const durationPattern = '-?(?:\\d+ 小时(?: \\d+ 分)?|\\d+ 分钟)';

/**
 * Quiet hours: no SMS from 21:00 to 08:00 Asia/Shanghai (UTC+8 all year, no
 * daylight saving). A message due in them is held until 08:00.
 */
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const shanghaiOffsetMs = 8 * hourMs;
export const quietFromHour = 21;
export const quietUntilHour = 8;

function shanghaiSinceMidnightMs(atMs: number): number {
  return (((atMs + shanghaiOffsetMs) % dayMs) + dayMs) % dayMs;
}

export function inQuietHours(atMs: number): boolean {
  const since = shanghaiSinceMidnightMs(atMs);
  return since >= quietFromHour * hourMs || since < quietUntilHour * hourMs;
}

/** `atMs` itself outside quiet hours; otherwise the 08:00 that ends them. */
export function quietHoursEnd(atMs: number): number {
  if (!inQuietHours(atMs)) return atMs;
  const since = shanghaiSinceMidnightMs(atMs);
  const wait = since >= quietFromHour * hourMs ? dayMs - since + quietUntilHour * hourMs : quietUntilHour * hourMs - since;
  return atMs + wait;
}

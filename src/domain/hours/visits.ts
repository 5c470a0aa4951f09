import type { Sqlite } from '../../db/client.ts';
import { daysBetween, shanghaiDateOf } from './time.ts';

/**
 * THE definition of a visit to a registered elder, shared by the visit
 * coverage page (/coverage) and the reports' overdue list
 * (/reports/:code/visits), so the two always agree:
 *
 * a live service record (pending review, approved, or completed: a service
 * request, src/domain/hours/request-records.ts, whose recipient is the
 * request's elder or the registered elder who asked, dated the Shanghai day
 * it was confirmed) with the elder as recipient, dated on or before today:
 * the visit happened, review decides the credit. Rejected, expired and
 * reversed records do not count, so a reversal takes the visit back.
 *
 * An elder visited before is due `visit interval` days after the last visit
 * and overdue past that (overdueDays > 0). An elder never visited is due from
 * the registration day itself: the first visit is what registration asks
 * for, so overdueDays counts every day since registration, and such elders
 * are listed first (从未探访), longest waiting first.
 */
export const visitRecordStatuses = ['pending', 'approved', 'completed'] as const;

export interface VisitState {
  lastVisitDate: string | null;
  daysSince: number;
  /** Days past the interval; > 0 means overdue. */
  overdueDays: number;
}

/** The last visit date (on or before `today`) of each elder given; elders never visited are absent. */
export function lastVisitDates(sqlite: Sqlite, elderIds: readonly number[], today: string): Map<number, string> {
  const result = new Map<number, string>();
  if (elderIds.length === 0) return result;
  // Service records: one index range per elder (service_records_elder_date).
  const record = sqlite.prepare(`SELECT max(service_date) FROM service_records
    WHERE elder_id = ? AND status IN (${visitRecordStatuses.map((status) => `'${status}'`).join(',')}) AND service_date <= ?`).pluck();
  for (const elderId of elderIds) {
    const date = record.get(elderId, today) as string | null;
    if (date) result.set(elderId, date);
  }
  return result;
}

export function visitState(lastVisitDate: string | null, registeredAtMs: number, visitIntervalDays: number, today: string): VisitState {
  if (lastVisitDate === null) {
    const sinceRegistration = daysBetween(shanghaiDateOf(registeredAtMs), today);
    return { lastVisitDate, daysSince: sinceRegistration, overdueDays: sinceRegistration };
  }
  const daysSince = daysBetween(lastVisitDate, today);
  return { lastVisitDate, daysSince, overdueDays: daysSince - visitIntervalDays };
}

/** Needs a visit now: never visited (due since registration) or past the interval. */
export function isDue(state: VisitState): boolean {
  return state.lastVisitDate === null || state.overdueDays > 0;
}

/** Never visited first (longest waiting first), then most overdue; then by elder id. */
export function byMostOverdue(a: VisitState & { elderId: number }, b: VisitState & { elderId: number }): number {
  const never = (state: VisitState) => (state.lastVisitDate === null ? 0 : 1);
  return never(a) - never(b) || b.overdueDays - a.overdueDays || a.elderId - b.elderId;
}

import { connectionOf, type Db } from '../../db/client.ts';

/**
 * The verified service minutes a star is judged by: the minutes actually
 * served in records that still stand ('approved', and 'completed' service
 * requests); reversed records leave the count, and spending or gifting
 * credits never lowers it.
 */
export function serviceMinutesOf(db: Db, memberId: number): number {
  const row = connectionOf(db)
    .prepare("SELECT coalesce(sum(duration_minutes), 0) AS minutes FROM service_records WHERE volunteer_member_id = ? AND status IN ('approved', 'completed')")
    .get(memberId) as { minutes: number };
  return row.minutes;
}

/** Members whose verified minutes reach `minMinutes`, with their minutes (the scan of the stars job). */
export function membersWithMinutes(db: Db, minMinutes: number): { memberId: number; minutes: number }[] {
  return connectionOf(db).prepare(`SELECT volunteer_member_id AS memberId, sum(duration_minutes) AS minutes FROM service_records
    WHERE status IN ('approved', 'completed') GROUP BY volunteer_member_id HAVING minutes >= ? ORDER BY volunteer_member_id`).all(minMinutes) as { memberId: number; minutes: number }[];
}

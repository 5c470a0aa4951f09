import { connectionOf, type Db } from '../../db/client.ts';
import { verifiedStatuses, verifiedServiceMinutes } from '../hours/service-minutes.ts';

/**
 * The verified service minutes a star is judged by: verifiedServiceMinutes()
 * (src/domain/hours/service-minutes.ts), the minutes actually served in
 * records that still stand; reversed records leave the count, and spending or
 * gifting credits never lowers it.
 */
export function serviceMinutesOf(db: Db, memberId: number): number {
  return verifiedServiceMinutes(db, memberId).totalMinutes;
}

/** Members whose verified minutes reach `minMinutes`, with their minutes (the scan of the stars job). */
export function membersWithMinutes(db: Db, minMinutes: number): { memberId: number; minutes: number }[] {
  return connectionOf(db).prepare(`SELECT volunteer_member_id AS memberId, sum(duration_minutes) AS minutes FROM service_records
    WHERE status IN (${verifiedStatuses.map((status) => `'${status}'`).join(', ')}) GROUP BY volunteer_member_id HAVING minutes >= ? ORDER BY volunteer_member_id`).all(minMinutes) as { memberId: number; minutes: number }[];
}

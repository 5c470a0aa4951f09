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

/**
 * The stars job's scan: active members whose verified minutes reach a star they have
 * no row for, or one withdrawn for want of hours (not on an upheld objection,
 * which keeps the office's reason), with their minutes. The awards are checked
 * in the same query, so the job opens a write only for members who are due
 * something, not for every member above the lowest threshold.
 */
export function membersDueStars(db: Db, levels: readonly { star: number; minHours: number }[]): { memberId: number; minutes: number }[] {
  if (levels.length === 0) return [];
  const lowest = Math.min(...levels.map((level) => level.minHours)) * 60;
  const thresholds = JSON.stringify(levels.map((level) => ({ star: level.star, minutes: level.minHours * 60 })));
  return connectionOf(db).prepare(`SELECT m.memberId, m.minutes FROM (
      SELECT volunteer_member_id AS memberId, sum(duration_minutes) AS minutes FROM service_records
      WHERE status IN (${verifiedStatuses.map((status) => `'${status}'`).join(', ')}) GROUP BY volunteer_member_id HAVING minutes >= @lowest) m
    WHERE EXISTS (SELECT 1 FROM members mm WHERE mm.id = m.memberId AND mm.status = 'active')
      AND EXISTS (SELECT 1 FROM json_each(@thresholds) l
      WHERE m.minutes >= l.value ->> '$.minutes' AND NOT EXISTS (SELECT 1 FROM star_awards a
        WHERE a.member_id = m.memberId AND a.star = l.value ->> '$.star' AND NOT (a.status = 'withdrawn' AND a.withdrawn_reason IS NULL)))
    ORDER BY m.memberId`).all({ lowest, thresholds }) as { memberId: number; minutes: number }[];
}

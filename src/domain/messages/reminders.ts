import { connectionOf } from '../../db/client.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { isDue, lastVisitDates, visitState } from '../hours/visits.ts';
import { addDays, dayMs, shanghaiDateOf } from '../hours/time.ts';
import { notify } from './notify.ts';

/**
 * The two periodic reminders to coordinators (jobs remindReviews and
 * remindVisits, src/jobs): records waiting for review longer than
 * `reviewWaitDays`, once a day; elders overdue for a visit, once a week
 * (the Shanghai week from Monday). Each is idempotent per period: the
 * message's dedupe key names the user and the period, so running a job
 * again in the same period writes nothing.
 */
export const reviewWaitDays = 3;

interface Coordinator {
  userId: number;
  path: string;
}

function coordinators(context: KeylessContext): Coordinator[] {
  return connectionOf(context.db)
    .prepare(`SELECT DISTINCT ur.user_id AS userId, r.path FROM user_roles ur JOIN users u ON u.id = ur.user_id JOIN regions r ON r.code = ur.region_code
              WHERE ur.role = 'coordinator' AND u.status = 'active' ORDER BY ur.user_id, r.path`)
    .all() as Coordinator[];
}

/** Counts per user of items whose village path lies under one of the user's paths. */
function countPerUser(list: Coordinator[], paths: string[]): Map<number, number> {
  const counts = new Map<number, number>();
  const seen = new Set<string>();
  for (const { userId, path } of list) {
    paths.forEach((itemPath, index) => {
      const key = `${userId}:${index}`;
      if (!itemPath.startsWith(path) || seen.has(key)) return;
      seen.add(key);
      counts.set(userId, (counts.get(userId) ?? 0) + 1);
    });
  }
  return counts;
}

function sendAll(context: KeylessContext, counts: Map<number, number>, kind: 'review_overdue' | 'elders_overdue', period: string, extra: Record<string, number>): number {
  return writeTransaction(context.db, () => {
    let written = 0;
    for (const [userId, count] of counts) {
      const id = notify(context, { kind, to: { userId }, params: { count, ...extra }, dedupeKey: `${kind}:${userId}:${period}` });
      if (id !== null) written += 1;
    }
    return written;
  });
}

/** Records still pending after `days` days, to each coordinator in whose scope they lie; once per Shanghai day. */
export function remindOverdueReviews(context: KeylessContext, days = reviewWaitDays): number {
  const at = nowOf(context);
  const paths = (connectionOf(context.db)
    .prepare(`SELECT r.path FROM service_records s JOIN regions r ON r.code = s.village_code WHERE s.status = 'pending' AND s.created_at_ms <= ?`)
    .all(at - days * dayMs) as { path: string }[]).map((row) => row.path);
  if (paths.length === 0) return 0;
  return sendAll(context, countPerUser(coordinators(context), paths), 'review_overdue', shanghaiDateOf(at), { days });
}

/** Active registered elders due a visit, to each coordinator in scope; once per Shanghai week (from Monday). */
export function remindOverdueVisits(context: KeylessContext): number {
  const at = nowOf(context);
  const today = shanghaiDateOf(at);
  const elders = connectionOf(context.db)
    .prepare(`SELECT e.id, e.created_at_ms AS createdAtMs, e.visit_interval_days AS intervalDays, r.path FROM elders e JOIN regions r ON r.code = e.village_code WHERE e.status = 'active'`)
    .all() as { id: number; createdAtMs: number; intervalDays: number; path: string }[];
  const last = lastVisitDates(connectionOf(context.db), elders.map((elder) => elder.id), today);
  const due = elders.filter((elder) => isDue(visitState(last.get(elder.id) ?? null, elder.createdAtMs, elder.intervalDays, today)));
  if (due.length === 0) return 0;
  return sendAll(context, countPerUser(coordinators(context), due.map((elder) => elder.path)), 'elders_overdue', weekStartOf(today), {});
}

/** The Monday of the Shanghai week of `date` (YYYY-MM-DD). */
export function weekStartOf(date: string): string {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((weekday + 6) % 7));
}

import { randomUUID } from 'node:crypto';
import type { Db, Sqlite } from '../../../src/db/client.ts';
import { actorOf } from '../../../src/domain/auth/users.ts';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { lastVisitDates } from '../../../src/domain/hours/visits.ts';
import type { RedemptionContext } from '../../../src/domain/redemption/context.ts';
import { acceptRequest, cancelRequest, confirmRequest, postRequest, type RequestInput } from '../../../src/domain/redemption/requests.ts';
import { ReportReader } from '../../../src/domain/reports/dashboard.ts';
import { refreshReports } from '../../../src/domain/reports/refresh.ts';
import { instants } from '../../helpers/clock.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';

/**
 * The demo network with service requests in every state: three completed
 * (an elder's voucher, a member's own wallet, one confirmed after midnight
 * Shanghai time on the first of December, so it belongs to December while it
 * is still November in UTC), one cancelled, one only accepted. The figures
 * these give were recorded with the code that read service_requests in the
 * reports (expected-request-figures.json); the code that reads one table
 * must give the same.
 */
export const requestNetworkMonths = ['2026-09', '2026-10', '2026-11', '2026-12'] as const;
export const requestNetworkRegions = ['430000', '433100', '433123', '433123101', '433123101001', '433123101002', '430500', '430524'] as const;

function must<T>(outcome: { ok: true; value: T } | { ok: false }, what: string): T {
  if (!outcome.ok) throw new Error(`${what}: ${JSON.stringify(outcome)}`);
  return outcome.value;
}

export async function seedRequestNetwork(db: Db): Promise<{ clock: { ms: number }; completed: number[]; keys: ReturnType<typeof testSecrets> }> {
  const clock = { ms: instants.suiteDefault };
  const secrets = testSecrets();
  await seedDemoNetwork(db, secrets, clock.ms);
  const sqlite = db.$client;
  const context: RedemptionContext = { db, keys: secrets, now: () => clock.ms };
  const userOf = (phone: string) => actorOf(db, sqlite.prepare('SELECT id FROM users WHERE phone = ?').pluck().get(phone) as number);
  const coordinator = userOf('13800000002');
  const wang = userOf('13800000001');
  if (!wang.memberId) throw new Error('the demo volunteer has no member record');
  const memberNamed = (name: string) => sqlite.prepare('SELECT id FROM members WHERE real_name = ? ORDER BY id LIMIT 1').pluck().get(name) as number;
  const elder = sqlite.prepare("SELECT id FROM elders WHERE real_name = '刘德顺'").pluck().get() as number;
  const yang = memberNamed('杨国富');
  const long = memberNamed('龙秀英');
  const base = { description: '服务', scheduledFor: '2026-11-25', place: '家中', actorMemberId: null };
  const post = (actor: typeof coordinator, input: Omit<RequestInput, 'idempotencyKey' | 'description' | 'scheduledFor' | 'place' | 'actorMemberId'> & { actorMemberId?: number | null }) =>
    must(postRequest(context, actor, { ...base, ...input, idempotencyKey: randomUUID() }), 'post').id;

  const demoOpen = sqlite.prepare("SELECT id FROM service_requests WHERE status = 'open' ORDER BY id LIMIT 1").pluck().get() as number;
  must(acceptRequest(context, coordinator, demoOpen, yang, null), 'accept demo request');
  clock.ms += 3600_000;
  must(confirmRequest(context, coordinator, demoOpen, null), 'confirm demo request');

  const own = post(wang, { requesterMemberId: wang.memberId, payer: 'wallet', serviceCategory: 'companionship', offeredMinutes: 50, actorMemberId: wang.memberId });
  must(acceptRequest(context, coordinator, own, long, null), 'accept own');
  clock.ms += 3600_000;
  must(confirmRequest(context, wang, own, wang.memberId), 'confirm own');

  const meal = post(coordinator, { elderId: elder, payer: 'voucher', serviceCategory: 'meals', offeredMinutes: 45 });
  const cancelled = post(coordinator, { elderId: elder, payer: 'voucher', serviceCategory: 'bathing', offeredMinutes: 30 });
  const acceptedOnly = post(coordinator, { elderId: elder, payer: 'voucher', serviceCategory: 'cleaning', offeredMinutes: 20 });
  must(acceptRequest(context, coordinator, meal, long, null), 'accept meal');
  must(acceptRequest(context, coordinator, acceptedOnly, yang, null), 'accept accepted-only');
  must(cancelRequest(context, coordinator, cancelled, null), 'cancel');
  clock.ms = Date.UTC(2026, 10, 30, 16, 30); // 2026-12-01 00:30 in Shanghai, still 2026-11-30 in UTC
  must(confirmRequest(context, coordinator, meal, null), 'confirm meal');
  return { clock, completed: [demoOpen, own, meal], keys: secrets };
}

/** The figures the reports show, read after a refresh: month figures and categories per region and month, the volunteers' and elders' monthly rows, last visits. */
export function requestNetworkFigures(sqlite: Sqlite, nowMs: number) {
  refreshReports(sqlite, nowMs, { registryMaxAgeMs: 0 });
  const reader = new ReportReader(sqlite);
  const months: Record<string, unknown> = {};
  for (const region of requestNetworkRegions) {
    for (const month of requestNetworkMonths) {
      const figures = reader.monthFigures(region, month);
      const categories = reader.dashboard(region, month)?.serviceCategories ?? [];
      months[`${region} ${month}`] = { ...figures, serviceCategories: categories };
    }
  }
  const memberMonths = sqlite.prepare('SELECT member_id, month, service_minutes, credited_minutes, records FROM report_member_months WHERE records <> 0 ORDER BY 1, 2').all();
  const elderMonths = sqlite.prepare('SELECT elder_id, month, records FROM report_elder_months WHERE records <> 0 ORDER BY 1, 2').all();
  const serviceFigures = sqlite.prepare(`SELECT region_code, month, metric, dimension, value FROM report_figures
    WHERE value <> 0 AND metric IN ('service_minutes', 'service_records', 'volunteers_active', 'volunteers_active_silver', 'elders_visited', 'rural_disabled_helped', 'credits_issued')
    ORDER BY 1, 2, 3, 4`).all();
  const elderIds = sqlite.prepare('SELECT id FROM elders ORDER BY id').pluck().all() as number[];
  const visits = Object.fromEntries(lastVisitDates(sqlite, elderIds, '2026-12-31'));
  return { months, memberMonths, elderMonths, serviceFigures, visits };
}

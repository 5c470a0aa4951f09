import { serviceMinutesOf } from '../../../src/domain/stars/hours.ts';
import { createHoursApp, logVisit, scalar } from '../hours/helpers.ts';
import { signedInAs, type TestApp, type TestBrowser } from '../../helpers/web.ts';

/** The demo volunteer 王秀英's member id. */
export function wangMemberId(testApp: TestApp): number {
  return scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
}

/**
 * Brings a member's verified minutes to exactly `targetMinutes` with one
 * older approved record (a history the demo's three months do not hold).
 * The record is written directly: the star rules read records, not the ledger.
 */
export function bringTo(testApp: TestApp, memberId: number, targetMinutes: number): void {
  const missing = targetMinutes - serviceMinutesOf(testApp.db, memberId);
  if (missing <= 0) throw new Error(`member ${memberId} already has ${targetMinutes} minutes or more`);
  const typeId = scalar(testApp, "SELECT id FROM service_types WHERE code = 'visit' ORDER BY id LIMIT 1");
  const village = scalar<string>(testApp, 'SELECT village_code FROM members WHERE id = ?', memberId);
  const startMs = Date.UTC(2025, 5, 2, 1, 0, 0);
  testApp.db.$client.prepare(`INSERT INTO service_records (idempotency_key, volunteer_member_id, service_type_id, service_type_code, village_code, county_code,
    service_date, start_at_ms, end_at_ms, duration_minutes, credit_minutes, source, status, hold_transfer_id, created_at_ms)
    VALUES (?, ?, ?, 'visit', ?, ?, '2025-06-02', ?, ?, ?, ?, 'coordinator', 'approved', ?, ?)`)
    .run(`history-${memberId}-${targetMinutes}`, memberId, typeId, village, village.slice(0, 6), startMs, startMs + missing * 60_000, missing, missing, `history-hold-${memberId}-${targetMinutes}`, startMs);
}

/**
 * 王秀英 thirty minutes short of 100 verified hours; she logs a one-hour visit
 * and the coordinator approves it through the queue, which proposes her first
 * star to 凤凰县. Answers the award id.
 */
export async function starProposed(testApp: TestApp): Promise<{ awardId: number; volunteer: TestBrowser }> {
  const memberId = wangMemberId(testApp);
  bringTo(testApp, memberId, 100 * 60 - 30);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const recordId = await logVisit(testApp, volunteer);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get('/hours/queue');
  const approved = await coordinator.post(`/hours/records/${recordId}/approve`, { return_to: '/hours/queue' });
  if (approved.statusCode !== 303) throw new Error(`approve: ${approved.statusCode}`);
  return { awardId: scalar(testApp, 'SELECT id FROM star_awards WHERE member_id = ? AND star = 1', memberId), volunteer };
}

export { createHoursApp, scalar };

/** starProposed(), then the county office puts the star on notice (from 2026-11-24 to 2026-11-30 on the suite's clock). */
export async function starOnNotice(testApp: TestApp): Promise<{ awardId: number; volunteer: TestBrowser; office: TestBrowser }> {
  const { awardId, volunteer } = await starProposed(testApp);
  const office = await signedInAs(testApp.app, 'office');
  await office.get('/stars');
  const published = await office.post(`/stars/${awardId}/publish`, {});
  if (published.statusCode !== 303) throw new Error(`publish: ${published.statusCode}`);
  return { awardId, volunteer, office };
}

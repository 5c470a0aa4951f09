import { seedHours } from '../../../src/domain/demo/hours.ts';
import type { AppOptions } from '../../../src/app.ts';
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { count, createTestApp, signedInAs, visibleText, type TestApp, type TestBrowser } from '../../helpers/web.ts';

/** The demo app with the hours seed (standard, volunteers, elders, three months of records). */
export async function createHoursApp(options: Partial<AppOptions> = {}): Promise<TestApp> {
  const testApp = await createTestApp(options);
  seedHours(testApp.db, testApp.app.secrets, testApp.clock.now());
  return testApp;
}

export function scalar<T = number>(app: TestApp, sql: string, ...parameters: unknown[]): T {
  return testAppDb(app).prepare(sql).pluck().get(...parameters) as T;
}

function testAppDb(app: TestApp) {
  return app.db.$client;
}

/** The volunteer logs a visit to 龙玉兰 on 2026-11-22 through the form; answers the new record's id. */
export async function logVisit(testApp: TestApp, volunteer: TestBrowser, startTime = '05:00', endTime = '06:00'): Promise<number> {
  await volunteer.get('/hours/new');
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const response = await volunteer.post('/hours', {
    idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '2026-11-22', start_time: startTime, end_time: endTime, village_code: '433123101001',
  });
  if (response.statusCode !== 303) throw new Error(`log failed: ${visibleText(response.body).slice(0, 300)}`);
  return Number(/records\/(\d+)/.exec(response.headers.location as string)![1]);
}

/** An hours app closed after the test `t`, with the demo volunteer signed in and one visit of theirs pending review. */
export async function withPendingVisit(t: Test): Promise<{ testApp: TestApp; volunteer: TestBrowser; id: number }> {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const id = await logVisit(testApp, volunteer);
  return { testApp, volunteer, id };
}

/** A visit by 王秀英 to 龙玉兰 yesterday (2026-11-22) at 05:00-06:00, before any seeded record that day. */
export function visitForm(app: TestApp, overrides: Record<string, string> = {}): Record<string, string> {
  const elderId = scalar(app, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  return {
    idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '2026-11-22', start_time: '05:00', end_time: '06:00',
    duration_minutes: '', village_code: '433123101001', note: '陪老人聊天', elder_card_number: '', ...overrides,
  };
}

export function written(app: TestApp) {
  return { records: count(app.db, 'service_records'), transfers: count(app.db, 'ledger_transfers') };
}

/**
 * A second volunteer sign-in (phone 13800000098, the demo password): the account of another member of
 * 王秀英's village, for a shared phone. Answers the new user's id.
 */
export function addSecondVolunteer(db: TestApp['db']): number {
  const sqlite = db.$client;
  const member = sqlite.prepare(`SELECT id, village_code FROM members WHERE village_code = '433123101001' AND status = 'active'
    AND id NOT IN (SELECT member_id FROM users WHERE member_id IS NOT NULL) AND real_name <> '王秀英' ORDER BY id LIMIT 1`).get() as { id: number; village_code: string };
  const wang = sqlite.prepare("SELECT password_hash, created_at_ms FROM users WHERE phone = '13800000001'").get() as { password_hash: string; created_at_ms: number };
  const userId = Number(sqlite.prepare(`INSERT INTO users (phone, display_name, password_hash, member_id, home_region_code, created_at_ms, password_changed_at_ms)
    VALUES ('13800000098', '第二位志愿者', ?, ?, ?, ?, ?)`).run(wang.password_hash, member.id, member.village_code, wang.created_at_ms, wang.created_at_ms).lastInsertRowid);
  sqlite.prepare("INSERT INTO user_roles (user_id, role, region_code, granted_at_ms) VALUES (?, 'volunteer', ?, ?)").run(userId, member.village_code, wang.created_at_ms);
  return userId;
}

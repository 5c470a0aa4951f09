import t from 'tap';
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../../src/db/client.ts';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { demoRedemptionPin } from '../../../src/domain/demo/redemption.ts';
import { generateSecrets } from '../../../src/lib/secrets.ts';
import { count, createTestApp, signedInAs, visibleText, type TestApp } from '../../helpers/web.ts';
import { scalar } from './helpers.ts';

/**
 * Whom a volunteer may serve: an elder of their home county, or of the county
 * of a team they are an active member of (loggingArea). The volunteer 王秀英
 * lives in 凤凰县; 单阿婆 is a registered elder in 隆回县, linked here to a
 * member with a PIN. Her id typed into the form is answered exactly as an id
 * that does not exist, and her PIN is never tried.
 */

async function network(): Promise<TestApp & { elderId: number; elderMemberId: number }> {
  const secrets = generateSecrets();
  const db = openDatabase(':memory:');
  const testApp = await createTestApp({ db, secrets });
  await seedDemoNetwork(db, secrets, testApp.clock.now());
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '单阿婆'");
  const elderMemberId = scalar(testApp, "SELECT id FROM members WHERE real_name = '罗春兰' ORDER BY id LIMIT 1");
  db.$client.prepare('UPDATE elders SET member_id = ? WHERE id = ?').run(elderMemberId, elderId);
  return { ...testApp, elderId, elderMemberId };
}

function visit(elderId: number | string, overrides: Record<string, string> = {}): Record<string, string> {
  return { idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '2026-11-22', start_time: '05:00', end_time: '06:00', ...overrides };
}

function written(testApp: TestApp) {
  return { records: count(testApp.db, 'service_records'), transfers: count(testApp.db, 'ledger_transfers') };
}

function pinCounters(testApp: TestApp, memberId: number) {
  return testApp.db.$client.prepare('SELECT pin_failed_attempts AS holder, pin_remote_failed_attempts AS remote, pin_locked_until_ms AS holderLock, pin_remote_locked_until_ms AS remoteLock FROM members WHERE id = ?').get(memberId);
}

t.test('an elder of another county: answered like a missing one, with or without her PIN; her PIN is not tried', async (t) => {
  const testApp = await network();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const before = written(testApp);

  for (const pin of [demoRedemptionPin, '909192']) {
    const outside = await volunteer.post('/hours', visit(testApp.elderId, { elder_pin: pin }));
    const missing = await volunteer.post('/hours', visit(999_999, { elder_pin: pin }));
    t.equal(outside.statusCode, 422);
    t.equal(missing.statusCode, outside.statusCode);
    t.match(visibleText(outside.body), '老人密码确认需要先选择服务对象。');
    t.equal(errorText(outside.body), errorText(missing.body), 'the same answer as for an elder that does not exist');
  }
  const outside = await volunteer.post('/hours', visit(testApp.elderId));
  const missing = await volunteer.post('/hours', visit(999_999));
  t.equal(outside.statusCode, 422);
  t.match(visibleText(outside.body), '这位服务对象不在本网络的老人档案中。');
  t.equal(errorText(outside.body), errorText(missing.body));
  t.notMatch(visibleText(outside.body), '单阿婆', 'her name is not shown');
  t.notMatch(visibleText((await volunteer.get(`/hours/new?elder_id=${testApp.elderId}`)).body), '单阿婆', 'nor preselected by a link');

  const elsewhere = await volunteer.post('/hours', visit('', { village_code: '430524101001' }));
  t.equal(elsewhere.statusCode, 422, 'a service without a recipient in a village of another county');
  t.match(visibleText(elsewhere.body), '地点');
  t.same(written(testApp), before, 'nothing written');
  t.same(pinCounters(testApp, testApp.elderMemberId), { holder: 0, remote: 0, holderLock: null, remoteLock: null }, 'her PIN was never tried');
});

t.test('a member of a 隆回县 team may serve an elder there, and she confirms with her PIN', async (t) => {
  const testApp = await network();
  t.teardown(() => testApp.app.close());
  const volunteerMemberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const teamId = scalar(testApp, "SELECT id FROM teams WHERE region_code = '430524' LIMIT 1");
  testApp.db.$client.prepare("INSERT INTO team_memberships (team_id, member_id, status, requested_at_ms) VALUES (?, ?, 'pending', 0)").run(teamId, volunteerMemberId);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const pending = await volunteer.post('/hours', visit(testApp.elderId, { elder_pin: demoRedemptionPin }));
  t.equal(pending.statusCode, 422, 'a pending team membership does not widen the area');

  testApp.db.$client.prepare("UPDATE team_memberships SET status = 'active' WHERE team_id = ? AND member_id = ?").run(teamId, volunteerMemberId);
  const found = await volunteer.get(`/hours/new?recipient_query=${encodeURIComponent('单')}`);
  t.match(visibleText(found.body), '单阿婆', 'the form offers her now');
  const saved = await volunteer.post('/hours', visit(testApp.elderId, { elder_pin: demoRedemptionPin }));
  t.equal(saved.statusCode, 303);
  t.match(saved.headers.location as string, /logged=approved$/);
  const id = Number(/records\/(\d+)/.exec(saved.headers.location as string)![1]);
  t.same(testApp.db.$client.prepare('SELECT county_code AS county, status FROM service_records WHERE id = ?').get(id), { county: '430524', status: 'approved' });
});

function errorText(html: string): string {
  return visibleText(/<p class="field-error"[^>]*>[\s\S]*?<\/p>/.exec(html)?.[0] ?? '');
}

import t from 'tap';
import { randomUUID } from 'node:crypto';
import { setMemberPin } from '../../../src/domain/people/members/pin.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { count, signedInAs, visibleText, type TestApp } from '../../helpers/web.ts';
import { createHoursApp, scalar } from './helpers.ts';

const pin = '285714';

async function elderWithPin(testApp: TestApp): Promise<number> {
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const memberId = scalar(testApp, 'SELECT member_id FROM elders WHERE id = ?', elderId);
  const admin = scalar(testApp, "SELECT user_id FROM user_roles WHERE role = 'admin' LIMIT 1");
  const set = await setMemberPin({ db: testApp.db, keys: testApp.app.secrets, now: testApp.clock.now }, { userId: admin, memberId, grants: [] }, memberId, pin);
  if (!set.ok) throw new Error(JSON.stringify(set));
  return elderId;
}

function visit(elderId: number, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '2026-11-22', start_time: '05:00', end_time: '06:00',
    village_code: '433123101001', ...overrides,
  };
}

t.test('the volunteer\'s form asks for the elder\'s PIN; the right one credits at once', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const elderId = await elderWithPin(testApp);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const form = await volunteer.get('/hours/new');
  t.match(visibleText(form.body), '老人确认密码（可不填）');
  t.notMatch(form.body, /elder_card_number/, 'the card number is no longer asked for');
  const saved = await volunteer.post('/hours', visit(elderId, { elder_pin: pin }));
  t.equal(saved.statusCode, 303);
  t.match(saved.headers.location as string, /logged=approved$/);
  const id = Number(/records\/(\d+)/.exec(saved.headers.location as string)![1]);
  t.equal(scalar(testApp, 'SELECT status FROM service_records WHERE id = ?', id), 'approved');
  t.match(visibleText((await volunteer.get(`/hours/records/${id}`)).body), '老人现场输入密码确认');
  t.ok(verifyLedger(testApp.db.$client).ok);
});

t.test('a wrong PIN: 422, the attempts left, nothing written, the PIN not echoed back', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const elderId = await elderWithPin(testApp);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const before = { records: count(testApp.db, 'service_records'), transfers: count(testApp.db, 'ledger_transfers') };
  const refused = await volunteer.post('/hours', visit(elderId, { elder_pin: '909192' }));
  t.equal(refused.statusCode, 422);
  t.match(visibleText(refused.body), '密码不对，还可以再试 4 次。');
  t.notMatch(refused.body, /909192/);
  t.same({ records: count(testApp.db, 'service_records'), transfers: count(testApp.db, 'ledger_transfers') }, before);
});

t.test('a coordinator logging for a member sees no PIN field and cannot confirm for the elder', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const elderId = await elderWithPin(testApp);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const form = await coordinator.get('/hours/new');
  t.notMatch(form.body, /name="elder_pin"/);
  const volunteerMemberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const saved = await coordinator.post('/hours', visit(elderId, { elder_pin: pin, volunteer_member_id: String(volunteerMemberId) }));
  t.equal(saved.statusCode, 303);
  const id = Number(/records\/(\d+)/.exec(saved.headers.location as string)![1]);
  t.equal(scalar(testApp, 'SELECT status FROM service_records WHERE id = ?', id), 'pending', 'a typed PIN is ignored on the staff form: the record waits for review');
});

t.test('a PIN staff set for the elder does not confirm a service (issue 12, consent): 409, nothing written, no attempt spent', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const memberId = scalar(testApp, 'SELECT member_id FROM elders WHERE id = ?', elderId);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get(`/members/${memberId}`);
  const token = (await import('../../../src/domain/people/members/card.ts')).openCardToken(testApp.app.secrets, testApp.db.$client.prepare('SELECT card_token_ciphertext FROM members WHERE id = ?').pluck().get(memberId) as string);
  t.equal((await coordinator.post(`/members/${memberId}/pin`, { pin, pin_confirm: pin, card: token })).statusCode, 303, 'the coordinator sets the elder\'s PIN');
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const before = { records: count(testApp.db, 'service_records'), transfers: count(testApp.db, 'ledger_transfers') };
  const refused = await volunteer.post('/hours', visit(elderId, { elder_pin: pin }));
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '老人的兑换密码是工作人员代设的，老人本人还没有确认，不能用来确认服务');
  t.same({ records: count(testApp.db, 'service_records'), transfers: count(testApp.db, 'ledger_transfers') }, before, 'nothing written');
  t.equal(scalar(testApp, 'SELECT pin_remote_failed_attempts FROM members WHERE id = ?', memberId), 0, 'no attempt spent');
});

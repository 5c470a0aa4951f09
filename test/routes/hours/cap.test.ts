import t from 'tap';
import { setPolicyRules } from '../../helpers/policy.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { signedInAs, visibleText, type TestApp } from '../../helpers/web.ts';
import { createHoursApp, logVisit, scalar } from './helpers.ts';

/** A cap 30 minutes above the demo volunteer's posted balance. */
function capJustAbove(testApp: TestApp, capMode: 'refuse' | 'divert') {
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const posted = scalar(testApp, 'SELECT credits_posted - debits_posted FROM ledger_accounts WHERE id = ?', `wallet:m${memberId}`);
  setPolicyRules(testApp.db, { balanceCapMinutes: posted + 30, capMode });
}

t.test('refuse mode: the record page warns, approval is refused with the reason and writes nothing', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const id = await logVisit(testApp, volunteer);
  capJustAbove(testApp, 'refuse');
  t.match(visibleText((await volunteer.get(`/hours/records/${id}`)).body), '入账后服务者余额会超过上限');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const transfers = scalar(testApp, 'SELECT count(*) FROM ledger_transfers');
  const refused = await coordinator.post(`/hours/records/${id}/approve`, { return_to: '/hours/queue' });
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '最多还能入账 30 分钟，这条记录是 1 小时。');
  t.equal(scalar(testApp, 'SELECT count(*) FROM ledger_transfers'), transfers);
  t.equal(scalar(testApp, 'SELECT status FROM service_records WHERE id = ?', id), 'pending');
  const many = await coordinator.post('/hours/queue/approve', { record: String(id), return_to: '/hours/queue' });
  t.equal(many.statusCode, 303);
  // The queue lists skipped records by code only, so it uses the short form of the message.
  t.match(visibleText((await coordinator.get(many.headers.location as string)).body), '王秀英 · 2026-11-22 · 探访关爱：入账后服务者余额会超过个人余额上限', 'the skipped record is named by volunteer, date and type');
});

t.test('divert mode: approval credits up to the cap and the record page says what went to the pool', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const id = await logVisit(testApp, volunteer);
  capJustAbove(testApp, 'divert');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  t.equal((await coordinator.post(`/hours/records/${id}/approve`, {})).statusCode, 303);
  t.equal(scalar(testApp, 'SELECT amount FROM ledger_transfers WHERE id = ?', `svc-post:${id}`), 30);
  t.equal(scalar(testApp, 'SELECT amount FROM ledger_transfers WHERE id = ?', `svc-overflow:${id}`), 30);
  t.match(visibleText((await volunteer.get(`/hours/records/${id}`)).body), '其中 30 分钟超过个人余额上限，已转入县公益时间池；入账 30 分钟。');
  t.ok(verifyLedger(testApp.db.$client).ok);
});

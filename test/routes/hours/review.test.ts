import t from 'tap';
import { expireUnreviewed } from '../../../src/domain/hours/review.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { count, signedInAs, visibleText, type TestApp } from '../../helpers/web.ts';
import { createHoursApp, logVisit, scalar, withPendingVisit } from './helpers.ts';

function available(testApp: TestApp): number {
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const row = testApp.db.$client.prepare('SELECT credits_posted - debits_posted - debits_pending AS available FROM ledger_accounts WHERE id = ?').get(`wallet:m${memberId}`) as { available: number };
  return row.available;
}

t.test('the coordinator approves from the queue; the volunteer sees the balance and the passbook line', async (t) => {
  const { testApp, volunteer, id } = await withPendingVisit(t);
  const before = available(testApp);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const queue = await coordinator.get('/hours/queue');
  const row = visibleText(queue.body.split('<tr>').find((part) => part.includes(`name="record" value="${id}"`))?.split('</tr>')[0] ?? '');
  t.match(row, /^王秀英 2026-11-22 05:00–06:00 探访关爱 1 小时 龙玉兰 · /, 'the record is one row: volunteer, date and time, type, duration, elder and place');
  const approve = await coordinator.post(`/hours/records/${id}/approve`, { return_to: '/hours/queue' });
  t.equal(approve.statusCode, 303);
  t.equal(approve.headers.location, '/hours/queue?approved=1');
  t.match(visibleText((await coordinator.get('/hours/queue?approved=1')).body), '已通过 1 条。');
  t.equal(scalar(testApp, 'SELECT status FROM service_records WHERE id = ?', id), 'approved');
  t.equal(available(testApp), before + 60);
  const passbook = visibleText((await volunteer.get('/passbook')).body);
  t.match(passbook, '服务审核通过入账 · 探访关爱 2026-11-22');
  t.match(passbook, '+1 小时');
  const twice = await coordinator.post(`/hours/records/${id}/approve`, {});
  t.equal(twice.statusCode, 303, 'a double tap by the same reviewer is shown as done');
  const office = await signedInAs(testApp.app, 'office');
  const other = await office.post(`/hours/records/${id}/approve`, {});
  t.equal(other.statusCode, 409);
  t.match(visibleText(other.body), '这条记录刚刚已由 龙德福 处理，现在是“已通过”。');
  t.equal(count(testApp.db, 'ledger_transfers'), scalar(testApp, 'SELECT count(*) FROM ledger_transfers'), 'sanity');
  t.equal(scalar(testApp, "SELECT count(*) FROM ledger_transfers WHERE id = ?", `svc-post:${id}`), 1, 'posted once');
  t.ok(verifyLedger(testApp.db.$client).ok);
});

t.test('reject needs a reason; the volunteer sees it; the hold is voided', async (t) => {
  const { testApp, volunteer, id } = await withPendingVisit(t);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get(`/hours/records/${id}`);
  const transfers = count(testApp.db, 'ledger_transfers');
  const blank = await coordinator.post(`/hours/records/${id}/reject`, { reason: ' ' });
  t.equal(blank.statusCode, 422);
  t.match(visibleText(blank.body), '请写明原因。');
  t.equal(count(testApp.db, 'ledger_transfers'), transfers, 'nothing written');
  const rejected = await coordinator.post(`/hours/records/${id}/reject`, { reason: '老人说这天没有人来过' });
  t.equal(rejected.statusCode, 303);
  t.equal(count(testApp.db, 'ledger_transfers'), transfers + 1, 'the void');
  const home = visibleText((await volunteer.get('/hours')).body);
  t.match(home, '未通过原因：老人说这天没有人来过');
  const record = visibleText((await volunteer.get(`/hours/records/${id}`)).body);
  t.match(record, '未通过');
  t.notMatch((await volunteer.get(`/hours/records/${id}`)).body, '/approve"', 'no review buttons for the volunteer');
  t.ok(verifyLedger(testApp.db.$client).ok);
});

t.test('nobody reviews their own record; a record out of scope is refused', async (t) => {
  const { testApp, volunteer, id } = await withPendingVisit(t);
  const selfApprove = await volunteer.post(`/hours/records/${id}/approve`, {});
  t.equal(selfApprove.statusCode, 403);
  const city = await signedInAs(testApp.app, 'office-city');
  const outside = await city.post(`/hours/records/${id}/approve`, {});
  t.equal(outside.statusCode, 404);
  t.match(visibleText(outside.body), '找不到这条服务记录。');
  t.equal((await city.get(`/hours/records/${id}`)).statusCode, 404);
  // The coordinator's own entry for 麻金花: visible in their queue, not approvable by them.
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const ownId = scalar(testApp, "SELECT id FROM service_records WHERE entered_by_user_id = (SELECT id FROM users WHERE phone = '13800000002') AND status = 'pending' LIMIT 1");
  t.ok(ownId, 'the seed left a pending entry by the coordinator');
  const own = await coordinator.post(`/hours/records/${ownId}/approve`, {});
  t.equal(own.statusCode, 403);
  t.match(visibleText(own.body), '不能审核自己登记的或自己的记录');
  t.equal(scalar(testApp, 'SELECT status FROM service_records WHERE id = ?', ownId), 'pending');
});

t.test('approve many: selected records in one action; own ones are listed as not approved', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const a = await logVisit(testApp, volunteer, '05:00', '05:30');
  const b = await logVisit(testApp, volunteer, '06:00', '06:30');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const queue = await coordinator.get('/hours/queue?village=433123101001');
  t.match(queue.body, `value="${a}"`);
  const ownId = scalar(testApp, "SELECT id FROM service_records WHERE entered_by_user_id = (SELECT id FROM users WHERE phone = '13800000002') AND status = 'pending' LIMIT 1");
  const response = await coordinator.request({
    method: 'POST', url: '/hours/queue/approve', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(coordinator.csrfToken)}&return_to=%2Fhours%2Fqueue&record=${a}&record=${b}&record=${ownId}`,
  });
  t.equal(response.statusCode, 303);
  const after = visibleText((await coordinator.get(response.headers.location as string)).body);
  t.match(after, '已通过 2 条。');
  const own = testApp.db.$client.prepare('SELECT m.real_name AS name, r.service_date AS date, t.name_zh AS type FROM service_records r JOIN members m ON m.id = r.volunteer_member_id JOIN service_types t ON t.id = r.service_type_id WHERE r.id = ?').get(ownId) as { name: string; date: string; type: string };
  t.match(after, `${own.name} · ${own.date} · ${own.type}：不能审核自己登记的或自己的记录`);
  t.notMatch(after, `#${ownId}`, 'no record number the list never shows');
  t.same(testApp.db.$client.prepare('SELECT status FROM service_records WHERE id IN (?, ?)').pluck().all(a, b), ['approved', 'approved']);
  const nothing = await coordinator.post('/hours/queue/approve', { return_to: '/hours/queue' });
  t.equal(nothing.statusCode, 422);
  t.match(visibleText(nothing.body), '请至少选择一条记录。');
  t.ok(verifyLedger(testApp.db.$client).ok);
});

t.test('the queue filters by village, type and volunteer, oldest first', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const office = await signedInAs(testApp.app, 'office');
  const all = await office.get('/hours/queue');
  const ids = [...all.body.matchAll(/href="\/hours\/records\/(\d+)"/g)].map((m) => Number(m[1]));
  const created = ids.map((id) => scalar(testApp, 'SELECT created_at_ms FROM service_records WHERE id = ?', id));
  t.same(created, [...created].sort((x, y) => x - y), 'oldest first');
  t.ok(ids.length >= 3);
  const village = await office.get('/hours/queue?village=433123101002');
  const villageIds = [...village.body.matchAll(/href="\/hours\/records\/(\d+)"/g)].map((m) => Number(m[1]));
  t.ok(villageIds.every((id) => scalar<string>(testApp, 'SELECT village_code FROM service_records WHERE id = ?', id) === '433123101002'));
  const type = await office.get('/hours/queue?type=visit');
  const typeIds = [...type.body.matchAll(/href="\/hours\/records\/(\d+)"/g)].map((m) => Number(m[1]));
  t.ok(typeIds.every((id) => scalar<string>(testApp, 'SELECT service_type_code FROM service_records WHERE id = ?', id) === 'visit'));
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const mine = await office.get(`/hours/queue?volunteer=${memberId}`);
  const mineIds = [...mine.body.matchAll(/href="\/hours\/records\/(\d+)"/g)].map((m) => Number(m[1]));
  t.ok(mineIds.length >= 1 && mineIds.every((id) => scalar(testApp, 'SELECT volunteer_member_id FROM service_records WHERE id = ?', id) === memberId));
  const city = await signedInAs(testApp.app, 'office-city');
  const cityText = visibleText((await city.get('/hours/queue')).body);
  t.notMatch(cityText, '王秀英', '凤凰县 records are not in 邵阳市\'s queue');
});

t.test('reversal of an approved record with a reason; refused when the credit is spent', async (t) => {
  const { testApp, volunteer, id } = await withPendingVisit(t);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get(`/hours/records/${id}`);
  await coordinator.post(`/hours/records/${id}/approve`, {});
  const page = visibleText((await coordinator.get(`/hours/records/${id}`)).body);
  t.match(page, '已入账的记录不能修改，只能用一笔冲正交易更正。');
  const before = available(testApp);
  const noReason = await coordinator.post(`/hours/records/${id}/reverse`, { reverse_reason: '' });
  t.equal(noReason.statusCode, 422);
  t.match(visibleText(noReason.body), '请写明原因。');
  const reversed = await coordinator.post(`/hours/records/${id}/reverse`, { reverse_reason: '重复登记' });
  t.equal(reversed.statusCode, 303);
  t.equal(available(testApp), before - 60);
  t.match(visibleText((await volunteer.get('/passbook')).body), '更正（扣回）');
  t.match(visibleText((await volunteer.get('/passbook')).body), '退回/更正：记错的时间由协管员更正', 'with a one-line explanation');
  t.match(visibleText((await volunteer.get(`/hours/records/${id}`)).body), '更正原因：重复登记');
  // Spent: drain the wallet through the ledger directly, then try to reverse another record.
  const second = await logVisit(testApp, volunteer, '03:00', '04:00');
  await coordinator.post(`/hours/records/${second}/approve`, {});
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const { ledgerFor } = await import('../../../src/domain/bookkeeping/accounts.ts');
  const ledger = ledgerFor(testApp.db.$client, testApp.clock.now);
  const spend = available(testApp) - 10;
  t.same(ledger.createTransfers([{ id: 'test-spend', debitAccountId: `wallet:m${memberId}`, creditAccountId: 'issuance:433123', amount: spend, code: 'redemption' }]), ['ok']);
  const transfers = count(testApp.db, 'ledger_transfers');
  const refused = await coordinator.post(`/hours/records/${second}/reverse`, { reverse_reason: '错误' });
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '志愿者已用掉部分时间：可用 10 分钟，冲正需要 60 分钟，不能冲正。');
  t.equal(count(testApp.db, 'ledger_transfers'), transfers);
  t.ok(verifyLedger(testApp.db.$client).ok);
});

t.test('expiry: a record nobody reviewed shows as expired and its hold is voided', async (t) => {
  const { testApp, volunteer, id } = await withPendingVisit(t);
  testApp.clock.advance(31 * 86_400_000);
  const expired = expireUnreviewed({ db: testApp.db, now: testApp.clock.now });
  t.ok(expired.includes(id));
  t.equal(scalar(testApp, 'SELECT code FROM ledger_transfers WHERE id = ?', `svc-expire:${id}`), 'expiry');
  const again = await signedInAs(testApp.app, 'volunteer'); // the session ended with the month
  const page = visibleText((await again.get(`/hours/records/${id}`)).body);
  t.match(page, '已过期');
  t.match(visibleText((await again.get('/passbook')).body), '未审核过期');
  t.ok(verifyLedger(testApp.db.$client).ok);
});

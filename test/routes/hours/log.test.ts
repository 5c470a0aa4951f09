import t from 'tap';
import { randomUUID } from 'node:crypto';
import { registerElder } from '../../../src/domain/people/elders/register.ts';
import { firstStandardTypes } from '../../../src/domain/hours/first-standard.ts';
import { publishVersion } from '../../../src/domain/hours/standard.ts';
import { actorOf } from '../../../src/domain/auth/users.ts';
import { demoVolunteerIdNumber } from '../../../src/domain/demo/id-numbers.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { count, signedInAs, visibleText, type TestApp } from '../../helpers/web.ts';
import { createHoursApp, scalar, visitForm, written } from './helpers.ts';
import { actorWithRoles } from '../../helpers/actor.ts';

t.test('a volunteer logs a visit: pending at once; the same key again writes nothing more', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const form = await volunteer.get('/hours/new');
  t.equal(form.statusCode, 200);
  t.match(form.body, /name="idempotency_key" value="[0-9a-f-]{36}"/, 'the form carries an idempotency key');
  const before = written(testApp);
  const fields = visitForm(testApp);
  const saved = await volunteer.post('/hours', fields);
  t.equal(saved.statusCode, 303);
  const location = saved.headers.location as string;
  t.match(location, /^\/hours\/records\/\d+\?logged=pending$/);
  const page = await volunteer.get(location);
  t.match(visibleText(page.body), '已保存，等待审核。');
  t.match(visibleText(page.body), '待审核');
  t.same(written(testApp), { records: before.records + 1, transfers: before.transfers + 1 });
  const again = await volunteer.post('/hours', fields);
  t.equal(again.statusCode, 303);
  t.equal(again.headers.location, location, 'the retry lands on the same record');
  t.same(written(testApp), { records: before.records + 1, transfers: before.transfers + 1 }, 'one record, one transfer');
  const home = visibleText((await volunteer.get('/hours')).body);
  t.match(home, '龙玉兰');
  t.ok(verifyLedger(testApp.db.$client).ok);
});

const refusals: [string, (app: TestApp) => Record<string, string>, string][] = [
  ['end before start', (app) => visitForm(app, { start_time: '06:00', end_time: '05:30' }), '结束时间必须晚于开始时间。'],
  ['longer than the type allows', (app) => visitForm(app, { start_time: '03:00', end_time: '05:30' }), '“探访关爱”每次最长 120 分钟，这次填了 150 分钟。'],
  ['in the future', (app) => visitForm(app, { date: '2026-11-23', start_time: '11:00', end_time: '11:30' }), '不能登记还没发生的服务'],
  ['older than the policy window', (app) => visitForm(app, { date: '2026-10-20' }), '只能登记最近 30 天内的服务（2026-10-24 以后）。'],
  ['a recipient outside the network', (app) => visitForm(app, { elder_id: '99999' }), '这位服务对象不在本网络的老人档案中。'],
  ['no recipient for a visit', (app) => visitForm(app, { elder_id: '' }), '“探访关爱”需要选择服务对象。'],
  ['neither end nor duration', (app) => visitForm(app, { end_time: '' }), '请填写结束时间或时长。'],
];

for (const [name, form, message] of refusals) {
  t.test(`refused with a clear message, nothing written: ${name}`, async (t) => {
    const testApp = await createHoursApp();
    t.teardown(() => testApp.app.close());
    const volunteer = await signedInAs(testApp.app, 'volunteer');
    await volunteer.get('/hours/new');
    const before = written(testApp);
    const response = await volunteer.post('/hours', form(testApp));
    t.equal(response.statusCode, 422);
    const text = visibleText(response.body);
    t.match(text, '没有保存，请按下面的提示修改。');
    t.match(text, message);
    t.match(response.body, /aria-invalid="true"/, 'the field is marked');
    t.same(written(testApp), before, 'nothing written');
  });
}

t.test('refused: overlapping, and over the daily maximum', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  t.equal((await volunteer.post('/hours', visitForm(testApp))).statusCode, 303);
  const before = written(testApp);
  const overlap = await volunteer.post('/hours', visitForm(testApp, { start_time: '05:30', end_time: '06:30' }));
  t.equal(overlap.statusCode, 422);
  t.match(visibleText(overlap.body), '这段时间和您 2026-11-22 的另一条记录重叠了。');
  const admin = await signedInAs(testApp.app, 'admin');
  await admin.get('/hours/standard');
  const policy = await admin.post('/hours/policy', { backdate_days: '30', daily_max_hours: '1', unreviewed_expiry_days: '30', auto_approve: '1' });
  t.equal(policy.statusCode, 303);
  const tooMuch = await volunteer.post('/hours', visitForm(testApp, { start_time: '03:00', end_time: '03:30' }));
  t.equal(tooMuch.statusCode, 422);
  t.match(visibleText(tooMuch.body), '每人每天最多登记 1 小时，这一天已经登记了');
  t.same(written(testApp), before);
});

t.test('refused: the volunteer as their own recipient, and an inactive type', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const { db, clock } = testApp;
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const adminId = scalar(testApp, "SELECT id FROM users WHERE phone = '13800000006'");
  const people = { db, keys: testApp.app.secrets, now: clock.now };
  const self = registerElder(people, actorWithRoles(db, { userId: adminId, roles: [{ role: 'admin', regionCode: '430000' }] }), {
    realName: '王秀英', idNumber: demoVolunteerIdNumber, villageCode: '433123101001', memberId, categories: ['empty_nest'], consent: { givenBy: 'self', method: 'written' },
  });
  t.ok(self.ok);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const before = written(testApp);
  const own = await volunteer.post('/hours', visitForm(testApp, { elder_id: String(self.ok ? self.value.elderId : 0) }));
  t.equal(own.statusCode, 422);
  t.match(visibleText(own.body), '不能把自己登记为服务对象。');

  const types = firstStandardTypes.map((type) => ({
    code: type.code, nameZh: type.nameZh, nameEn: type.nameEn, category: type.category, coefficient: '1', maxMinutes: String(type.maxMinutes),
    recipientRequired: type.recipientRequired, active: type.code !== 'cleaning',
  }));
  t.ok(publishVersion({ db, now: clock.now }, actorOf(db, adminId), { effectiveDate: '2026-11-24', types }).ok);
  clock.advance(2 * 86_400_000);
  await volunteer.get('/hours/new');
  const inactive = await volunteer.post('/hours', visitForm(testApp, { service_type: 'cleaning', date: '2026-11-24' }));
  t.equal(inactive.statusCode, 422);
  t.match(visibleText(inactive.body), '“助洁”已停用，不能再登记。');
  t.same(written(testApp), before);
  const form = visibleText((await volunteer.get('/hours/new')).body);
  t.notMatch(form, '助洁（最长', 'the inactive type is not offered');
});

t.test('a form without its idempotency key is refused; without CSRF too', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const before = written(testApp);
  const { idempotency_key: _key, ...noKey } = visitForm(testApp);
  const response = await volunteer.post('/hours', noKey);
  t.equal(response.statusCode, 400);
  t.match(visibleText(response.body), '这张表单已失效');
  const forged = await volunteer.post('/hours', visitForm(testApp), { csrf: false });
  t.equal(forged.statusCode, 403);
  t.same(written(testApp), before);
});

t.test('a present but malformed idempotency key is refused, not silently replaced; the form comes back with a fresh key', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const before = written(testApp);
  for (const bad of ['not-a-key', '123', `${randomUUID()}x`, 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz']) {
    const response = await volunteer.post('/hours', visitForm(testApp, { idempotency_key: bad }));
    t.equal(response.statusCode, 400, bad);
    t.match(visibleText(response.body), '这张表单已失效');
    t.match(response.body, /name="idempotency_key" value="[0-9a-f-]{36}"/);
  }
  t.same(written(testApp), before, 'nothing written');
  const good = await volunteer.post('/hours', visitForm(testApp, { idempotency_key: randomUUID().toUpperCase() }));
  t.equal(good.statusCode, 303, 'an upper-case UUID is still a key');
});

t.test('JS off: the find button (its own GET form, only the query) finds recipients by pinyin; other values in a URL are kept', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const page = await volunteer.get('/hours/new?recipient_query=lyl&start_time=07%3A15&note=%E5%B8%A6%E4%BA%86%E6%B0%B4%E6%9E%9C');
  const text = visibleText(page.body);
  t.match(text, '龙玉兰 · 老家寨村');
  t.match(page.body, /name="start_time" type="time" value="07:15"/);
  t.match(page.body, /带了水果/);
  const fragment = await volunteer.get('/hours/recipients?recipient_query=%E7%94%B0', { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.match(visibleText(fragment.body), '田桂香');
  t.notMatch(fragment.body, '<html');
  const none = await volunteer.get('/hours/new?recipient_query=%E6%97%A0%E6%AD%A4%E4%BA%BA');
  t.match(visibleText(none.body), '没有找到');
});

t.test('the elder already ticked stays ticked when the search answers (she ticked a usual recipient while typing)', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const longId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const page = await volunteer.get('/hours/new');
  t.match(page.body, /hx-include="#recipient_query, \[name=elder_id\]:checked"/, 'the search sends the ticked elder along');
  const fragment = await volunteer.get(`/hours/recipients?recipient_query=%E7%94%B0&elder_id=${longId}`, { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.match(visibleText(fragment.body), '田桂香', 'the search result');
  t.match(fragment.body, new RegExp(`value="${longId}" checked`), '龙玉兰 is still there, ticked');
  const foreign = await volunteer.get('/hours/recipients?recipient_query=%E7%94%B0&elder_id=999999', { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.notMatch(foreign.body, 'value="999999"', 'an elder outside her area (or missing) is not added');
});

t.test('a coordinator logs for a member without a phone; the record shows who entered it', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const search = await coordinator.get('/hours/new?member_query=%E9%BA%BB%E9%87%91%E8%8A%B1');
  t.match(visibleText(search.body), '麻金花');
  const memberId = scalar(testApp, "SELECT id FROM members WHERE real_name = '麻金花'");
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '田桂香'");
  const noMember = await coordinator.post('/hours', { ...visitForm(testApp), elder_id: String(elderId) });
  t.equal(noMember.statusCode, 422);
  t.match(visibleText(noMember.body), '请选择为哪位成员登记。');
  const saved = await coordinator.post('/hours', { ...visitForm(testApp), elder_id: String(elderId), volunteer_member_id: String(memberId) });
  t.equal(saved.statusCode, 303);
  const record = visibleText((await coordinator.get(saved.headers.location as string)).body);
  t.match(record, '协管员代登记：龙德福');
  t.match(record, '这条记录是您代登记的，需由其他协管员审核。');
  t.notMatch(record, '本人', 'no "self" wording for a record the coordinator entered for someone else');
  const office = await signedInAs(testApp.app, 'office-city');
  const outside = await office.post('/hours', { ...visitForm(testApp), elder_id: String(elderId), volunteer_member_id: String(memberId) });
  // A member outside the scope is answered like a member nobody holds (issue 12 item 7).
  t.equal(outside.statusCode, 422);
  t.match(visibleText(outside.body), '找不到这位成员。');
  t.notMatch(visibleText(outside.body), '不在您负责的地区');
  // The form redrawn, or opened with the id in the address, never names a member outside the scope.
  const card = String(scalar(testApp, 'SELECT card_number FROM members WHERE id = ?', memberId));
  t.notMatch(outside.body, '麻金花', 'the refusal does not show the member it refused');
  t.notMatch(outside.body, card, 'nor the card number');
  const byAddress = await office.get(`/hours/new?volunteer_member_id=${memberId}`);
  t.equal(byAddress.statusCode, 200);
  t.notMatch(byAddress.body, '麻金花', 'an id in the address shows nobody outside the scope');
  t.notMatch(byAddress.body, card);
  t.match((await coordinator.get(`/hours/new?volunteer_member_id=${memberId}`)).body, '麻金花', 'in the scope, the chosen member is shown');
});

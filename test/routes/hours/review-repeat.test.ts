import t from 'tap';
import type { AddressInfo } from 'node:net';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { HttpSession } from '../../helpers/server-process.ts';
import { demoPhone, signedInAs, visibleText, type TestApp, type TestBrowser } from '../../helpers/web.ts';
import { createHoursApp, logVisit, scalar } from './helpers.ts';

function approveMany(browser: TestBrowser, ids: number[]) {
  return browser.request({
    method: 'POST', url: '/hours/queue/approve', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(browser.csrfToken)}&return_to=%2Fhours%2Fqueue${ids.map((id) => `&record=${id}`).join('')}`,
  });
}

const posts = (testApp: TestApp, ids: number[]) => ids.map((id) => scalar(testApp, 'SELECT count(*) FROM ledger_transfers WHERE id = ?', `svc-post:${id}`));

t.test('approve-many tapped twice: the second reads 已通过 2 条 with no red alert, and each record is credited once', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const ids = [await logVisit(testApp, volunteer, '05:00', '05:30'), await logVisit(testApp, volunteer, '06:00', '06:30')];
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get('/hours/queue');
  // Two taps in flight together (the second before the first's answer arrived), then a third after it.
  const [first, second] = await Promise.all([approveMany(coordinator, ids), approveMany(coordinator, ids)]);
  const third = await approveMany(coordinator, ids);
  for (const response of [first, second, third]) {
    t.equal(response.statusCode, 303);
    t.equal(response.headers.location, '/hours/queue?approved=2', 'a repeat of my own decision is success, not a skip');
  }
  const page = await coordinator.get(third.headers.location as string);
  t.match(visibleText(page.body), '已通过 2 条。');
  t.notMatch(page.body, 'role="alert"', 'no red alert');
  t.notMatch(visibleText(page.body), '没有通过');
  t.same(posts(testApp, ids), [1, 1], 'each record credited once');
  t.same(testApp.db.$client.prepare(`SELECT DISTINCT status FROM service_records WHERE id IN (${ids.join(',')})`).pluck().all(), ['approved']);
  t.ok(verifyLedger(testApp.db.$client).ok);
});

t.test('a record another reviewer approved first is still skipped, named by volunteer, date and type', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const id = await logVisit(testApp, volunteer, '05:00', '05:30');
  const office = await signedInAs(testApp.app, 'office');
  await office.get(`/hours/records/${id}`);
  t.equal((await office.post(`/hours/records/${id}/approve`, {})).statusCode, 303);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get('/hours/queue');
  const response = await approveMany(coordinator, [id]);
  t.equal(response.headers.location, `/hours/queue?approved=0&skipped=${id}.record_already_approved`);
  const text = visibleText((await coordinator.get(response.headers.location as string)).body);
  t.match(text, '1 条没有通过： 王秀英 · 2026-11-22 · 探访关爱：这条记录已经通过了。');
  t.notMatch(text, `#${id}`);
  t.equal(scalar(testApp, 'SELECT reviewed_by_user_id FROM service_records WHERE id = ?', id), scalar(testApp, "SELECT id FROM users WHERE phone = '13800000004'"), 'the first reviewer stays the reviewer');
  // A forged skipped list cannot reveal names outside the reviewer's area.
  const city = await signedInAs(testApp.app, 'office-city');
  const forged = visibleText((await city.get(`/hours/queue?skipped=${id}.record_already_approved`)).body);
  t.notMatch(forged, '王秀英');
  t.match(forged, '一条已不在您辖区内的记录');
});

t.test('approve/reject race: the loser sees who decided, the record as it is, and a way back to the queue; nothing of theirs is written', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const id = await logVisit(testApp, volunteer, '05:00', '05:30');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const office = await signedInAs(testApp.app, 'office');
  await coordinator.get('/hours/queue');
  await office.get(`/hours/records/${id}`);
  const [approve, reject] = await Promise.all([
    coordinator.post(`/hours/records/${id}/approve`, { return_to: '/hours/queue?village=433123101001' }),
    office.post(`/hours/records/${id}/reject`, { reason: '老人说这天没有人来过' }),
  ]);
  const status = scalar<string>(testApp, 'SELECT status FROM service_records WHERE id = ?', id);
  const [winner, loser, loserBack] = status === 'approved' ? [approve, reject, '/hours/queue'] : [reject, approve, '/hours/queue?village=433123101001'];
  t.equal(winner.statusCode, 303);
  t.equal(loser.statusCode, 409);
  const winnerName = status === 'approved' ? '龙德福' : '田建国';
  const statusText = status === 'approved' ? '已通过' : '未通过';
  t.match(visibleText(loser.body), `这条记录刚刚已由 ${winnerName} 处理，现在是“${statusText}”。您的操作没有执行`);
  t.match(loser.body, new RegExp(`<a class="button" href="${loserBack.replace(/[?]/g, '\\?')}">返回待审核列表</a>`));
  t.notMatch(loser.body, `/hours/records/${id}/approve"`, 'no decision buttons on a decided record');
  t.equal(scalar(testApp, "SELECT count(*) FROM ledger_transfers WHERE id IN (?, ?)", `svc-post:${id}`, `svc-void:${id}`), 1, 'one decision in the ledger');
  t.ok(verifyLedger(testApp.db.$client).ok);
});

t.test('item 8: a record the coordinator entered reads as one true statement in the queue and on its page', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const ownId = scalar(testApp, "SELECT id FROM service_records WHERE entered_by_user_id = (SELECT id FROM users WHERE phone = '13800000002') AND status = 'pending' AND source = 'coordinator' LIMIT 1");
  t.ok(ownId, 'the seed left a pending entry by the coordinator');
  const volunteerName = scalar<string>(testApp, 'SELECT m.real_name FROM service_records r JOIN members m ON m.id = r.volunteer_member_id WHERE r.id = ?', ownId);
  const queue = await coordinator.get('/hours/queue');
  const row = /<tr>\s*<th scope="row"[\s\S]*?<\/tr>/g;
  const own = [...queue.body.matchAll(row)].map((match) => visibleText(match[0])).find((text) => text.startsWith(`${volunteerName} `) && text.includes('您代登记'));
  t.ok(own, 'the coordinator\'s own entry is in the queue');
  t.match(own, '您代登记的记录，需其他协管员审核');
  t.notMatch(own, '本人登记', 'not "logged by the volunteer"');
  t.notMatch(own, '协管员代登记', 'and not a second, different statement of who entered it');
  const page = visibleText((await coordinator.get(`/hours/records/${ownId}`)).body);
  t.match(page, '这条记录是您代登记的，需由其他协管员审核。');
  t.notMatch(page, '本人');
  t.equal(scalar(testApp, 'SELECT status FROM service_records WHERE id = ?', ownId), 'pending', 'still waiting for another reviewer');
});

t.test('through a real listening server: four approve-selected taps at once all read 已通过 2 条; an approve and a reject at once leave one decision and one race page', async (t) => {
  const testApp = await createHoursApp();
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => testApp.app.close());
  const base = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`;
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const ids = [await logVisit(testApp, volunteer, '05:00', '05:30'), await logVisit(testApp, volunteer, '06:00', '06:30')];
  const raced = await logVisit(testApp, volunteer, '07:00', '07:30');

  const coordinator = await HttpSession.signIn(base, demoPhone('coordinator'));
  await coordinator.page('/hours/queue');
  const form = new URLSearchParams({ _csrf: coordinator.csrf, return_to: '/hours/queue' });
  for (const id of ids) form.append('record', String(id));
  const taps = await Promise.all(Array.from({ length: 4 }, () => fetch(`${base}/hours/queue/approve`, {
    method: 'POST', redirect: 'manual', body: form.toString(), headers: { cookie: coordinator.header(), 'content-type': 'application/x-www-form-urlencoded' },
  })));
  t.same(taps.map((response) => [response.status, response.headers.get('location')]), Array.from({ length: 4 }, () => [303, '/hours/queue?approved=2']));
  t.same(posts(testApp, ids), [1, 1], 'each record credited once');

  const office = await HttpSession.signIn(base, demoPhone('office'));
  await office.page(`/hours/records/${raced}`);
  const [approve, reject] = await Promise.all([
    coordinator.fetch(`/hours/records/${raced}/approve`, { form: { return_to: '/hours/queue' } }),
    office.fetch(`/hours/records/${raced}/reject`, { form: { reason: '时间对不上' } }),
  ]);
  t.same([approve.status, reject.status].sort(), [303, 409], 'one decision wins, the other is told');
  const loser = approve.status === 409 ? approve : reject;
  const body = await loser.text();
  t.match(visibleText(body), /这条记录刚刚已由 \S+ 处理，现在是“(已通过|未通过)”。/);
  t.match(body, '返回待审核列表</a>');
  t.equal(scalar(testApp, 'SELECT count(*) FROM ledger_transfers WHERE id IN (?, ?)', `svc-post:${raced}`, `svc-void:${raced}`), 1, 'one decision in the ledger');
  t.ok(verifyLedger(testApp.db.$client).ok);
});

import t from 'tap';
import { codeAt, findSession } from '../../../src/domain/hours/activities.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { signedInAs, TestBrowser, visibleText } from '../../helpers/web.ts';
import { demoPassword } from '../../../src/domain/demo/seed.ts';
import { addSecondVolunteer, createHoursApp, scalar } from './helpers.ts';

t.test('activity sign-in by QR URL: open, scan (signing in first), check in and out, close, approve in one action', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const context = { db: testApp.db, now: testApp.clock.now };
  const activityId = scalar(testApp, "SELECT id FROM team_activities WHERE theme = '银龄健康操与防诈骗讲座'");
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const list = visibleText((await coordinator.get('/activities')).body);
  t.match(list, '银龄健康操与防诈骗讲座');
  await coordinator.get(`/activities/${activityId}/sign-in`);
  const opened = await coordinator.post(`/activities/${activityId}/sign-in`, { service_type: 'culture_sport' });
  t.equal(opened.statusCode, 303);
  const screen = await coordinator.get(`/activities/${activityId}/sign-in`);
  t.match(screen.body, /<svg/, 'a QR code');
  const url = /href="(http:\/\/[^"]+\/activities\/check-in\/\d+\/[A-Za-z0-9_-]{10})"/.exec(screen.body)?.[1];
  t.ok(url, 'the code is a URL');
  const path = new URL(url!).pathname;
  const fragment = await coordinator.get(`/activities/${activityId}/sign-in/code`, { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.match(fragment.body, /hx-trigger="every 20s"/);

  // A phone that is not signed in scans: the code becomes a ticket, then sign-in, then the confirm page.
  const phone = new TestBrowser(testApp.app);
  const scanned = await phone.get(path);
  t.equal(scanned.statusCode, 303);
  const ticketPath = scanned.headers.location as string;
  t.match(ticketPath, /^\/activities\/check-in\/\d+\/t\/\d+\.[A-Za-z0-9_-]{16}$/);
  const needSignIn = await phone.get(ticketPath);
  t.equal(needSignIn.statusCode, 303);
  t.match(needSignIn.headers.location as string, /^\/sign-in\?next=/);
  testApp.clock.advance(3 * 60_000); // signing in takes a while; the code on the screen moves on
  await phone.get('/sign-in');
  const signedIn = await phone.post('/sign-in', { phone: '13800000001', password: demoPassword, next: ticketPath });
  t.equal(signedIn.headers.location, ticketPath, 'back to the ticket after signing in');
  const confirm = await phone.get(ticketPath);
  t.equal(confirm.statusCode, 200);
  t.match(visibleText(confirm.body), '确认签到');
  const checkIn = await phone.post(ticketPath, { action: 'in' });
  t.equal(checkIn.statusCode, 303);
  t.match(visibleText((await phone.get(checkIn.headers.location as string)).body), '签到成功');
  const doubleTap = await phone.post(ticketPath, { action: 'in' });
  t.equal(doubleTap.statusCode, 303, 'a double tap changes nothing');
  t.equal(scalar(testApp, 'SELECT count(*) FROM activity_attendance'), 1);
  t.equal(scalar(testApp, 'SELECT count(*) FROM activity_attendance WHERE signed_out_at_ms IS NOT NULL'), 0);

  // The old code is refused.
  const stale = await phone.get(path);
  t.equal(stale.statusCode, 410);
  t.match(visibleText(stale.body), '二维码已过期，请重新扫描屏幕上的最新二维码。');

  // 90 minutes later: scan the current code to sign out.
  testApp.clock.advance(90 * 60_000);
  const session = findSession(context, Number(/check-in\/(\d+)/.exec(path)![1]))!;
  const outScan = await phone.get(`/activities/check-in/${session.id}/${codeAt(session, testApp.clock.nowMs)}`);
  t.equal(outScan.statusCode, 303);
  const outPage = await phone.get(outScan.headers.location as string);
  t.match(visibleText(outPage.body), '确认签退');
  const out = await phone.post(outScan.headers.location as string, { action: 'out' });
  t.equal(out.statusCode, 303);
  t.match(visibleText((await phone.get(out.headers.location as string)).body), '签退成功');

  // Another member, with the session id from an address but no ticket of it and no attendance, learns nothing of it:
  // exactly the answer a session that does not exist gets, ?done=1 or not.
  addSecondVolunteer(testApp.db);
  const other = new TestBrowser(testApp.app);
  t.equal((await other.signIn('13800000098', demoPassword)).statusCode, 303);
  const missing = await other.get('/activities/check-in/999999/t/1.AAAAAAAAAAAAAAAA?done=1');
  t.equal(missing.statusCode, 404);
  const theme = scalar<string>(testApp, 'SELECT theme FROM team_activities WHERE id = ?', activityId);
  for (const probe of [`/activities/check-in/${session.id}/t/x?done=1`, `/activities/check-in/${session.id}/t/1.AAAAAAAAAAAAAAAA?done=1`, `/activities/check-in/${session.id}/t/1.AAAAAAAAAAAAAAAA`]) {
    const answer = await other.get(probe);
    t.equal(answer.statusCode, 404, `${probe}: like a missing session`);
    t.equal(visibleText(answer.body), visibleText(missing.body), `${probe}: the same page`);
    t.notMatch(answer.body, theme, `${probe}: the activity is not named`);
  }
  t.match(visibleText((await phone.get(out.headers.location as string)).body), '签退成功', 'she who checked out still sees her page');

  const attendance = visibleText((await coordinator.get(`/activities/${activityId}/sign-in`)).body);
  t.match(attendance, '签到情况（1 人）');
  t.match(attendance, '王秀英');
  const closed = await coordinator.post(`/activities/${activityId}/close`, {});
  t.equal(closed.statusCode, 303);
  t.match(visibleText((await coordinator.get(closed.headers.location as string)).body), '活动已结束，已生成 1 条服务记录');
  const record = testApp.db.$client.prepare('SELECT * FROM service_records WHERE activity_id = ?').get(activityId) as Record<string, unknown>;
  t.equal(record.status, 'pending');
  t.equal(record.duration_minutes, 90);
  const queue = await coordinator.get(`/hours/queue?activity=${activityId}`);
  t.match(visibleText(queue.body), '活动签到');
  await coordinator.request({
    method: 'POST', url: '/hours/queue/approve', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(coordinator.csrfToken)}&return_to=%2Fhours%2Fqueue&record=${record.id}`,
  });
  t.equal(scalar(testApp, 'SELECT status FROM service_records WHERE id = ?', record.id), 'approved');
  const late = await phone.get(`/activities/check-in/${session.id}/${codeAt(session, testApp.clock.nowMs)}`);
  t.equal(late.statusCode, 409);
  t.match(visibleText(late.body), '这个活动已经结束签到。');
  t.ok(verifyLedger(testApp.db.$client).ok);
});

t.test('only staff in scope or the team leader run the sign-in', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const activityId = scalar(testApp, "SELECT id FROM team_activities WHERE theme = '银龄健康操与防诈骗讲座'");
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const response = await volunteer.get(`/activities/${activityId}/sign-in`);
  t.equal(response.statusCode, 404);
  t.match(visibleText(response.body), '找不到这个活动。');
  const city = await signedInAs(testApp.app, 'office-city');
  t.equal((await city.get(`/activities/${activityId}/sign-in`)).statusCode, 404);
});

t.test('closing lists the attendees whose sign-in would overlap another record, by name, and makes no record for them', async (t) => {
  const { actorOf } = await import('../../../src/domain/auth/users.ts');
  const { checkIn: scan } = await import('../../../src/domain/hours/activities.ts');
  const { logService } = await import('../../../src/domain/hours/log.ts');
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const context = { db: testApp.db, now: testApp.clock.now };
  const activityId = scalar(testApp, "SELECT id FROM team_activities WHERE theme = '银龄健康操与防诈骗讲座'");
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get(`/activities/${activityId}/sign-in`);
  t.equal((await coordinator.post(`/activities/${activityId}/sign-in`, { service_type: 'culture_sport' })).statusCode, 303);
  const volunteer = actorOf(testApp.db, scalar(testApp, "SELECT id FROM users WHERE phone = '13800000001'"));
  const open = findSession(context, scalar(testApp, 'SELECT id FROM activity_sessions WHERE activity_id = ?', activityId))!;
  const startMs = testApp.clock.nowMs;
  t.ok(scan(context, volunteer, open.id, codeAt(open, startMs)).ok);
  testApp.clock.advance(90 * 60_000);
  // The same volunteer also logged a visit by hand during the activity.
  const { shanghaiDateOf, shanghaiTimeOf } = await import('../../../src/domain/hours/time.ts');
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const byHand = logService(context, volunteer, {
    idempotencyKey: '0f0e0d0c-0b0a-4908-8706-050403020100', serviceTypeCode: 'visit', elderId, date: shanghaiDateOf(startMs),
    startTime: shanghaiTimeOf(startMs + 10 * 60_000), endTime: shanghaiTimeOf(startMs + 40 * 60_000),
  });
  t.ok(byHand.ok, JSON.stringify(byHand));
  const closed = await coordinator.post(`/activities/${activityId}/close`, {});
  t.equal(closed.statusCode, 303);
  t.match(closed.headers.location as string, /records=0&skipped=\d+\.overlapping$/);
  const page = visibleText((await coordinator.get(closed.headers.location as string)).body);
  t.match(page, '以下 1 人的签到没有生成服务记录');
  t.match(page, '王秀英：这段时间与 TA 的另一条服务记录重叠');
  t.match(page, '未生成记录');
  t.equal(scalar(testApp, 'SELECT count(*) FROM service_records WHERE activity_id = ?', activityId), 0);
  t.ok(verifyLedger(testApp.db.$client).ok);
});

t.test('a city team\'s activity (邵阳市): the opener must choose the village; the refusal says so and opens nothing', async (t) => {
  const { teamActivities, teams } = await import('../../../src/db/schema/people.ts');
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const now = testApp.clock.nowMs;
  const team = testApp.db.insert(teams).values({ name: '邵阳市银龄讲师团', sponsorUnit: '邵阳市老龄委', sponsorKind: 'county_committee', regionCode: '430500', createdAtMs: now, updatedAtMs: now }).returning({ id: teams.id }).get();
  const village = scalar<string>(testApp, "SELECT code FROM regions WHERE level = 'village' AND path LIKE '/430000/430500/%' ORDER BY code LIMIT 1");
  const activity = testApp.db.insert(teamActivities).values({ teamId: team.id, activityDate: '2026-11-23', place: '村文化广场', theme: '市讲师团防诈骗讲座', createdAtMs: now }).returning({ id: teamActivities.id }).get();
  const office = await signedInAs(testApp.app, 'office-city');
  const form = await office.get(`/activities/${activity.id}/sign-in`);
  t.equal(form.statusCode, 200);
  t.match(visibleText(form.body), '活动所在的村（社区）');
  t.match(form.body, `<option value="${village}"`);
  const refused = await office.post(`/activities/${activity.id}/sign-in`, { service_type: 'culture_sport', village_code: '' });
  t.equal(refused.statusCode, 422);
  t.match(visibleText(refused.body), '这支队伍属于县级以上，请选择活动所在的村（社区）');
  t.equal(scalar(testApp, 'SELECT count(*) FROM activity_sessions WHERE activity_id = ?', activity.id), 0);
  const opened = await office.post(`/activities/${activity.id}/sign-in`, { service_type: 'culture_sport', village_code: village });
  t.equal(opened.statusCode, 303);
  t.equal(scalar(testApp, 'SELECT village_code FROM activity_sessions WHERE activity_id = ?', activity.id), village);
});

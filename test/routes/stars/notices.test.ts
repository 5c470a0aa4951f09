import t from 'tap';
import { count, signedInAs, TestBrowser, visibleText } from '../../helpers/web.ts';
import { bringTo, createHoursApp, scalar, starOnNotice, starProposed, wangMemberId } from './helpers.ts';
import { logVisit } from '../hours/helpers.ts';

const shanghaiMidnight = (date: string) => Date.parse(`${date}T00:00:00+08:00`);

function award(testApp: Awaited<ReturnType<typeof createHoursApp>>, id: number) {
  return testApp.db.$client.prepare('SELECT * FROM star_awards WHERE id = ?').get(id) as Record<string, unknown>;
}

function auditActions(testApp: Awaited<ReturnType<typeof createHoursApp>>, awardId: number): string[] {
  return testApp.db.$client.prepare("SELECT action FROM audit_log WHERE object_type = 'star_award' AND object_id = ? ORDER BY id").pluck().all(String(awardId)) as string[];
}

t.test('an approval that crosses 100 hours proposes the first star to the county office; one below does not', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const memberId = wangMemberId(testApp);
  bringTo(testApp, memberId, 100 * 60 - 90);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get('/hours/queue');
  const first = await logVisit(testApp, volunteer, '05:00', '06:00');
  await coordinator.post(`/hours/records/${first}/approve`, { return_to: '/hours/queue' });
  t.equal(count(testApp.db, 'star_awards'), 0, '99.5 hours: no proposal');
  const second = await logVisit(testApp, volunteer, '03:00', '04:00');
  await coordinator.post(`/hours/records/${second}/approve`, { return_to: '/hours/queue' });
  const row = testApp.db.$client.prepare('SELECT * FROM star_awards').get() as Record<string, unknown>;
  t.match(row, { member_id: memberId, star: 1, status: 'proposed', awarding_region_code: '433123', village_code: '433123101001', service_minutes: 100 * 60 + 30, policy_version_id: null });
  t.same(auditActions(testApp, row.id as number), ['stars.propose']);
  const office = await signedInAs(testApp.app, 'office');
  const page = visibleText((await office.get('/stars')).body);
  t.match(page, '王秀英 · 一星志愿者');
  t.match(page, '待公示');
  t.match(page, '累计服务时长 100 小时 30 分');
  t.equal(await testApp.app.jobs.run('stars'), 0, 'the scanning job finds nothing more to propose');
});

t.test('the scanning job proposes what no approval did (a record approved on the spot)', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const memberId = wangMemberId(testApp);
  bringTo(testApp, memberId, 300 * 60);
  t.equal(await testApp.app.jobs.run('stars'), 2, 'stars 1 and 2 at 300 hours');
  t.same(testApp.db.$client.prepare('SELECT star, awarding_region_code AS region FROM star_awards ORDER BY star').all(), [{ star: 1, region: '433123' }, { star: 2, region: '433123' }]);
  t.equal(await testApp.app.jobs.run('stars'), 0, 'never proposed twice');
});

t.test('the county office publishes the notice once; it runs 5 working days from the next working day', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const { awardId } = await starProposed(testApp);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  t.equal((await volunteer.get('/stars')).statusCode, 403, 'a volunteer has no office page');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get('/hours/queue');
  const byCoordinator = await coordinator.post(`/stars/${awardId}/publish`, {});
  t.equal(byCoordinator.statusCode, 403, 'a coordinator may not publish');
  const city = await signedInAs(testApp.app, 'office-city');
  await city.get('/stars');
  t.notMatch(visibleText((await city.get('/stars')).body), '王秀英', "the other city's office does not see her");
  const byCity = await city.post(`/stars/${awardId}/publish`, {});
  t.equal(byCity.statusCode, 404, 'another region: answered like a missing award');
  t.match(visibleText(byCity.body), '没有找到这项星级提名');
  t.equal(award(testApp, awardId).status, 'proposed', 'nothing written by the refusals');

  const office = await signedInAs(testApp.app, 'office');
  await office.get('/stars');
  const published = await office.post(`/stars/${awardId}/publish`, {});
  t.equal(published.statusCode, 303);
  t.equal(published.headers.location, '/stars?done=published');
  t.match(award(testApp, awardId), { status: 'on_notice', notice_working_days: 5, notice_start_date: '2026-11-24', notice_end_date: '2026-11-30' }, 'published Monday 2026-11-23: Tuesday to the next Monday');
  const again = await office.post(`/stars/${awardId}/publish`, {});
  t.equal(again.statusCode, 409, 'a notice cannot be published twice');
  t.match(visibleText(again.body), '这项星级已经在公示中，不能重复发布。');
  t.same(auditActions(testApp, awardId), ['stars.propose', 'stars.notice_publish']);

  const anonymous = await testApp.app.inject({ url: '/notices' });
  t.equal(anonymous.statusCode, 200, 'the notices need no sign-in');
  const text = visibleText(anonymous.body);
  t.match(text, '王*英 · 一星志愿者');
  t.match(text, '老家寨村');
  t.match(text, '公示期：2026-11-24 至 2026-11-30（5 个工作日）');
  t.notMatch(anonymous.body, '王秀英', 'the full name is never on the public page');
});

t.test('the star is awarded only after the notice period, by the office or by the job, and shows on her home and card', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const { awardId, volunteer, office } = await starOnNotice(testApp);
  testApp.clock.nowMs = shanghaiMidnight('2026-11-30') + 23 * 3_600_000;
  const early = await office.post(`/stars/${awardId}/award`, {});
  t.equal(early.statusCode, 409, 'on the last notice day: not yet');
  t.match(visibleText(early.body), '公示期到 2026-11-30 才结束，期满后才能授予。');
  t.equal(await testApp.app.jobs.run('stars'), 0, 'the job does not award early either');
  t.equal(award(testApp, awardId).status, 'on_notice');
  t.match(visibleText((await volunteer.get('/')).body), '还没有星级', 'her home has no star yet');

  testApp.clock.nowMs = shanghaiMidnight('2026-12-01') + 60_000;
  t.equal(await testApp.app.jobs.run('stars'), 1, 'the first minute after the period: awarded by the job');
  t.match(award(testApp, awardId), { status: 'awarded' });
  t.same(auditActions(testApp, awardId), ['stars.propose', 'stars.notice_publish', 'stars.award']);
  const late = await office.post(`/stars/${awardId}/award`, {});
  t.equal(late.statusCode, 409, 'awarded once');
  t.match(visibleText((await volunteer.get('/')).body), '我的星级 ★ 一星志愿者');
  t.match(visibleText((await volunteer.get('/members/me')).body), '一星志愿者');
  const card = await office.get(`/members/${wangMemberId(testApp)}/card`);
  t.match(visibleText(card.body), '一星志愿者', 'the printed card shows the star');
  t.notMatch(visibleText((await testApp.app.inject({ url: '/notices' })).body), '王*英', 'an awarded star leaves the notices');
  t.equal(scalar(testApp, "SELECT count(*) FROM messages WHERE kind = 'star_awarded' AND recipient_member_id = ?", wangMemberId(testApp)), 1, 'one message tells her');
  t.match(visibleText((await volunteer.get('/messages')).body), '公示期满，您获评1星志愿者', 'she reads it in 消息');
});

t.test('objections: refused with a reason and nothing written; filed; dismissed lets the award go on; upheld withdraws it', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const { awardId, office } = await starOnNotice(testApp);
  const visitor = new TestBrowser(testApp.app);
  await visitor.get('/notices');
  const url = `/notices/${awardId}/objections`;
  const refusals: [Record<string, string>, string][] = [
    [{ reason: '她没有服务这么久', phone: '' }, '请填写联系电话。'],
    [{ reason: '她没有服务这么久', phone: '12345' }, '联系电话格式不对'],
    [{ reason: '', phone: '13912345678' }, '请填写异议理由。'],
    [{ reason: '长'.repeat(301), phone: '13912345678' }, '异议理由最多 300 个字。'],
  ];
  for (const [form, message] of refusals) {
    const refused = await visitor.post(url, form);
    t.equal(refused.statusCode, 422, message);
    t.match(visibleText(refused.body), message);
    t.match(refused.body, 'aria-invalid="true"');
  }
  const noToken = await visitor.post(url, { reason: '理由', phone: '13912345678' }, { csrf: false });
  t.equal(noToken.statusCode, 403, 'no CSRF token: refused');
  const proposedOnly = await visitor.post('/notices/999/objections', { reason: '理由', phone: '13912345678' });
  t.equal(proposedOnly.statusCode, 404, 'no such notice');
  t.equal(count(testApp.db, 'star_objections'), 0, 'no refusal wrote anything');

  const filed = await visitor.post(url, { reason: '她上个月在外地，记录可能有误', phone: '139 1234 5678' });
  t.equal(filed.statusCode, 303);
  t.equal(filed.headers.location, '/notices?filed=1');
  const stored = testApp.db.$client.prepare('SELECT * FROM star_objections').get() as Record<string, string>;
  t.equal(stored.phone_masked, '139****5678');
  t.notMatch(stored.phone_ciphertext, '13912345678', 'the phone is stored encrypted');
  t.notMatch(JSON.stringify(testApp.db.$client.prepare('SELECT detail FROM audit_log').all()), '13912345678', 'the audit holds no phone');
  const officePage = (await office.get('/stars')).body;
  t.match(visibleText(officePage), '她上个月在外地，记录可能有误');
  t.match(visibleText(officePage), '联系电话：139****5678');
  t.notMatch(officePage, '13912345678', 'the office sees the phone masked');

  testApp.clock.nowMs = shanghaiMidnight('2026-12-01') + 60_000;
  t.equal(await testApp.app.jobs.run('stars'), 0, 'an open objection holds the award');
  const held = await office.post(`/stars/${awardId}/award`, {});
  t.equal(held.statusCode, 409);
  t.match(visibleText(held.body), '还有未处理的异议');
  const objectionId = Number(stored.id);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  t.equal((await volunteer.post(`/stars/objections/${objectionId}/resolve`, { decision: 'dismissed', resolution: '已核实' })).statusCode, 403, 'a volunteer may not resolve');
  const city = await signedInAs(testApp.app, 'office-city');
  await city.get('/stars');
  t.equal((await city.post(`/stars/objections/${objectionId}/resolve`, { decision: 'dismissed', resolution: '已核实' })).statusCode, 404, 'another region: like a missing objection');
  const noDecision = await office.post(`/stars/objections/${objectionId}/resolve`, { resolution: '已核实' });
  t.equal(noDecision.statusCode, 422);
  t.match(visibleText(noDecision.body), '请选择处理结果。');
  const noReason = await office.post(`/stars/objections/${objectionId}/resolve`, { decision: 'dismissed', resolution: ' ' });
  t.equal(noReason.statusCode, 422);
  t.equal(scalar<string>(testApp, 'SELECT status FROM star_objections WHERE id = ?', objectionId), 'open', 'nothing written by the refusals');
  const dismissed = await office.post(`/stars/objections/${objectionId}/resolve`, { decision: 'dismissed', resolution: '经核实，服务记录属实' });
  t.equal(dismissed.statusCode, 303);
  const twice = await office.post(`/stars/objections/${objectionId}/resolve`, { decision: 'upheld', resolution: '再看一遍' });
  t.equal(twice.statusCode, 409, 'an objection is resolved once');
  t.match(visibleText(twice.body), '这条异议已经处理过了。');
  t.equal(await testApp.app.jobs.run('stars'), 1, 'dismissed: the award goes on');
  t.same(auditActions(testApp, awardId), ['stars.propose', 'stars.notice_publish', 'stars.objection_file', 'stars.objection_dismissed', 'stars.award']);
});

t.test('an upheld objection withdraws the star with its reason; the notice leaves /notices and the scan does not propose it again', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const { awardId, volunteer, office } = await starOnNotice(testApp);
  const visitor = new TestBrowser(testApp.app);
  await visitor.get('/notices');
  await visitor.post(`/notices/${awardId}/objections`, { reason: '记录重复', phone: '0743-8221234' });
  const objectionId = scalar(testApp, 'SELECT id FROM star_objections');
  const upheld = await office.post(`/stars/objections/${objectionId}/resolve`, { decision: 'upheld', resolution: '有两条记录重复，撤回' });
  t.equal(upheld.statusCode, 303);
  t.match(award(testApp, awardId), { status: 'withdrawn', withdrawn_reason: '有两条记录重复，撤回' });
  t.match(visibleText((await office.get('/stars')).body), '撤回原因：有两条记录重复，撤回');
  t.notMatch(visibleText((await visitor.get('/notices')).body), '王*英');
  const closed = await visitor.post(`/notices/${awardId}/objections`, { reason: '又一条', phone: '13912345678' });
  t.equal(closed.statusCode, 404, 'a withdrawn notice takes no objection');
  testApp.clock.nowMs = shanghaiMidnight('2026-12-01');
  t.equal(await testApp.app.jobs.run('stars'), 0);
  t.match(visibleText((await volunteer.get('/')).body), '还没有星级');
});

t.test('a third star goes to the city (433100): the county office cannot publish it, the province can', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  bringTo(testApp, wangMemberId(testApp), 600 * 60);
  t.equal(await testApp.app.jobs.run('stars'), 3);
  t.same(testApp.db.$client.prepare('SELECT star, awarding_region_code AS region FROM star_awards ORDER BY star').all(),
    [{ star: 1, region: '433123' }, { star: 2, region: '433123' }, { star: 3, region: '433100' }]);
  const third = scalar(testApp, 'SELECT id FROM star_awards WHERE star = 3');
  const county = await signedInAs(testApp.app, 'office');
  await county.get('/stars');
  t.notMatch(visibleText((await county.get('/stars')).body), '三星志愿者', 'the county office does not see the city\'s star');
  t.equal((await county.post(`/stars/${third}/publish`, {})).statusCode, 404);
  const admin = await signedInAs(testApp.app, 'admin');
  await admin.get('/stars');
  t.equal((await admin.post(`/stars/${third}/publish`, {})).statusCode, 303, 'the province office is above the city');
  t.equal(award(testApp, third).status, 'on_notice');
});

t.test('a record reversed during the notice: at the end the hours no longer reach the star, which is withdrawn, not awarded', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const { awardId, volunteer, office } = await starOnNotice(testApp);
  const crossing = scalar(testApp, "SELECT id FROM service_records WHERE volunteer_member_id = ? AND status = 'approved' ORDER BY reviewed_at_ms DESC, id DESC LIMIT 1", wangMemberId(testApp));
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get(`/hours/records/${crossing}`);
  const reversed = await coordinator.post(`/hours/records/${crossing}/reverse`, { reverse_reason: '老人说那天没有来' });
  t.equal(reversed.statusCode, 303, 'the crossing record is reversed');
  testApp.clock.nowMs = shanghaiMidnight('2026-12-01') + 60_000;
  const settled = await office.post(`/stars/${awardId}/award`, {});
  t.equal(settled.statusCode, 303);
  t.equal(settled.headers.location, '/stars?done=withdrawn');
  t.match(award(testApp, awardId), { status: 'withdrawn', awarded_at_ms: null });
  t.match(visibleText((await office.get('/stars?done=withdrawn')).body), '已撤回：公示期间有记录被冲正，服务时长不足该星级标准。');
  t.same(auditActions(testApp, awardId), ['stars.propose', 'stars.notice_publish', 'stars.withdraw_hours']);
  t.equal(scalar(testApp, "SELECT count(*) FROM messages WHERE kind = 'star_awarded'"), 0, 'no award message for a withdrawn star');
  t.match(visibleText((await volunteer.get('/')).body), '还没有星级');

  t.equal(await testApp.app.jobs.run('stars'), 0, 'still short of the hours: not proposed again');
  bringTo(testApp, wangMemberId(testApp), 101 * 60);
  t.equal(await testApp.app.jobs.run('stars'), 1, 'once her verified hours reach the star again, it is proposed again');
  t.match(award(testApp, awardId), { status: 'proposed', notice_start_date: null, withdrawn_at_ms: null, service_minutes: 101 * 60 });
  t.same(auditActions(testApp, awardId), ['stars.propose', 'stars.notice_publish', 'stars.withdraw_hours', 'stars.propose']);
  t.equal(scalar(testApp, 'SELECT count(*) FROM star_awards WHERE member_id = ? AND star = 1', wangMemberId(testApp)), 1, 'the same row');
});

import t from 'tap';
import { count, signedInAs, visibleText } from '../../helpers/web.ts';
import { starPolicyOn } from '../../../src/domain/stars/policy.ts';
import { bringTo, createHoursApp, wangMemberId } from './helpers.ts';

const form = (overrides: Record<string, string> = {}) => ({
  effective_date: '2026-12-01', notice_working_days: '7', note: '',
  min_hours_1: '80', min_hours_2: '300', min_hours_3: '600', min_hours_4: '1000', min_hours_5: '1500',
  awarding_level_1: 'county', awarding_level_2: 'county', awarding_level_3: 'city', awarding_level_4: 'city', awarding_level_5: 'province',
  ...overrides,
});

t.test('the default policy is in force until the top office publishes a version; offices read it', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const office = await signedInAs(testApp.app, 'office');
  const page = await office.get('/stars/policy');
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  t.match(text, '现行标准（默认标准）');
  t.match(text, '一星志愿者 100 县级 二星志愿者 300 县级 三星志愿者 600 市级 四星志愿者 1000 市级 五星志愿者 1500 省级');
  t.match(text, '公示期：5 个工作日');
  t.notMatch(text, '发布新版本', 'a county office sees no publishing form');
  t.equal((await (await signedInAs(testApp.app, 'volunteer')).get('/stars/policy')).statusCode, 403);
});

t.test('only the top office publishes, only for a future date, with ascending hours; the version in force on a date decides', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const office = await signedInAs(testApp.app, 'office');
  await office.get('/stars/policy');
  const byCounty = await office.post('/stars/policy', form());
  t.equal(byCounty.statusCode, 403);
  t.match(visibleText(byCounty.body), '只有全网最高一级的办公室可以发布星级标准。');
  const admin = await signedInAs(testApp.app, 'admin');
  await admin.get('/stars/policy');
  const refusals: [Record<string, string>, string][] = [
    [form({ effective_date: '2026-11-23' }), '施行日期必须晚于今天（2026-11-23）。'],
    [form({ effective_date: '2026-02-30' }), '请填写有效的施行日期'],
    [form({ min_hours_2: '80' }), '2 星的时长须为正整数，且高于上一星。'],
    [form({ notice_working_days: '0' }), '公示期须为 1 到 30 个工作日。'],
    [form({ awarding_level_5: 'village' }), '请为 5 星选择授予机关。'],
  ];
  for (const [body, message] of refusals) {
    const refused = await admin.post('/stars/policy', body);
    t.equal(refused.statusCode, 422, message);
    t.match(visibleText(refused.body), message);
  }
  t.equal(count(testApp.db, 'star_policy_versions'), 0, 'no refusal wrote anything');
  const published = await admin.post('/stars/policy', form());
  t.equal(published.statusCode, 303);
  t.equal(published.headers.location, '/stars/policy?published=1');
  t.equal(count(testApp.db, 'star_policy_levels'), 5);
  t.equal(testApp.db.$client.prepare("SELECT count(*) FROM audit_log WHERE action = 'stars.policy_publish'").pluck().get(), 1);
  t.equal((await admin.post('/stars/policy', form())).statusCode, 422, 'one version per date');
  const context = { db: testApp.db };
  t.equal(starPolicyOn(context, '2026-11-30').versionId, null, 'the day before: the default');
  t.match(starPolicyOn(context, '2026-12-01'), { effectiveDate: '2026-12-01', noticeWorkingDays: 7, levels: [{ star: 1, minHours: 80 }] });

  // 王秀英 at 90 hours: no star under the default, the first under the new version once it is in force.
  bringTo(testApp, wangMemberId(testApp), 90 * 60);
  t.equal(await testApp.app.jobs.run('stars'), 0, 'before 2026-12-01: 100 hours needed');
  testApp.clock.nowMs = Date.parse('2026-12-01T09:00:00+08:00');
  t.equal(await testApp.app.jobs.run('stars'), 1, 'from 2026-12-01: 80 hours');
  const awardId = Number(testApp.db.$client.prepare('SELECT id FROM star_awards').pluck().get());
  const countyOffice = await signedInAs(testApp.app, 'office');
  await countyOffice.get('/stars');
  await countyOffice.post(`/stars/${awardId}/publish`, {});
  t.match(testApp.db.$client.prepare('SELECT notice_working_days AS days, notice_start_date AS start, notice_end_date AS end FROM star_awards').get(),
    { days: 7, start: '2026-12-02', end: '2026-12-10' }, 'the new version\'s 7 working days, from Wednesday over a weekend');
});

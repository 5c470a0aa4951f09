import t from 'tap';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, scalar } from './helpers.ts';
import { duplicateLandmarks } from '../../helpers/landmarks.ts';

t.test('volunteer home and passbook from the demo months', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const home = visibleText((await volunteer.get('/hours')).body);
  t.match(home, '可用时间');
  t.match(home, '本月服务（2026-11）');
  t.match(home, '最近的服务记录');
  const passbook = await volunteer.get('/passbook');
  const rows = [...passbook.body.matchAll(/<tr>\s*<td class="when"><span class="cell-label">[^<]*<\/span>(\d{4}-\d{2}-\d{2} \d{2}:\d{2})<\/td>/g)].map((m) => m[1]!);
  t.equal(rows.length, 20, 'twenty lines a page');
  t.same([...rows].sort().reverse(), rows, 'newest first');
  const older = /href="\/passbook\?before=(\d+)"/.exec(passbook.body);
  t.ok(older, 'a link to older lines');
  const second = await volunteer.get(`/passbook?before=${older![1]}`);
  t.equal(second.statusCode, 200);
  t.match(visibleText(second.body), '回到最新');
  const statement = await volunteer.get('/passbook/statement?from=2026-10-01&to=2026-10-31');
  const text = visibleText(statement.body);
  t.match(text, '2026-10-01 至 2026-10-31');
  t.match(text, '期初余额');
  t.match(text, '期末余额');
  t.match(text, '成员：王*英', 'the holder block masks the name');
  t.match(statement.body, /<link rel="stylesheet" href="\/assets\/hours\.[0-9a-f]{12}\.css">/, 'print styles');
  const staffOnly = await signedInAs(testApp.app, 'office');
  t.equal((await staffOnly.get('/passbook')).statusCode, 403, 'staff without a member record have no passbook');
});

t.test('visit coverage: rate, most overdue first, elder page with services; scoped', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const office = await signedInAs(testApp.app, 'office');
  const page = await office.get('/coverage');
  const text = visibleText(page.body);
  t.match(text, /本月（2026-11）已探访 \d+ \/ 4 位老人，覆盖率 \d+%/);
  t.match(text, '吴大山');
  t.match(text, /逾期 \d+ 天/);
  const names = [...page.body.matchAll(/href="\/coverage\/elders\/\d+">([^<]+)</g)].map((m) => m[1]);
  t.equal(names[0], '吴大山', 'the one not visited for longest comes first');
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const elder = visibleText((await office.get(`/coverage/elders/${elderId}`)).body);
  t.match(elder, '龙玉兰 的服务记录');
  t.match(elder, '探访关爱');
  const city = await signedInAs(testApp.app, 'office-city');
  const cityText = visibleText((await city.get('/coverage')).body);
  t.match(cityText, '张德明');
  t.match(cityText, '从未探访');
  t.notMatch(cityText, '龙玉兰');
  t.equal((await city.get(`/coverage/elders/${elderId}`)).statusCode, 404);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  t.equal((await volunteer.get('/coverage')).statusCode, 403);
});

t.test('the standard: everyone reads it; only the top office publishes and sets the policy', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const read = visibleText((await volunteer.get('/hours/standard')).body);
  t.match(read, '现行版本：2025-01-01 起执行');
  t.match(read, '探访关爱');
  t.notMatch(read, '发布新版本');
  const county = await signedInAs(testApp.app, 'office');
  await county.get('/hours/standard');
  const refused = await county.post('/hours/standard', { effective_date: '2027-01-01' });
  t.equal(refused.statusCode, 403);
  t.match(visibleText(refused.body), '只有全网最高一级老龄办可以发布标准和修改政策。');
  const policy = await county.post('/hours/policy', { backdate_days: '5' });
  t.equal(policy.statusCode, 403);
  const admin = await signedInAs(testApp.app, 'admin');
  const form = await admin.get('/hours/standard');
  t.match(form.body, /name="code" value="visit"/);
  const versions = scalar(testApp, 'SELECT count(*) FROM service_standard_versions');
  const bad = await admin.post('/hours/standard', { effective_date: '2026-11-01', code: 'visit', name_zh: '探访关爱', name_en: 'Visiting', category: 'visiting', coefficient: '1.0', max_minutes: '120', active: '0' });
  t.equal(bad.statusCode, 422);
  t.match(visibleText(bad.body), '生效日期必须在今天（2026-11-23）之后。');
  t.equal(scalar(testApp, 'SELECT count(*) FROM service_standard_versions'), versions, 'nothing written');
  const good = await admin.request({
    method: 'POST', url: '/hours/standard', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams([
      ['_csrf', admin.csrfToken], ['effective_date', '2027-01-01'], ['note', '提高探访系数'],
      ['code', 'visit'], ['name_zh', '探访关爱'], ['name_en', 'Visiting and caring'], ['category', 'visiting'], ['coefficient', '1.2'], ['max_minutes', '120'], ['recipient_required', '0'], ['active', '0'],
      ['code', 'health_talk'], ['name_zh', '健康科普'], ['name_en', 'Health education'], ['category', 'health_education'], ['coefficient', '1'], ['max_minutes', '180'], ['active', '1'],
      ['code', ''], ['name_zh', ''], ['name_en', ''], ['category', 'mutual_aid'], ['coefficient', '1.0'], ['max_minutes', '120'], ['active', '2'],
    ]).toString(),
  });
  t.equal(good.statusCode, 303, visibleText(good.body).slice(0, 400));
  const after = visibleText((await admin.get('/hours/standard?published=1')).body);
  t.match(after, '新版本已发布。');
  t.match(after, '已发布、2027-01-01 起执行');
  t.same(duplicateLandmarks((await admin.get('/hours/standard')).body), [], 'the standard in force and the upcoming one are told apart (axe landmark-unique)');
  t.equal(scalar(testApp, "SELECT coefficient_milli FROM service_types WHERE code = 'visit' ORDER BY id DESC LIMIT 1"), 1200);
  const savedPolicy = await admin.post('/hours/policy', { backdate_days: '7', daily_max_hours: '10', unreviewed_expiry_days: '20' });
  t.equal(savedPolicy.statusCode, 303);
  t.match(visibleText((await volunteer.get('/hours/standard')).body), '否', 'auto-approval now off');
  const badPolicy = await admin.post('/hours/policy', { backdate_days: 'abc', daily_max_hours: '30', unreviewed_expiry_days: '20' });
  t.equal(badPolicy.statusCode, 422);
  t.match(visibleText(badPolicy.body), '请填 0 到 365 之间的整数。');
});

t.test('English pages', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const page = await volunteer.get('/hours', { cookie: `${volunteer.cookieHeader()}; sh_lang=en` });
  t.match(visibleText(page.body), 'My service hours');
  t.match(visibleText(page.body), 'Available');
});

import ExcelJS from 'exceljs';
import t from 'tap';
import { neutralise } from '../../../src/domain/reports/exports.ts';
import { insertRegion } from '../../../src/domain/regions/regions.ts';
import { Ledger } from '../../../src/ledger/index.ts';
import { lastFullVerification, runFullVerification } from '../../../src/domain/bookkeeping/verification.ts';
import { formatDateTime } from '../../../src/lib/time.ts';
import { randomUUID } from 'node:crypto';
import { actorOf } from '../../../src/domain/auth/users.ts';
import { logService } from '../../../src/domain/hours/log.ts';
import { approveRecord, reverseRecord } from '../../../src/domain/hours/review.ts';
import { shanghaiDateOf } from '../../../src/domain/hours/time.ts';
import { maskName } from '../../../src/lib/mask.ts';
import { createHoursApp } from '../hours/helpers.ts';
import { createReportsApp } from './helpers.ts';
import { minutesOfText } from '../../helpers/duration.ts';
import { createTestApp, demoPhone, signedInAs, TestBrowser, visibleText } from '../../helpers/web.ts';
import { addMonths } from '../../../src/domain/reports/months.ts';
import { directCategories, directClearing, directFigures } from '../../domain/reports/direct.ts';

const hours = (minutes: number) => Math.round((minutes / 60) * 100) / 100;

t.test('a county office sees its dashboard and cannot open another county', async (t) => {
  const { app } = await createReportsApp(t);
  const office = await signedInAs(app, 'office');
  const start = await office.get('/reports');
  t.equal(start.statusCode, 303);
  t.equal(start.headers.location, '/reports/433123');
  const page = await office.get('/reports/433123?month=2026-10');
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  t.match(text, '凤凰县');
  t.match(text, '特殊困难老年人月探访率');
  t.match(page.body, /<svg class="chart" id="chart-trend"[^>]*role="img"[^>]*aria-labelledby="chart-trend-title chart-trend-desc"/);
  t.match(page.body, /<title id="chart-trend-title">/);
  t.notMatch(page.body, /<script(?![^>]*(htmx|offline))/, 'no chart script in the browser (only htmx and the offline registration of every page)');
  const other = await office.get('/reports/433101');
  t.equal(other.statusCode, 404, 'another city answers like a missing region');
  t.match(visibleText(other.body), '没有这个区域');
  const otherExport = await office.get('/reports/433101/monthly.xlsx');
  t.equal(otherExport.statusCode, 404, 'exports are scoped too');
  t.equal((await office.get('/reports/433123?month=2026-13')).statusCode, 400);
  // A month before any network (year 0000 was a 500; 0026 was read as 1926) or not yet begun: a 400 naming the range, on every report of a month.
  const latest = (await office.get('/reports/433123')).body.match(/name="month"[^>]*value="(\d{4}-\d{2})"/)?.[1] ?? '2026-11';
  for (const path of ['/reports/433123', '/reports/433123/monthly', '/reports/433123/monthly.csv', '/reports/433123/monthly.xlsx', '/reports/433123/liability']) {
    for (const month of ['0000-05', '0026-11', '1999-12', '2099-01']) {
      const answer = await office.get(`${path}?month=${month}`);
      t.equal(answer.statusCode, 400, `${path} ${month}: 400`);
      t.match(visibleText(answer.body), `没有这个月份的报表：请选择 2000-01 到 ${latest} 之间的月份。`, `${path} ${month}: the range is named`);
    }
  }
  t.equal((await office.get(`/reports/433123?month=${latest}`)).statusCode, 200, 'the current month is a report');
  t.equal((await office.get('/reports/999999')).statusCode, 404);
  const volunteer = await signedInAs(app, 'volunteer');
  t.equal((await volunteer.get('/reports/433123')).statusCode, 403);
});

t.test('drill-down with breadcrumb: city > county > township > village', async (t) => {
  const { app } = await createReportsApp(t);
  const admin = await signedInAs(app, 'admin');
  const city = await admin.get('/reports/433100?month=2026-10');
  t.match(city.body, 'href="/reports/433123?month=2026-10"', 'county link');
  const township = await admin.get('/reports/433123200?month=2026-10');
  t.match(township.body, /<ol class="breadcrumb">[\s\S]*湖南省[\s\S]*凤凰县[\s\S]*aria-current="page"/);
  t.match(township.body, 'href="/reports/433123200200?month=2026-10"', 'village link');
  t.equal((await admin.get('/reports/433123200200?month=2026-10')).statusCode, 200);
});

t.test('monthly .xlsx: one sheet per section, Chinese headers, numbers as numbers equal to direct computation, no ID numbers', async (t) => {
  const { app, db } = await createReportsApp(t);
  const office = await signedInAs(app, 'office');
  const response = await office.request({ method: 'GET', url: '/reports/433123/monthly.xlsx?month=2026-10' });
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], 'spreadsheetml');
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
  t.same(workbook.worksheets.map((sheet) => sheet.name), ['概况', '积分结余变动', '规划目标', '队伍与主题活动', '下级区域', '服务类型', '积分发放与兑换（按县）', '跨县清算',
    '负债与覆盖率', '按持有人年龄段（兑换年龄 60 岁）', '各县兑换率与覆盖率（兑换率目标 20%）', '未来 5 年预测', '月末账本校验点（已签名）']);
  const summary = workbook.getWorksheet('概况')!;
  t.same(summary.getRow(1).values, [undefined, '指标', '单位', '本月（2026-10）', '上月（2026-09）', '去年同月（2025-10）']);
  const direct = directFigures(db.$client, '433123', '2026-10');
  const previous = directFigures(db.$client, '433123', '2026-09');
  const expected: Record<string, [number, number]> = {
    注册志愿者: [direct.volunteersRegistered, previous.volunteersRegistered],
    本月活跃志愿者: [direct.volunteersActive, previous.volunteersActive],
    服务次数: [direct.serviceRecords, previous.serviceRecords],
    '服务时长（小时）': [hours(direct.serviceMinutes), hours(previous.serviceMinutes)],
    '积分发放（小时）': [hours(direct.creditsIssued), hours(previous.creditsIssued)],
    '积分兑换（小时）': [hours(direct.creditsRedeemed), hours(previous.creditsRedeemed)],
    '积分结余（月末，小时）': [hours(direct.outstanding), hours(previous.outstanding)],
    '消费券发放（小时）': [hours(direct.vouchersGranted), hours(previous.vouchersGranted)],
    建档特殊困难老年人: [direct.eldersRegistered, previous.eldersRegistered],
    本月已探访: [direct.eldersVisited, previous.eldersVisited],
  };
  let checked = 0;
  summary.eachRow((row, index) => {
    if (index === 1) return;
    const label = row.getCell(1).value as string;
    const want = expected[label];
    if (!want) return;
    t.equal(typeof row.getCell(3).value, 'number', `${label} is a number`);
    t.equal(row.getCell(3).value, want[0], `${label} this month`);
    t.equal(row.getCell(4).value, want[1], `${label} previous month`);
    checked++;
  });
  t.equal(checked, Object.keys(expected).length, 'every expected figure found');
  const ledgerSheet = workbook.getWorksheet('积分发放与兑换（按县）')!;
  t.equal(ledgerSheet.getRow(2).getCell(2).value, '433123');
  t.equal(ledgerSheet.getRow(2).getCell(3).value, hours(direct.creditsIssued));
  workbook.eachSheet((sheet) => sheet.eachRow((row) => row.eachCell((cell) => {
    if (/\d{17}[\dXx]/.test(String(cell.value))) t.fail(`ID number in ${sheet.name}`);
  })));
});

t.test('CSV: UTF-8 with BOM, formula-like cells neutralised', async (t) => {
  const { app, db, clock } = await createReportsApp(t);
  insertRegion(db, { code: '433123200299', parentCode: '433123200', level: 'village', nameZh: '=HYPERLINK("http://x","点我")', rural: true }, clock.now());
  t.equal(neutralise('+1'), "'+1");
  t.equal(neutralise('@SUM(A1)'), "'@SUM(A1)");
  t.equal(neutralise('-2'), "'-2");
  t.equal(neutralise('正常'), '正常');
  const office = await signedInAs(app, 'office');
  const response = await office.get('/reports/433123200/monthly.csv?month=2026-10');
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], 'text/csv; charset=utf-8');
  t.equal(response.rawPayload.subarray(0, 3).toString('hex'), 'efbbbf', 'BOM');
  t.match(response.body, `"'=HYPERLINK(""http://x"",""点我"")"`);
  t.notMatch(response.body, /(^|,)=HYPERLINK/m);
  const roster = await office.get('/reports/433123/roster.csv?from=2026-08&to=2026-10');
  t.equal(roster.statusCode, 200);
  t.notMatch(roster.body, /1[3-9]\d{9}/, 'no full phone numbers');
});

t.test('visit coverage, teams, roster and ledger pages', async (t) => {
  const { app } = await createReportsApp(t);
  const office = await signedInAs(app, 'office');
  for (const url of ['/reports/433123/visits', '/reports/433123/teams?year=2026', '/reports/433123/roster', '/reports/433123/ledger?month=2026-10', '/reports/433123/monthly?month=2026-10']) {
    const response = await office.get(url);
    t.equal(response.statusCode, 200, url);
  }
  const monthly = await office.get('/reports/433123/monthly?month=2026-10');
  t.match(monthly.body, /\/assets\/reports\.[0-9a-f]{12}\.css/);
  const coordinator = await signedInAs(app, 'coordinator');
  t.equal((await coordinator.get('/reports/433123101/visits')).statusCode, 200, 'a coordinator sees visit coverage of the township');
  t.equal((await coordinator.get('/reports/433123101')).statusCode, 403, 'but not the dashboard');
  t.equal((await coordinator.get('/reports/433123102/visits')).statusCode, 404, 'nor another township (answered like a missing region)');
});

t.test('targets: the top office edits them, others cannot', async (t) => {
  const { app } = await createReportsApp(t);
  const office = await signedInAs(app, 'office');
  t.equal((await office.get('/reports/targets')).statusCode, 403);
  const admin = await signedInAs(app, 'admin');
  const form = await admin.get('/reports/targets');
  t.equal(form.statusCode, 200);
  const bad = await admin.post('/reports/targets', { visit_rate_permille: '120', rural_disabled_help_rate_permille: '100', village_point_share_permille: '50', teams_per_sponsor_per_year: '1', activities_per_sponsor_per_year: '1' });
  t.equal(bad.statusCode, 422);
  t.match(visibleText(bad.body), '请填 0 到 100 之间的数');
  const good = await admin.post('/reports/targets', { visit_rate_permille: '95', rural_disabled_help_rate_permille: '100', village_point_share_permille: '60', teams_per_sponsor_per_year: '1', activities_per_sponsor_per_year: '2' });
  t.equal(good.statusCode, 303);
  const dashboard = await admin.get('/reports/430000');
  t.match(visibleText(dashboard.body), '目标 95%');
});

t.test('transparency page: public, aggregates by county, checkpoints judged by the last full verification, no personal data', async (t) => {
  const { app, db, clock } = await createReportsApp(t);
  const anonymous = new TestBrowser(app);
  const verdict = (body: string) => /<strong id="latest-verdict">([^<]+)<\/strong>/.exec(body)?.[1];
  const before = await anonymous.get('/transparency');
  t.equal(before.statusCode, 200);
  const checkpoint = new Ledger(db.$client).checkpoints(1)[0]!;
  t.match(before.body, checkpoint.hash);
  t.equal(verdict(before.body), '尚未核验', 'nothing is claimed before a full verification');
  t.match(visibleText(before.body), '还没有完成过完整核验。');

  const verified = runFullVerification(db.$client, clock.now());
  t.ok(verified.ok);
  const page = await anonymous.get('/transparency');
  const text = visibleText(page.body);
  t.equal(verdict(page.body), '成立', 'the checkpoint holds once the whole chain verified');
  t.match(text, `最近一次完整核验：${formatDateTime(clock.now(), 'zh-CN')}`);
  t.match(text, `结果：通过。重新计算了全部 ${verified.transfers} 笔记录的余额`);
  t.match(text, 'node verify-public-ledger.mjs silver-hours-chain.ndjson.gz checkpoints.json');
  const someName = db.$client.prepare('SELECT real_name FROM members LIMIT 1').pluck().get() as string;
  t.notMatch(page.body, someName, 'no member names');
  const signIn = await anonymous.get('/sign-in');
  t.match(signIn.body, /<a href="\/transparency">账本公开/, 'every page links the transparency page from its footer, signed in or not');
});

t.test('transparency page: a tampered chain shows the failed verification and the checkpoint does not hold', async (t) => {
  const { app, db, clock } = await createReportsApp(t);
  const sqlite = db.$client;
  runFullVerification(sqlite, clock.now());
  const checkpoint = new Ledger(sqlite).checkpoints(1)[0]!;
  const tamperedSeq = Math.floor(checkpoint.seq / 2);
  // Three bytes of one old transfer change; its stored hash (what the page used to compare) does not.
  sqlite.exec('DROP TRIGGER ledger_transfers_no_update');
  sqlite.prepare('UPDATE ledger_transfers SET amount = amount + 101 WHERE seq = ?').run(tamperedSeq);
  clock.advance(86_400_000);
  const result = runFullVerification(sqlite, clock.now());
  t.notOk(result.ok);
  t.equal(result.firstBadSeq, tamperedSeq, 'the verification names the tampered transfer');
  const page = await new TestBrowser(app).get('/transparency');
  const text = visibleText(page.body);
  t.equal(/<strong id="latest-verdict">([^<]+)<\/strong>/.exec(page.body)?.[1], '不成立', 'the latest checkpoint does not hold');
  t.match(text, `最近一次完整核验：${formatDateTime(clock.now(), 'zh-CN')}`);
  t.match(text, `结果：未通过。从第 ${tamperedSeq} 笔记录起，账本内容与哈希链不一致`);
  t.notMatch(text, '结果：通过');
  t.equal(lastFullVerification(sqlite)?.ok, false, 'the verdict is recorded in the database');
});

t.test('overdue visits: the reports list and /coverage agree, and both take a visit back when its record is reversed', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const { app, db, clock } = testApp;
  const sqlite = db.$client;
  clock.advance(120 * 86_400_000); // four months on: the elders of the township are due again
  const coordinator = await signedInAs(app, 'coordinator');
  async function bothLists() {
    const coverage = (await coordinator.get('/coverage')).body;
    const overdueOnCoverage = [...coverage.matchAll(/<tr>[\s\S]*?<\/tr>/g)].map((match) => match[0]).filter((row) => row.includes('class="overdue"'))
      .map((row) => ({ id: Number(/\/coverage\/elders\/(\d+)"/.exec(row)![1]), masked: maskName(/\/coverage\/elders\/\d+">([^<]+)</.exec(row)![1]!) }));
    const report = await coordinator.get('/reports/433123101/visits');
    t.equal(report.statusCode, 200);
    const total = Number(/其中从未探访或超过探访周期未获服务 (\d+) 人/.exec(visibleText(report.body))![1]);
    const overdueOnReport = [...report.body.matchAll(/<tr><th scope="row">([^<]+)<\/th>/g)].map((match) => match[1]!);
    return { overdueOnCoverage, overdueOnReport, total };
  }
  const agree = (lists: Awaited<ReturnType<typeof bothLists>>, label: string) => {
    t.equal(lists.total, lists.overdueOnCoverage.length, `${label}: the same number overdue`);
    t.same(lists.overdueOnReport, lists.overdueOnCoverage.map((row) => row.masked), `${label}: the same elders, in the same order`);
  };
  const before = await bothLists();
  t.ok(before.total > 0, 'some elders are overdue in the demo');
  agree(before, 'before');
  const elderId = before.overdueOnCoverage[0]!.id;

  const context = { db, now: clock.now };
  const countyOffice = actorOf(db, sqlite.prepare('SELECT id FROM users WHERE phone = ?').pluck().get(demoPhone('office')) as number);
  const coordinatorActor = actorOf(db, sqlite.prepare('SELECT id FROM users WHERE phone = ?').pluck().get(demoPhone('coordinator')) as number);
  const volunteerId = sqlite.prepare("SELECT id FROM members WHERE village_code LIKE '433123101%' AND status = 'active' ORDER BY id LIMIT 1").pluck().get() as number;
  const logged = logService(context, coordinatorActor, {
    idempotencyKey: randomUUID(), volunteerMemberId: volunteerId, serviceTypeCode: 'visit', elderId, date: shanghaiDateOf(clock.now()), startTime: '08:00', durationMinutes: 30, note: null,
  });
  if (!logged.ok) return t.fail(JSON.stringify(logged.problems));
  const recordId = logged.value.record.id;
  t.ok(approveRecord(context, countyOffice, recordId).ok);
  const visited = await bothLists();
  agree(visited, 'after a visit today');
  t.notOk(visited.overdueOnCoverage.some((row) => row.id === elderId), 'the visited elder is no longer overdue');
  t.equal(visited.total, before.total - 1);

  t.ok(reverseRecord(context, countyOffice, recordId, '录入错误，撤销').ok);
  t.equal(sqlite.prepare('SELECT status FROM service_records WHERE id = ?').pluck().get(recordId), 'reversed');
  const reversed = await bothLists();
  agree(reversed, 'after the reversal');
  t.ok(reversed.overdueOnCoverage.some((row) => row.id === elderId), 'the reversed visit no longer counts: overdue again');
  t.equal(reversed.total, before.total);
});

t.test('dashboard: sub-regions beside the previous month and last year, clearing positions and settlements, service shares in percent', async (t) => {
  const { app, db } = await createReportsApp(t);
  const sqlite = db.$client;
  const admin = await signedInAs(app, 'admin');
  const month = '2026-10';
  const city = await admin.get(`/reports/433100?month=${month}`);
  t.equal(city.statusCode, 200);
  const table = /<table class="figures" id="subregions">([\s\S]*?)<\/table>/.exec(city.body)![1]!;
  t.match(visibleText(table), '上月（2026-09）');
  t.match(visibleText(table), '去年同月（2025-10）');
  const rows = [...table.matchAll(/<tr><th scope="row"><a href="\/reports\/(\d+)\?month=[^"]*">[^<]*<\/a><\/th>((?:<td class="num">[^<]*<\/td>)+)<\/tr>/g)];
  t.ok(rows.length >= 2, 'a row per county');
  for (const [, code, cells] of rows) {
    const values = [...cells!.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((cell, index) => (index >= 3 && index < 6 ? minutesOfText(cell[1]!) : Number(cell[1])));
    const [current, previous, lastYear] = [month, addMonths(month, -1), addMonths(month, -12)].map((when) => directFigures(sqlite, code!, when));
    t.same(values.slice(0, 6), [current!.volunteersActive, previous!.volunteersActive, lastYear!.volunteersActive,
      current!.serviceMinutes, previous!.serviceMinutes, lastYear!.serviceMinutes], `${code}: active volunteers and hours, this month, previous month, last year`);
  }

  const province = await admin.get(`/reports/430000?month=${month}`);
  const clearing = /<table class="figures" id="dashboard-clearing">([\s\S]*?)<\/table>/.exec(province.body);
  const direct = directClearing(sqlite, month);
  t.ok(direct.size > 0, 'there were cross-county redemptions');
  t.ok(clearing, 'the clearing matrix is shown on the dashboard');
  const shown = [...clearing![1]!.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((cell) => minutesOfText(cell[1]!));
  t.equal(shown.length, direct.size);
  t.equal(shown.reduce((sum, value) => sum + value, 0), [...direct.values()].reduce((sum, value) => sum + value, 0), 'the same minutes as the redemptions');
  const settled = sqlite.prepare('SELECT count(DISTINCT from_county_code || to_county_code) FROM clearing_settlements WHERE note LIKE ?').pluck().get(`${month}%`) as number;
  const settlementRows = /<table class="figures" id="dashboard-settlements">([\s\S]*?)<\/table>/.exec(province.body)?.[1]?.match(/<tr><th scope="row">/g)?.length ?? 0;
  t.equal(settlementRows, settled, 'settlements between counties are shown');
  t.match(visibleText(province.body), '清算头寸为各县清算账户的当前余额');

  const chart = /<svg class="chart" id="chart-services"[\s\S]*?<\/svg>/.exec(province.body)![0];
  t.match(chart, '占比');
  const shares = [...chart.matchAll(/>(\d+(?:\.\d)?)%</g)].map((match) => Number(match[1]));
  const categories = directCategories(sqlite, '430000', month);
  t.equal(shares.length, Object.keys(categories).length, 'one bar per category, labelled in percent');
  t.ok(Math.abs(shares.reduce((sum, value) => sum + value, 0) - 100) <= 0.1 * shares.length, 'the shares add up to 100%');
  const total = Object.values(categories).reduce((sum, row) => sum + row.minutes, 0);
  const largest = Math.max(...Object.values(categories).map((row) => row.minutes));
  t.equal(shares[0], Math.round((largest * 1000) / total) / 10, 'the largest share is its minutes over the month total');
  t.match(province.body, /<th scope="col">占比<\/th>/, 'the table keeps the numbers and adds the share');
});

t.test('coordinators reach the overdue-visits report from the navigation', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const navOf = (body: string) => /<nav aria-label="主导航">([\s\S]*?)<\/nav>/.exec(body)?.[1] ?? '';
  const coordinator = await signedInAs(app, 'coordinator');
  const nav = navOf((await coordinator.get('/')).body);
  t.match(nav, /<a href="\/reports\/visits"[^>]*>探访逾期名单（报表）<\/a>/, 'a clearly labelled entry');
  t.notMatch(nav, 'href="/reports"', 'but no dashboard entry');
  const entry = await coordinator.get('/reports/visits');
  t.equal(entry.statusCode, 303);
  t.equal(entry.headers.location, '/reports/433123101/visits', 'to the report of the own township');
  const report = await coordinator.get('/reports/433123101/visits');
  t.equal(report.statusCode, 200);
  t.match(visibleText(report.body), '建档在册');
  const volunteer = await signedInAs(app, 'volunteer');
  t.notMatch(navOf((await volunteer.get('/')).body), '/reports/visits', 'volunteers do not see it');
  t.equal((await volunteer.get('/reports/visits')).statusCode, 403);
  const office = await signedInAs(app, 'office');
  t.equal((await office.get('/reports/visits')).headers.location, '/reports/433123/visits');
});

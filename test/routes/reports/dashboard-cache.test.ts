import t, { type Test } from 'tap';
import { DashboardCache } from '../../../src/domain/reports/dashboard-cache.ts';
import { createHoursApp, logVisit } from '../hours/helpers.ts';
import { directFigures } from '../../domain/reports/direct.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';

/**
 * The office dashboard of a (region, month) is computed once per change of
 * what it reads and served from memory until then; its exports use the same
 * figures; authorization is applied before the cache. Computations are
 * counted by the cache the app was given (no timing).
 */

const month = '2026-11'; // the test clock's month: the demo visit below falls in it

/** The "服务次数" (service records) figure of the month on the dashboard page. */
function serviceRecordsShown(body: string): number {
  const match = /<th scope="row">(?:服务次数|Services)<\/th><td class="num">(\d+)<\/td>/.exec(body);
  if (!match) throw new Error('no service records row on the page');
  return Number(match[1]);
}

async function setUp(t: Test, maxEntries = 8) {
  const dashboardCache = new DashboardCache(maxEntries);
  const testApp = await createHoursApp({ dashboardCache });
  t.teardown(() => testApp.app.close());
  return { ...testApp, dashboardCache };
}

t.test('two requests with no change compute once; the export uses the same figures; a verified record and a refresh show the new figure', async (t) => {
  const { app, db, dashboardCache, ...testApp } = await setUp(t);
  const office = await signedInAs(app, 'office');
  const first = await office.get(`/reports/433123?month=${month}`);
  t.equal(first.statusCode, 200);
  const before = serviceRecordsShown(first.body);
  t.equal(before, directFigures(db.$client, '433123', month).serviceRecords, 'the page shows what the database holds');
  t.equal(dashboardCache.computations, 1, 'computed once');

  const second = await office.get(`/reports/433123?month=${month}`);
  t.equal(serviceRecordsShown(second.body), before);
  t.equal(dashboardCache.computations, 1, 'the second request, with nothing changed, is served from memory');
  const english = await office.get(`/reports/433123?month=${month}`, { cookie: `${office.cookieHeader()}; sh_lang=en` });
  t.match(english.body, '<html lang="en"');
  t.equal(serviceRecordsShown(english.body), before);
  t.equal(dashboardCache.computations, 1, 'another language renders the same figures without computing them again');

  const csv = await office.get(`/reports/433123/monthly.csv?month=${month}`);
  t.equal(csv.statusCode, 200);
  t.match(csv.body, new RegExp(`服务次数,次,${before},`), 'the export carries the same figure');
  t.equal(dashboardCache.computations, 1, 'from the same computation');

  // A new record, logged by the volunteer and verified by the coordinator through the forms.
  const volunteer = await signedInAs(app, 'volunteer');
  const recordId = await logVisit({ app, db, ...testApp }, volunteer);
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get(`/hours/records/${recordId}`);
  const approved = await coordinator.post(`/hours/records/${recordId}/approve`, {});
  t.equal(approved.statusCode, 303, 'the record is verified');
  t.equal(db.$client.prepare('SELECT status FROM service_records WHERE id = ?').pluck().get(recordId), 'approved');

  const after = await office.get(`/reports/433123?month=${month}`);
  t.equal(serviceRecordsShown(after.body), before + 1, 'the next request (which folds the new transfer into the figures) shows the new record');
  t.equal(serviceRecordsShown(after.body), directFigures(db.$client, '433123', month).serviceRecords, 'as the database holds it');
  t.equal(dashboardCache.computations, 2, 'computed once more, for the change');
  const csvAfter = await office.get(`/reports/433123/monthly.csv?month=${month}`);
  t.match(csvAfter.body, new RegExp(`服务次数,次,${before + 1},`), 'the export follows');
  t.equal(dashboardCache.computations, 2);
});

t.test('authorization comes before the cache: a county office never gets another county\'s cached figures', async (t) => {
  const { app, dashboardCache } = await setUp(t);
  const admin = await signedInAs(app, 'admin');
  const other = await admin.get(`/reports/433101?month=${month}`);
  t.equal(other.statusCode, 200, 'the province office fills the cache with 吉首市\'s dashboard');
  t.match(visibleText(other.body), '吉首市');
  t.equal(dashboardCache.computations, 1);
  t.equal(dashboardCache.size, 1);

  const office = await signedInAs(app, 'office'); // 凤凰县
  for (const url of [`/reports/433101?month=${month}`, `/reports/433101/monthly?month=${month}`, `/reports/433101/monthly.csv?month=${month}`, `/reports/433101/monthly.xlsx?month=${month}`]) {
    const refused = await office.get(url);
    t.equal(refused.statusCode, 404, `${url}: answered like a missing region`);
    t.match(visibleText(refused.body), '没有这个区域', 'the page of a missing region, in Chinese');
    t.notMatch(refused.body, '服务次数', 'and no figure of the cached dashboard');
  }
  t.equal(dashboardCache.computations, 1, 'nothing computed for the refused requests');
  t.equal(dashboardCache.size, 1, 'nothing cached for them');
  t.equal((await office.get(`/reports/433123?month=${month}`)).statusCode, 200, 'its own county answers');
  t.equal(dashboardCache.computations, 2);
});

t.test('the cache is bounded: the least recently used dashboard goes first', async (t) => {
  const { app, dashboardCache } = await setUp(t, 2);
  const office = await signedInAs(app, 'office');
  for (const shown of ['2026-09', '2026-10', '2026-11']) t.equal((await office.get(`/reports/433123?month=${shown}`)).statusCode, 200);
  t.equal(dashboardCache.size, 2, 'never more than its maximum');
  t.equal(dashboardCache.computations, 3);
  await office.get('/reports/433123?month=2026-11');
  t.equal(dashboardCache.computations, 3, 'a recent month is still in memory');
  await office.get('/reports/433123?month=2026-09');
  t.equal(dashboardCache.computations, 4, 'the oldest was evicted and is computed again');
});

/** The figures' tables and charts (rendered once per dashboard entry and language): from 下级区域 to 下载与打印. */
function tablesOf(body: string): string {
  const start = body.indexOf('<section aria-labelledby="children-title">');
  const end = body.indexOf('<section aria-labelledby="downloads-title">');
  if (start < 0 || end < start) throw new Error('no tables on the page');
  return body.slice(start, end);
}

/** The records counted in the 服务类型 table, all categories together. */
function categoryRecords(body: string): number {
  const section = /<section aria-labelledby="services-title">[\s\S]*?<\/section>/.exec(body)?.[0] ?? '';
  return [...section.matchAll(/<\/th><td class="num">(\d+)<\/td>/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

t.test('the tables rendered once per dashboard and language: in the viewer\'s language, the same for every viewer, new after a change', async (t) => {
  const { app, db, dashboardCache, ...testApp } = await setUp(t);
  const office = await signedInAs(app, 'office');
  const zh = await office.get(`/reports/433123?month=${month}`);
  const en = await office.get(`/reports/433123?month=${month}`, { cookie: `${office.cookieHeader()}; sh_lang=en` });
  t.match(tablesOf(zh.body), '<h2 id="trend-title">近12个月趋势</h2>');
  t.match(tablesOf(en.body), /<h2 id="trend-title">[A-Za-z0-9 -]+<\/h2>/, 'an English page gets English tables, not the Chinese ones rendered first');
  t.notMatch(tablesOf(en.body), '近12个月趋势');

  const admin = await signedInAs(app, 'admin');
  const province = await admin.get(`/reports/433123?month=${month}`);
  t.equal(tablesOf(province.body), tablesOf(zh.body), 'the province office is served the same tables as the county office');
  t.not(province.body.slice(0, province.body.indexOf('<section')), zh.body.slice(0, zh.body.indexOf('<section')), 'while its own header and breadcrumb differ');
  t.equal(dashboardCache.computations, 1);

  const before = categoryRecords(zh.body);
  t.ok(before > 0, `the 服务类型 table counts ${before} records`);
  const volunteer = await signedInAs(app, 'volunteer');
  const recordId = await logVisit({ app, db, ...testApp }, volunteer);
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get(`/hours/records/${recordId}`);
  t.equal((await coordinator.post(`/hours/records/${recordId}/approve`, {})).statusCode, 303, 'a new record verified');
  const after = await office.get(`/reports/433123?month=${month}`);
  t.equal(categoryRecords(after.body), before + 1, 'the tables show the new record, not the HTML rendered before it');
  t.equal(dashboardCache.computations, 2);
});

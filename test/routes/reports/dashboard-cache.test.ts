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

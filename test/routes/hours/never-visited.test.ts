import t from 'tap';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { registerElder } from '../../../src/domain/people/elders/register.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { createTestApp, signedInAs, visibleText } from '../../helpers/web.ts';
import { actorWithRoles } from '../../helpers/actor.ts';

const dayMs = 24 * 3600_000;

/** The coverage table's rows as [name, last visit, state]. */
function coverageRows(html: string): string[][] {
  const table = /<table[^>]*id="coverage"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1).map((row) => [...row[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((cell) => visibleText(cell[1]!))).map((cells) => [cells[0]!, cells[2]!, cells[4]!]);
}

t.test('an elder never visited is due from registration: listed first as 从未探访, overdue on coverage and in the report; the demo has overdue elders', async (t) => {
  const test = await createTestApp();
  t.teardown(() => test.app.close());
  await seedDemoNetwork(test.db, testSecrets(), test.clock.now());
  // One more elder, registered 5 days ago with a 30-day interval, never visited: before the fix, "还有 25 天到期".
  const admin = actorWithRoles(test.db, { userId: test.db.$client.prepare("SELECT id FROM users WHERE phone = '13800000006'").pluck().get() as number, roles: [{ role: 'admin' as const, regionCode: '430000' }] });
  const registered = registerElder({ db: test.db, keys: testSecrets(), now: () => test.clock.now() - 5 * dayMs }, admin, {
    realName: '符新来', idNumber: makeIdNumber('433123', '1940-02-02', 977), villageCode: '433123101001', categories: ['living_alone'], visitIntervalDays: 30,
    consent: { givenBy: 'self', method: 'written' },
  });
  t.ok(registered.ok, 'registered');
  t.equal(test.db.$client.prepare("SELECT count(*) FROM service_records WHERE elder_id = (SELECT id FROM elders WHERE real_name = '符新来')").pluck().get(), 0, 'never visited in the database');

  const coordinator = await signedInAs(test.app, 'coordinator');
  const page = await coordinator.get('/coverage');
  t.equal(page.statusCode, 200);
  const rows = coverageRows(page.body);
  const firstVisited = rows.findIndex((row) => row[1] !== '从未探访');
  t.ok(firstVisited > 0, 'some never-visited rows');
  t.ok(rows.slice(firstVisited).every((row) => row[1] !== '从未探访'), 'every never-visited elder comes before every visited one');
  const newcomer = rows.find((row) => row[0] === '符新来');
  t.same(newcomer, ['符新来', '从未探访', '从未探访，登记已 5 天，请尽快探访']);
  t.notMatch(visibleText(page.body), /从未探访 \S+ 还有 \d+ 天到期/, 'no never-visited row reads as not yet due');

  // The reports' overdue list agrees: never visited first, the newcomer included.
  const office = await signedInAs(test.app, 'office');
  const report = await office.get('/reports/433123/visits');
  const reportRows = [...report.body.matchAll(/<tr><th scope="row">([^<]+)<\/th><td>[^<]*<\/td><td class="num">\d+<\/td><td>([^<]+)<\/td>/g)].map((match) => [match[1]!, match[2]!]);
  t.ok(reportRows.some((row) => row[0] === '符*来' && row[1] === '从未探访'), 'the newcomer is on the overdue report');
  const lastNever = reportRows.map((row) => row[1]).lastIndexOf('从未探访');
  t.ok(reportRows.slice(0, lastNever + 1).every((row) => row[1] === '从未探访'), '从未探访 first on the report');
  // The demo network itself: elders registered weeks ago and never visited are overdue.
  const demoOverdue = rows.filter((row) => row[0] !== '符新来' && /登记已 ([1-9]\d*) 天/.test(row[2]!)).length;
  t.ok(demoOverdue >= 5, `the demo has overdue never-visited elders (${demoOverdue})`);
});

import t from 'tap';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { upcomingDemoPolicyDate } from '../../../src/domain/demo/policy.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { instants } from '../../helpers/clock.ts';
import { createNetworkApp, signedInAs, visibleText } from '../../helpers/web.ts';

/** Issue 20: the demo network shows the administrator a policy history and an upcoming version on /policy. */
t.test('the demo has an upcoming version (care age 60 -> 65) from the first day of the month three months on', async (t) => {
  const { app, db } = await createNetworkApp();
  t.teardown(() => app.close());
  t.equal(upcomingDemoPolicyDate(instants.suiteDefault), '2027-02-01', 'three months after 2026-11-23, first of the month');
  t.equal(upcomingDemoPolicyDate(Date.UTC(2026, 9, 31, 17, 0, 0)), '2027-02-01', 'Shanghai time decides the month (already November 1 there)');
  const rows = db.$client.prepare('SELECT version_number AS number, effective_date AS date, rules, withdrawn_at_ms AS withdrawn FROM policy_versions ORDER BY version_number').all() as { number: number; date: string; rules: string; withdrawn: number | null }[];
  t.equal(rows.length, 2);
  t.match(rows[1], { number: 2, date: '2027-02-01', withdrawn: null });
  t.match(JSON.parse(rows[1]?.rules ?? '{}'), { careAgeYears: 65, careAgeRegisteredYears: 60 });
  t.equal(db.$client.prepare("SELECT count(*) FROM audit_log WHERE action = 'redemption.policy_publish'").pluck().get(), 1, 'published through the domain, audited');

  const admin = await signedInAs(app, 'admin');
  const page = await admin.get('/policy');
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  t.match(text, '现行版本：第 1 版', 'version 1 is in force now');
  t.match(text, '第 2 版，2027-02-01 起生效', 'the upcoming version is shown');
  t.match(text, '照护服务兑换年龄调整为 65 岁');

  t.same(await seedDemoNetwork(db, testSecrets(), instants.suiteDefault), [], 'a second start seeds nothing');
  t.equal(db.$client.prepare('SELECT count(*) FROM policy_versions').pluck().get(), 2);
});

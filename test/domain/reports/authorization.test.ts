import { readFileSync } from 'node:fs';
import t from 'tap';
import { openDatabase, type Db } from '../../../src/db/client.ts';
import { actorOf, findUserByPhone } from '../../../src/domain/auth/users.ts';
import { seedDemo } from '../../../src/domain/demo/seed.ts';
import type { Outcome, Refusal } from '../../../src/domain/kernel/outcome.ts';
import { mayEditTargets, reportRegion, reportRoot, targetsEditorRefusal } from '../../../src/domain/reports/access.ts';
import { ReportReader } from '../../../src/domain/reports/dashboard.ts';
import { canEditTargets, canViewReports, canViewVisitCoverage } from '../../../src/domain/reports/permissions.ts';
import { refreshReports } from '../../../src/domain/reports/refresh.ts';
import { present } from '../../../src/lib/assert.ts';

/**
 * Issue 15: the reports routes no longer call request.authorize; the reports
 * domain checks the role first (the 403 page's message, whatever region the
 * address names, even one that does not exist), then the region, then the
 * scope (outside it, the same 404 as a missing region).
 */

const nowMs = Date.UTC(2026, 10, 23, 2, 0, 0); // 2026-11-23 10:00 Shanghai

/** Every table's row count: reading a report's access writes nothing. */
function written(db: Db): Record<string, number> {
  const tables = db.$client.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
  return Object.fromEntries(tables.map((table) => [table, Number(db.$client.prepare(`SELECT count(*) FROM "${table}"`).pluck().get())]));
}

function answer(outcome: Outcome<unknown> | Refusal | null): string {
  if (outcome === null || outcome.ok) return 'ok';
  return `${outcome.status} ${outcome.problems[0]?.code}`;
}

t.test('without a reporting role every reports access check refuses with the 403, whatever the region, and writes nothing', async (t) => {
  const db = openDatabase(':memory:');
  t.teardown(() => db.$client.close());
  await seedDemo(db, nowMs);
  refreshReports(db.$client, nowMs);
  const reader = new ReportReader(db.$client);
  const actor = (phone: string) => actorOf(db, present(findUserByPhone(db, phone), phone).id);
  const [volunteer, coordinator, clerk, countyOffice, admin] = ['13800000001', '13800000002', '13800000003', '13800000004', '13800000006'].map(actor) as [ReturnType<typeof actor>, ReturnType<typeof actor>, ReturnType<typeof actor>, ReturnType<typeof actor>, ReturnType<typeof actor>];
  const before = written(db);
  const forbidden = '403 errors.forbidden.message';
  for (const [who, asker] of [['a volunteer', volunteer], ['a clerk', clerk], ['a coordinator', coordinator]] as const) {
    for (const code of ['433123', '433123101', '999999']) {
      t.equal(answer(reportRegion(reader, asker, code, canViewReports)), forbidden, `reportRegion ${code}, ${who}`);
    }
    t.equal(answer(reportRoot(asker, canViewReports)), forbidden, `reportRoot, ${who}`);
    t.equal(answer(targetsEditorRefusal(reader, asker)), forbidden, `targetsEditorRefusal, ${who}`);
    t.equal(mayEditTargets(asker), false, `mayEditTargets, ${who}`);
  }
  for (const [who, asker] of [['a volunteer', volunteer], ['a clerk', clerk]] as const) {
    t.equal(answer(reportRegion(reader, asker, '999999', canViewVisitCoverage)), forbidden, `visit coverage of a missing region, ${who}`);
    t.equal(answer(reportRoot(asker, canViewVisitCoverage)), forbidden, `visit coverage's way in, ${who}`);
  }
  // An office is no administrator: the targets are refused by role, before its scope is looked at.
  t.equal(answer(targetsEditorRefusal(reader, countyOffice)), forbidden, 'targets, a county office');
  t.equal(answer(reportRegion(reader, countyOffice, '430000', canEditTargets)), forbidden, 'a county office holds no targets role');
  t.same(written(db), before, 'nothing was written');

  // With the role: the region (404 when missing), then the scope (404 too: outside it answers like a missing region).
  t.equal(answer(reportRegion(reader, countyOffice, '433123', canViewReports)), 'ok');
  t.equal(answer(reportRegion(reader, countyOffice, '999999', canViewReports)), '404 reports.error.notFound');
  t.equal(answer(reportRegion(reader, countyOffice, '430500', canViewReports)), '404 reports.error.notFound');
  t.equal(answer(reportRegion(reader, coordinator, '433123101', canViewVisitCoverage)), 'ok');
  t.equal(answer(reportRegion(reader, coordinator, '433123102', canViewVisitCoverage)), '404 reports.error.notFound');
  t.same(reportRoot(countyOffice, canViewReports), { ok: true, value: '433123' });
  t.equal(answer(targetsEditorRefusal(reader, admin)), 'ok');
  t.equal(mayEditTargets(admin), true);
});

t.test('the reports routes do not authorize: they parse, call the domain, render', async (t) => {
  const source = readFileSync(new URL('../../../src/routes/reports/routes.ts', import.meta.url), 'utf8');
  t.notMatch(source, /request\.authorize\(/, 'src/routes/reports/routes.ts calls no request.authorize');
  t.notMatch(source, /import \{[^}]*\bauthorize\b[^}]*\} from '\.\.\/\.\.\/domain\/access\/authorize\.ts'/, 'nor the authorize rule itself (breadcrumbs and links ask src/domain/reports/access.ts)');
});

import { readFileSync } from 'node:fs';
import t from 'tap';
import { parentToAddUnder, regionPage, regionRoots } from '../../../src/domain/regions/region-pages.ts';
import { addChildRegion } from '../../../src/domain/regions/regions.ts';
import { hoursFixture, startMs, type HoursFixture } from '../hours/fixture.ts';
import { actorWithRoles } from '../../helpers/actor.ts';

/**
 * Issue 15: the regions pages ask the domain, which checks the role and the
 * scope. The role first (the 403 page without it, whatever the code); with
 * it, a region outside the scope answers exactly like a missing one (404
 * regions.error.notFound), as the report pages do.
 */

function written(f: HoursFixture): unknown {
  return f.db.$client.prepare('SELECT (SELECT count(*) FROM regions) AS regions, (SELECT count(*) FROM audit_log) AS audit').get();
}

function answer(outcome: { ok: true } | { ok: false; status: number; problems: readonly { code: string }[] } | { ok: false; errors: object }): string {
  if (outcome.ok) return 'ok';
  return 'status' in outcome ? `${outcome.status} ${outcome.problems[0]?.code}` : `errors ${JSON.stringify(outcome.errors)}`;
}

const township = '433123101';
const newVillage = { code: '433123101009', nameZh: '新寨村', nameEn: '', kind: 'rural' };

t.test('viewing: the 403 page without the role; outside the scope the 404 of a missing region', async (t) => {
  const f = hoursFixture();
  t.equal(answer(regionRoots(f.db, f.volunteer)), '403 errors.forbidden.message');
  t.equal(answer(regionPage(f.db, f.volunteer, township)), '403 errors.forbidden.message');
  t.equal(answer(regionPage(f.db, f.volunteer, '433123101999')), '403 errors.forbidden.message', 'the role first, whatever the code');
  t.equal(answer(regionPage(f.db, f.otherCoordinator, township)), '404 regions.error.notFound');
  t.equal(answer(regionPage(f.db, f.coordinator, '433123101999')), '404 regions.error.notFound');
  const roots = regionRoots(f.db, f.coordinator);
  t.same(roots.ok ? roots.value.map((region) => region.code) : roots, [township]);
  const page = regionPage(f.db, f.coordinator, township);
  t.ok(page.ok && !page.value.canAdd && page.value.children.length === 2, 'a coordinator sees the township, and may not add to it');
  t.same(page.ok ? page.value.ancestors.map((ancestor) => [ancestor.code, ancestor.linked]) : page, [['430000', false], ['433100', false], ['433123', false]]);
});

t.test('adding: only an administrator of the scope, checked before anything is written', async (t) => {
  const f = hoursFixture();
  const parent = f.db.$client.prepare('SELECT * FROM regions WHERE code = ?').get(township);
  const before = written(f);
  for (const [name, actor] of [['volunteer', f.volunteer], ['coordinator', f.coordinator], ['county office', f.countyOffice]] as const) {
    t.equal(answer(parentToAddUnder(f.db, actor, township)), '403 errors.forbidden.message', `${name}: the parent`);
    const found = parentToAddUnder(f.db, f.admin, township);
    if (!found.ok) throw new Error('the admin may add under the township');
    t.equal(answer(addChildRegion(f.db, actor, found.value, newVillage, '127.0.0.1', startMs)), '403 errors.forbidden.message', `${name}: the write`);
  }
  // An administrator of another city: the township is outside her scope, answered like a missing region.
  const shaoyangAdmin = actorWithRoles(f.db, { userId: f.admin.userId, roles: [{ role: 'admin', regionCode: '430500' }] });
  t.equal(answer(parentToAddUnder(f.db, shaoyangAdmin, township)), '404 regions.error.notFound', 'another scope: the parent');
  const parentRow = parentToAddUnder(f.db, f.admin, township);
  if (!parentRow.ok) throw new Error('the admin may add under the township');
  t.equal(answer(addChildRegion(f.db, shaoyangAdmin, parentRow.value, newVillage, '127.0.0.1', startMs)), '404 regions.error.notFound', 'another scope: the write');
  t.same(written(f), before, 'nothing written');
  t.ok(parent, 'the township exists');
  t.equal(answer(parentToAddUnder(f.db, f.admin, '433123101999')), '404 regions.error.notFound');
  t.equal(answer(parentToAddUnder(f.db, f.admin, '433123101001')), '422 regions.error.cannotAddHere', 'nothing is added under a village');
  const found = parentToAddUnder(f.db, f.admin, township);
  if (!found.ok) throw new Error('the admin may add under the township');
  t.equal(answer(addChildRegion(f.db, f.admin, found.value, newVillage, '127.0.0.1', startMs)), 'ok');
  t.same(written(f), { regions: (before as { regions: number }).regions + 1, audit: (before as { audit: number }).audit + 1 }, 'the village and its audit entry');
});

t.test('the regions route file calls no request.authorize', async (t) => {
  const source = readFileSync(new URL('../../../src/routes/regions/routes.ts', import.meta.url), 'utf8');
  t.notOk(source.includes('request.authorize('));
  t.notOk(/from '[./]+\/domain\/access\/authorize\.ts'/.test(source), 'and imports no authorize');
});

import t, { type Test } from 'tap';
import { seedBig } from '../../../src/domain/demo/big.ts';
import { Ledger } from '../../../src/ledger/index.ts';
import { createTestApp, signedInAs } from '../../helpers/web.ts';
import { duplicateLandmarks } from '../../helpers/landmarks.ts';

/** How report pages and exports present their figures (issue 14 item 16). */
async function setup(t: Test) {
  const test = await createTestApp();
  t.teardown(() => test.app.close());
  seedBig(test.db, { members: 150, months: 13, nowMs: test.clock.now(), seed: 3 });
  new Ledger(test.db.$client).checkpoint(test.clock.now());
  return test;
}

const reportPaths = [
  '/reports/430500',
  '/reports/430524?month=2026-10',
  '/reports/430524/monthly?month=2026-10',
  '/reports/430524/visits',
  '/reports/430524/teams',
  '/reports/430524/roster',
  '/reports/430524/ledger?month=2026-10',
  '/hours/standard',
];

t.test('no two landmarks of a report page share a name (axe landmark-unique), in both modes', async (t) => {
  const { app } = await setup(t);
  const office = await signedInAs(app, 'office-city');
  for (const elder of [false, true]) {
    for (const path of reportPaths) {
      const response = await office.get(path, elder ? { cookie: `${office.cookieHeader()}; sh_elder=1` } : {});
      t.equal(response.statusCode, 200, `${path}: shown`);
      t.same(duplicateLandmarks(response.body), [], `${path} (${elder ? 'elder' : 'normal'}): landmark names are unique`);
    }
  }
  const transparency = await app.inject({ url: '/transparency' });
  t.same(duplicateLandmarks(transparency.body), [], '/transparency: landmark names are unique');
});

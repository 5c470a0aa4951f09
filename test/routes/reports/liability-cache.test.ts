import t from 'tap';
import { liabilityComputations } from '../../../src/domain/reports/liability-access.ts';
import { createNetworkApp, signedInAs, visibleText } from '../../helpers/web.ts';

/** The liability figures are computed once per change of what they read, like the dashboard (issue 16). */
t.test('the liability view is computed once until the fund, the rates or the ledger change', async (t) => {
  const test = await createNetworkApp();
  t.teardown(() => test.app.close());
  const admin = await signedInAs(test.app, 'admin');
  const first = await admin.get('/reports/430000/liability?month=2026-11');
  t.equal(first.statusCode, 200);
  const computed = liabilityComputations.count;
  const again = await admin.get('/reports/430000/liability?month=2026-11');
  t.equal(liabilityComputations.count, computed, 'the second view is served from memory');
  t.equal(visibleText(again.body), visibleText(first.body), 'and says the same');
  await admin.get('/reports/430000?month=2026-11');
  t.equal(liabilityComputations.count, computed, 'the dashboard uses the same figures');
  const before = visibleText(first.body);
  const entry = await admin.post('/reports/fund/entries', { scope: 'network', kind: 'contribution', amount: '1000', source: 'charity', note: '测试捐赠' });
  t.equal(entry.statusCode, 303, 'a contribution to the network fund');
  const after = await admin.get('/reports/430000/liability?month=2026-11');
  t.equal(liabilityComputations.count, computed + 1, 'computed again after the fund changed');
  t.not(visibleText(after.body), before, 'and the page shows the new fund');
});

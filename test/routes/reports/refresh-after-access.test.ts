import t from 'tap';
import { randomUUID } from 'node:crypto';
import { Ledger } from '../../../src/ledger/index.ts';
import { createNetworkApp, signedInAs } from '../../helpers/web.ts';

/**
 * A report page brings the figures up to the ledger's head before it reads
 * them, and that refresh writes. Who may see the page is decided first: a
 * volunteer or an office outside the region gets the 403/404 page and the
 * server folds nothing in for them.
 */
t.test('a report page refreshes the figures only for someone allowed to see it', async (t) => {
  const test = await createNetworkApp();
  t.teardown(() => test.app.close());
  const cursors = () => test.db.$client.prepare('SELECT name, position FROM report_cursors ORDER BY name').all();
  const office = await signedInAs(test.app, 'office');
  t.equal((await office.get('/reports/433123')).statusCode, 200, 'the county office reads its dashboard (figures brought up to date)');
  // New transfers after that refresh: the figures are behind again.
  const ledger = new Ledger(test.db.$client, { now: test.clock.now });
  const wallet = test.db.$client.prepare("SELECT id FROM ledger_accounts WHERE id LIKE 'wallet:m%' ORDER BY id LIMIT 1").pluck().get() as string;
  const issuance = test.db.$client.prepare("SELECT id FROM ledger_accounts WHERE id LIKE 'issuance:%' ORDER BY id LIMIT 1").pluck().get() as string;
  ledger.createTransfers([{ id: randomUUID(), debitAccountId: issuance, creditAccountId: wallet, amount: 30, code: 'service_credit', refType: 'test', refId: 'refresh' }]);
  const before = cursors();
  const volunteer = await signedInAs(test.app, 'volunteer');
  for (const address of ['/reports/433123', '/reports/433123/liability', '/reports/433123/monthly', '/reports/433123/ledger']) {
    t.equal((await volunteer.get(address)).statusCode, 403, `${address}: a volunteer is refused`);
  }
  const city = await signedInAs(test.app, 'office-city');
  t.equal((await city.get('/reports/433123')).statusCode, 404, 'another city\'s county answers like a missing one');
  t.equal((await city.get('/reports/433123/liability')).statusCode, 404);
  t.same(cursors(), before, 'nothing was folded in for them');
  t.equal((await office.get('/reports/433123/liability')).statusCode, 200);
  t.not(JSON.stringify(cursors()), JSON.stringify(before), 'the county office\'s page folded the new transfer in');
});

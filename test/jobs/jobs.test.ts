import t from 'tap';
import { buildApp } from '../../src/app.ts';
import { openDatabase } from '../../src/db/client.ts';
import { accountInputs, ensureAccounts, ledgerFor } from '../../src/domain/bookkeeping/accounts.ts';
import { testSecrets } from '../helpers/crypto-profile.ts';
import { createTestApp, TestClock } from '../helpers/web.ts';

t.test('jobs run only when the app is built with them: started on listen, stopped on close', async (t) => {
  const plain = await buildApp({ db: openDatabase(':memory:'), secrets: testSecrets(), clock: new TestClock().now });
  await plain.listen({ host: '127.0.0.1', port: 0 });
  t.same(plain.jobs.scheduled(), [], 'an app built without jobs (every test app) runs no timer');
  await plain.close();
  const withJobs = await buildApp({ db: openDatabase(':memory:'), secrets: testSecrets(), clock: new TestClock().now, jobs: {} });
  t.same(withJobs.jobs.scheduled(), [], 'no timer before listening');
  await withJobs.listen({ host: '127.0.0.1', port: 0 });
  t.same(withJobs.jobs.scheduled().sort(), ['checkpoint', 'expireBaskets', 'expireHours', 'refreshReports', 'remindReviews', 'remindVisits', 'sendSms', 'stars'], 'every job scheduled once listening');
  await withJobs.close();
  t.same(withJobs.jobs.scheduled(), [], 'none after close');
});

t.test('the checkpoint and reports jobs run on the app\'s clock and do nothing when nothing moved', async (t) => {
  const { app, db, clock } = await createTestApp();
  t.teardown(() => app.close());
  await app.jobs.run('refreshReports');
  t.equal(await app.jobs.run('refreshReports'), 0, 'the figures are up to date');
  await app.jobs.run('checkpoint');
  t.equal(await app.jobs.run('checkpoint'), 0, 'no new checkpoint while the chain has not grown');
  const ledger = ledgerFor(db.$client, clock.now);
  ensureAccounts(ledger, [accountInputs.issuance('433123'), accountInputs.pool('433123')]);
  t.same(ledger.createTransfers([{ id: 'job-test:1', debitAccountId: 'issuance:433123', creditAccountId: 'pool:433123', amount: 60, code: 'donation' }]), ['ok']);
  clock.advance(60_000);
  t.equal(await app.jobs.run('refreshReports'), 1, 'the reports job folds the new transfer in');
  t.equal(await app.jobs.run('checkpoint'), 1, 'the checkpoint job records the grown chain');
  t.equal(db.$client.prepare('SELECT max(timestamp_ms) FROM ledger_checkpoints').pluck().get(), clock.now(), 'at the app\'s clock');
});

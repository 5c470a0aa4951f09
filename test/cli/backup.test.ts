import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { holdSharedLock } from '../../src/db/lock.ts';
import { AccountFlags, Ledger } from '../../src/ledger/index.ts';

const cli = (dataDirectory: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    encoding: 'utf8', env: { ...process.env, DATA_DIR: dataDirectory }, cwd: join(import.meta.dirname, '..', '..'),
  });

function liveDatabase(dataDirectory: string) {
  const db = openDatabase(databasePath(dataDirectory));
  const ledger = new Ledger(db.$client);
  ledger.createAccounts([{ id: 'iss', kind: 'issuance', ownerRef: 'c' }, { id: 'w1', kind: 'wallet', ownerRef: 'm1', flags: AccountFlags.debitsMustNotExceedCredits }]);
  for (let i = 0; i < 200; i += 1) ledger.createTransfers([{ id: `t${i}`, debitAccountId: 'iss', creditAccountId: 'w1', amount: 30, code: 'service_credit' }]);
  return { db, ledger };
}

t.test('backup while the database is in use, restore into a new DATA_DIR, and verify', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'silver-backup-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const live = join(root, 'live');
  const { db, ledger } = liveDatabase(live);
  const file = join(root, 'backup.db');

  const backup = cli(live, 'backup', file);
  t.equal(backup.status, 0, backup.stderr);
  t.match(backup.stdout, /backup written to .*ledger ok: 200 transfers, 2 accounts, head [0-9a-f]{64}/);
  // Writes after the backup must not appear in it.
  ledger.createTransfers([{ id: 'after', debitAccountId: 'iss', creditAccountId: 'w1', amount: 30, code: 'service_credit' }]);
  db.$client.close();

  t.equal(cli(live, 'backup', file).status, 2, 'an existing backup file is never overwritten');
  const nowhere = cli(live, 'backup', join(root, 'missing', 'backup.db'));
  t.equal(nowhere.status, 2, 'a backup into a missing directory is refused');
  t.equal(nowhere.stderr, `Cannot write the backup into ${join(root, 'missing')} (ENOENT): create it or choose another place.\n`, 'in one sentence naming the directory');

  const restored = join(root, 'restored');
  writeFileSync(join(root, 'not-a-db'), 'hello');
  const refused = cli(restored, 'restore', join(root, 'not-a-db'));
  t.not(refused.status, 0, 'a file that is not a database is refused');
  t.notOk(existsSync(databasePath(restored)), 'and nothing was written');

  const restore = cli(restored, 'restore', file);
  t.equal(restore.status, 0, restore.stderr);
  t.match(restore.stdout, /ledger ok: 200 transfers/);
  const verify = cli(restored, 'ledger', 'verify');
  t.equal(verify.status, 0);
  t.match(verify.stdout, /^ledger ok: 200 transfers, 2 accounts, head [0-9a-f]{64}\n$/);
});

t.test('restore refuses while a process holds the DATA_DIR lock, and a stale pid file does not stop it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'silver-restore-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const live = join(root, 'live');
  liveDatabase(live).db.$client.close();
  const file = join(root, 'backup.db');
  t.equal(cli(live, 'backup', file).status, 0);
  const lock = holdSharedLock(live);
  const refused = cli(live, 'restore', file);
  t.equal(refused.status, 2);
  t.match(refused.stderr, /^Not restoring: a server or another command is using .*; stop it first, then restore\.\n$/);
  lock.release();
  // A pid file left by a dead server (or naming a live unrelated process) is no lock.
  writeFileSync(join(live, 'server.pid'), String(process.pid));
  const restored = cli(live, 'restore', file);
  t.equal(restored.status, 0, restored.stderr);
});

t.test('ledger verify exits 1 and names the first bad sequence', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'silver-verify-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const { db } = liveDatabase(root);
  db.$client.exec('DROP TRIGGER ledger_transfers_no_update');
  db.$client.exec('UPDATE ledger_transfers SET amount = 31 WHERE seq = 57');
  db.$client.close();
  const verify = cli(root, 'ledger', 'verify');
  t.equal(verify.status, 1);
  t.match(verify.stdout, /ledger BAD at sequence 57/);
  const file = join(root, 'x.journal');
  const exported = cli(root, 'ledger', 'export-hledger', file);
  t.equal(exported.status, 0);
  t.ok(existsSync(file));
});

t.test('seed demo, then hours expire voids records left unreviewed past the policy window', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'silver-expire-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const { seedDemoNetwork } = await import('../../src/domain/demo/network.ts');
  const { unlockKeys } = await import('../../src/domain/keys/keyring.ts');
  const { testCryptoProfile } = await import('../helpers/crypto-profile.ts');
  const { verifyLedger } = await import('../../src/ledger/index.ts');
  // A demo network seeded on the 15th of the month two months before the machine's clock (which the
  // CLI process reads too), 45 to 76 days ago: its queue has waited longer than the 30-day policy. The
  // 15th, because the demo approves the current month's records when seeded early in a month.
  const twoMonthsAgo = new Date(Date.now() - 60 * 24 * 3600 * 1000);
  const seededAt = Date.UTC(twoMonthsAgo.getUTCFullYear(), twoMonthsAgo.getUTCMonth(), 15, 2, 0, 0);
  const db = openDatabase(databasePath(root));
  await seedDemoNetwork(db, unlockKeys(db, root, { requestedProfile: testCryptoProfile() }), seededAt);
  const pendingBefore = db.$client.prepare("SELECT count(*) FROM service_records WHERE status = 'pending'").pluck().get() as number;
  db.$client.close();
  t.ok(pendingBefore > 0, `the seeded queue holds ${pendingBefore} records`);

  const run = cli(root, 'hours', 'expire');
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stdout.trim(), `expired ${pendingBefore} unreviewed service records`);
  const after = openDatabase(databasePath(root));
  t.equal(after.$client.prepare("SELECT count(*) FROM service_records WHERE status = 'pending'").pluck().get(), 0);
  t.equal(after.$client.prepare("SELECT count(*) FROM service_records WHERE status = 'expired'").pluck().get(), pendingBefore);
  t.ok(verifyLedger(after.$client).ok, 'the ledger verifies after the voids');
  after.$client.close();
  t.equal(cli(root, 'hours', 'expire').stdout.trim(), 'expired 0 unreviewed service records', 'a second run finds nothing');
});

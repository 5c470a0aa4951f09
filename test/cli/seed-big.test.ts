import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { unlockKeys } from '../../src/domain/keys/keyring.ts';
import { idNumberHash, openIdNumber } from '../../src/domain/people/members/identity.ts';
import { testProfileEnvironment } from '../helpers/crypto-profile.ts';

const cli = (dataDirectory: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    encoding: 'utf8', env: { ...process.env, DATA_DIR: dataDirectory, ...testProfileEnvironment() }, cwd: join(import.meta.dirname, '..', '..'),
  });

t.test('seed big generates a network that verifies, and refuses bad options or a used DATA_DIR', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'silver-big-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const bad = cli(join(root, 'bad'), 'seed', 'big', '--members', 'many');
  t.equal(bad.status, 2);
  t.match(bad.stderr, '--members must be a positive whole number');

  const run = cli(root, 'seed', 'big', '--members', '300', '--months', '2');
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, /seeded 300 members, \d+ elders, \d+ villages, \d+ sites, \d+ service records, \d+ redemptions, \d+ transfers over 2 months/);
  t.match(run.stdout, /first aggregation [\d.]+ s/, 'the first aggregation is timed');
  t.match(run.stdout, /elapsed [\d.]+ s, CPU [\d.]+ s, peak RSS \d+ MB/, 'elapsed time and peak RSS are printed at the end');
  // ID numbers are sealed and hashed as registration does: every one opens, and `keys check` agrees.
  const keys = cli(root, 'keys', 'check');
  t.equal(keys.status, 0, keys.stderr);
  t.match(keys.stdout, /^keys ok \(\w+\): all \d+ encrypted values open/);
  const db = openDatabase(databasePath(root));
  const secrets = unlockKeys(db, root);
  const members = db.$client.prepare('SELECT id_number_ciphertext AS sealed, id_number_hmac AS hash FROM members').all() as { sealed: string; hash: string }[];
  t.ok(members.every((member) => idNumberHash(secrets, openIdNumber(secrets, member.sealed)) === member.hash), 'each lookup hash is the hash of the number sealed beside it');
  // The plain indexes dropped while generating are all back, and every member has a phone to search by.
  const indexNames = (sqlite: typeof db.$client) => sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").pluck().all();
  const fresh = openDatabase(join(root, 'fresh', 'fresh.db'));
  t.strictSame(indexNames(db.$client), indexNames(fresh.$client), 'every index the migrations create is there (those built after the rows too)');
  fresh.$client.close();
  t.equal(db.$client.prepare("SELECT count(*) FROM members WHERE phone LIKE '199%' AND phone_last4 = substr(phone, 8)").pluck().get(), 300);
  db.$client.close();
  const verify = cli(root, 'ledger', 'verify');
  t.equal(verify.status, 0, verify.stdout);
  t.match(verify.stdout, /^ledger ok: \d+ transfers/);

  const again = cli(root, 'seed', 'big', '--members', '300');
  t.equal(again.status, 2, 'never on top of an existing database');
  t.match(again.stderr, 'needs an empty DATA_DIR');
});

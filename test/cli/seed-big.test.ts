import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = (dataDirectory: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    encoding: 'utf8', env: { ...process.env, DATA_DIR: dataDirectory }, cwd: join(import.meta.dirname, '..', '..'),
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
  const verify = cli(root, 'ledger', 'verify');
  t.equal(verify.status, 0, verify.stdout);
  t.match(verify.stdout, /^ledger ok: \d+ transfers/);

  const again = cli(root, 'seed', 'big', '--members', '300');
  t.equal(again.status, 2, 'never on top of an existing database');
  t.match(again.stderr, 'needs an empty DATA_DIR');
});

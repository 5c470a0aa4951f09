/**
 * Backups finish under writes: `backup` (a real CLI process) while a writer
 * process commits a ledger transfer every 5 ms. The backup finishes, holds
 * every write acknowledged before it began, and verifies. Ctrl+C during a
 * backup leaves no partial file; `backup --verify` checks an existing file.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync, writeSync, closeSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { seedBig } from '../../src/domain/demo/big.ts';
import { verifyLedger } from '../../src/ledger/index.ts';

const root = join(import.meta.dirname, '..', '..');
const nowMs = Date.UTC(2026, 10, 23, 2, 0, 0);

function child(args: string[], env: Record<string, string> = {}) {
  const process_ = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  process_.stdout.on('data', (chunk) => { stdout += String(chunk); });
  process_.stderr.on('data', (chunk) => { stderr += String(chunk); });
  const timer = setTimeout(() => process_.kill('SIGKILL'), 120_000);
  const exited = new Promise<number | null>((resolve) => process_.on('exit', (code) => { clearTimeout(timer); resolve(code); }));
  return { process: process_, exited, stdout: () => stdout, stderr: () => stderr };
}

const acknowledged = (output: string) => output.split('\n').filter((line) => line.startsWith('ack ')).map((line) => line.slice(4));

t.test('a backup finishes while a writer commits every 5 ms, and holds every write acknowledged before it began', { timeout: 300_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'silver-backup-writes-'));
  const children: ReturnType<typeof child>[] = [];
  t.teardown(async () => {
    for (const running of children) if (running.process.exitCode === null) { running.process.kill('SIGKILL'); await running.exited; }
    rmSync(work, { recursive: true, force: true });
  });
  const dataDirectory = join(work, 'data');
  const db = openDatabase(databasePath(dataDirectory));
  seedBig(db, { members: 300, months: 6, nowMs, seed: 5 });
  // About 100 MB more, so one pass over the file takes far longer than the 5 ms between two writes.
  // SQLite's backup API stepping from a connection of its own restarts on every write from another
  // process (60 s, 11,165 restarts and no copy at 200 writes/s in docs/PERFORMANCE.md's experiment);
  // VACUUM INTO reads one snapshot and finishes whatever the writer does.
  db.$client.exec(`CREATE TABLE padding (data BLOB);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25000) INSERT INTO padding SELECT randomblob(4000) FROM n`);
  db.$client.close();

  const writer = child(['test/system/ledger-writer.ts', databasePath(dataDirectory), '200']);
  children.push(writer);
  while (acknowledged(writer.stdout()).length < 20) {
    if (writer.process.exitCode !== null) t.fail(`the writer stopped: ${writer.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const before = acknowledged(writer.stdout());
  const file = join(work, 'backup.db');
  const backup = child(['src/cli.ts', 'backup', file], { DATA_DIR: dataDirectory });
  children.push(backup);
  t.equal(await backup.exited, 0, `backup finished: ${backup.stderr()}`);
  const during = acknowledged(writer.stdout()).length - before.length;
  writer.process.kill('SIGTERM');
  await writer.exited;
  t.ok(during > 5, `the writer went on during the backup (${during} writes)`);
  t.match(backup.stdout(), /^backup written to .*; ledger ok: \d+ transfers, \d+ accounts, head [0-9a-f]{64}\n  snapshot [\d.]+ MB in [\d.]+ s, verified in [\d.]+ s\n$/);
  t.notOk(existsSync(`${file}.partial`), 'no partial file is left');
  t.same(readdirSync(work).sort(), ['backup.db', 'data'], 'nothing else beside the backup (no -wal or -shm)');

  const copy = new Database(file, { readonly: true });
  const inCopy = new Set(copy.prepare("SELECT id FROM ledger_transfers WHERE debit_account_id = 'writer-issuance'").pluck().all() as string[]);
  t.same(before.filter((id) => !inCopy.has(id)), [], `all ${before.length} writes acknowledged before the backup began are in it`);
  t.ok(verifyLedger(copy).ok, 'the copy verifies');
  copy.close();
  t.same(readdirSync(work).sort(), ['backup.db', 'data'], 'the backup is one self-contained file: opening it leaves nothing beside it');

  const verified = child(['src/cli.ts', 'backup', '--verify', file], { DATA_DIR: dataDirectory });
  t.equal(await verified.exited, 0, verified.stderr());
  t.match(verified.stdout(), /: ledger ok: \d+ transfers, .* \(verified in [\d.]+ s\)\n$/);

  // A damaged copy: backup --verify says so in one line and exits 1.
  const damaged = join(work, 'damaged.db');
  copyFileSync(file, damaged);
  const descriptor = openSync(damaged, 'r+');
  writeSync(descriptor, Buffer.alloc(4096, 0x5a), 0, 4096, 4096 * 20);
  closeSync(descriptor);
  const refused = child(['src/cli.ts', 'backup', '--verify', damaged], { DATA_DIR: dataDirectory });
  t.equal(await refused.exited, 1);
  t.equal(refused.stderr().trim().split('\n').length, 1, `one line: ${refused.stderr()}`);
  t.notMatch(refused.stderr(), /\n\s+at /, 'no stack trace');
});

t.test('Ctrl+C during a backup removes the partial file', { timeout: 300_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'silver-backup-interrupt-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const dataDirectory = join(work, 'data');
  const db = openDatabase(databasePath(dataDirectory));
  seedBig(db, { members: 1500, months: 6, nowMs, seed: 5 });
  db.$client.close();
  const file = join(work, 'backup.db');
  const backup = child(['src/cli.ts', 'backup', file], { DATA_DIR: dataDirectory });
  const deadline = performance.now() + 60_000;
  while (!existsSync(`${file}.partial`) && backup.process.exitCode === null && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  backup.process.kill('SIGINT');
  t.equal(await backup.exited, 130, `interrupted: ${backup.stdout()}${backup.stderr()}`);
  t.match(backup.stderr(), /backup interrupted by SIGINT; the partial file .*backup\.db\.partial was removed\./);
  t.same(readdirSync(work).filter((name) => name.startsWith('backup')), [], 'neither the backup nor a partial file is left');
});

/**
 * Restore cannot race a server. Real server processes on one DATA_DIR and the
 * real CLI, as an operator would run them:
 * (a) servers A and B, B stopped: restore still refuses while A runs, and
 *     writes A acknowledges afterwards are in the file;
 * (b) a second server that fails with EADDRINUSE leaves no pid file of its own
 *     and restore still refuses while A runs;
 * (c) A killed with SIGKILL (its pid file left behind): the lock died with it,
 *     so restore succeeds; and a server cannot start while a restore holds the lock;
 * (d) a program that takes no lock (the sqlite3 shell) has the file open: restore
 *     and keys rotate refuse until it closes.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { holdExclusiveLock } from '../../src/db/lock.ts';
import { HttpSession, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { logForm, seedForSystemTests } from './fixtures.ts';

const root = join(import.meta.dirname, '..', '..');

const cli = (dataDirectory: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    encoding: 'utf8', env: { ...process.env, DATA_DIR: dataDirectory }, cwd: root, timeout: 120_000,
  });

/** Starts a server expected to fail; answers its exit code, pid and output. */
function failingServer(dataDirectory: string, env: Record<string, string>): Promise<{ code: number | null; pid: number; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root, env: { ...process.env, DATA_DIR: dataDirectory, PORT: '0', LOG_LEVEL: 'warn', SEED_DEMO: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += String(chunk); });
  child.stderr.on('data', (chunk) => { output += String(chunk); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) => child.on('exit', (code) => {
    clearTimeout(timer);
    resolve({ code, pid: child.pid!, output });
  }));
}

const recordCount = (dataDirectory: string): number => {
  const sqlite = openDatabase(databasePath(dataDirectory)).$client;
  try {
    return sqlite.prepare("SELECT count(*) FROM service_records WHERE note = '广场舞'").pluck().get() as number;
  } finally {
    sqlite.close();
  }
};

const refusal = /^Not restoring: a server or another command is using .+; stop it first, then restore\.\n$/;

t.test('restore refuses while any server runs on DATA_DIR, however the others ended', { timeout: 600_000 }, async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-restore-lock-'));
  const servers: ServerProcess[] = [];
  t.teardown(async () => {
    for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) await server.kill();
    rmSync(dataDirectory, { recursive: true, force: true });
  });
  const facts = await seedForSystemTests(dataDirectory);
  const backupFile = join(dataDirectory, '..', `${dataDirectory.split('/').pop()}-backup.db`);
  t.teardown(() => rmSync(backupFile, { force: true }));
  const backup = cli(dataDirectory, 'backup', backupFile);
  t.equal(backup.status, 0, backup.stderr);
  const before = recordCount(dataDirectory);

  // (a) Two servers on one file is allowed (both hold the lock shared); stopping B does not free it.
  const a = await startServerProcess(dataDirectory);
  servers.push(a);
  const b = await startServerProcess(dataDirectory);
  servers.push(b);
  t.equal(readFileSync(join(dataDirectory, 'server.pid'), 'utf8').trim(), String(b.child.pid), 'server.pid names the server that listened last');
  t.equal(await b.stop(), 0, 'B stops cleanly');
  t.notOk(existsSync(join(dataDirectory, 'server.pid')), 'B removed the pid file it wrote, and only that one');
  const refusedA = cli(dataDirectory, 'restore', backupFile);
  t.equal(refusedA.status, 2, 'restore refuses while A runs after B stopped');
  t.match(refusedA.stderr, refusal);
  t.equal(refusedA.stdout, '', 'and prints nothing else');

  const coordinator = await HttpSession.signIn(a.url, '13800000002');
  await coordinator.page('/hours/new');
  for (let n = 0; n < 5; n += 1) {
    const response = await coordinator.fetch('/hours', { form: logForm(facts, n) });
    await response.arrayBuffer();
    t.equal(response.status, 303, `write ${n + 1} through A is acknowledged`);
  }
  t.equal(recordCount(dataDirectory), before + 5, 'every acknowledged write through A is in the file');

  // (b) A second server on A's port fails to listen: it leaves no pid file and restore still refuses.
  const port = new URL(a.url).port;
  const clash = await failingServer(dataDirectory, { PORT: port });
  t.equal(clash.code, 1, 'the second server exits 1');
  t.match(clash.output, /^Silver Hours could not start: .*EADDRINUSE/m, 'and says why in one line');
  t.notMatch(clash.output, /\n\s+at /, 'without a stack trace');
  const pidNow = existsSync(join(dataDirectory, 'server.pid')) ? readFileSync(join(dataDirectory, 'server.pid'), 'utf8').trim() : '';
  t.not(pidNow, String(clash.pid), 'the failed server wrote no pid file');
  const refusedB = cli(dataDirectory, 'restore', backupFile);
  t.equal(refusedB.status, 2, 'restore refuses while A runs after a failed second start');
  t.match(refusedB.stderr, refusal);
  const response = await coordinator.fetch('/hours', { form: logForm(facts, 5) });
  await response.arrayBuffer();
  t.equal(response.status, 303);
  t.equal(recordCount(dataDirectory), before + 6, 'A still writes to the same file');

  // (c) SIGKILL leaves a stale pid file but no lock: restore goes ahead.
  const restartedA = await startServerProcess(dataDirectory);
  servers.push(restartedA);
  await restartedA.kill();
  await a.kill();
  t.equal(readFileSync(join(dataDirectory, 'server.pid'), 'utf8').trim(), String(restartedA.child.pid), 'a killed server leaves its pid file');
  const restored = cli(dataDirectory, 'restore', backupFile);
  t.equal(restored.status, 0, restored.stderr);
  t.equal(recordCount(dataDirectory), before, 'the backup replaced the file (the six later records are gone, as a restore means)');

  // While a restore holds the lock, no server starts on DATA_DIR.
  const restoring = holdExclusiveLock(dataDirectory);
  const blocked = await failingServer(dataDirectory, {});
  restoring.release();
  t.equal(blocked.code, 1);
  t.match(blocked.output, /^Silver Hours could not start: a restore is replacing the database in .+; wait for it to finish, then start again\.\n$/);

  // (d) A program that takes no lock (here a plain SQLite connection in another process, as the sqlite3
  // shell would be) has the file open: restore refuses and leaves the file alone; once it closes, restore goes ahead.
  const file = databasePath(dataDirectory);
  const holder = spawn(process.execPath, ['-e', `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(file)}); d.prepare('SELECT count(*) FROM service_records').get(); console.log('open'); setInterval(() => {}, 1000);`], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { if (holder.exitCode === null) holder.kill('SIGKILL'); });
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  const inode = statSync(file).ino;
  const refusedD = cli(dataDirectory, 'restore', backupFile);
  t.equal(refusedD.status, 2, 'restore refuses while another program has the database open');
  t.match(refusedD.stderr, /^Not restoring: another program \(such as the sqlite3 shell\) has .+silver-hours\.db open; close it first, then restore\.\n$/);
  t.equal(statSync(file).ino, inode, 'the database file was not replaced');
  const rotating = cli(dataDirectory, 'keys', 'rotate');
  t.equal(rotating.status, 2, 'keys rotate refuses the same way');
  t.match(rotating.stderr, /^Not rotating the keys: another program .+ open; close it first, then rotate the keys\.\n$/);
  holder.kill('SIGTERM');
  await new Promise((resolve) => holder.on('exit', resolve));
  const restoredD = cli(dataDirectory, 'restore', backupFile);
  t.equal(restoredD.status, 0, restoredD.stderr);
  t.not(statSync(file).ino, inode, 'after it closed, the restore replaced the file');
});

/**
 * Damaged and unusable files, met by real processes as an operator meets
 * them: every CLI command and the server answer with one clear sentence and
 * a non-zero exit, never a stack trace.
 * - a damaged table page: the server refuses to start, `ledger verify` names it;
 * - a damaged header (not a database any more);
 * - a read-only data directory. Tests run as root, whom file modes do not
 *   stop, so the commands run as the unprivileged user `nobody` (uid 65534)
 *   on a directory owned by root with mode 0555 (skipped when not root);
 * - a file where the data directory is expected.
 */
import t, { type Test } from 'tap';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { AccountFlags, Ledger } from '../../src/ledger/index.ts';
import { runToExit, type Exit } from '../helpers/server-process.ts';

const root = join(import.meta.dirname, '..', '..');
const nobody = 65534;

function run(script: 'cli' | 'server', args: string[], dataDirectory: string, asUser?: number): Promise<Exit> {
  return runToExit(script, dataDirectory, args, { env: { SEED_DEMO: '0' }, asUser });
}

function ledgerDatabase(dataDirectory: string): void {
  const db = openDatabase(databasePath(dataDirectory));
  const ledger = new Ledger(db.$client);
  ledger.createAccounts([{ id: 'iss', kind: 'issuance', ownerRef: 'c' }, { id: 'w1', kind: 'wallet', ownerRef: 'm1', flags: AccountFlags.debitsMustNotExceedCredits }]);
  ledger.createTransfers(Array.from({ length: 3000 }, (_, i) => ({ id: `t${i}`, debitAccountId: 'iss', creditAccountId: 'w1', amount: 30, code: 'service_credit' as const })));
  db.$client.close();
}

function overwrite(path: string, offset: number, length: number): void {
  const descriptor = openSync(path, 'r+');
  writeSync(descriptor, Buffer.alloc(length, 0xa5), 0, length, offset);
  closeSync(descriptor);
}

/** One line on stderr, no stack trace, a non-zero exit. */
function oneSentence(t: Test, result: Exit, pattern: RegExp, what: string): void {
  t.not(result.code, 0, `${what}: non-zero exit`);
  t.notOk(result.code === null, `${what}: it ended by itself`);
  t.equal(result.stderr.trim().split('\n').length, 1, `${what}: one line on stderr: ${result.stderr}`);
  t.notMatch(result.stderr + result.stdout, /\n\s+at |FATAL|Error:/, `${what}: no stack trace`);
  t.match(result.stderr.trim(), pattern, what);
}

t.test('a damaged table page: the server refuses to start and ledger verify names it', { timeout: 300_000 }, async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-damaged-page-'));
  t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
  ledgerDatabase(dataDirectory);
  const db = openDatabase(databasePath(dataDirectory), { migrate: false });
  const rootPage = db.$client.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'ledger_transfers'").pluck().get() as number;
  const pageSize = db.$client.pragma('page_size', { simple: true }) as number;
  db.$client.close();
  overwrite(databasePath(dataDirectory), (rootPage - 1) * pageSize + 8, 64);

  const server = await run('server', [], dataDirectory);
  oneSentence(t, server, /^Silver Hours could not start: The database file in .+ is damaged \(quick_check: .+\); restore it from a backup\.$/m, 'server');
  const verify = await run('cli', ['ledger', 'verify'], dataDirectory);
  t.equal(verify.code, 1, 'ledger verify exits 1');
  t.match(verify.stdout, /^database DAMAGED: SQLite quick_check: .+\n$/, `ledger verify names the problem: ${verify.stdout}${verify.stderr}`);
  t.equal(verify.stderr, '');
});

t.test('a damaged header: server, ledger verify, backup, ledger checkpoint and hours expire answer one sentence', { timeout: 300_000 }, async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-damaged-header-'));
  t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
  ledgerDatabase(dataDirectory);
  overwrite(databasePath(dataDirectory), 0, 100);
  const sentence = /The database file in .+ is damaged or not a SQLite database \(its header is unreadable\); restore it from a backup\.$/;
  oneSentence(t, await run('server', [], dataDirectory), sentence, 'server');
  oneSentence(t, await run('cli', ['ledger', 'verify'], dataDirectory), sentence, 'ledger verify');
  oneSentence(t, await run('cli', ['backup', join(dataDirectory, 'copy.db')], dataDirectory), sentence, 'backup');
  oneSentence(t, await run('cli', ['ledger', 'checkpoint'], dataDirectory), sentence, 'ledger checkpoint');
  oneSentence(t, await run('cli', ['hours', 'expire'], dataDirectory), sentence, 'hours expire');
});

/**
 * The unprivileged user must reach the project's code: a checkout inside a
 * private folder (mktemp -d makes 0700 folders, as CI's clone may be) is
 * opened for traversal only (o+x), for the test's life, and restored after.
 */
function letNobodyReach(t: Test, directory: string): void {
  for (let folder = directory; ; folder = dirname(folder)) {
    const mode = statSync(folder).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(folder, mode | 0o001);
      t.teardown(() => chmodSync(folder, mode));
    }
    if (dirname(folder) === folder) break;
  }
}

t.test('a read-only data directory (as an unprivileged user): one sentence from each', { timeout: 300_000, skip: process.getuid?.() !== 0 ? 'needs root to run the commands as nobody' : false }, async (t) => {
  letNobodyReach(t, root);
  const work = mkdtempSync(join(tmpdir(), 'silver-readonly-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  chmodSync(work, 0o755);
  const dataDirectory = join(work, 'data');
  ledgerDatabase(dataDirectory);
  chmodSync(databasePath(dataDirectory), 0o644);
  rmSync(join(dataDirectory, 'server.lock'), { force: true });
  chmodSync(dataDirectory, 0o555);
  const sentence = /^(Silver Hours could not start: )?The data directory .+ is read-only for this process \((SQLITE_CANTOPEN|SQLITE_READONLY|EACCES)[^)]*\); make it writable, or run as its owner\.$/;
  oneSentence(t, await run('server', [], dataDirectory, nobody), sentence, 'server');
  oneSentence(t, await run('cli', ['ledger', 'verify'], dataDirectory, nobody), sentence, 'ledger verify');
  const backups = join(work, 'backups');
  mkdirSync(backups, { mode: 0o777 });
  chmodSync(backups, 0o777);
  oneSentence(t, await run('cli', ['backup', join(backups, 'copy.db')], dataDirectory, nobody), sentence, 'backup');
  oneSentence(t, await run('cli', ['hours', 'expire'], dataDirectory, nobody), sentence, 'hours expire');
});

t.test('a file where the data directory is expected: one sentence from the server and the CLI', { timeout: 300_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'silver-notdir-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const dataDirectory = join(work, 'data');
  writeFileSync(dataDirectory, 'not a directory');
  const sentence = /The data directory .+ is not usable \((ENOTDIR|EEXIST) on .+\): a file stands where a directory is expected, or the other way round\.$/;
  oneSentence(t, await run('server', [], dataDirectory), sentence, 'server');
  oneSentence(t, await run('cli', ['seed', 'demo'], dataDirectory), sentence, 'seed demo');
});

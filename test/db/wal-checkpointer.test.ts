import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/client.ts';
import { startWalCheckpointer } from '../../src/db/wal-checkpointer.ts';

// The server checkpoints the WAL from a worker thread, so no request's COMMIT copies pages into the
// database file and fsyncs it on the event loop (docs/PERFORMANCE.md, "Write tails").

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`still not ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

t.test('a file database: the worker copies the WAL into the database, the writer keeps only a backstop, stop closes its connection', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const path = join(directory, 'test.db');
  const sqlite = openDatabase(path).$client;
  sqlite.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  t.equal(sqlite.pragma('wal_autocheckpoint', { simple: true }), 1000, 'SQLite checkpoints in the writer\'s COMMIT at 1,000 pages by default');

  const checkpointer = startWalCheckpointer(sqlite, path, { intervalMs: 20 });
  t.equal(sqlite.pragma('wal_autocheckpoint', { simple: true }), 16_384, 'with the checkpointer, only as a backstop at 64 MB');
  const insert = sqlite.prepare('INSERT INTO notes (body) VALUES (?)');
  // 300 commits of about 16 KB each: well past the 1,000 pages at which the writer would have checkpointed.
  for (let commit = 0; commit < 300; commit += 1) sqlite.transaction(() => { for (let row = 0; row < 4; row += 1) insert.run('银'.repeat(1300)); })();
  // Only the worker copies frames: the writer's own checkpoint would wait for 16,384 pages.
  await until(() => checkpointer.stats.walFrames > 0 && checkpointer.stats.framesCopied === checkpointer.stats.walFrames, 'copied the whole WAL');
  t.equal(checkpointer.stats.lastError, null, 'no checkpoint failed');
  t.ok(checkpointer.stats.runs > 0);

  await checkpointer.stop();
  sqlite.close();
  t.notOk(existsSync(`${path}-wal`), 'the worker\'s connection is closed: the last close checkpointed and removed the WAL');
  const reopened = openDatabase(path).$client;
  t.equal(reopened.prepare('SELECT count(*) FROM notes').pluck().get(), 1200, 'every row is there');
  t.equal(reopened.pragma('integrity_check', { simple: true }), 'ok');
  reopened.close();
});

t.test('a worker that stops on its own is reported, and the writer checkpoints at SQLite\'s threshold again', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const path = join(directory, 'test.db');
  const sqlite = openDatabase(path).$client;
  const problems: string[] = [];
  // The worker cannot open a file that is not there: it fails as it starts.
  const checkpointer = startWalCheckpointer(sqlite, join(directory, 'missing.db'), { onProblem: (problem) => problems.push(problem) });
  await until(() => problems.some((problem) => problem.includes('exited')), 'reported the worker gone');
  t.equal(sqlite.pragma('wal_autocheckpoint', { simple: true }), 1000, 'the backstop is back at 1,000 pages, not left at 64 MB');
  t.ok(problems.some((problem) => problem.startsWith('WAL checkpointer stopped')), `the failure is reported: ${problems.join(' / ')}`);
  await checkpointer.stop();
  sqlite.close();
});

t.test('an in-memory database has no WAL: nothing is started, stop answers at once', async (t) => {
  const sqlite = openDatabase(':memory:').$client;
  const checkpointer = startWalCheckpointer(sqlite, ':memory:');
  await checkpointer.stop();
  t.equal(checkpointer.stats.runs, 0);
  t.equal(sqlite.pragma('wal_autocheckpoint', { simple: true }), 1000, 'the connection is left as it was');
  sqlite.close();
});

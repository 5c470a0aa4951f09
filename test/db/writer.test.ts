/**
 * The connection's writer (src/db/writer.ts) with group commit on: top-level
 * write transactions of one event-loop turn share one BEGIN IMMEDIATE and one
 * COMMIT, each in its own savepoint; a throw undoes only its own work; a
 * failed COMMIT loses the whole batch and tells every waiter.
 */
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { inWriteWork, writerOf } from '../../src/db/writer.ts';

function fileDb(t: Test): Db {
  const directory = mkdtempSync(join(tmpdir(), 'silver-writer-'));
  const db = openDatabase(join(directory, 'w.db'), { migrate: false });
  t.teardown(() => { if (db.$client.open) db.$client.close(); rmSync(directory, { recursive: true, force: true }); });
  db.$client.exec('CREATE TABLE notes (text TEXT NOT NULL)');
  return db;
}

const insert = (db: Db, text: string) => db.$client.transaction(() => {
  db.$client.prepare('INSERT INTO notes (text) VALUES (?)').run(text);
}).immediate();
const notes = (db: Db) => db.$client.prepare('SELECT text FROM notes ORDER BY rowid').pluck().all();
/** What another connection (another process) sees: committed data only. */
const committed = (db: Db) => {
  const other = openDatabase(db.$client.name, { migrate: false, readonly: true });
  try {
    return other.$client.prepare('SELECT text FROM notes ORDER BY rowid').pluck().all();
  } finally {
    other.$client.close();
  }
};

t.test('writes of one turn: one batch, one COMMIT, each in its own savepoint', async (t) => {
  const db = fileDb(t);
  const writer = writerOf(db.$client);
  writer.setGroupCommit(true);
  const before = writer.stats.commits;
  const mark = writer.mark();
  insert(db, 'a');
  t.throws(() => db.$client.transaction(() => {
    db.$client.prepare('INSERT INTO notes (text) VALUES (?)').run('refused');
    throw new Error('refused after writing');
  }).immediate(), /refused after writing/);
  // drizzle's transaction goes through the same writer.
  db.transaction((tx) => { tx.run(sql`INSERT INTO notes (text) VALUES ('c')`); }, { behavior: 'immediate' });
  t.same(notes(db), ['a', 'c'], 'the refused work is gone, the others stay (uncommitted yet)');
  t.same(committed(db), [], 'nothing is committed before the batch commits');
  t.ok(db.$client.inTransaction, 'the batch is open');
  t.notOk(inWriteWork(db.$client), 'at top level between the writes');
  await writer.settled(mark);
  t.same(committed(db), ['a', 'c'], 'committed together');
  t.equal(writer.stats.commits - before, 1, 'one COMMIT for the three transactions');
  t.equal(writer.settled(writer.mark()), undefined, 'nothing to wait for once committed');
});

t.test('a failed COMMIT: every waiter hears it, nothing persists, the next batch works', async (t) => {
  const db = fileDb(t);
  const writer = writerOf(db.$client);
  writer.setGroupCommit(true);
  const mark = writer.mark();
  writer.testHooks.beforeCommit = () => { throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }); };
  insert(db, 'lost 1');
  insert(db, 'lost 2');
  await t.rejects(writer.settled(mark)!, { code: 'SQLITE_IOERR' }, 'the waiter hears the failure');
  await t.rejects(writer.settled(mark)!, { code: 'SQLITE_IOERR' }, 'and so does one that asks later');
  t.same(notes(db), [], 'rolled back');
  t.same(committed(db), []);
  t.equal(writer.stats.failedBatches, 1);
  writer.testHooks.beforeCommit = undefined;
  const next = writer.mark();
  insert(db, 'kept');
  await writer.settled(next);
  t.same(committed(db), ['kept'], 'the next batch commits');
});

t.test('a statement that makes SQLite roll the whole transaction back fails the batch, not just its own savepoint', async (t) => {
  const db = fileDb(t);
  const writer = writerOf(db.$client);
  writer.setGroupCommit(true);
  const mark = writer.mark();
  insert(db, 'first request');
  // RAISE(ROLLBACK) undoes the whole transaction, as SQLITE_FULL or an I/O error may.
  db.$client.exec("CREATE TEMP TRIGGER boom BEFORE INSERT ON notes WHEN NEW.text = 'boom' BEGIN SELECT RAISE(ROLLBACK, 'rolled back'); END");
  t.throws(() => insert(db, 'boom'), /rolled back/);
  await t.rejects(writer.settled(mark)!, /rolled back/, 'the first request, already done, is told its batch failed');
  t.same(committed(db), []);
});

t.test('without group commit every transaction commits on its own; close() commits an open batch', async (t) => {
  const db = fileDb(t);
  const writer = writerOf(db.$client);
  const before = writer.stats.commits;
  insert(db, 'alone');
  t.same(committed(db), ['alone'], 'committed at once');
  t.equal(writer.stats.commits, before, 'no batch');
  writer.setGroupCommit(true);
  insert(db, 'in a batch');
  const path = db.$client.name;
  db.$client.close();
  const reopened = openDatabase(path, { migrate: false });
  t.same(notes(reopened), ['alone', 'in a batch'], 'close() committed the batch');
  reopened.$client.close();
});

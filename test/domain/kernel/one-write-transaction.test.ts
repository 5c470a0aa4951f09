import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { writeTransaction } from '../../../src/domain/kernel/transaction.ts';

const root = join(import.meta.dirname, '..', '..', '..');

function sources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? sources(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

t.test('every write transaction outside the ledger engine and the db layer is opened by the kernel writeTransaction', async (t) => {
  const allowed = ['src/ledger/', 'src/db/', 'src/domain/kernel/transaction.ts'];
  const files = sources(join(root, 'src')).map((path) => relative(root, path)).filter((path) => !allowed.some((prefix) => path.startsWith(prefix)));
  t.ok(files.length > 150, `src/ read (${files.length} files)`);
  const offenders = files.flatMap((path) => {
    const text = readFileSync(join(root, path), 'utf8');
    return /behavior:\s*'immediate'|\.immediate\(/.test(text) ? [path] : [];
  });
  t.same(offenders, [], 'no BEGIN IMMEDIATE opened by hand');
});

t.test('writeTransaction commits what the work wrote, rolls all of it back when the work throws, and nests as a savepoint', async (t) => {
  const sqlite = new Database(':memory:');
  t.teardown(() => sqlite.close());
  sqlite.exec('CREATE TABLE t (n INTEGER)');
  const count = () => sqlite.prepare('SELECT count(*) FROM t').pluck().get();
  t.equal(writeTransaction(sqlite, (tx) => tx.prepare('INSERT INTO t VALUES (1)').run().changes), 1);
  t.equal(count(), 1, 'committed');
  t.throws(() => writeTransaction(sqlite, (tx) => {
    tx.prepare('INSERT INTO t VALUES (2)').run();
    throw new Error('refused');
  }), /refused/);
  t.equal(count(), 1, 'a throw rolls back the whole work');
  writeTransaction(sqlite, (tx) => {
    tx.prepare('INSERT INTO t VALUES (3)').run();
    t.throws(() => writeTransaction(tx, (inner) => {
      inner.prepare('INSERT INTO t VALUES (4)').run();
      throw new Error('inner refused');
    }));
  });
  t.same(sqlite.prepare('SELECT n FROM t ORDER BY n').pluck().all(), [1, 3], 'an inner refusal undoes only its own savepoint');
});

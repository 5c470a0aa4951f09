import { test } from 'tap';
import { openDatabase } from '../../src/db/client.ts';

// src/db/client.ts is the one statement cache: every prepare() on a connection
// (ours and drizzle's) goes through it, keyed by SQL text.

test('the same SQL on one connection answers the same prepared statement', (t) => {
  const db = openDatabase(':memory:', { migrate: false });
  t.teardown(() => db.$client.close());
  const source = 'SELECT 1 AS one';
  const first = db.$client.prepare(source);
  t.equal(db.$client.prepare(source), first, 'the second prepare() is the cached statement');
  t.not(db.$client.prepare('SELECT 2 AS two'), first, 'other SQL text gets its own statement');
  t.end();
});

test('a cached statement does not leak across connections', (t) => {
  const one = openDatabase(':memory:', { migrate: false });
  const two = openDatabase(':memory:', { migrate: false });
  t.teardown(() => { one.$client.close(); two.$client.close(); });
  one.$client.exec('CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (\'on one\')');
  two.$client.exec('CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (\'on two\')');
  const source = 'SELECT body FROM notes';
  const fromOne = one.$client.prepare(source);
  const fromTwo = two.$client.prepare(source);
  t.not(fromOne, fromTwo, 'each connection prepares its own statement');
  t.equal(fromOne.database, one.$client);
  t.equal(fromTwo.database, two.$client);
  t.same(two.$client.prepare(source).all(), [{ body: 'on two' }], 'the second connection reads its own table');
  t.same(one.$client.prepare(source).all(), [{ body: 'on one' }]);
  t.end();
});

test('a cached statement comes back with its result modes reset', (t) => {
  const db = openDatabase(':memory:', { migrate: false });
  t.teardown(() => db.$client.close());
  const source = 'SELECT 7 AS seven';
  t.equal(db.$client.prepare(source).pluck().get(), 7, 'one caller plucks');
  t.same(db.$client.prepare(source).get(), { seven: 7 }, 'the next caller gets a whole row again');
  t.same(db.$client.prepare(source).raw().get(), [7]);
  t.same(db.$client.prepare(source).get(), { seven: 7 });
  t.end();
});

test('a statement still iterating is not handed out again', (t) => {
  const db = openDatabase(':memory:', { migrate: false });
  t.teardown(() => db.$client.close());
  const source = 'SELECT value FROM json_each(\'[1,2,3]\')';
  const outer = db.$client.prepare(source);
  const seen: number[] = [];
  for (const row of outer.iterate() as Iterable<{ value: number }>) {
    const inner = db.$client.prepare(source);
    t.not(inner, outer, 'a busy statement is not shared');
    seen.push(row.value, (inner.all() as { value: number }[]).length);
  }
  t.same(seen, [1, 3, 2, 3, 3, 3]);
  t.equal(db.$client.prepare(source), outer, 'once the iteration ends the cached one is handed out again');
  t.end();
});

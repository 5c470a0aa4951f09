import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { contentHash, legacyContentHash, readIdempotencyKey, replayOf, writeOnce } from '../../../src/domain/kernel/idempotency.ts';
import { instants } from '../../helpers/clock.ts';

const at = instants.suiteDefault;
const key = '0b6f3c1e-5d2a-4f7b-9c8d-1e2f3a4b5c6d';

function setUp() {
  const db = openDatabase(':memory:');
  db.$client.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
  const notes = () => Number(db.$client.prepare('SELECT count(*) FROM notes').pluck().get());
  const add = (text: string) => () => ({ ok: true as const, id: Number(db.$client.prepare('INSERT INTO notes (text) VALUES (?)').run(text).lastInsertRowid) });
  return { db, notes, add };
}

t.test('readIdempotencyKey takes a UUID from the form, lower-cased, and nothing else', async (t) => {
  t.equal(readIdempotencyKey({ idempotency_key: key.toUpperCase() }), key);
  t.equal(readIdempotencyKey({ idempotency_key: 'not-a-key' }), null);
  t.equal(readIdempotencyKey({}), null);
  t.equal(contentHash({ a: 1, b: 'x' }), contentHash({ b: 'x', a: 1 }), 'field order does not matter');
  t.not(contentHash({ a: 1 }), contentHash({ a: 2 }));
});

t.test('the same key and content answers the first result; other content is refused; neither writes', async (t) => {
  const { db, notes, add } = setUp();
  const once = { key, scope: 'notes.add', contentHash: contentHash({ text: 'a' }) };
  const first = writeOnce(db, once, 7, at, add('a'));
  t.match(first, { kind: 'first', result: { ok: true } });
  const id = first.kind === 'first' ? first.result.id : 0;
  t.same(writeOnce(db, once, 7, at, add('a')), { kind: 'replay', result: { ok: true, id } });
  t.same(replayOf(db, once, 7), { kind: 'replay', result: { ok: true, id } });
  t.same(replayOf(db, once, 8), { kind: 'conflict' }, 'another user holding the key never gets the first user\'s answer');
  t.same(writeOnce(db, once, 8, at, add('a')), { kind: 'conflict' }, 'nor through writeOnce');
  t.same(replayOf(db, once, null), { kind: 'conflict' }, 'nor a public form');
  t.same(writeOnce(db, { ...once, contentHash: contentHash({ text: 'b' }) }, 7, at, add('b')), { kind: 'conflict' });
  t.same(writeOnce(db, { ...once, scope: 'other.scope' }, 7, at, add('a')), { kind: 'conflict' }, 'a key belongs to one kind of write');
  t.equal(notes(), 1, 'one note written');
  t.match(db.$client.prepare('SELECT scope, actor_user_id AS actor, created_at_ms AS atMs FROM idempotency_keys').get(), { scope: 'notes.add', actor: 7, atMs: at });
});

t.test('a refusal rolls back what the work wrote and keeps the key free', async (t) => {
  const { db, notes, add } = setUp();
  const once = { key, scope: 'notes.add', contentHash: contentHash({ text: 'a' }) };
  const refused = writeOnce(db, once, null, at, () => {
    add('half')();
    return { ok: false as const, reason: 'too_long' };
  });
  t.same(refused, { kind: 'first', result: { ok: false, reason: 'too_long' } });
  t.equal(notes(), 0, 'the half-done write is rolled back');
  t.equal(replayOf(db, once, null), null, 'no key row');
  t.match(writeOnce(db, once, null, at, add('a')), { kind: 'first', result: { ok: true } }, 'the corrected form goes through under the same key');
  t.equal(notes(), 1);
});

t.test('keys copied from the old per-table columns (migration 0017) answer any content, as before', async (t) => {
  const { db, notes, add } = setUp();
  db.$client.prepare("INSERT INTO idempotency_keys (key, scope, content_hash, result, created_at_ms) VALUES (?, 'notes.add', ?, '{\"ok\":true,\"id\":41}', ?)").run(key, legacyContentHash, at);
  t.same(writeOnce(db, { key, scope: 'notes.add', contentHash: contentHash({ text: 'z' }) }, null, at, add('z')), { kind: 'replay', result: { ok: true, id: 41 } });
  t.equal(notes(), 0);
});

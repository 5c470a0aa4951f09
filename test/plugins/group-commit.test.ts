/**
 * Group commit through the HTTP layer (src/db/writer.ts, src/plugins/group-commit.ts):
 * parallel hour logs through a listening server share few COMMITs; a refused
 * form in the same burst writes nothing and costs the others nothing; a
 * failed COMMIT acknowledges none and persists none; a page read while
 * another write is uncommitted never shows that write if it is then lost.
 */
import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { databasePath, openDatabase, type Db } from '../../src/db/client.ts';
import { writerOf } from '../../src/db/writer.ts';
import { translator } from '../../src/i18n/index.ts';
import { loggerOptions } from '../../src/plugins/logging.ts';
import { burstFromAnotherProcess } from '../helpers/burst.ts';
import { count, demoPhone, listeningAs, signedInAs, visibleText } from '../helpers/web.ts';
import { createHoursApp, scalar } from '../routes/hours/helpers.ts';

const zh = translator('zh-CN');

/** A file database (fsync as in production), removed after the test. */
function fileDb(t: Test): Db {
  const directory = mkdtempSync(join(tmpdir(), 'silver-group-commit-'));
  const db = openDatabase(databasePath(directory));
  t.teardown(() => { if (db.$client.open) db.$client.close(); rmSync(directory, { recursive: true, force: true }); });
  return db;
}

/** What another process sees: committed rows only. */
function committedCount(db: Db, sql: string, ...parameters: unknown[]): number {
  const other = openDatabase(db.$client.name, { readonly: true });
  try {
    return other.$client.prepare(sql).pluck().get(...parameters) as number;
  } finally {
    other.$client.close();
  }
}

async function listeningVolunteer(t: Test) {
  const test = await listeningAs('volunteer', () => createHoursApp({ db: fileDb(t), groupCommit: true }));
  t.teardown(() => test.app.close());
  await test.client.get('/hours/new');
  const elderId = scalar(test, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const visit = (n: number, overrides: Record<string, string> = {}) => ({
    idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '2026-11-22',
    start_time: `${String(6 + Math.floor(n / 6)).padStart(2, '0')}:${String((n % 6) * 10).padStart(2, '0')}`,
    end_time: `${String(6 + Math.floor(n / 6)).padStart(2, '0')}:${String((n % 6) * 10 + 10).padStart(2, '0')}`.replace(/:60$/, ':59'),
    duration_minutes: '', village_code: '433123101001', note: `探访 ${n}`, ...overrides,
  });
  const port = (test.app.server.address() as { port: number }).port;
  const cookie = [...test.client.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  /** Every form POSTed to /hours at once, from another process (see burstFromAnotherProcess). */
  const logAll = (forms: Record<string, string>[]) =>
    burstFromAnotherProcess(`http://127.0.0.1:${port}`, cookie, forms.map((form) => ({ path: '/hours', form: { _csrf: test.client.csrfToken, ...form } })));
  return { ...test, writer: writerOf(test.db.$client), visit, logAll };
}

/** Keeps each batch open for a second (a test-only hook), so that a burst from another process shares it; answers the batch sizes. */
function gatherBursts(writer: ReturnType<typeof writerOf>): () => number[] {
  const sizes: number[] = [];
  writer.testHooks.gatherMs = 1000;
  writer.testHooks.beforeCommit = (writes) => { sizes.push(writes); };
  return () => sizes;
}

/**
 * Makes the first batch's COMMIT slow (400 ms, synchronously, as a slow fsync would): the requests
 * that arrive meanwhile wait in the socket buffers and then run in one turn, sharing the next batch.
 */
function slowFirstCommit(writer: ReturnType<typeof writerOf>): () => number[] {
  const sizes: number[] = [];
  writer.testHooks.beforeCommit = (writes) => {
    if (sizes.length === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
    sizes.push(writes);
  };
  return () => sizes;
}

function stopGathering(writer: ReturnType<typeof writerOf>): void {
  writer.testHooks.gatherMs = undefined;
  writer.testHooks.beforeCommit = undefined;
}

t.test('20 hour logs at once through a listening server: 20 records, fewer COMMITs', async (t) => {
  const { db, writer, visit, logAll } = await listeningVolunteer(t);
  const records = count(db, 'service_records');
  const commits = writer.stats.commits;
  const sizes = slowFirstCommit(writer);
  const answers = await logAll(Array.from({ length: 20 }, (_, n) => visit(n)));
  stopGathering(writer);
  t.same(answers.map((answer) => answer.status), Array(20).fill(303), 'every log answered with a redirect to its record');
  t.equal(new Set(answers.map((answer) => answer.location)).size, 20, '20 different records');
  t.equal(committedCount(db, 'SELECT count(*) FROM service_records'), records + 20, 'all 20 on disk (seen by another connection)');
  const used = writer.stats.commits - commits;
  t.ok(used < 20, `20 writes shared ${used} COMMITs (batch sizes ${sizes().join(', ')})`);
  t.ok(Math.max(...sizes()) >= 2, 'the requests that arrived during a commit shared the next one');
});

t.test('a refused form in the same burst writes nothing; the others are saved', async (t) => {
  const { db, writer, visit, logAll } = await listeningVolunteer(t);
  const records = count(db, 'service_records');
  const transfers = count(db, 'ledger_transfers');
  const sizes = gatherBursts(writer);
  const good = Array.from({ length: 8 }, (_, n) => visit(n));
  // The same key as the first good form with other content: refused 409 inside the kernel's transaction.
  const conflicting = { ...good[0]!, end_time: '06:30' };
  const refusedNow = Array.from({ length: 4 }, (_, n) => visit(20 + n, { end_time: '05:00', start_time: '06:00' }));
  const answers = await logAll([...good, ...refusedNow, conflicting]);
  stopGathering(writer);
  t.same(answers.slice(1, 8).map((answer) => answer.status), Array(7).fill(303), 'the good forms are saved');
  for (const refused of answers.slice(8, 12)) {
    t.equal(refused.status, 422, 'an end before the start is refused');
  }
  // Of the two forms with one key, the first to run is saved and the other refused 409.
  const pair = [answers[0]!, answers[12]!];
  t.same(pair.map((answer) => answer.status).sort(), [303, 409], 'one key with two contents: one saved, one refused');
  t.match(visibleText(pair.find((answer) => answer.status === 409)!.body), zh('common.error.idempotency_conflict'));
  t.ok(Math.max(...sizes()) >= 2, `requests shared a batch (sizes ${sizes().join(', ')})`);
  t.equal(committedCount(db, 'SELECT count(*) FROM service_records'), records + 8, 'exactly the 8 good records are on disk');
  t.equal(committedCount(db, 'SELECT count(*) FROM ledger_transfers'), transfers + 8, 'and their 8 holds');
  for (const form of refusedNow) {
    t.equal(committedCount(db, 'SELECT count(*) FROM idempotency_keys WHERE key = ?', form.idempotency_key), 0, 'a refused form leaves no key');
  }
});

t.test('a failed COMMIT: no request of the batch is acknowledged, none persists, the next write works', async (t) => {
  const { db, client, writer, visit, logAll } = await listeningVolunteer(t);
  const records = count(db, 'service_records');
  writer.testHooks.beforeCommit = () => { throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }); };
  const forms = Array.from({ length: 6 }, (_, n) => visit(n));
  const answers = await logAll(forms);
  writer.testHooks.beforeCommit = undefined;
  for (const answer of answers) {
    t.equal(answer.status, 503, 'not acknowledged: 503');
    t.equal(answer.location, null, 'no redirect to a record');
    t.match(visibleText(answer.body), zh('errors.notSaved.message'));
    t.notMatch(visibleText(answer.body), '系统出了问题', 'not the generic error page');
  }
  t.equal(count(db, 'service_records'), records, 'nothing on this connection');
  t.equal(committedCount(db, 'SELECT count(*) FROM service_records'), records, 'nothing on disk');
  const keys = forms.map((form) => form.idempotency_key);
  t.equal(committedCount(db, `SELECT count(*) FROM idempotency_keys WHERE key IN (${keys.map(() => '?').join(',')})`, ...keys), 0, 'no idempotency key kept');
  const again = await client.post('/hours', forms[0]!);
  t.equal(again.status, 303, 'the same form sent again is saved');
  t.equal(committedCount(db, 'SELECT count(*) FROM service_records'), records + 1);
});

t.test('a page read while another write is uncommitted: held until it commits, and never shown if it is lost', async (t) => {
  const db = fileDb(t);
  const test = await createHoursApp({ db, groupCommit: true });
  t.teardown(() => test.app.close());
  const writer = writerOf(db.$client);
  const coordinator = await signedInAs(test.app, 'coordinator');
  const rename = (name: string) => db.$client.transaction(() => {
    db.$client.prepare('UPDATE users SET display_name = ? WHERE phone = ?').run(name, demoPhone('coordinator'));
  }).immediate();

  // Committed: the page shows the new name, after the commit.
  rename('龙已保存');
  const shown = await coordinator.get('/');
  t.equal(shown.statusCode, 200);
  t.match(visibleText(shown.body), '龙已保存');
  t.equal(committedCount(db, 'SELECT count(*) FROM users WHERE display_name = ?', '龙已保存'), 1, 'committed before the page was sent');

  // Lost: the page read while the rename was uncommitted is not shown with it.
  writer.testHooks.beforeCommit = () => { throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }); };
  rename('龙未保存');
  const page = await coordinator.get('/');
  writer.testHooks.beforeCommit = undefined;
  t.notMatch(page.body, '龙未保存', 'the lost name never reaches anyone');
  t.ok(page.statusCode === 503 || page.statusCode === 200, `503 when it read during the batch, else the committed page: ${page.statusCode}`);
  t.equal(committedCount(db, 'SELECT count(*) FROM users WHERE display_name = ?', '龙未保存'), 0);
  const after = await coordinator.get('/');
  t.equal(after.statusCode, 200);
  t.match(visibleText(after.body), '龙已保存', 'the committed name is what the next page shows');
});

t.test('held answers are sent once: sign-in, a language switch and a log leave no "already sent" or failed request in the log', async (t) => {
  let written = '';
  const stream = new Writable({ write(chunk, _encoding, done) { written += String(chunk); done(); } });
  const test = await createHoursApp({ db: fileDb(t), groupCommit: true, logger: loggerOptions('info', stream) });
  t.teardown(() => test.app.close());
  const volunteer = await signedInAs(test.app, 'volunteer');
  const switched = await volunteer.post('/preferences/language', { lang: 'en', return_to: '/hours' });
  t.equal(switched.statusCode, 303);
  const form = await volunteer.get('/hours/new');
  t.equal(form.statusCode, 200);
  const elderId = scalar(test, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const key = /name="idempotency_key" value="([^"]+)"/.exec(form.body)![1]!;
  const logged = await volunteer.post('/hours', {
    idempotency_key: key, service_type: 'visit', elder_id: String(elderId), date: '2026-11-22', start_time: '05:00', end_time: '06:00',
    duration_minutes: '', village_code: '433123101001', note: '陪老人聊天',
  });
  t.equal(logged.statusCode, 303);
  t.equal(committedCount(test.db, 'SELECT count(*) FROM service_records WHERE idempotency_key = ?', key), 1, 'on disk when answered');
  t.notMatch(written, 'Reply was already sent', 'no answer was sent twice');
  t.notMatch(written, '"request failed"', 'no request failed');
});

t.test('a background job writes through the same writer: it joins the open batch, one COMMIT for both', async (t) => {
  const db = fileDb(t);
  const test = await createHoursApp({ db, groupCommit: true });
  t.teardown(() => test.app.close());
  const writer = writerOf(db.$client);
  const before = { ...writer.stats };
  const mark = writer.mark();
  // A request's write opens the batch...
  db.$client.transaction(() => {
    db.$client.prepare('UPDATE users SET display_name = ? WHERE phone = ?').run('龙批量', demoPhone('coordinator'));
  }).immediate();
  // ...and the hourly ledger checkpoint, run in the same turn, is one more savepoint in it.
  const job = test.app.jobs.run('checkpoint');
  t.ok(db.$client.inTransaction, 'still one open batch');
  // The checkpoint job writes the public chain's new links and the signed checkpoint: one savepoint each (issue 17).
  t.ok(writer.stats.batchedWrites - before.batchedWrites >= 2, 'the job ran inside the batch');
  t.equal(writer.stats.commits, before.commits, 'nothing committed on its own');
  await job;
  await writer.settled(mark);
  t.equal(writer.stats.commits - before.commits, 1, 'one COMMIT for the write and the job');
  t.equal(committedCount(db, 'SELECT count(*) FROM users WHERE display_name = ?', '龙批量'), 1);
});

t.test('a static asset is not held for a write batch open meanwhile; a page is', async (t) => {
  const db = fileDb(t);
  const test = await createHoursApp({ db, groupCommit: true });
  t.teardown(() => test.app.close());
  const writer = writerOf(db.$client);
  const coordinator = await signedInAs(test.app, 'coordinator');
  const rename = (name: string) => db.$client.transaction(() => {
    db.$client.prepare('UPDATE users SET display_name = ? WHERE phone = ?').run(name, demoPhone('coordinator'));
  }).immediate();
  // The batch stays open for 500 ms before its COMMIT.
  writer.testHooks.gatherMs = 500;
  t.teardown(() => { writer.testHooks.gatherMs = undefined; });
  rename('龙稍后保存');
  const asset = await test.app.inject({ url: '/assets/app.css' });
  t.equal(asset.statusCode, 200);
  t.match(asset.headers['content-type'] as string, 'text/css');
  t.equal(committedCount(db, 'SELECT count(*) FROM users WHERE display_name = ?', '龙稍后保存'), 0, 'the stylesheet was answered while the batch was still open');
  rename('龙已保存');
  const page = await coordinator.get('/');
  t.equal(page.statusCode, 200);
  t.equal(committedCount(db, 'SELECT count(*) FROM users WHERE display_name = ?', '龙已保存'), 1, 'the page waited for the commit');
});

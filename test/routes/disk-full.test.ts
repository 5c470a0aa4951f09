/**
 * A full disk: a write answers a clear 503 page in Chinese (the record was
 * not saved, try again later) instead of the generic 500, /healthz reports
 * `disk: full` with the bytes free in the data directory, the log says it
 * once, and the server recovers without a restart.
 *
 * SQLite is made to answer SQLITE_FULL as on a full disk: the file may not
 * grow past its current page count (PRAGMA max_page_count), and a temporary
 * trigger makes the member insert also store a 200 kB blob, so the write
 * needs new pages whatever free room the tables' last pages still have.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { makeIdNumber } from '../../src/lib/idcard.ts';
import { loggerOptions } from '../../src/plugins/logging.ts';
import { count, createTestApp, signedInAs, visibleText } from '../helpers/web.ts';

t.test('a full disk: 503 in Chinese, nothing written, healthz says disk full, logged once, recovers', async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-disk-full-'));
  t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
  let written = '';
  const stream = new Writable({ write(chunk, _encoding, done) { written += String(chunk); done(); } });
  const db = openDatabase(databasePath(dataDirectory));
  const { app } = await createTestApp({ db, logger: loggerOptions('info', stream) });
  t.teardown(async () => { await app.close(); db.$client.close(); });
  const sqlite = db.$client;

  const coordinator = await signedInAs(app, 'coordinator');
  const register = async (n: number) => {
    const form = await coordinator.get('/members/new');
    const key = /name="idempotency_key" value="([^"]+)"/.exec(form.body)![1]!;
    return coordinator.post('/members', {
      idempotency_key: key, real_name: `龙秀${'梅兰竹'[n]}`, phone: `1375555012${n}`,
      id_number: makeIdNumber('433123', '1958-03-09', 41 + n), village_code: '433123101001',
    });
  };

  sqlite.exec('CREATE TABLE filler (data BLOB)');
  sqlite.exec("CREATE TEMP TRIGGER grow AFTER INSERT ON main.members BEGIN INSERT INTO main.filler VALUES (zeroblob(200000)); END");
  const pages = sqlite.pragma('page_count', { simple: true }) as number;
  sqlite.pragma(`max_page_count = ${pages}`);
  const members = count(db, 'members');

  for (const n of [0, 1]) {
    const refused = await register(n);
    t.equal(refused.statusCode, 503, `write ${n + 1}: 503, not 500`);
    t.equal(refused.headers['retry-after'], '60');
    const text = visibleText(refused.body);
    t.match(text, '暂时无法办理');
    t.match(text, '服务器的存储空间已满，这条记录没有保存。请稍后再试');
    t.notMatch(text, '系统出了问题', 'not the generic error page');
  }
  t.equal(count(db, 'members'), members, 'nothing was written');
  const full = await app.inject({ url: '/healthz' });
  t.equal(full.statusCode, 503);
  const fullBody = full.json() as { status: string; disk: string; freeBytes: number };
  t.equal(fullBody.status, 'degraded');
  t.equal(fullBody.disk, 'full');
  t.ok(Number.isInteger(fullBody.freeBytes) && fullBody.freeBytes >= 0, `free bytes of the data directory: ${fullBody.freeBytes}`);
  const diskLines = written.split('\n').filter((line) => line.includes('disk full'));
  t.equal(diskLines.length, 1, 'the full disk is logged once, not once per request');
  t.notMatch(written, '"request failed"', 'and not as a failed request with a stack');

  // Space again: the next write succeeds without a restart and healthz is back to ok.
  sqlite.pragma('max_page_count = 1073741823');
  const saved = await register(2);
  t.equal(saved.statusCode, 303, 'a write succeeds once there is room');
  t.equal(count(db, 'members'), members + 1);
  const healthy = await app.inject({ url: '/healthz' });
  t.equal(healthy.statusCode, 200);
  t.match(healthy.json(), { status: 'ok', disk: 'ok' });
  t.match(written, 'disk has room again');
});

t.test('the 503 page speaks English when English is chosen', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  coordinator.cookies.set('sh_lang', 'en');
  db.$client.exec('CREATE TABLE filler (data BLOB)');
  db.$client.exec("CREATE TEMP TRIGGER grow AFTER INSERT ON main.members BEGIN INSERT INTO main.filler VALUES (zeroblob(200000)); END");
  db.$client.pragma(`max_page_count = ${db.$client.pragma('page_count', { simple: true }) as number}`);
  const form = await coordinator.get('/members/new');
  const key = /name="idempotency_key" value="([^"]+)"/.exec(form.body)![1]!;
  const refused = await coordinator.post('/members', { idempotency_key: key, real_name: '龙秀梅', phone: '13755550129', id_number: makeIdNumber('433123', '1958-03-09', 49), village_code: '433123101001' });
  t.equal(refused.statusCode, 503);
  t.match(visibleText(refused.body), "The server's storage is full, so this record was not saved.");
});

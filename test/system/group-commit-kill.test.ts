/**
 * Group commit and a power cut: the real server as a child process, a batch
 * of hour logs from several connections, and SIGKILL between the batch's work
 * and its COMMIT (the test-only pause SILVER_HOURS_TEST_PAUSE_BEFORE_COMMIT,
 * armed by a file, holds the server just before COMMIT). No request of the
 * batch was answered, and after a restart nothing of it exists; a record
 * acknowledged before the batch is still there, and a request of the lost
 * batch sent again is saved once.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { HttpSession, startServerProcess } from '../helpers/server-process.ts';
import { logForm, seedForSystemTests } from './fixtures.ts';

t.test('SIGKILL before a batch commits: no answer of the batch was sent, nothing of it survives', { timeout: 300_000 }, async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-gc-kill-'));
  const pauseDirectory = mkdtempSync(join(tmpdir(), 'silver-gc-pause-'));
  t.teardown(() => {
    rmSync(dataDirectory, { recursive: true, force: true });
    rmSync(pauseDirectory, { recursive: true, force: true });
  });
  const pause = join(pauseDirectory, 'release');
  const facts = await seedForSystemTests(dataDirectory);
  let server = await startServerProcess(dataDirectory, { SILVER_HOURS_TEST_PAUSE_BEFORE_COMMIT: pause });
  t.teardown(() => server.kill());

  const coordinators = await Promise.all([1, 2, 3, 4].map(() => HttpSession.signIn(server.url, '13800000002')));
  for (const coordinator of coordinators) await coordinator.page('/hours/new');
  const before = logForm(facts, 0);
  const saved = await coordinators[0]!.fetch('/hours', { form: before });
  t.equal(saved.status, 303, 'a log before the batch is acknowledged');

  // Armed: the next batch stays open 1 s for the burst to join it, writes `.paused`, and waits before its COMMIT for a file that never comes.
  writeFileSync(`${pause}.arm`, '1000');
  const forms = Array.from({ length: 12 }, (_, n) => logForm(facts, n + 1));
  let answeredBeforeKill = 0;
  const answers = forms.map((form, n) => coordinators[n % coordinators.length]!.fetch('/hours', { form }).then(
    (response) => { answeredBeforeKill += 1; return response.status; },
    () => undefined,
  ));
  for (let waited = 0; !existsSync(`${pause}.paused`); waited += 20) {
    if (waited > 60_000) throw new Error(`the server never paused before a COMMIT:\n${server.output()}`);
    await sleep(20);
  }
  // Let every request reach the server (it is blocked before COMMIT: none can be answered).
  await sleep(300);
  const batchWrites = Number(readFileSync(`${pause}.paused`, 'utf8'));
  t.ok(batchWrites >= 2, `the paused batch holds ${batchWrites} writes of several requests`);
  t.equal(answeredBeforeKill, 0, 'no request of the batch was answered while its COMMIT was pending');
  await server.kill();
  t.same(await Promise.all(answers), Array(forms.length).fill(undefined), 'every request of the batch lost its connection unanswered');

  rmSync(`${pause}.arm`);
  const db = openDatabase(databasePath(dataDirectory));
  const byKey = (table: string, key: string) => db.$client.prepare(`SELECT count(*) FROM ${table} WHERE ${table === 'idempotency_keys' ? 'key' : 'idempotency_key'} = ?`).pluck().get(key) as number;
  t.equal(byKey('service_records', before.idempotency_key!), 1, 'the record acknowledged before the batch survived');
  t.same(forms.map((form) => byKey('service_records', form.idempotency_key!)), Array(forms.length).fill(0), 'no record of the batch survived');
  t.same(forms.map((form) => byKey('idempotency_keys', form.idempotency_key!)), Array(forms.length).fill(0), 'no idempotency key of the batch survived');
  db.$client.close();

  server = await startServerProcess(dataDirectory);
  const again = await HttpSession.signIn(server.url, '13800000002');
  await again.page('/hours/new');
  const resent = await again.fetch('/hours', { form: forms[0]! });
  t.equal(resent.status, 303, 'a log of the lost batch sent again is saved');
  await server.stop();
  const reopened = openDatabase(databasePath(dataDirectory));
  t.equal(reopened.$client.prepare('SELECT count(*) FROM service_records WHERE idempotency_key = ?').pluck().get(forms[0]!.idempotency_key), 1, 'once');
  reopened.$client.close();
});

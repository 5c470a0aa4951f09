import tap from 'tap';
import { randomUUID } from 'node:crypto';
import { translator } from '../../../src/i18n/index.ts';
import type { Role } from '../../../src/domain/access/authorize.ts';
import { count, visibleText, listeningAs as listeningAsRole } from '../../helpers/web.ts';
import { createHoursApp, scalar } from './helpers.ts';

const zh = translator('zh-CN');

/**
 * The hours log form runs once per key through the kernel
 * (src/domain/kernel/idempotency.ts): six copies of one form at once through a
 * listening server write one record and one hold; the key with other content
 * is refused 409 and writes nothing.
 */

const listeningAs = (role: Role) => listeningAsRole(role, createHoursApp);

function written(db: Awaited<ReturnType<typeof createHoursApp>>['db']) {
  return {
    records: count(db, 'service_records'),
    transfers: count(db, 'ledger_transfers'),
    keys: Number(db.$client.prepare("SELECT count(*) FROM idempotency_keys WHERE scope = 'hours.log'").pluck().get()),
  };
}

tap.test('a log form sent six times at once writes one record; the key with another end time is refused', async (t) => {
  const test = await listeningAs('volunteer');
  t.teardown(() => test.app.close());
  const { db, client } = test;
  await client.get('/hours/new');
  const elderId = scalar(test, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const form = {
    idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '2026-11-22', start_time: '05:00', end_time: '06:00',
    duration_minutes: '', village_code: '433123101001', note: '陪老人聊天',
  };
  const before = written(db);
  const answers = await Promise.all(Array.from({ length: 6 }, () => client.post('/hours', form)));
  t.same(answers.map((answer) => answer.status), Array(6).fill(303), 'every copy answered with a redirect');
  t.equal(new Set(answers.map((answer) => answer.headers.location)).size, 1, 'all to the same record');
  const after = written(db);
  t.same(after, { records: before.records + 1, transfers: before.transfers + 1, keys: before.keys + 1 }, 'one record, one hold, one key');

  const changed = await client.post('/hours', { ...form, end_time: '06:30' });
  t.equal(changed.status, 409);
  t.match(visibleText(changed.body), zh('common.error.idempotency_conflict'));
  t.same(written(db), after, 'nothing written');
  const record = scalar(test, 'SELECT end_at_ms - start_at_ms FROM service_records WHERE idempotency_key = ?', form.idempotency_key);
  t.equal(record, 60 * 60_000, 'the first record is unchanged');
});

/**
 * The server verifies the whole ledger at start-up (and nightly) and the
 * public /transparency page shows that verdict: a real server started on a
 * file whose chain was tampered with must not say 成立.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { msUntilShanghaiHour } from '../../src/lib/time.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { seedForSystemTests } from './fixtures.ts';

t.test('a server started on a tampered chain shows the failed verification on /transparency', { timeout: 300_000 }, async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-transparency-'));
  t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
  await seedForSystemTests(dataDirectory);
  const sqlite = openDatabase(databasePath(dataDirectory)).$client;
  const head = sqlite.prepare('SELECT max(seq) FROM ledger_transfers').pluck().get() as number;
  const tamperedSeq = Math.floor(head / 2);
  sqlite.exec('DROP TRIGGER ledger_transfers_no_update');
  sqlite.prepare('UPDATE ledger_transfers SET amount = amount + 1 WHERE seq = ?').run(tamperedSeq);
  sqlite.close();

  const server = await startServerProcess(dataDirectory);
  t.teardown(async () => { if (server.child.exitCode === null) await server.stop(); });
  let text = '';
  const deadline = performance.now() + 60_000;
  while (!text.includes('结果：') && performance.now() < deadline) {
    text = await (await fetch(`${server.url}/transparency`)).text();
    if (!text.includes('结果：')) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.match(text, /最近一次完整核验：\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}/, 'the page says when the chain was last fully verified');
  t.match(text, `结果：未通过。从第 ${tamperedSeq} 笔记录起，账本内容与哈希链不一致`, 'and that it failed, at the tampered transfer');
  t.match(text, '<strong id="latest-verdict">不成立</strong>', 'the latest checkpoint does not hold');
  t.equal(await server.stop(), 0);
});

t.test('the nightly verification runs at 03:00 Shanghai time', async (t) => {
  const at = (iso: string) => Date.parse(iso);
  t.equal(msUntilShanghaiHour(at('2026-12-06T18:00:00Z'), 3), 3_600_000, '02:00 Shanghai: one hour to go');
  t.equal(msUntilShanghaiHour(at('2026-12-06T19:00:00Z'), 3), 86_400_000, 'at 03:00 exactly: the next night');
  t.equal(msUntilShanghaiHour(at('2026-12-06T20:30:00Z'), 3), 22.5 * 3_600_000, '04:30 Shanghai: 22.5 hours to go');
});

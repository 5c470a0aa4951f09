/**
 * Two servers on one file publish checkpoints: the "has the chain moved?"
 * check and the insert share one write transaction, so no head is
 * published twice while transfers keep arriving from a third process.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/client.ts';
import { AccountFlags, Ledger } from '../../src/ledger/index.ts';

function worker(path: string, goFile: string, stopFile: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'checkpoint-worker.ts'), path, goFile, stopFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let signalReady: () => void;
  const ready = new Promise<void>((resolve) => { signalReady = resolve; });
  child.stdout.on('data', (chunk) => { output += String(chunk); if (output.includes('ready')) signalReady(); });
  child.stderr.on('data', (chunk) => { output += String(chunk); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => { clearTimeout(timer); signalReady(); resolve({ code, output }); }));
  return { ready, done };
}

t.test('two processes checkpointing one growing chain never publish the same head twice', { timeout: 180_000 }, async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'silver-checkpoints-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const path = join(directory, 'silver-hours.db');
  const db = openDatabase(path);
  const ledger = new Ledger(db.$client, { now: () => Date.UTC(2026, 10, 23) });
  t.teardown(() => db.$client.close());
  ledger.createAccounts([{ id: 'iss', kind: 'issuance', ownerRef: 'c' }, { id: 'w1', kind: 'wallet', ownerRef: 'm1', flags: AccountFlags.debitsMustNotExceedCredits }]);

  const goFile = join(directory, 'go');
  const stopFile = join(directory, 'stop');
  const workers = [worker(path, goFile, stopFile), worker(path, goFile, stopFile)];
  await Promise.all(workers.map((w) => w.ready));
  writeFileSync(goFile, '');
  const n = 300;
  for (let i = 0; i < n; i += 1) {
    ledger.createTransfers([{ id: `t${i}`, debitAccountId: 'iss', creditAccountId: 'w1', amount: 1, code: 'service_credit' }]);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  writeFileSync(stopFile, '');
  const results = Promise.all(workers.map((w) => w.done));
  for (const result of await results) t.equal(result.code, 0, result.output);
  const recorded = (await results).map((result) => Number(/recorded (\d+)/.exec(result.output)?.[1] ?? 0));
  t.ok(recorded[0]! > 0 && recorded[1]! > 0, `both processes published checkpoints (${recorded.join(' + ')}) while ${n} transfers arrived`);
  const twice = db.$client.prepare('SELECT seq, count(*) AS n FROM ledger_checkpoints GROUP BY seq HAVING count(*) > 1').all();
  t.same(twice, [], 'no head was published twice');
});

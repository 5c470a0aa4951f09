/**
 * Two processes bringing the report figures up to date on one database file
 * (two servers' timers) must count every transfer once: the cursor is read
 * and advanced inside the same write transaction. Every figure is compared
 * with a recomputation from the ledger and the records.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/client.ts';
import { seedBig } from '../../src/domain/demo/big.ts';
import { ReportReader } from '../../src/domain/reports/dashboard.ts';
import { addMonths } from '../../src/domain/reports/months.ts';
import { refreshReports } from '../../src/domain/reports/refresh.ts';
import { directFigures } from '../domain/reports/direct.ts';

const nowMs = Date.UTC(2026, 10, 23, 2, 0, 0); // 2026-11-23 10:00 Shanghai
const month = '2026-11';
const compared = ['volunteersRegistered', 'volunteersRegisteredSilver', 'visitRatePermille', 'helpRatePermille', 'volunteersActive', 'volunteersActiveSilver', 'serviceMinutes', 'serviceRecords', 'creditsIssued', 'creditsRedeemed',
  'redeemedAtSites', 'outstanding', 'vouchersGranted', 'vouchersUsed', 'eldersRegistered', 'eldersVisited', 'ruralDisabledElders', 'ruralDisabledHelped'] as const;

function refresher(path: string, goFile: string): { ready: Promise<void>; done: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'refresh-worker.ts'), path, goFile, String(nowMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let signalReady: () => void;
  const ready = new Promise<void>((resolve) => { signalReady = resolve; });
  child.stdout.on('data', (chunk) => { output += String(chunk); if (output.includes('ready')) signalReady(); });
  child.stderr.on('data', (chunk) => { output += String(chunk); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => {
    clearTimeout(timer);
    signalReady();
    resolve({ code, output });
  }));
  return { ready, done };
}

t.test('two processes refreshing the figures at once count each transfer once', { timeout: 300_000 }, async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'silver-reports-two-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const path = join(directory, 'silver-hours.db');
  const db = openDatabase(path);
  const seeded = seedBig(db, { members: 200, months: 6, nowMs, seed: 11 });
  db.$client.close();
  t.ok(seeded.transfers > 500, `${seeded.transfers} transfers to fold in`);

  const goFile = join(directory, 'go');
  const workers = [refresher(path, goFile), refresher(path, goFile)];
  await Promise.all(workers.map((worker) => worker.ready));
  writeFileSync(goFile, '');
  const results = await Promise.all(workers.map((worker) => worker.done));
  for (const result of results) t.equal(result.code, 0, result.output);
  const reads = results.map((result) => Number(/read (\d+)/.exec(result.output)?.[1] ?? 0));
  // How the transfers split between the two depends on the machine's speed (one may take them all):
  // what must hold is that together they read each exactly once.
  t.comment(`the processes folded in ${reads.join(' + ')} transfers`);
  t.equal(reads[0]! + reads[1]!, seeded.transfers, 'together they read every transfer exactly once');

  const sqlite = openDatabase(path).$client;
  t.teardown(() => sqlite.close());
  t.equal(refreshReports(sqlite, nowMs, { registryMaxAgeMs: 0 }).transfers, 0, 'nothing was left behind');
  const reader = new ReportReader(sqlite);
  const village = sqlite.prepare('SELECT village_code FROM members GROUP BY village_code ORDER BY count(*) DESC LIMIT 1').pluck().get() as string;
  for (const regionCode of ['430000', '433100', '430500', village.slice(0, 6), village]) {
    for (const when of [month, addMonths(month, -1), addMonths(month, -2)]) {
      const figures = reader.monthFigures(regionCode, when);
      t.same(Object.fromEntries(compared.map((key) => [key, figures[key]])), directFigures(sqlite, regionCode, when), `${regionCode} ${when} equals the recomputation`);
    }
  }
});

/**
 * Backup under steady writes: `npm run cli -- backup` (VACUUM INTO, one
 * snapshot) against SQLite's backup API stepping 100 pages at a time from
 * its own connection (what `backup` did before), each while a writer process
 * commits one ledger transfer per transaction at 0, 10, 20 and 50 writes/s.
 *
 *   DATA_DIR=./data-big npx tsx test/bench/backup.bench.ts   (after `seed big`)
 *
 * Prints seconds per line; the backup API line gives up after BENCH_LIMIT_S (120 s).
 * BENCH_RATES=0,50 and BENCH_METHODS=vacuum-into choose the lines.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const source = resolve(process.env.DATA_DIR ?? './data-big');
const limitSeconds = Number(process.env.BENCH_LIMIT_S ?? 120);
const rates = (process.env.BENCH_RATES ?? '0,10,20,50').split(',').map(Number);
const methods = (process.env.BENCH_METHODS ?? 'vacuum-into,backup-api').split(',') as ('vacuum-into' | 'backup-api')[];
const work = mkdtempSync(join(tmpdir(), 'silver-backup-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// Work on a copy, so the benchmark's writes never touch the seeded network.
const dataDirectory = join(work, 'data');
spawnSync('mkdir', ['-p', dataDirectory]);
for (const name of ['silver-hours.db', 'secrets.json']) copyFileSync(join(source, name), join(dataDirectory, name));
const databaseFile = join(dataDirectory, 'silver-hours.db');
console.log(`database ${(statSync(databaseFile).size / 1048576).toFixed(0)} MB`);

function startWriter(rate: number) {
  if (rate === 0) return { started: Promise.resolve(), stop: async () => 0 };
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/system/ledger-writer.ts'), databaseFile, String(rate)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acknowledged = 0;
  let firstWrite: () => void;
  const started = new Promise<void>((resolve) => { firstWrite = resolve; });
  child.stdout.on('data', (chunk) => {
    acknowledged += String(chunk).split('\n').filter((line) => line.startsWith('ack ')).length;
    if (acknowledged > 0) firstWrite();
  });
  return {
    started,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((done) => child.on('exit', done));
      return acknowledged;
    },
  };
}

function timedChild(args: string[]): Promise<{ seconds: number; code: number | null; output: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, DATA_DIR: dataDirectory }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += String(chunk); });
  child.stderr.on('data', (chunk) => { output += String(chunk); });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitSeconds * 1000);
  return new Promise((done) => child.on('exit', (code) => {
    clearTimeout(timer);
    done({ seconds: (performance.now() - started) / 1000, code, output });
  }));
}

const backupApi = `const Database = require('better-sqlite3');
const sqlite = new Database(process.argv[1], { readonly: true });
sqlite.backup(process.argv[2]).then(() => process.exit(0), (error) => { console.error(error.message); process.exit(1); });`;

let n = 0;
for (const rate of rates) {
  for (const method of methods) {
    const target = join(work, `backup-${n++}.db`);
    const writer = startWriter(rate);
    await writer.started; // the writer is committing before the backup begins
    const run = method === 'vacuum-into'
      ? await timedChild(['--import', 'tsx', 'src/cli.ts', 'backup', target])
      : await timedChild(['-e', backupApi, databaseFile, target]);
    const written = await writer.stop();
    const detail = method === 'vacuum-into' ? (/snapshot .*/.exec(run.output)?.[0] ?? run.output.trim()) : '';
    const verdict = run.code === 0 ? `${run.seconds.toFixed(1)} s` : `did not finish in ${limitSeconds} s`;
    console.log(`${String(rate).padStart(3)} writes/s  ${method.padEnd(12)} ${verdict}  (${written} writes during the run) ${detail}`);
    rmSync(target, { force: true });
    rmSync(`${target}.partial`, { force: true });
  }
}

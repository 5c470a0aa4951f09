/**
 * An interrupted first start: the server is killed (SIGKILL at several
 * points, and Ctrl+C once) while it seeds the demo network. The next start
 * seeds the whole demo, and it is complete and consistent: the same rows as
 * an uninterrupted seed, and the ledger verifies.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { seedDemoNetwork } from '../../src/domain/demo/network.ts';
import { verifyLedger } from '../../src/ledger/index.ts';
import { loadSecrets } from '../../src/lib/secrets.ts';
import { startServerProcess } from '../helpers/server-process.ts';

const root = join(import.meta.dirname, '..', '..');
const tables = ['regions', 'users', 'user_roles', 'members', 'elders', 'elder_categories', 'teams', 'team_memberships', 'team_activities', 'service_types',
  'service_records', 'partner_sites', 'site_items', 'redemptions', 'redemption_lines', 'voucher_grants', 'member_gifts', 'member_relatives', 'service_requests',
  'ledger_accounts', 'ledger_transfers'];

/** Row counts of the demo's tables and the demo markers, and whether the ledger verifies. */
function demoFacts(dataDirectory: string): { counts: Record<string, number>; markers: string[]; ledgerOk: boolean } {
  const sqlite = openDatabase(databasePath(dataDirectory)).$client;
  try {
    const counts = Object.fromEntries(tables.map((table) => [table, sqlite.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number]));
    const markers = sqlite.prepare("SELECT key FROM settings WHERE key LIKE 'demo.%' ORDER BY key").pluck().all() as string[];
    return { counts, markers, ledgerOk: verifyLedger(sqlite).ok };
  } finally {
    sqlite.close();
  }
}

/** Starts a first start; once it says it is seeding, waits `delayMs` and sends `signal`. */
async function interruptSeeding(dataDirectory: string, delayMs: number, signal: NodeJS.Signals): Promise<{ code: number | null; output: string; duringSeed: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root, env: { ...process.env, DATA_DIR: dataDirectory, PORT: '0', LOG_LEVEL: 'warn', SEED_DEMO: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += String(chunk); });
  child.stderr.on('data', (chunk) => { output += String(chunk); });
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { clearTimeout(guard); resolve(code); }));
  while (!output.includes('Seeding the demo network') && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const duringSeed = !output.includes('Seeded the demo network');
  child.kill(signal);
  const code = await exited;
  return { code, output, duringSeed };
}

/** The time between the server's 'Seeding the demo network' and 'Seeded the demo network' on an uninterrupted first start. */
async function timedFirstSeed(): Promise<number> {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-seed-timed-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root, env: { ...process.env, DATA_DIR: dataDirectory, PORT: '0', LOG_LEVEL: 'warn', SEED_DEMO: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let startedMs = 0;
    let seededMs = 0;
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const onOutput = (chunk: Buffer) => {
      output += String(chunk);
      if (!startedMs && output.includes('Seeding the demo network')) startedMs = performance.now();
      if (!seededMs && output.includes('Seeded the demo network')) seededMs = performance.now();
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
    while (!seededMs && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5));
    clearTimeout(guard);
    child.kill('SIGTERM');
    await exited;
    if (!seededMs) throw new Error(`the timed first start did not seed: ${output}`);
    return seededMs - startedMs;
  } finally {
    rmSync(dataDirectory, { recursive: true, force: true });
  }
}

t.test('a first start killed while seeding: the next start seeds the whole demo', { timeout: 600_000 }, async (t) => {
  const reference = mkdtempSync(join(tmpdir(), 'silver-seed-reference-'));
  t.teardown(() => rmSync(reference, { recursive: true, force: true }));
  const referenceDb = openDatabase(databasePath(reference));
  await seedDemoNetwork(referenceDb, loadSecrets(reference));
  referenceDb.$client.close();
  // How long the server's own first start takes to seed (it commits in groups, so faster than the seed run above).
  const seedMs = await timedFirstSeed();
  const expected = demoFacts(reference);
  t.ok(expected.counts.members! > 10 && expected.counts.redemptions! > 0 && expected.markers.length === 6, 'the reference seed is the whole demo (six parts, the two star parts included)');

  // Points spread over the seed as long as this machine takes for it (measured just above).
  const points: [number, NodeJS.Signals][] = [[0, 'SIGKILL'], [0.1, 'SIGKILL'], [0.3, 'SIGKILL'], [0.55, 'SIGKILL'], [0.25, 'SIGINT']];
  for (const [share, signal] of points) {
    const delayMs = Math.round(share * seedMs);
    const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-seed-interrupted-'));
    t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
    const interrupted = await interruptSeeding(dataDirectory, delayMs, signal);
    t.ok(interrupted.duringSeed, `${signal} ${delayMs} ms into the seed landed during the seed`);
    if (signal === 'SIGINT' && interrupted.code === 130) {
      t.match(interrupted.output, 'Silver Hours stopped by SIGINT while starting; nothing half-done was kept. Start it again.', 'Ctrl+C while seeding exits 130 and says so');
    } else if (signal === 'SIGINT') {
      // The seed runs without pausing (about 350 ms): a Ctrl+C that arrives meanwhile is handled once it is done,
      // by the server's ordinary graceful stop (exit 0), with the whole seed kept.
      t.equal(interrupted.code, 0, 'Ctrl+C handled after the seed finished: a graceful stop');
      t.match(interrupted.output, 'Seeded the demo network: ', 'the seed finished before the signal was handled');
    }
    // Each part of the seed is one transaction; a signal is handled between parts. A part is kept whole
    // with its marker or not at all (a seed that runs without pausing may even finish before the signal is handled).
    const half = demoFacts(dataDirectory);
    const keptParts = expected.markers.filter((marker) => half.markers.includes(marker));
    t.same(half.markers, keptParts, 'only whole parts were kept, each with its marker');
    if (half.markers.length === 0) t.equal(half.counts.members, 0, 'nothing of the interrupted seed was kept');
    if (half.markers.length === expected.markers.length) t.same(half.counts, expected.counts, 'the seed had finished: all of it was kept');

    const server = await startServerProcess(dataDirectory, { SEED_DEMO: '1' });
    if (half.markers.length < expected.markers.length) t.match(server.output(), /Seeded the demo network: /, 'the next start seeds what is missing');
    t.equal(await server.stop(), 0);
    const after = demoFacts(dataDirectory);
    t.same(after.counts, expected.counts, `after ${signal} at ${delayMs} ms and a restart: the same rows as an uninterrupted seed`);
    t.same(after.markers, expected.markers, 'every part marked done');
    t.ok(after.ledgerOk, 'the ledger verifies');
  }
});

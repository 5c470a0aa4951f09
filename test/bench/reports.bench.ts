/**
 * npm run bench:reports — reports and lists at province scale.
 *
 *   npm run bench:reports -- --members 100000,1000000 [--months 12] [--data DIR] [--only queue,search]
 *
 * For each network size it uses DIR/<members>/ (a DATA_DIR holding
 * silver-hours.db, e.g. one made by `seed big`) when it exists, else builds
 * the network there with seedBig (kept for the next run when --data is
 * given; without --data a temporary directory, removed at the end). It adds,
 * once, a member with 10,000 transfers and 100,000 records waiting for
 * review (reports-data.ts), folds the ledger into the report aggregates, then
 * measures (medians of repeated requests through app.inject, as the admin of
 * the whole province unless said otherwise):
 *   - the dashboard of the whole network and of one county;
 *   - the monthly .xlsx export of the whole network: time, and the peak RSS
 *     of a separate process that does only that;
 *   - the passbook page (20 lines) of the member with 10,000 transfers
 *     (domain call: the member's own page needs the member's sign-in);
 *   - the verification queue with 100,000 pending records: first and a deep page;
 *   - member search by name, pinyin, initials and the last 4 digits of a phone.
 * and prints `ratio dashboard_growth X` = province median at the largest
 * size / at the smallest. Targets (issue 16): dashboard at 1M < 50 ms,
 * growth <= 2, export < 30 s with peak RSS < 500 MB, passbook < 5 ms,
 * queue < 20 ms a page, search < 20 ms. `--only` measures only the lines named
 * (dashboard, passbook, queue, search, export).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../src/app.ts';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { seedBig } from '../../src/domain/demo/big.ts';
import { seedDemo } from '../../src/domain/demo/seed.ts';
import { passbookPage } from '../../src/domain/hours/passbook.ts';
import { queueSortKeys } from '../../src/domain/hours/queue.ts';
import { monthOfMs } from '../../src/domain/reports/months.ts';
import { refreshReports } from '../../src/domain/reports/refresh.ts';
import { generateSecrets } from '../../src/lib/secrets.ts';
import { DashboardCache } from '../../src/domain/reports/dashboard-cache.ts';
import { Ledger } from '../../src/ledger/index.ts';
import { signedInAs } from '../helpers/web.ts';
import { demoVolunteer, ensureBusyMember, ensurePendingRecords } from './reports-data.ts';
import type { FastifyInstance } from 'fastify';
import type { Db, Sqlite } from '../../src/db/client.ts';

/** The instant a freshly generated network ends at; a kept one is measured just after its last transfer. */
const generatedNowMs = Date.UTC(2026, 10, 23, 2, 0, 0);

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

const onlyLines = argument('only', 'dashboard,passbook,queue,search,export').split(',');
const wanted = (line: string) => onlyLines.includes(line);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

function monthBefore(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const index = year * 12 + monthNumber - 2;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

async function appFor(path: string, nowMs: number) {
  const db = openDatabase(path);
  const dashboardCache = new DashboardCache();
  const app = await buildApp({ db, secrets: generateSecrets(), clock: () => nowMs, dashboardCache });
  return { db, app, dashboardCache };
}

/** Child mode: only the export, so its peak RSS is the export's. */
async function exportChild(path: string, nowMs: number): Promise<void> {
  const { app } = await appFor(path, nowMs);
  const admin = await signedInAs(app, 'admin');
  const started = performance.now();
  const response = await admin.get(`/reports/430000/monthly.xlsx?month=${monthBefore(monthOfMs(nowMs))}`);
  const elapsedMs = performance.now() - started;
  if (response.statusCode !== 200) throw new Error(`export answered ${response.statusCode}`);
  await app.close();
  console.log(JSON.stringify({ elapsedMs, bytes: response.rawPayload.length, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

/** The database for `members`: kept in DIR/<members>/ when it is there, else generated (and kept when --data was given). */
async function networkFor(members: number, months: number, dataRoot: string | null): Promise<{ path: string; cleanup: () => void }> {
  const dataDirectory = dataRoot ? join(dataRoot, String(members)) : mkdtempSync(join(tmpdir(), `silver-hours-bench-${members}-`));
  const cleanup = dataRoot ? () => {} : () => rmSync(dataDirectory, { recursive: true, force: true });
  const path = databasePath(dataDirectory);
  if (existsSync(path)) {
    console.log(`members ${members}: reusing ${path}`);
    return { path, cleanup };
  }
  mkdirSync(dataDirectory, { recursive: true });
  const db = openDatabase(path);
  await seedDemo(db, generatedNowMs - 400 * 86_400_000);
  const started = performance.now();
  const seeded = seedBig(db, { members, months, nowMs: generatedNowMs, seed: 42 });
  new Ledger(db.$client).checkpoint(generatedNowMs);
  db.$client.close();
  console.log(`members ${members}: generated ${seeded.serviceRecords} service records, ${seeded.redemptions} redemptions, ${seeded.transfers} transfers in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { path, cleanup };
}

/** Adds the busy member and the review backlog (once), folds the ledger into the aggregates; answers the clock to measure at and the busy member. */
function prepare(path: string, members: number): { nowMs: number; busyMemberId: number } {
  const db = openDatabase(path);
  const sqlite = db.$client;
  const headMs = (sqlite.prepare('SELECT max(timestamp_ms) FROM ledger_transfers').pluck().get() as number | null) ?? 0;
  const nowMs = Math.max(generatedNowMs, headMs + 60_000);
  let started = performance.now();
  const busyMemberId = ensureBusyMember(sqlite, nowMs, 10_000, demoVolunteer(sqlite));
  const pending = ensurePendingRecords(sqlite, nowMs);
  const prepareSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  // Only the dashboard and the export read the report aggregates.
  if (wanted('dashboard') || wanted('export')) refreshReports(sqlite, nowMs, { registryMaxAgeMs: 0, batchSize: 250_000 });
  const aggregateSeconds = (performance.now() - started) / 1000;
  const counts = sqlite.prepare("SELECT (SELECT count(*) FROM members) AS members, (SELECT max(seq) FROM ledger_transfers) AS transfers, (SELECT count(*) FROM service_records WHERE status = 'pending') AS pending").get() as { members: number; transfers: number; pending: number };
  db.$client.close();
  console.log(`members ${members}: ${counts.members} members, ${counts.transfers} transfers, ${counts.pending} pending records (${pending} from the bench); prepared in ${prepareSeconds.toFixed(1)} s, aggregates brought up to date in ${aggregateSeconds.toFixed(1)} s`);
  return { nowMs, busyMemberId };
}

type Browser = Awaited<ReturnType<typeof signedInAs>>;

/**
 * Repeated timings of one request: median, fastest and p99 of the wall time, and the median CPU time
 * (user + system of this process, where app.inject runs the whole request): on a shared machine the CPU
 * figure and the fastest show what the work costs when it has a core.
 */
interface Timing {
  median: number;
  fastest: number;
  p99: number;
  cpuMedian: number;
}
const shown = (timing: Timing, digits = 1) =>
  `${timing.median.toFixed(digits)} (fastest ${timing.fastest.toFixed(digits)}, p99 ${timing.p99.toFixed(digits)}, CPU median ${timing.cpuMedian.toFixed(digits)} ms)`;

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

async function timed(run: () => unknown, repeats: number, beforeEach: () => void = () => {}): Promise<Timing> {
  for (let i = 0; i < 3; i++) await run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    beforeEach();
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    await run();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuBefore);
    cpu.push((used.user + used.system) / 1000);
  }
  return { median: median(wall), fastest: Math.min(...wall), p99: percentile(wall, 0.99), cpuMedian: median(cpu) };
}

/** `beforeEach` runs untimed before every timed request (the dashboard lines empty the dashboard cache there, so each request computes). */
function timedGet(browser: Browser, url: string, repeats: number, beforeEach: () => void = () => {}): Promise<Timing> {
  return timed(async () => {
    const response = await browser.get(url);
    if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`);
  }, repeats, beforeEach);
}

function timedCall(call: () => unknown, repeats: number): Promise<Timing> {
  return timed(call, repeats);
}

type Print = (name: string, value: string) => void;
const ratio = (print: Print, name: string, value: Timing, baseline: Timing) =>
  print(`ratio ${name}`, `${(value.median / baseline.median).toFixed(2)} (CPU ${(value.cpuMedian / baseline.cpuMedian).toFixed(2)})`);

/** The wallet's transfer `depth` back from the newest: a `before` for a deep passbook page. */
function seqAtDepth(sqlite: Sqlite, memberId: number, depth: number): number {
  return sqlite.prepare(`SELECT seq FROM (SELECT seq FROM ledger_transfers WHERE debit_account_id = @wallet UNION ALL
    SELECT seq FROM ledger_transfers WHERE credit_account_id = @wallet) ORDER BY seq DESC LIMIT 1 OFFSET @depth`).pluck().get({ wallet: `wallet:m${memberId}`, depth }) as number;
}

/** The passbook of the demo volunteer (10,000 transfers and the demo's own) through GET /passbook, signed in as her. */
async function passbookLines(app: FastifyInstance, db: Db, nowMs: number, print: Print, healthz: Timing): Promise<void> {
  const volunteer = await signedInAs(app, 'volunteer');
  const memberId = demoVolunteer(db.$client).id;
  const first = await timedGet(volunteer, '/passbook', 101);
  print('passbook_first_page_ms', `${shown(first, 2)} (GET /passbook, member ${memberId}, ${transfersOf(db.$client, memberId)} transfers, 20 lines)`);
  const deepBefore = seqAtDepth(db.$client, memberId, 9_900);
  const deep = await timedGet(volunteer, `/passbook?before=${deepBefore}`, 101);
  print('passbook_deep_page_ms', `${shown(deep, 2)} (GET /passbook?before=${deepBefore}: lines 9,901-9,920 back)`);
  ratio(print, 'passbook_deep_vs_first_page', deep, first);
  ratio(print, 'passbook_first_page_vs_healthz', first, healthz);
  const context = { db, now: () => nowMs };
  const domain = await timedCall(() => passbookPage(context, memberId), 101);
  print('passbook_first_page_domain_call_ms', shown(domain, 2));
}

/** The verification queue (100,000 pending) as the province's admin: every sort order both ways, its first page and page 500. */
async function queueLines(admin: Browser, print: Print, healthz: Timing): Promise<void> {
  const baseline = await timedGet(admin, '/hours/queue', 21);
  print('queue_default_first_page_ms', shown(baseline));
  ratio(print, 'queue_default_first_page_vs_healthz', baseline, healthz);
  for (const sort of queueSortKeys) {
    for (const direction of ['asc', 'desc']) {
      for (const page of [1, 500]) {
        const timing = await timedGet(admin, `/hours/queue?sort=${sort}&dir=${direction}&page=${page}`, 11);
        print(`queue_${sort}_${direction}_page_${page}_ms`, shown(timing));
        ratio(print, `queue_${sort}_${direction}_page_${page}_vs_default_first_page`, timing, baseline);
      }
    }
  }
  // A narrower scope (the demo coordinator's township) and a filtered page: gathered, or walked, by the kept counts.
  const coordinator = await signedInAs(admin.app, 'coordinator');
  for (const sort of queueSortKeys) print(`queue_coordinator_${sort}_first_page_ms`, shown(await timedGet(coordinator, `/hours/queue?sort=${sort}&dir=asc`, 11)));
  const volunteer = /name="volunteer"[\s\S]*?<option value="(\d+)"/.exec((await admin.get('/hours/queue')).body)?.[1];
  if (volunteer) print('queue_filtered_by_volunteer_sorted_by_date_ms', shown(await timedGet(admin, `/hours/queue?volunteer=${volunteer}&sort=date&dir=desc`, 11)));
}

function transfersOf(sqlite: Sqlite, memberId: number): number {
  return sqlite.prepare('SELECT (SELECT count(*) FROM ledger_transfers WHERE debit_account_id = @w) + (SELECT count(*) FROM ledger_transfers WHERE credit_account_id = @w)').pluck().get({ w: `wallet:m${memberId}` }) as number;
}

async function measure(members: number, months: number, dataRoot: string | null): Promise<number> {
  const { path, cleanup } = await networkFor(members, months, dataRoot);
  try {
    const { nowMs } = prepare(path, members);
    const month = monthOfMs(nowMs);
    const print = (name: string, value: string) => console.log(`members ${members}: ${name} ${value}`);
    const { db, app, dashboardCache } = await appFor(path, nowMs);
    const admin = await signedInAs(app, 'admin');
    const office = await signedInAs(app, 'office');
    const computed = () => dashboardCache.clear();
    let network: Timing = { median: Number.NaN, fastest: Number.NaN, p99: Number.NaN, cpuMedian: Number.NaN };
    if (wanted('dashboard')) {
      print('dashboard_network_median_ms', shown(await timedGet(admin, `/reports/430000?month=${month}`, 21, computed)));
      network = await timedGet(admin, `/reports/430000?month=${month}`, 21, computed);
      print('dashboard_network_median_ms (again)', shown(network));
      print('dashboard_county_median_ms', shown(await timedGet(office, `/reports/433123?month=${month}`, 21, computed)));
      print('dashboard_network_from_memory_median_ms', shown(await timedGet(admin, `/reports/430000?month=${month}`, 21)));
    }

    const healthz = await timedGet(admin, '/healthz', 101);
    print('baseline_healthz_ms', shown(healthz, 2));
    if (wanted('passbook')) await passbookLines(app, db, nowMs, print, healthz);
    if (wanted('queue')) await queueLines(admin, print, healthz);
    if (wanted('search')) {
      for (const [label, query] of [['name', '王秀英'], ['surname', '龙'], ['pinyin', 'wang xiuying'], ['initials', 'wxy'], ['phone_last4', '0042']] as const) {
        print(`search_${label}_median_ms`, shown(await timedGet(admin, `/members?q=${encodeURIComponent(query)}`, 11)));
      }
    }
    await app.close();
    if (!wanted('export')) return network.median;

    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--export-child', path, String(nowMs)], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`export child failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { elapsedMs: number; bytes: number; peakRssMb: number };
    print('export_xlsx_seconds', `${(result.elapsedMs / 1000).toFixed(2)} (${result.bytes} bytes) peak_rss_mb ${result.peakRssMb.toFixed(0)}`);
    return network.median;
  } finally {
    cleanup();
  }
}

const childIndex = process.argv.indexOf('--export-child');
if (childIndex >= 0) {
  await exportChild(process.argv[childIndex + 1]!, Number(process.argv[childIndex + 2]));
} else {
  const sizes = argument('members', '10000,100000').split(',').map(Number);
  const months = Number(argument('months', '12'));
  const dataRoot = process.argv.includes('--data') ? argument('data', '') || null : null;
  const medians: number[] = [];
  for (const size of sizes) medians.push(await measure(size, months, dataRoot));
  if (medians.length > 1) console.log(`ratio dashboard_growth ${(medians.at(-1)! / medians[0]!).toFixed(2)}`);
}

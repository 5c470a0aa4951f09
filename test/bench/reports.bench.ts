/**
 * npm run bench:reports — reports at province scale.
 *
 * For each network size (default 10k and 100k members, 12 months; override
 * with --members 10000,100000 --months 12) it builds the network with
 * seedBig into a fresh database file under a temporary DATA_DIR, folds it
 * into the report aggregates, then measures through app.inject:
 *   - the dashboard of the whole network (province) and of one county:
 *     median of repeated requests;
 *   - the monthly .xlsx export of the whole network: time, and the peak RSS
 *     of a separate process that does only that (so the generator's memory
 *     does not count);
 * and prints `ratio dashboard_growth X` = province median at the largest
 * size / at the smallest. Targets: province median < 300 ms at 100k,
 * growth <= 2, export < 15 s with peak RSS < 400 MB.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../src/app.ts';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { seedBig } from '../../src/domain/demo/big.ts';
import { seedDemo } from '../../src/domain/demo/seed.ts';
import { monthOfMs } from '../../src/domain/reports/months.ts';
import { refreshReports } from '../../src/domain/reports/refresh.ts';
import { generateSecrets } from '../../src/lib/secrets.ts';
import { DashboardCache } from '../../src/domain/reports/dashboard-cache.ts';
import { Ledger } from '../../src/ledger/index.ts';
import { signedInAs } from '../helpers/web.ts';

const nowMs = Date.UTC(2026, 10, 23, 2, 0, 0);
const month = monthOfMs(nowMs);
const previousMonth = '2026-10';

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function appFor(path: string) {
  const db = openDatabase(path);
  const dashboardCache = new DashboardCache();
  const app = await buildApp({ db, secrets: generateSecrets(), clock: () => nowMs, dashboardCache });
  return { db, app, dashboardCache };
}

/** Child mode: only the export, so its peak RSS is the export's. */
async function exportChild(path: string): Promise<void> {
  const { app } = await appFor(path);
  const admin = await signedInAs(app, 'admin');
  const started = performance.now();
  const response = await admin.get(`/reports/430000/monthly.xlsx?month=${previousMonth}`);
  const elapsedMs = performance.now() - started;
  if (response.statusCode !== 200) throw new Error(`export answered ${response.statusCode}`);
  await app.close();
  console.log(JSON.stringify({ elapsedMs, bytes: response.rawPayload.length, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

async function measure(members: number, months: number): Promise<number> {
  const dataDirectory = mkdtempSync(join(tmpdir(), `silver-hours-bench-${members}-`));
  const path = databasePath(dataDirectory);
  try {
    const db = openDatabase(path);
    await seedDemo(db, nowMs - 400 * 86_400_000);
    let started = performance.now();
    const seeded = seedBig(db, { members, months, nowMs, seed: 42 });
    const seedSeconds = (performance.now() - started) / 1000;
    new Ledger(db.$client).checkpoint(nowMs);
    db.$client.close();
    // The aggregates are built by a fresh connection, as the server (or its timer) would after `seed big`.
    const reportsDb = openDatabase(path);
    started = performance.now();
    refreshReports(reportsDb.$client, nowMs, { registryMaxAgeMs: 0 });
    const aggregateSeconds = (performance.now() - started) / 1000;
    reportsDb.$client.close();
    console.log(`members ${members}: ${seeded.serviceRecords} service records, ${seeded.redemptions} redemptions, ${seeded.transfers} transfers; seed ${seedSeconds.toFixed(1)} s, aggregate ${aggregateSeconds.toFixed(1)} s`);

    const { app, dashboardCache } = await appFor(path);
    const admin = await signedInAs(app, 'admin');
    const office = await signedInAs(app, 'office');
    // Computed: the dashboard cache is emptied before each request, so each one computes the figures
    // (what the first request after a change costs); cached: what every other request costs.
    const timed = async (browser: typeof admin, url: string, repeats: number, cached = false) => {
      for (let i = 0; i < 3; i++) await browser.get(url);
      const times: number[] = [];
      for (let i = 0; i < repeats; i++) {
        if (!cached) dashboardCache.clear();
        const start = performance.now();
        const response = await browser.get(url);
        times.push(performance.now() - start);
        if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`);
      }
      return median(times);
    };
    const network = await timed(admin, `/reports/430000?month=${month}`, 21);
    const county = await timed(office, `/reports/433123?month=${month}`, 21);
    const networkCached = await timed(admin, `/reports/430000?month=${month}`, 21, true);
    await app.close();
    console.log(`members ${members}: dashboard_network_median_ms ${network.toFixed(1)} (computed; from memory ${networkCached.toFixed(1)})`);
    console.log(`members ${members}: dashboard_county_median_ms ${county.toFixed(1)} (computed)`);

    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--export-child', path], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`export child failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { elapsedMs: number; bytes: number; peakRssMb: number };
    console.log(`members ${members}: export_xlsx_seconds ${(result.elapsedMs / 1000).toFixed(2)} (${result.bytes} bytes) peak_rss_mb ${result.peakRssMb.toFixed(0)}`);
    return network;
  } finally {
    rmSync(dataDirectory, { recursive: true, force: true });
  }
}

const childIndex = process.argv.indexOf('--export-child');
if (childIndex >= 0) {
  await exportChild(process.argv[childIndex + 1]!);
} else {
  const sizes = argument('members', '10000,100000').split(',').map(Number);
  const months = Number(argument('months', '12'));
  const medians: number[] = [];
  for (const size of sizes) medians.push(await measure(size, months));
  if (medians.length > 1) console.log(`ratio dashboard_growth ${(medians.at(-1)! / medians[0]!).toFixed(2)}`);
}

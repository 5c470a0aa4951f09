/**
 * Server memory under mixed load: `npm run bench:rss`.
 *
 * Seeds the demo network into a fresh DATA_DIR (plus members with one open basket each for the
 * redemption line), starts the real server as a child process, signs in over HTTP, and for
 * BENCH_RSS_SECONDS (default 600) drives it with autocannon on four lines at once:
 *   GET  /hours (volunteer home) and the office dashboard   8 connections each
 *   POST /hours (a coordinator logs a service record)       4 connections
 *   POST basket confirmations (a member's PIN)             2 connections, each basket once
 * It prints the server's resident set size (VmRSS of the child process) every BENCH_RSS_EVERY_S
 * (default 30) and at the end the growth from the first sample to the last, and from the first
 * to the highest. Issue 16's target: under 250 MB after 10 minutes, not growing.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { seedDemoNetwork } from '../../src/domain/demo/network.ts';
import { loadSecrets } from '../../src/lib/secrets.ts';
import { HttpSession, startServerProcess } from '../helpers/server-process.ts';
import { seedRedeemers } from './redemption-load.ts';

const seconds = Number(process.env.BENCH_RSS_SECONDS ?? 600);
const everySeconds = Number(process.env.BENCH_RSS_EVERY_S ?? 30);
const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-rss-'));

const db = openDatabase(databasePath(dataDirectory));
const secrets = loadSecrets(dataDirectory);
await seedDemoNetwork(db, secrets);
const coordinatorMembers = db.$client.prepare(`SELECT m.id, m.village_code AS villageCode FROM members m JOIN regions r ON r.code = m.village_code
  WHERE m.status = 'active' AND r.path LIKE '%/433123101/%' ORDER BY m.id`).all() as { id: number; villageCode: string }[];
const itemId = Number(db.$client.prepare(`INSERT INTO site_items (site_id, name, kind, price_minutes, stock, active, created_at_ms, updated_at_ms)
  VALUES (1, '压测用理发券', 'service', 5, NULL, 1, @now, @now)`).run({ now: Date.now() }).lastInsertRowid);
const baskets = seedRedeemers(db, secrets, 2000, { siteId: 1, itemId }, Date.now());
db.$client.close();

// The probe writes process.memoryUsage() every sample period, so the JavaScript heap can be told from native memory.
const probe = join(import.meta.dirname, 'rss-probe.mjs');
// BENCH_RSS_SNAPSHOTS="60,540" (seconds into the load) writes a V8 heap snapshot of the server then into
// BENCH_RSS_SNAPSHOT_DIR, to compare two times in DevTools. A snapshot inflates the resident set it is
// taken of, so the RSS figures of such a run are not the benchmark's figures.
const snapshotTimes = (process.env.BENCH_RSS_SNAPSHOTS ?? '').split(',').filter(Boolean).map(Number);
const snapshotDirectory = process.env.BENCH_RSS_SNAPSHOT_DIR ?? tmpdir();
const snapshotArgs = snapshotTimes.length > 0 ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDirectory}`] : [];
const server = await startServerProcess(dataDirectory, { BENCH_RSS_PROBE_MS: String(everySeconds * 1000) }, ['--import', probe, ...snapshotArgs]);
process.on('exit', () => {
  server.child.kill('SIGTERM');
  rmSync(dataDirectory, { recursive: true, force: true });
});

function rssMb(): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

const volunteer = await HttpSession.signIn(server.url, '13800000001');
const coordinator = await HttpSession.signIn(server.url, '13800000002');
await coordinator.page('/hours/new');
const clerk = await HttpSession.signIn(server.url, '13800000003');
await clerk.page('/counter/1');
const office = await HttpSession.signIn(server.url, '13800000005');
const reports = await office.fetch('/reports');
const dashboardPath = reports.status === 200 ? '/reports' : reports.headers.get('location') ?? '/reports';

// Each logged record in its own slot (member x day x 10 minutes), so no rule refuses it.
let slot = 0;
function logForm(): string {
  const member = coordinatorMembers[slot % coordinatorMembers.length]!;
  const perMember = Math.floor(slot / coordinatorMembers.length);
  slot += 1;
  const day = new Date(Date.now() + 8 * 3600_000 - (2 + Math.floor(perMember / 90)) * 86_400_000).toISOString().slice(0, 10);
  const start = 7 * 60 + (perMember % 90) * 10;
  const time = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return new URLSearchParams({
    _csrf: coordinator.csrf, idempotency_key: randomUUID(), volunteer_member_id: String(member.id), service_type: 'culture_sport',
    date: day, start_time: time(start), end_time: time(start + 10), village_code: member.villageCode, note: '广场舞',
  }).toString();
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };
let nextBasket = 0;
const lines = [
  autocannon({ url: server.url, connections: 8, duration: seconds, requests: [{ method: 'GET', path: '/hours', headers: { cookie: volunteer.header() } }] }),
  autocannon({ url: server.url, connections: 8, duration: seconds, requests: [{ method: 'GET', path: dashboardPath, headers: { cookie: office.header() } }] }),
  autocannon({ url: server.url, connections: 4, duration: seconds, requests: [{ method: 'POST', path: '/hours', headers: { cookie: coordinator.header(), ...form }, setupRequest: (request) => ({ ...request, body: logForm() }) }] }),
  autocannon({ url: server.url, connections: 2, amount: baskets.length, requests: [{
    method: 'POST', headers: { cookie: clerk.header(), ...form },
    setupRequest: (request) => ({ ...request, path: `${baskets[nextBasket++ % baskets.length]!}/confirm`, body: new URLSearchParams({ _csrf: clerk.csrf, pin: '258036' }).toString() }),
  }] }),
];

console.log(`Silver Hours RSS benchmark: ${seconds} s of mixed load, a sample every ${everySeconds} s, node ${process.version}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
const samples: number[] = [rssMb()];
console.log(`rss t=0 s ${samples[0]!.toFixed(1)} MB (before the load)`);
const started = Date.now();
const sampler = setInterval(() => {
  samples.push(rssMb());
  console.log(`rss t=${Math.round((Date.now() - started) / 1000)} s ${samples.at(-1)!.toFixed(1)} MB`);
}, everySeconds * 1000);
for (const at of snapshotTimes) {
  setTimeout(() => {
    console.log(`heap snapshot requested at t=${at} s (into ${snapshotDirectory})`);
    server.child.kill('SIGUSR2');
  }, at * 1000).unref();
}
const results = await Promise.all(lines);
clearInterval(sampler);
samples.push(rssMb());
console.log(`rss t=${Math.round((Date.now() - started) / 1000)} s ${samples.at(-1)!.toFixed(1)} MB (end)`);
const names = ['GET /hours', `GET ${dashboardPath}`, 'POST /hours', 'POST confirm'];
// Answers by status code too, so that refused requests say what they were (a 422 is a rule refusing the bench's data).
const byStatus = (result: autocannon.Result) => Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => `${code}: ${stats.count}`).join(', ');
results.forEach((result, index) => console.log(`${names[index]!.padEnd(24)} ${result.requests.total} requests, ${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms, non-2xx/3xx ${result.non2xx - (result.statusCodeStats?.['303']?.count ?? 0)} (${byStatus(result)})`));
// The first sample under load (t = every) against the last: start-up and the first requests' warm-up are not growth.
const underLoad = samples.slice(1);
const first = underLoad[0] ?? samples[0]!;
const last = samples.at(-1)!;
console.log(`figure rss_first_under_load_mb ${first.toFixed(1)}`);
console.log(`figure rss_last_mb ${last.toFixed(1)}`);
console.log(`figure rss_peak_mb ${Math.max(...samples).toFixed(1)}`);
console.log(`ratio rss_growth_first_to_last ${(last / first).toFixed(2)} (${(last - first).toFixed(1)} MB)`);
const probes = [...server.output().matchAll(/rss-probe (\{.*\})/g)].map((match) => JSON.parse(match[1]!) as Record<string, number>);
probes.forEach((probe, index) => console.log(`memory t≈${(index + 1) * everySeconds} s rss ${probe.rss} MB, heap used ${probe.heapUsed} of ${probe.heapTotal} MB, external ${probe.external} MB (array buffers ${probe.arrayBuffers} MB)`));
if (probes.length > 1) console.log(`figure heap_used_first_to_last_mb ${probes[0]!.heapUsed} -> ${probes.at(-1)!.heapUsed}`);
console.log(`load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
await server.stop();
process.exit(0);

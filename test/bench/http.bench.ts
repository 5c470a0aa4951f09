/**
 * HTTP benchmark: `npm run bench:http`.
 *
 * Seeds the demo network (regions, ~50 members, a few months of hours, four
 * partner sites) into a fresh DATA_DIR, starts the real server as a child
 * process (`src/server.ts`, logs at warn), signs in over HTTP like a browser
 * (cookies + CSRF), and drives it with autocannon from this process:
 *   GET  /healthz                     the baseline
 *   GET  /hours                       the volunteer's home (balance, month, records)
 *   POST /hours                       a coordinator logs a service record (unique idempotency keys, valid CSRF)
 *   POST /counter/1/baskets/:id/confirm  a member confirms a redemption with their PIN (an HMAC check),
 *                                     each basket a different member's (see redemption-load.ts)
 *   GET  the office dashboard         when the reports feature is present
 * Prints requests/s, p50, p99 and the server's CPU ms per request for each, and the throughput ratios against
 * /healthz measured in the same run. Every non-2xx/3xx answer is counted per
 * line, by status, with the first messages; the redemption line also counts
 * the baskets the database holds as confirmed afterwards.
 * Also a raw better-sqlite3 loop of one-transfer commits (synchronous=FULL) in
 * DATA_DIR, for ratio post_hours_vs_raw_commit.
 * Options: BENCH_CONNECTIONS (32), BENCH_SECONDS (8), BENCH_BASKETS (4000: about 5 s of confirmations, so that
 * the first wave of 32 answers on a path not yet compiled or prepared is under 1 % of the line, as in the 8 s lines);
 * GROUP_COMMIT=0 runs the server without group commit (one COMMIT per write, as before).
 * BENCH_LINES=health,hours (any of health, hours, post, confirm, reports) runs only those lines,
 * e.g. to profile one kind of request with BENCH_PROFILE=DIR; ratios to a line not run print NaN.
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { seedDemoNetwork } from '../../src/domain/demo/network.ts';
import { loadSecrets } from '../../src/lib/secrets.ts';
import { HttpSession, startServerProcess } from '../helpers/server-process.ts';
import { seedRedeemers } from './redemption-load.ts';
import { rawCommitRate } from './raw-commit.ts';

const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const durationSeconds = Number(process.env.BENCH_SECONDS ?? 8);
const lines = process.env.BENCH_LINES?.split(',') ?? ['health', 'hours', 'post', 'confirm', 'reports'];
const wanted = (line: string) => lines.includes(line);
// What Chromium sends: pages are answered compressed, as browsers get them (BENCH_ACCEPT_ENCODING=identity: plain).
const acceptEncoding = process.env.BENCH_ACCEPT_ENCODING ?? 'gzip, deflate, br, zstd';
const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-http-'));

// ---------------------------------------------------------------- the network
const db = openDatabase(databasePath(dataDirectory));
const secrets = loadSecrets(dataDirectory);
await seedDemoNetwork(db, secrets);
const coordinatorMembers = db.$client.prepare(`SELECT m.id, m.village_code AS villageCode FROM members m JOIN regions r ON r.code = m.village_code
  WHERE m.status = 'active' AND r.path LIKE '%/433123101/%' ORDER BY m.id`).all() as { id: number; villageCode: string }[];
// The demo's own records on the days the POST line logs for would make some slots overlap (422, 这段时间和…另一条记录重叠了):
// a member's day that already holds a record is skipped.
const busyDays = new Set((db.$client.prepare("SELECT volunteer_member_id || '|' || service_date FROM service_records WHERE status NOT IN ('rejected', 'expired')").pluck().all() as string[]));
// The benchmark's own catalogue line at site 1: a service (uncounted stock) priced at 5 minutes.
const benchItemId = Number(db.$client.prepare(`INSERT INTO site_items (site_id, name, kind, price_minutes, stock, active, created_at_ms, updated_at_ms)
  VALUES (1, '压测用理发券', 'service', 5, NULL, 1, @now, @now)`).run({ now: Date.now() }).lastInsertRowid);
// One open basket per member, each a different member: the demo's nine members with credits and a PIN
// allow only nine (one open basket each), so the line brings its own members (redemption-load.ts).
const basketCount = Math.max(connections, Number(process.env.BENCH_BASKETS ?? 4000));
const seedStartMs = Date.now();
const baskets = seedRedeemers(db, secrets, basketCount, { siteId: 1, itemId: benchItemId }, Date.now());
console.log(`seeded ${baskets.length} members with one open basket each in ${((Date.now() - seedStartMs) / 1000).toFixed(1)} s`);
db.$client.close();

// ---------------------------------------------------------------- the server
// BENCH_PROFILE=DIR writes a V8 CPU profile of the server into DIR (when it stops).
const server = await startServerProcess(dataDirectory, {},
  process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []);
const base = server.url;
process.on('exit', () => {
  server.child.kill('SIGTERM');
  rmSync(dataDirectory, { recursive: true, force: true });
});
const Session = { signIn: (phone: string) => HttpSession.signIn(base, phone) };

interface Figures { name: string; rps: number; p50: number; p99: number; bad: number; requests: number; cpuMsPerRequest: number }

/**
 * The server's CPU time so far (user + system, from /proc), in ms. CPU per request is a steadier
 * figure than requests/s on a shared machine: other processes lengthen the wall time of a request,
 * not the CPU the server spends on it.
 */
function serverCpuMs(): number {
  const fields = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The visible text of an error page, short: what the server said was wrong. */
function problemOf(body: string): string {
  const main = /<main[\s\S]*?<\/main>/.exec(body)?.[0] ?? body;
  return main.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
}

/**
 * Runs one line of load. Every answer outside 2xx/3xx is counted per status
 * (and connection errors and timeouts apart), and the first few distinct
 * messages are printed, so a failing line says why.
 */
async function measure(name: string, options: Partial<autocannon.Options>, line = 'health'): Promise<Figures> {
  if (!wanted(line)) return { name, rps: Number.NaN, p50: Number.NaN, p99: Number.NaN, bad: 0, requests: 0, cpuMsPerRequest: Number.NaN };
  const problems = new Map<string, number>();
  const requests = options.requests?.map((request) => ({
    ...request,
    onResponse: (status: number, body: string) => {
      if (status < 400) return;
      const key = `${status} ${problemOf(body)}`;
      problems.set(key, (problems.get(key) ?? 0) + 1);
    },
  }));
  const settings = { url: base, connections, ...(options.amount ? {} : { duration: durationSeconds }), ...options, ...(requests ? { requests } : {}) };
  const cpuBeforeMs = serverCpuMs();
  const result = await autocannon(settings as autocannon.Options);
  const cpuMsPerRequest = (serverCpuMs() - cpuBeforeMs) / Math.max(1, result.requests.total);
  const byStatus = Object.entries(result.statusCodeStats ?? {}).filter(([status]) => Number(status) >= 400).map(([status, stats]) => `${status}×${stats.count}`);
  if (result.errors > 0) byStatus.push(`connection errors×${result.errors}`);
  if (result.timeouts > 0) byStatus.push(`timeouts×${result.timeouts}`);
  const bad = result.non2xx - (result.statusCodeStats?.['303']?.count ?? 0) - (result.statusCodeStats?.['302']?.count ?? 0) + result.errors + result.timeouts;
  const figures = { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, bad, requests: result.requests.total, cpuMsPerRequest };
  console.log(`${name.padEnd(44)} ${figures.rps.toFixed(0).padStart(7)} req/s  p50 ${String(figures.p50).padStart(4)} ms  p99 ${String(figures.p99).padStart(4)} ms  cpu ${cpuMsPerRequest.toFixed(2)} ms/req  non-2xx/3xx ${bad}${byStatus.length > 0 ? ` (${byStatus.join(', ')})` : ''}`);
  for (const [problem, count] of [...problems].slice(0, 3)) console.log(`    ${count}× ${problem}`);
  return figures;
}

console.log(`Silver Hours HTTP benchmark: ${connections} connections, ${durationSeconds} s each, demo network, node ${process.version}`);

const health = await measure('GET /healthz', { requests: [{ method: 'GET', path: '/healthz' }] });

const volunteer = await Session.signIn('13800000001');
const home = await measure('GET /hours (volunteer home, signed in)', {
  requests: [{ method: 'GET', path: '/hours', headers: { cookie: volunteer.header(), 'accept-encoding': acceptEncoding } }],
}, 'hours');

// A coordinator logs 10-minute 文体活动 records for the members of their township,
// each in its own slot (member × day × time), so no rule refuses them.
const coordinator = await Session.signIn('13800000002');
await coordinator.page('/hours/new');
let slot = 0;
const slotsPerDay = 90; // 07:00 .. 22:00 in 10-minute steps
const logForm = () => {
  let member = coordinatorMembers[slot % coordinatorMembers.length]!;
  let perMember = Math.floor(slot / coordinatorMembers.length);
  const dayOf = (n: number) => new Date(Date.now() + 8 * 3600_000 - (2 + Math.floor(n / slotsPerDay)) * 86_400_000).toISOString().slice(0, 10);
  while (busyDays.has(`${member.id}|${dayOf(perMember)}`)) {
    slot += 1;
    member = coordinatorMembers[slot % coordinatorMembers.length]!;
    perMember = Math.floor(slot / coordinatorMembers.length);
  }
  slot += 1;
  const day = dayOf(perMember);
  const start = 7 * 60 + (perMember % slotsPerDay) * 10;
  const time = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return new URLSearchParams({
    _csrf: coordinator.csrf, idempotency_key: randomUUID(), volunteer_member_id: String(member.id), service_type: 'culture_sport',
    date: day, start_time: time(start), end_time: time(start + 10), village_code: member.villageCode, note: '广场舞',
  }).toString();
};
const logRecord = await measure('POST /hours (log a service record)', {
  requests: [{
    method: 'POST', path: '/hours',
    headers: { cookie: coordinator.header(), 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (request) => ({ ...request, body: logForm() }),
  }],
}, 'post');

// Redemptions: the baskets were opened before the server started (one per member); the load confirms
// each once with the member's PIN, at most `connections` at a time, never two of one member.
const clerk = await Session.signIn('13800000003');
await clerk.page('/counter/1');
let next = 0;
const redemption = await measure(`POST confirm redemption (PIN, ${baskets.length} baskets)`, {
  amount: baskets.length,
  requests: [{
    method: 'POST',
    headers: { cookie: clerk.header(), 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (request) => ({ ...request, path: `${baskets[next++ % baskets.length]!}/confirm`, body: new URLSearchParams({ _csrf: clerk.csrf, pin: '258036' }).toString() }),
  }],
}, 'confirm');
if (wanted('confirm')) {
  const check = new Database(databasePath(dataDirectory), { readonly: true });
  const confirmed = check.prepare(`SELECT count(*) FROM redemptions WHERE status = 'confirmed' AND id IN (${baskets.map((path) => Number(path.split('/').pop())).join(',')})`).pluck().get() as number;
  check.close();
  console.log(`    the database holds ${confirmed} of ${baskets.length} baskets confirmed${confirmed === baskets.length ? '' : ' (MISSING CONFIRMATIONS)'}`);
  // A basket left unconfirmed is a failure even when no answer said so.
  redemption.bad = Math.max(redemption.bad, baskets.length - confirmed);
}

const office = await Session.signIn('13800000005');
// /reports answers the dashboard of the office's own region, or redirects to it.
const reportsAnswer = await office.fetch('/reports');
const dashboardPath = reportsAnswer.status === 200 ? '/reports'
  : reportsAnswer.status >= 300 && reportsAnswer.status < 400 ? reportsAnswer.headers.get('location') ?? undefined : undefined;
let dashboard: Figures | undefined;
if (dashboardPath) {
  dashboard = await measure(`GET ${dashboardPath} (office dashboard)`, { requests: [{ method: 'GET', path: dashboardPath, headers: { cookie: office.header(), 'accept-encoding': acceptEncoding } }] }, 'reports');
} else {
  console.log('GET office dashboard: skipped (no /reports page in this build)');
}

// The disk's own figure, in the same run on the same disk: one-transfer commits with synchronous=FULL.
const rawCommits = rawCommitRate(dataDirectory);
console.log(`${'raw better-sqlite3 one-transfer commits'.padEnd(44)} ${rawCommits.toFixed(0).padStart(7)} commits/s`);

const pages = [home, ...(dashboard ? [dashboard] : [])];
const posts = [logRecord, redemption];
console.log(`ratio page_vs_health ${(Math.min(...pages.map((f) => f.rps)) / health.rps).toFixed(2)}`);
console.log(`ratio post_vs_health ${(Math.min(...posts.map((f) => f.rps)) / health.rps).toFixed(2)}`);
for (const figures of [...pages, ...posts]) console.log(`ratio ${figures.name.split(' (')[0]!.replace(/\W+/g, '_').replace(/^_|_$/g, '').toLowerCase()}_vs_health ${(figures.rps / health.rps).toFixed(2)}`);
console.log(`ratio post_hours_vs_get_hours ${(logRecord.rps / home.rps).toFixed(2)}`);
console.log(`ratio post_hours_vs_raw_commit ${(logRecord.rps / rawCommits).toFixed(2)}`);
if (redemption) console.log(`ratio post_confirm_redemption_vs_post_hours ${(redemption.rps / logRecord.rps).toFixed(2)}`);
if (dashboard) console.log(`ratio get_reports_vs_get_hours ${(dashboard.rps / home.rps).toFixed(2)}`);
const bad = [health, ...pages, ...posts].reduce((sum, f) => sum + f.bad, 0);
console.log(bad === 0 ? 'all answers 2xx/3xx' : `NON-2xx/3xx ANSWERS: ${bad}`);
// A clean stop, so that the server writes its CPU profile (BENCH_PROFILE) before this process exits.
await server.stop();
process.exit(bad === 0 ? 0 : 1);

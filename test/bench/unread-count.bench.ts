/**
 * npx tsx test/bench/unread-count.bench.ts [--messages 1000000]
 *
 * What the header's unread count costs every full page: the demo network with
 * N messages spread over 20,000 members and the five staff users (a tenth of
 * them unread; the staff each hold tens of thousands), 300 unread to the demo
 * volunteer, then
 *   - the unread count alone (median of 20,000 calls), with its query plan;
 *   - the volunteer's home page through app.inject (median of 300), and the
 *     share of it the count takes.
 */
import { buildApp } from '../../src/app.ts';
import { openDatabase } from '../../src/db/client.ts';
import { unreadCount } from '../../src/domain/messages/inbox.ts';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { seedDemo } from '../../src/domain/demo/seed.ts';
import { testSecrets } from '../helpers/crypto-profile.ts';
import { TestClock } from '../helpers/clock.ts';
import { signedInAs } from '../helpers/web.ts';

const argument = process.argv.indexOf('--messages');
const total = argument > 0 ? Number(process.argv[argument + 1]) : 1_000_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const db = openDatabase(':memory:');
const clock = new TestClock();
await seedDemo(db, clock.now());
seedHours(db, testSecrets(), clock.now());
const connection = db.$client;
connection.exec("PRAGMA foreign_keys = OFF");
const insert = connection.prepare('INSERT INTO messages (recipient_user_id, recipient_member_id, kind, params_json, created_at_ms, read_at_ms) VALUES (?, ?, ?, ?, ?, ?)');
connection.transaction(() => {
  for (let index = 0; index < total; index += 1) {
    const toUser = index % 5 === 0;
    const memberId = index < 300 ? 5 : 1000 + (index % 20_000);
    insert.run(toUser ? 2 + (index % 5) : null, toUser ? null : memberId, 'credits_gift', '{"giverName":"亲人","amountMinutes":30}', clock.now(), index % 10 === 0 || index < 300 ? null : clock.now());
  }
})();
connection.exec('ANALYZE');
const actor = { userId: 1, memberId: 5 };
const busyStaff = { userId: 2, memberId: null };
const plan = connection.prepare(`EXPLAIN QUERY PLAN SELECT (SELECT count(*) FROM (SELECT 1 FROM messages WHERE recipient_user_id = ? AND read_at_ms IS NULL LIMIT 100))
  + (SELECT count(*) FROM (SELECT 1 FROM messages WHERE recipient_member_id = ? AND read_at_ms IS NULL LIMIT 100))`).all(1, 5) as { detail: string }[];
console.log(`messages ${total}; volunteer's unread ${unreadCount(db, actor)}`);
for (const row of plan) console.log(`  plan: ${row.detail}`);
const times: number[] = [];
for (let index = 0; index < 20_000; index += 1) {
  const start = process.hrtime.bigint();
  unreadCount(db, actor);
  times.push(Number(process.hrtime.bigint() - start) / 1000);
}
console.log(`unread count: median ${median(times).toFixed(1)} µs`);
const staffTimes: number[] = [];
for (let index = 0; index < 20_000; index += 1) {
  const start = process.hrtime.bigint();
  unreadCount(db, busyStaff);
  staffTimes.push(Number(process.hrtime.bigint() - start) / 1000);
}
const staffUnread = connection.prepare('SELECT count(*) FROM messages WHERE recipient_user_id = 2 AND read_at_ms IS NULL').pluck().get() as number;
console.log(`unread count of a coordinator with ${staffUnread} unread (shown as 99+): median ${median(staffTimes).toFixed(1)} µs`);

const app = await buildApp({ db, secrets: testSecrets(), clock: clock.now });
const volunteer = await signedInAs(app, 'volunteer');
async function pageMedian(): Promise<number> {
  const samples: number[] = [];
  for (let index = 0; index < 300; index += 1) {
    const start = process.hrtime.bigint();
    await volunteer.get('/');
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}
const page = await pageMedian();
console.log(`home page: median ${page.toFixed(2)} ms; the count is ${((median(times) / 1000 / page) * 100).toFixed(2)} % of it`);
await app.close();

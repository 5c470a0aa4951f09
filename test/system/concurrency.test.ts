/**
 * Concurrency: two server processes on the same database file, many clients
 * placing baskets for the same members through both at once. Each basket is a
 * hold on the member's wallet, so exactly the affordable number succeed; the
 * rest hear "余额不足" (insufficient balance); no wallet goes below zero and no
 * SQLITE_BUSY reaches anyone as a 500.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { balanceOf, verifyLedger } from '../../src/ledger/index.ts';
import { HttpSession, startServerProcess } from '../helpers/server-process.ts';
import { demoPin, placeBasket, seedForSystemTests } from './fixtures.ts';

t.test('two servers, one database: exactly the affordable redemptions succeed', { timeout: 600_000 }, async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-concurrency-'));
  t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
  const facts = await seedForSystemTests(dataDirectory);
  const price = 5;

  // Three members, each left with a small, known balance so the race is tight.
  const db = openDatabase(databasePath(dataDirectory));
  const cards = facts.redeemerCards.slice(0, 3);
  const members = cards.map((card) => {
    const id = db.$client.prepare('SELECT id FROM members WHERE card_number = ?').pluck().get(card) as number;
    const wallet = db.$client.prepare(`SELECT credits_posted - debits_posted - debits_pending FROM ledger_accounts WHERE id = ?`).pluck().get(`wallet:m${id}`) as number;
    return { card, id, available: wallet };
  });
  db.$client.close();
  t.equal(members.length, 3);

  const servers = [await startServerProcess(dataDirectory), await startServerProcess(dataDirectory)];
  t.teardown(async () => { for (const server of servers) await server.stop(); });
  const clerks = await Promise.all(servers.map(async (server) => {
    const session = await HttpSession.signIn(server.url, '13800000003');
    await session.page('/counter/1');
    return session;
  }));

  // Spend each member down to 10 affordable baskets first (through server 0), then race.
  for (const member of members) {
    const spare = member.available - 10 * price;
    if (spare <= 0) continue;
    const big = await placeBasketOf(clerks[0]!, member.card, spare);
    t.equal(big, 303, `member ${member.id}: a basket of ${spare} minutes brings the wallet to 10 baskets`);
  }

  async function placeBasketOf(clerk: HttpSession, card: string, minutes: number): Promise<number> {
    // A one-off line priced at exactly `minutes`, confirmed with the PIN.
    const sqlite = openDatabase(databasePath(dataDirectory)).$client;
    const itemId = Number(sqlite.prepare(`INSERT INTO site_items (site_id, name, kind, price_minutes, stock, active, created_at_ms, updated_at_ms)
      VALUES (1, '测试用服务', 'service', @minutes, NULL, 1, @now, @now)`).run({ minutes, now: Date.now() }).lastInsertRowid);
    sqlite.close();
    const placed = await placeBasket(clerk, { ...facts, itemId }, card, randomUUID());
    if (placed.status !== 303 || !placed.path) return placed.status;
    const confirmed = await clerk.fetch(`${placed.path}/confirm`, { form: { pin: demoPin } });
    await confirmed.arrayBuffer();
    const sqliteAfter = openDatabase(databasePath(dataDirectory)).$client;
    sqliteAfter.prepare('UPDATE site_items SET active = 0 WHERE id = ?').run(itemId);
    sqliteAfter.close();
    return confirmed.status;
  }

  // A double submit that reaches both servers at once: one basket, and both answers point to it.
  const doubleCard = facts.redeemerCards[3]!;
  const doubles = await Promise.all(Array.from({ length: 12 }, async () => {
    const key = randomUUID();
    const answers = await Promise.all(clerks.map((clerk) => placeBasket(clerk, facts, doubleCard, key)));
    return { key, answers };
  }));
  const keyCount = openDatabase(databasePath(dataDirectory)).$client;
  for (const { key, answers } of doubles) {
    t.same(answers.map((a) => a.status), [303, 303], 'a key sent to both servers at once: both answers succeed (no 500)');
    t.equal(answers[0]!.path, answers[1]!.path, 'and name the same basket');
    t.equal(keyCount.prepare('SELECT count(*) FROM redemptions WHERE idempotency_key = ?').pluck().get(key), 1, 'one basket per key');
  }
  keyCount.close();

  const attemptsPerMember = 24;
  const jobs = members.flatMap((member) => Array.from({ length: attemptsPerMember }, (_, i) => ({ member, clerk: clerks[i % 2]! })));
  const results: { memberId: number; status: number; body: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const placed = await placeBasketWithBody(job.clerk, job.member.card);
      results.push({ memberId: job.member.id, ...placed });
    }
  };
  async function placeBasketWithBody(clerk: HttpSession, card: string): Promise<{ status: number; body: string }> {
    const found = await clerk.fetch('/counter/1/identify', { form: { lookup: card } });
    await found.arrayBuffer();
    const memberPath = found.headers.get('location')!;
    const placed = await clerk.fetch(`${memberPath}/baskets`, { form: { [`qty_${facts.itemId}`]: '1', idempotency_key: randomUUID(), payer: 'wallet' } });
    return { status: placed.status, body: await placed.text() };
  }
  await Promise.all(Array.from({ length: 16 }, worker));

  t.equal(results.filter((r) => r.status >= 500).length, 0, 'no 500 (no SQLITE_BUSY reached a user)');
  for (const member of members) {
    const mine = results.filter((r) => r.memberId === member.id);
    const succeeded = mine.filter((r) => r.status === 303).length;
    const refused = mine.filter((r) => r.status !== 303);
    t.equal(succeeded, 10, `member ${member.id}: exactly the 10 affordable baskets were placed out of ${mine.length}`);
    t.ok(refused.every((r) => r.status === 409 || r.status === 422), `member ${member.id}: the others were refused with 4xx (${[...new Set(refused.map((r) => r.status))].join(', ')})`);
    t.ok(refused.every((r) => r.body.includes('余额不足')), `member ${member.id}: each refusal says 余额不足`);
  }

  const sqlite = openDatabase(databasePath(dataDirectory)).$client;
  for (const member of members) {
    const wallet = sqlite.prepare(`SELECT debits_pending AS debitsPending, debits_posted AS debitsPosted, credits_pending AS creditsPending,
      credits_posted AS creditsPosted FROM ledger_accounts WHERE id = ?`).get(`wallet:m${member.id}`) as Parameters<typeof balanceOf>[0];
    t.equal(balanceOf(wallet).available, 0, `member ${member.id}: nothing left, nothing below zero`);
  }
  t.equal(sqlite.prepare(`SELECT count(*) FROM ledger_accounts WHERE kind = 'wallet' AND credits_posted - debits_posted - debits_pending < 0`).pluck().get(), 0,
    'no wallet in the network is below zero');
  const report = verifyLedger(sqlite);
  t.ok(report.ok, `verify(): ${report.problem ?? 'ok'}`);
  sqlite.close();
});

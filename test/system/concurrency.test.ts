/**
 * Concurrency: two server processes on the same database file, many clients
 * placing and confirming baskets for the same members through both at once.
 * One basket may hold a member's wallet at a time, so exactly the affordable
 * number are confirmed; the rest hear that a basket is open or "余额不足"
 * (insufficient balance); no wallet goes below zero and no SQLITE_BUSY reaches
 * anyone as a 500.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { openCardToken } from '../../src/domain/people/members/card.ts';
import { unlockKeys } from '../../src/domain/keys/keyring.ts';
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
  // The clerks scan the cards (the member is present): baskets for members found by a typed card number are
  // limited per clerk (src/domain/redemption/balance-probes.ts), which is not what this test is about.
  const secrets = unlockKeys(db, dataDirectory);
  const scanOf = (card: string): string => {
    const sealed = db.$client.prepare('SELECT card_token_ciphertext FROM members WHERE card_number = ?').pluck().get(card) as string;
    return `http://localhost/c/${openCardToken(secrets, sealed)}`;
  };
  const members = cards.map((number) => {
    const card = scanOf(number);
    const id = db.$client.prepare('SELECT id FROM members WHERE card_number = ?').pluck().get(number) as number;
    const wallet = db.$client.prepare(`SELECT credits_posted - debits_posted - debits_pending FROM ledger_accounts WHERE id = ?`).pluck().get(`wallet:m${id}`) as number;
    return { card, id, available: wallet };
  });
  const doubleCard = scanOf(facts.redeemerCards[3]!);
  db.$client.close();
  t.equal(members.length, 3);

  const servers = [await startServerProcess(dataDirectory), await startServerProcess(dataDirectory)];
  t.teardown(async () => { for (const server of servers) await server.stop(); });
  // One sign-in after the other: two sign-ins of one phone at the same moment are not what this test is about.
  const clerks: HttpSession[] = [];
  for (const server of servers) {
    const session = await HttpSession.signIn(server.url, '13800000003');
    await session.page('/counter/1');
    clerks.push(session);
  }

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
  // One basket may be open per member at a time, so each round's basket is cancelled before the next.
  const keyCount = openDatabase(databasePath(dataDirectory)).$client;
  for (let round = 0; round < 12; round += 1) {
    const key = randomUUID();
    const answers = await Promise.all(clerks.map((clerk) => placeBasket(clerk, facts, doubleCard, key)));
    t.same(answers.map((a) => a.status), [303, 303], 'a key sent to both servers at once: both answers succeed (no 500)');
    t.equal(answers[0]!.path, answers[1]!.path, 'and name the same basket');
    t.equal(keyCount.prepare('SELECT count(*) FROM redemptions WHERE idempotency_key = ?').pluck().get(key), 1, 'one basket per key');
    if (answers[0]!.path) await (await clerks[round % 2]!.fetch(`${answers[0]!.path}/cancel`, { form: {} })).arrayBuffer();
  }
  keyCount.close();

  // The race: 16 clients through both servers place and confirm baskets for the three members until
  // each member hears "余额不足". While one basket of a member is open, the others hear that it is
  // open (one open basket per member); once the 10 affordable ones are confirmed, "余额不足".
  const results: { memberId: number; status: number; body: string; confirmed: boolean }[] = [];
  const exhausted = new Set<number>();
  let turn = 0;
  const worker = async () => {
    for (let guard = 0; guard < 200 && exhausted.size < members.length; guard += 1) {
      const job = { member: members[turn % members.length]!, clerk: clerks[turn % 2]! };
      turn += 1;
      if (exhausted.has(job.member.id)) continue;
      const placed = await placeAndConfirm(job.clerk, job.member.card);
      results.push({ memberId: job.member.id, ...placed });
      if (placed.body.includes('余额不足')) exhausted.add(job.member.id);
    }
  };
  async function placeAndConfirm(clerk: HttpSession, card: string): Promise<{ status: number; body: string; confirmed: boolean }> {
    const found = await clerk.fetch('/counter/1/identify', { form: { lookup: card } });
    await found.arrayBuffer();
    const memberPath = found.headers.get('location')!;
    const placed = await clerk.fetch(`${memberPath}/baskets`, { form: { [`qty_${facts.itemId}`]: '1', idempotency_key: randomUUID(), payer: 'wallet' } });
    if (placed.status !== 303) return { status: placed.status, body: await placed.text(), confirmed: false };
    await placed.arrayBuffer();
    const confirmed = await clerk.fetch(`${placed.headers.get('location')}/confirm`, { form: { pin: demoPin } });
    return { status: confirmed.status, body: await confirmed.text(), confirmed: confirmed.status === 303 };
  }
  await Promise.all(Array.from({ length: 16 }, worker));

  t.equal(results.filter((r) => r.status >= 500).length, 0, 'no 500 (no SQLITE_BUSY reached a user)');
  for (const member of members) {
    const mine = results.filter((r) => r.memberId === member.id);
    const refused = mine.filter((r) => !r.confirmed);
    t.equal(mine.filter((r) => r.confirmed).length, 10, `member ${member.id}: exactly the 10 affordable baskets were confirmed out of ${mine.length}`);
    t.ok(refused.every((r) => r.status === 409 || r.status === 422), `member ${member.id}: the others were refused with 4xx (${[...new Set(refused.map((r) => r.status))].join(', ')})`);
    t.ok(refused.every((r) => r.body.includes('余额不足') || r.body.includes('还有一个未完成的购物篮')), `member ${member.id}: each refusal says 余额不足 or names the open basket`);
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

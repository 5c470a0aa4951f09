import { randomUUID } from 'node:crypto';
import { databasePath, openDatabase } from '../../src/db/client.ts';
import { seedDemoNetwork } from '../../src/domain/demo/network.ts';
import { unlockKeys } from '../../src/domain/keys/keyring.ts';
import { testCryptoProfile } from '../helpers/crypto-profile.ts';
import type { HttpSession } from '../helpers/server-process.ts';

/** What the system tests need to know about the seeded demo network. */
export interface DemoFacts {
  /** Active members in the demo coordinator's township (山江镇), for logging hours. */
  townshipMembers: { id: number; villageCode: string }[];
  /** Card numbers of members with a PIN and at least 5 hours available. */
  redeemerCards: string[];
  /** The card number of the demo volunteer's registered relative. */
  relativeCard: string | undefined;
  /** A 5-minute service line at site 1 (uncounted stock), added for the tests. */
  itemId: number;
}

export const demoPin = '258036';

/** Seeds the full demo network into DATA_DIR and reads back the facts the tests use. */
export async function seedForSystemTests(dataDirectory: string): Promise<DemoFacts> {
  const db = openDatabase(databasePath(dataDirectory));
  await seedDemoNetwork(db, unlockKeys(db, dataDirectory, { requestedProfile: testCryptoProfile() }));
  const sqlite = db.$client;
  const townshipMembers = sqlite.prepare(`SELECT m.id, m.village_code AS villageCode FROM members m JOIN regions r ON r.code = m.village_code
    WHERE m.status = 'active' AND r.path LIKE '%/433123101/%' ORDER BY m.id`).all() as { id: number; villageCode: string }[];
  const redeemerCards = (sqlite.prepare(`SELECT m.card_number FROM members m JOIN ledger_accounts a ON a.id = 'wallet:m' || m.id
    WHERE m.status = 'active' AND m.pin_hash IS NOT NULL AND m.card_number IS NOT NULL
      AND a.credits_posted - a.debits_posted - a.debits_pending >= 300 ORDER BY m.id`).pluck().all() as string[]);
  const relativeCard = sqlite.prepare(`SELECT m.card_number FROM member_relatives r JOIN members m ON m.id = r.relative_member_id
    JOIN users u ON u.member_id = r.member_id WHERE u.phone = '13800000001'`).pluck().get() as string | undefined;
  const itemId = Number(sqlite.prepare(`INSERT INTO site_items (site_id, name, kind, price_minutes, stock, active, created_at_ms, updated_at_ms)
    VALUES (1, '测试用理发券', 'service', 5, NULL, 1, @now, @now)`).run({ now: Date.now() }).lastInsertRowid);
  sqlite.close();
  return { townshipMembers, redeemerCards, relativeCard, itemId };
}

/** A 10-minute 文体活动 record for slot n: member × day × time never overlap and stay under the daily maximum. */
export function logForm(facts: DemoFacts, n: number): Record<string, string> {
  const member = facts.townshipMembers[n % facts.townshipMembers.length]!;
  const perMember = Math.floor(n / facts.townshipMembers.length);
  const slotsPerDay = 90;
  // The server process runs on the machine's clock (moved by test:clocks when it runs), so "now" here is that clock too.
  const day = new Date(Date.now() + 8 * 3600_000 - (2 + Math.floor(perMember / slotsPerDay)) * 86_400_000).toISOString().slice(0, 10);
  const start = 7 * 60 + (perMember % slotsPerDay) * 10;
  const time = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return {
    idempotency_key: randomUUID(), volunteer_member_id: String(member.id), service_type: 'culture_sport',
    date: day, start_time: time(start), end_time: time(start + 10), village_code: member.villageCode, note: '广场舞',
  };
}

/** Places a basket for one card at site 1 through the counter pages; returns the basket path or an error status. */
export async function placeBasket(clerk: HttpSession, facts: DemoFacts, card: string, key: string): Promise<{ status: number; path?: string }> {
  const found = await clerk.fetch('/counter/1/identify', { form: { lookup: card } });
  const memberPath = found.headers.get('location');
  if (found.status !== 303 || !memberPath) return { status: found.status };
  const placed = await clerk.fetch(`${memberPath}/baskets`, { form: { [`qty_${facts.itemId}`]: '1', idempotency_key: key, payer: 'wallet' } });
  await placed.arrayBuffer();
  return { status: placed.status, path: placed.headers.get('location') ?? undefined };
}

import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../src/db/client.ts';
import { users } from '../../src/db/schema/core.ts';
import { members } from '../../src/db/schema/people.ts';
import { actorOf } from '../../src/domain/auth/users.ts';
import { demoRedemptionPin } from '../../src/domain/demo/redemption.ts';
import { accountIds, accountInputs, countyAccounts, ensureAccounts, ledgerFor } from '../../src/domain/bookkeeping/accounts.ts';
import { hashPin } from '../../src/domain/people/members/pin-hash.ts';
import { registerMember } from '../../src/domain/people/members/register.ts';
import { placeBasket } from '../../src/domain/redemption/counter-basket.ts';
import { makeIdNumber } from '../../src/lib/idcard.ts';
import type { Secrets } from '../../src/lib/secrets.ts';

/**
 * The redemption line's own members: `count` members, each with a card, the
 * demo PIN (chosen by themself, as at the counter), one hour of credit and ONE
 * basket open at site 1, so every confirmation of the load is a different
 * member's. (A member has at most one open basket; and confirmations of one
 * member racing each other are refused by the PIN's attempt lock while they
 * are in flight, which is not what this line measures.) Two in three live in
 * site 1's county (隆回县), one in three in 凤凰县 (a redemption across
 * counties, a linked chain through the clearing accounts), like the demo.
 * Seeded with the domain functions in one transaction before the server
 * starts; answers the baskets' paths.
 */

const villages = ['430524101001', '430524101001', '433123101001'] as const;
const surnames = ['王', '李', '张', '刘', '陈', '杨', '黄', '吴', '龙', '石', '彭', '向', '田', '麻', '滕'];
const givenNames = ['秀英', '桂兰', '国富', '建华', '春兰', '德顺', '金花', '玉梅', '志强', '小红', '大山', '翠萍'];

export function seedRedeemers(db: Db, secrets: Secrets, count: number, item: { siteId: number; itemId: number }, nowMs: number): string[] {
  const sqlite = db.$client;
  const context = { db, keys: secrets, now: () => nowMs };
  const adminUser = db.select({ id: users.id }).from(users).where(eq(users.phone, '13800000006')).get()!;
  const clerkUser = db.select({ id: users.id }).from(users).where(eq(users.phone, '13800000003')).get()!;
  const admin = actorOf(db, adminUser.id);
  const clerk = actorOf(db, clerkUser.id);
  const ledger = ledgerFor(sqlite, () => nowMs);
  const must = <T>(outcome: { ok: true; value: T } | { ok: false; problems: unknown }, what: string): T => {
    if (!outcome.ok) throw new Error(`bench redeemers: ${what}: ${JSON.stringify(outcome.problems)}`);
    return outcome.value;
  };
  const baskets: string[] = [];
  sqlite.transaction(() => {
    for (let index = 0; index < count; index += 1) {
      const village = villages[index % villages.length]!;
      const county = village.slice(0, 6);
      const birthDate = `19${50 + (index % 15)}-${String(1 + (Math.floor(index / 15) % 12)).padStart(2, '0')}-${String(1 + (Math.floor(index / 180) % 28)).padStart(2, '0')}`;
      const name = `${surnames[index % surnames.length]}${givenNames[Math.floor(index / surnames.length) % givenNames.length]}`;
      const { memberId } = must(registerMember(context, admin, { realName: name, phone: null, idNumber: makeIdNumber(county, birthDate, 500 + Math.floor(index / 5040)), villageCode: village }), `member ${index}`);
      db.update(members).set({ pinHash: hashPin(secrets, memberId, demoRedemptionPin), pinSetAtMs: nowMs }).where(eq(members.id, memberId)).run();
      ensureAccounts(ledger, [...countyAccounts(county), accountInputs.wallet(memberId)]);
      const [opened] = ledger.createTransfers([{ id: `bench:opening:m${memberId}`, debitAccountId: accountIds.issuance(county), creditAccountId: accountIds.wallet(memberId), amount: 60, code: 'opening' }]);
      if (opened !== 'ok') throw new Error(`bench redeemers: opening balance: ${opened}`);
      const basket = must(placeBasket(context, clerk, { siteId: item.siteId, memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: item.itemId, quantity: 1 }] }), `basket ${index}`);
      baskets.push(`/counter/${item.siteId}/baskets/${basket.id}`);
    }
  }).immediate();
  return baskets;
}

import { randomUUID } from 'node:crypto';
import { seedRedemption, demoRedemptionPin } from '../../../src/domain/demo/redemption.ts';
import { openDatabase } from '../../../src/db/client.ts';
import { openCardToken } from '../../../src/domain/people/members/card.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { createTestApp } from '../../helpers/web.ts';

export { demoRedemptionPin as pin };

/** The web test app with the core demo and the redemption demo seeded. */
export async function redemptionApp() {
  const secrets = testSecrets();
  const db = openDatabase(':memory:');
  const test = await createTestApp({ db, secrets });
  await seedRedemption(db, secrets, test.clock.now());
  const member = (name: string) => {
    const row = db.$client.prepare('SELECT id, card_number AS cardNumber, card_token_ciphertext AS ciphertext FROM members WHERE real_name = ? ORDER BY id LIMIT 1').get(name) as { id: number; cardNumber: string; ciphertext: string };
    return { id: row.id, cardNumber: row.cardNumber, token: openCardToken(secrets, row.ciphertext) };
  };
  return { ...test, secrets, member };
}

export function available(db: ReturnType<typeof openDatabase>, accountId: string): number {
  const row = db.$client.prepare('SELECT credits_posted - debits_posted - debits_pending AS n FROM ledger_accounts WHERE id = ?').get(accountId) as { n: number } | undefined;
  return row?.n ?? 0;
}

export function tableCounts(db: ReturnType<typeof openDatabase>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const table of ['ledger_transfers', 'redemptions', 'stock_movements', 'member_gifts', 'voucher_grants', 'service_requests', 'clearing_settlements', 'member_relatives']) {
    counts[table] = Number(db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
  }
  counts.reserved = Number(db.$client.prepare('SELECT coalesce(sum(reserved),0) FROM site_items').pluck().get());
  return counts;
}

export const key = () => randomUUID();

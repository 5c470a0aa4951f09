/**
 * One "clerk" in its own process for the concurrency test: opens the shared
 * database file, waits for the agreed start moment, places a basket for the
 * member and confirms it with the PIN, and prints the outcome as JSON.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../../src/db/client.ts';
import { grantsOf } from '../../../src/domain/auth/users.ts';
import { confirmBasket } from '../../../src/domain/redemption/counter-confirm.ts';
import { placeBasket } from '../../../src/domain/redemption/counter-basket.ts';
import { testCryptoProfile } from '../../helpers/crypto-profile.ts';

const [path, siteId, memberId, itemId, clerkId, startAt, pin] = process.argv.slice(2);
const db = openDatabase(path!, { migrate: false });
const keys = { dataEncryptionKey: Buffer.from(process.env.TEST_DATA_KEY!, 'base64'), dataHashingKey: Buffer.from(process.env.TEST_HASH_KEY!, 'base64'), cryptoProfile: testCryptoProfile() };
const context = { db, keys };
const actor = { userId: Number(clerkId), grants: grantsOf(db, Number(clerkId)) };
while (Date.now() < Number(startAt)) { /* line up with the other clerk */ }
const placed = placeBasket(context, actor, { siteId: Number(siteId), memberId: Number(memberId), payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: Number(itemId), quantity: 1 }] });
if (!placed.ok) {
  process.stdout.write(JSON.stringify({ stage: 'place', code: placed.problems[0]!.code }));
} else {
  const confirmed = await confirmBasket(context, actor, placed.value.id, pin!);
  process.stdout.write(JSON.stringify(confirmed.ok ? { stage: 'confirm', ok: true } : { stage: 'confirm', code: confirmed.problems[0]!.code }));
}
db.$client.close();

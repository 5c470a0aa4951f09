import { hash } from '@node-rs/argon2';
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { demoRedemptionPin } from '../../../src/domain/demo/redemption.ts';
import { hashPin } from '../../../src/domain/people/members/pin-hash.ts';
import { secretsFromKeys } from '../../../src/lib/secrets.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { HttpSession } from '../../helpers/server-process.ts';
import { createTestApp, demoPhone, visibleText } from '../../helpers/web.ts';
import { listeningNetwork, placeBasket, type Network } from './counter-network.ts';

/**
 * Redemption PINs are stored as an HMAC under the PIN key of secrets.json
 * (HMAC-SM3 under the guomi profile), and a PIN still stored as an argon2id
 * hash (set before this change) is rewritten as that HMAC the first time it
 * is used rightly, through the real counter.
 */

const hmacForm = /^hmac-(sha256|sm3)\$[0-9a-f]{16}\$[0-9a-f]{64}$/;


function basketStatus(network: Network, basket: string): unknown {
  return network.row('SELECT status FROM redemptions WHERE id = ?', Number(/baskets\/(\d+)/.exec(basket)![1])).status;
}

t.test('the seeded PINs are HMACs under the PIN key: per member, not the PIN, not without the key', async (t) => {
  const network = await listeningNetwork(t);
  const stored = network.db.$client.prepare('SELECT id, pin_hash AS hash FROM members WHERE pin_hash IS NOT NULL ORDER BY id').all() as { id: number; hash: string }[];
  t.ok(stored.length > 10, 'the demo gives many members the demo PIN');
  t.ok(stored.every((row) => hmacForm.test(row.hash)), 'every stored PIN is in the HMAC form, none argon2id');
  t.match(stored[0]!.hash, network.secrets.cryptoProfile === 'guomi' ? /^hmac-sm3\$/ : /^hmac-sha256\$/, 'HMAC-SM3 under guomi, HMAC-SHA-256 otherwise');
  t.ok(stored.every((row) => row.hash === hashPin(network.secrets, row.id, demoRedemptionPin)), 'each is the HMAC of that member and the demo PIN under the PIN key');
  t.equal(new Set(stored.map((row) => row.hash)).size, stored.length, 'the same PIN gives every member a different hash');
  const otherPinKey = secretsFromKeys(network.secrets.tokenSigningKey, network.secrets.dataEncryptionKey, network.secrets.cryptoProfile, { pinKey: Buffer.alloc(32, 7) });
  t.not(hashPin(otherPinKey, stored[0]!.id, demoRedemptionPin), stored[0]!.hash, 'another PIN key gives another hash: the database alone tests no guess');
});

t.test('an argon2id PIN from before: a wrong PIN is refused and counted, the right one pays and moves it to the HMAC, which then works', async (t) => {
  const network = await listeningNetwork(t);
  const member = network.row("SELECT id, card_number AS card FROM members WHERE real_name = '罗春兰' ORDER BY id LIMIT 1");
  const argon2Hash = await hash(demoRedemptionPin);
  network.db.$client.prepare('UPDATE members SET pin_hash = ? WHERE id = ?').run(argon2Hash, member.id);
  const state = () => network.row('SELECT pin_hash AS hash, pin_failed_attempts AS attempts FROM members WHERE id = ?', member.id);
  const clerk = await HttpSession.signIn(network.base, demoPhone('clerk'));

  const basket = await placeBasket(network, clerk, String(member.card));
  const wrong = await clerk.fetch(`${basket}/confirm`, { form: { pin: '907531' } });
  t.equal(wrong.status, 422, 'a wrong PIN against the old hash is refused');
  t.match(visibleText(await wrong.text()), '还可以再试 4 次', 'naming the attempts left, in Chinese');
  t.same(state(), { hash: argon2Hash, attempts: 1 }, 'counted, and the old hash is left as it was');
  t.equal(basketStatus(network, basket), 'held');

  const right = await clerk.fetch(`${basket}/confirm`, { form: { pin: demoRedemptionPin } });
  t.equal(right.status, 303, 'the right PIN confirms the basket');
  t.equal(basketStatus(network, basket), 'confirmed');
  const after = state();
  t.match(after.hash, hmacForm, 'the stored PIN is now the HMAC');
  t.same(after, { hash: hashPin(network.secrets, Number(member.id), demoRedemptionPin), attempts: 0 }, 'under the current PIN key, with the count reset in the same write');

  const again = await placeBasket(network, clerk, String(member.card));
  const wrongAgain = await clerk.fetch(`${again}/confirm`, { form: { pin: '907531' } });
  t.equal(wrongAgain.status, 422, 'a wrong PIN against the new hash is refused');
  t.equal(state().attempts, 1, 'and counted');
  t.equal((await clerk.fetch(`${again}/confirm`, { form: { pin: demoRedemptionPin } })).status, 303, 'the PIN still works');
  t.equal(basketStatus(network, again), 'confirmed');
  t.same(state(), after, 'nothing more to move');
});

t.test('eight gifts with the right PIN sent at once through the real server: all given, nothing counted, no lock', async (t) => {
  const network = await listeningNetwork(t);
  const giver = network.row("SELECT id FROM members WHERE real_name = '王秀英' ORDER BY id LIMIT 1");
  const receiver = network.row("SELECT card_number AS card FROM members WHERE real_name = '刘德顺' ORDER BY id LIMIT 1");
  const volunteer = await HttpSession.signIn(network.base, demoPhone('volunteer'));
  await volunteer.page('/gifts');
  const giftsBefore = network.row('SELECT count(*) AS n FROM member_gifts').n;
  const statuses = await Promise.all(Array.from({ length: 8 }, async () => (await volunteer.fetch('/gifts', {
    form: { kind: 'gift', to: String(receiver.card), amount: '1', pin: demoRedemptionPin, idempotency_key: randomUUID() },
  })).status));
  t.same(statuses, Array(8).fill(303), 'every gift is given: right PINs in flight together never lock the member');
  t.equal(network.row('SELECT count(*) AS n FROM member_gifts').n, Number(giftsBefore) + 8, 'eight gifts in the database');
  t.same(network.row('SELECT pin_failed_attempts AS attempts, pin_locked_until_ms AS lockedUntil FROM members WHERE id = ?', giver.id), { attempts: 0, lockedUntil: null });
});

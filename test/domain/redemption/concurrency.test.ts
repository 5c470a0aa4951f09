import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../../src/db/client.ts';
import { grantsOf } from '../../../src/domain/auth/users.ts';
import { confirmBasket } from '../../../src/domain/redemption/counter-confirm.ts';
import { placeBasket } from '../../../src/domain/redemption/counter-basket.ts';
import { addItem } from '../../../src/domain/redemption/site-catalogue.ts';
import { registerSite } from '../../../src/domain/redemption/site-core.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { pin, places, redemptionFixture, rowCount, walletAvailable } from './fixture.ts';

const run = promisify(execFile);

t.test('two clerks in two processes spend the same member\'s last credits at once: exactly one succeeds', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'silver-concurrency-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const path = join(directory, 'silver-hours.db');
  const fixture = redemptionFixture(path);
  const site = registerSite(fixture.context, fixture.admin, { name: '桃洪镇爱心超市', kind: 'love_supermarket', villageCode: '430524100001', address: '东方社区', openingHours: '每天 8:00-18:00' });
  if (!site.ok) return t.fail('site');
  const clerkA = fixture.addUser('甲', 'clerk', { siteId: site.value.siteId });
  const clerkB = fixture.addUser('乙', 'clerk', { siteId: site.value.siteId });
  const item = addItem(fixture.context, clerkA, site.value.siteId, { name: '米', kind: 'goods', priceMinutes: 200, stock: null });
  if (!item.ok) return t.fail('item');
  for (let round = 0; round < 3; round += 1) {
    const member = await fixture.addMember(["甲会员", "乙会员", "丙会员"][round]!, places.fenghuangVillage, { credits: 300 });
    const startAt = Date.now() + 1500;
    const environment = { ...process.env, TEST_DATA_KEY: fixture.context.keys.dataEncryptionKey.toString('base64'), TEST_HASH_KEY: fixture.context.keys.dataHashingKey.toString('base64') };
    const worker = join(import.meta.dirname, 'concurrent-worker.ts');
    const results = await Promise.all([clerkA, clerkB].map((clerk) => run(process.execPath, ['--import=tsx', worker, path, String(site.value.siteId), String(member.memberId), String(item.value.itemId), String(clerk.userId), String(startAt), pin], { env: environment })));
    const outcomes = results.map((result) => JSON.parse(result.stdout) as { stage: string; ok?: boolean; code?: string });
    t.equal(outcomes.filter((o) => o.ok).length, 1, `round ${round}: exactly one succeeds (${JSON.stringify(outcomes)})`);
    const loser = outcomes.find((o) => !o.ok)!;
    // The loser either finds the winner's basket still open (one open basket per member) or its credits gone.
    t.ok(['redemption.error.insufficient_balance', 'redemption.error.basket_open_elsewhere'].includes(loser.code!), `the other hears "insufficient balance" or "an open basket elsewhere" (${loser.code})`);
    t.equal(walletAvailable(fixture.db, member.memberId), 100);
  }
  t.ok(verifyLedger(fixture.db.$client).ok);
  fixture.db.$client.close();
});

t.test('two connections interleaving place and confirm on one file never overdraw', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'silver-interleave-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const path = join(directory, 'silver-hours.db');
  const fixture = redemptionFixture(path);
  const second = { db: openDatabase(path, { migrate: false }), keys: fixture.context.keys, now: fixture.context.now };
  const site = registerSite(fixture.context, fixture.admin, { name: '服务站', kind: 'love_supermarket', villageCode: places.fenghuangVillage, address: '村部', openingHours: '8-17' });
  if (!site.ok) return t.fail('site');
  const clerk = fixture.addUser('甲', 'clerk', { siteId: site.value.siteId });
  const clerkOnSecond = { userId: clerk.userId, grants: grantsOf(second.db, clerk.userId) };
  const item = addItem(fixture.context, clerk, site.value.siteId, { name: '油', kind: 'goods', priceMinutes: 100, stock: 5 });
  if (!item.ok) return t.fail('item');
  const member = await fixture.addMember('会员', places.fenghuangVillage, { credits: 150 });
  const one = placeBasket(fixture.context, clerk, { siteId: site.value.siteId, memberId: member.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: item.value.itemId, quantity: 1 }] });
  const two = placeBasket(second, clerkOnSecond, { siteId: site.value.siteId, memberId: member.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: item.value.itemId, quantity: 1 }] });
  t.ok(one.ok);
  t.equal(two.ok, false, 'the second connection sees the first hold');
  if (!one.ok) return;
  const [a, b] = await Promise.all([confirmBasket(fixture.context, clerk, one.value.id, pin), confirmBasket(second, clerkOnSecond, one.value.id, pin)]);
  t.ok(a.ok && b.ok, 'a double submit of the PIN from two devices confirms once');
  t.equal(rowCount(fixture.db, "ledger_transfers WHERE id LIKE 'rdm:%:post:%'"), 1);
  t.equal(walletAvailable(fixture.db, member.memberId), 50);
  t.ok(verifyLedger(fixture.db.$client).ok);
  second.db.$client.close();
  fixture.db.$client.close();
});

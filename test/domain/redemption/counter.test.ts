import t from 'tap';
import { randomUUID } from 'node:crypto';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { accountIds, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { cancelBasket, confirmBasket, voidRedemption } from '../../../src/domain/redemption/counter-confirm.ts';
import { identifyMember } from '../../../src/domain/redemption/counter-identify.ts';
import { placeBasket } from '../../../src/domain/redemption/counter-basket.ts';
import { sweepExpired } from '../../../src/domain/redemption/counter-core.ts';
import { addItem, changeStock } from '../../../src/domain/redemption/site-catalogue.ts';
import { registerSite } from '../../../src/domain/redemption/site-core.ts';
import { pin, places, redemptionFixture, rowCount, snapshot, walletAvailable } from './fixture.ts';

async function counterSetup() {
  const fixture = redemptionFixture();
  const { context, admin } = fixture;
  const site = registerSite(context, admin, { name: '旺溪村爱心超市', kind: 'love_supermarket', villageCode: places.longhuiVillage, address: '旺溪村村部一楼', openingHours: '周一至周六 8:00-17:00' });
  if (!site.ok) throw new Error(JSON.stringify(site));
  const siteId = site.value.siteId;
  const clerk = fixture.addUser('吴小梅', 'clerk', { siteId });
  const otherClerk = fixture.addUser('李二', 'clerk', { siteId });
  const rice = addItem(context, clerk, siteId, { name: '大米 5kg', kind: 'goods', priceMinutes: 120, stock: 3 });
  const oil = addItem(context, clerk, siteId, { name: '食用油 1L', kind: 'goods', priceMinutes: 60, stock: 10 });
  const haircut = addItem(context, clerk, siteId, { name: '理发', kind: 'service', priceMinutes: 30, stock: null });
  if (!rice.ok || !oil.ok || !haircut.ok) throw new Error('items');
  const fenghuang = await fixture.addMember('龙秀英', places.fenghuangVillage, { credits: 300, phone: '13912345678' });
  const longhui = await fixture.addMember('罗大山', places.longhuiVillage, { credits: 100 });
  return { ...fixture, siteId, clerk, otherClerk, rice: rice.value.itemId, oil: oil.value.itemId, haircut: haircut.value.itemId, fenghuang, longhui };
}

t.test('a 凤凰县 villager spends at a 隆回县 love supermarket: cross-county chain, receipt, stock, clearing', async (t) => {
  const s = await counterSetup();
  const found = identifyMember(s.context, { token: s.fenghuang.cardToken });
  t.ok(found.ok);
  if (!found.ok) return;
  t.equal(found.value.walletAvailableMinutes, 300);
  t.same(identifyMember(s.context, { cardNumber: s.fenghuang.cardNumber }).ok, true);
  t.same(identifyMember(s.context, { phone: '139 1234 5678' }).ok, true);
  const key = randomUUID();
  const placed = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: key, lines: [{ itemId: s.rice, quantity: 1 }, { itemId: s.oil, quantity: 2 }] });
  t.ok(placed.ok);
  if (!placed.ok) return;
  t.equal(placed.value.totalMinutes, 240);
  t.equal(placed.value.status, 'held');
  t.equal(JSON.parse(placed.value.holdTransferIds).length, 2, 'two linked legs across counties');
  t.equal(walletAvailable(s.db, s.fenghuang.memberId), 60, 'the hold reduces what may be spent');
  const again = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: key, lines: [{ itemId: s.rice, quantity: 1 }] });
  t.ok(again.ok && again.value.id === placed.value.id, 'the same key returns the same basket');
  t.equal(rowCount(s.db, 'redemptions'), 1);

  const receipt = await confirmBasket(s.context, s.clerk, placed.value.id, pin);
  t.ok(receipt.ok);
  if (!receipt.ok) return;
  t.equal(receipt.value.totalMinutes, 240);
  t.equal(receipt.value.balanceAfterMinutes, 60);
  t.equal(receipt.value.siteName, '旺溪村爱心超市');
  t.match(receipt.value.receiptNumber, /^R0001-20261123-000001$/);
  t.ok(receipt.value.crossCounty);
  const twice = await confirmBasket(s.context, s.clerk, placed.value.id, pin);
  t.ok(twice.ok && twice.value.receiptNumber === receipt.value.receiptNumber, 'confirming twice returns the same receipt');

  const ledger = ledgerFor(s.db.$client, () => s.clock.ms);
  const fenghuangClearing = ledger.account(accountIds.clearing('433123'))!;
  const longhuiClearing = ledger.account(accountIds.clearing('430524'))!;
  t.equal(fenghuangClearing.creditsPosted - fenghuangClearing.debitsPosted, 240, '凤凰县 owes what its member spent elsewhere');
  t.equal(longhuiClearing.creditsPosted - longhuiClearing.debitsPosted, -240, '隆回县 is owed');
  t.equal(ledger.account(accountIds.site(s.siteId))!.creditsPosted, 240, 'the site is credited once');
  const stock = s.db.$client.prepare('SELECT stock, reserved FROM site_items WHERE id = ?').get(s.rice) as { stock: number; reserved: number };
  t.same(stock, { stock: 2, reserved: 0 });
  t.ok(verifyLedger(s.db.$client).ok);
});

t.test('same county: one transfer; void within 10 minutes restores wallet and stock; after 10 minutes refused', async (t) => {
  const s = await counterSetup();
  const placed = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.longhui.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.oil, quantity: 1 }] });
  t.ok(placed.ok);
  if (!placed.ok) return;
  t.equal(JSON.parse(placed.value.holdTransferIds).length, 1);
  const receipt = await confirmBasket(s.context, s.clerk, placed.value.id, pin);
  t.ok(receipt.ok);
  t.equal(walletAvailable(s.db, s.longhui.memberId), 40);
  t.equal(voidRedemption(s.context, s.clerk, placed.value.id, '  ').ok, false, 'a reason is required');
  s.clock.ms += 9 * 60_000;
  const voided = voidRedemption(s.context, s.clerk, placed.value.id, '会员改变主意');
  t.ok(voided.ok);
  t.equal(walletAvailable(s.db, s.longhui.memberId), 100);
  t.equal((s.db.$client.prepare('SELECT stock FROM site_items WHERE id = ?').get(s.oil) as { stock: number }).stock, 10);
  t.equal(rowCount(s.db, "audit_log WHERE action = 'redemption.void'"), 1);

  const second = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.longhui.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.oil, quantity: 1 }] });
  t.ok(second.ok);
  if (!second.ok) return;
  t.ok((await confirmBasket(s.context, s.clerk, second.value.id, pin)).ok);
  s.clock.ms += 10 * 60_000 + 1;
  const before = snapshot(s.db);
  const late = voidRedemption(s.context, s.clerk, second.value.id, '太晚了');
  t.equal(late.ok, false);
  if (!late.ok) t.equal(late.problems[0]!.code, 'redemption.error.void_too_late');
  t.same(snapshot(s.db), before, 'a late void writes nothing');
  t.ok(verifyLedger(s.db.$client).ok);
});

t.test('a cross-county void reverses both legs and the clearing positions', async (t) => {
  const s = await counterSetup();
  const placed = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.haircut, quantity: 2 }] });
  if (!placed.ok) return t.fail('placed');
  t.ok((await confirmBasket(s.context, s.clerk, placed.value.id, pin)).ok);
  t.ok(voidRedemption(s.context, s.otherClerk, placed.value.id, '重复收费').ok);
  const ledger = ledgerFor(s.db.$client, () => s.clock.ms);
  for (const county of ['433123', '430524']) {
    const account = ledger.account(accountIds.clearing(county))!;
    t.equal(account.creditsPosted - account.debitsPosted, 0, `${county} back to zero`);
  }
  t.equal(walletAvailable(s.db, s.fenghuang.memberId), 300);
  t.ok(verifyLedger(s.db.$client).ok);
});

t.test('refusals write nothing: wrong PIN, locked PIN, insufficient balance, out of stock, expired hold', async (t) => {
  const s = await counterSetup();
  let before = snapshot(s.db);
  const tooMuch = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.longhui.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.rice, quantity: 1 }] });
  t.equal(tooMuch.ok, false);
  if (!tooMuch.ok) {
    t.equal(tooMuch.problems[0]!.code, 'redemption.error.insufficient_balance');
    t.same(tooMuch.problems[0]!.params, { available: 100, total: 120 });
  }
  t.same(snapshot(s.db), before, 'insufficient balance writes nothing');

  const noStock = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.rice, quantity: 4 }] });
  t.equal(noStock.ok, false);
  if (!noStock.ok) t.equal(noStock.problems[0]!.code, 'redemption.error.out_of_stock');
  t.same(snapshot(s.db), before, 'out of stock writes nothing');

  const placed = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.rice, quantity: 1 }] });
  if (!placed.ok) return t.fail('placed');
  before = snapshot(s.db);
  const wrong = await confirmBasket(s.context, s.clerk, placed.value.id, '111222');
  t.equal(wrong.ok, false);
  if (!wrong.ok) t.equal(wrong.problems[0]!.code, 'people.error.pin_wrong');
  t.same(snapshot(s.db), before, 'a wrong PIN writes nothing to the ledger, stock or baskets');
  for (let attempt = 0; attempt < 4; attempt += 1) await confirmBasket(s.context, s.clerk, placed.value.id, '111222');
  const locked = await confirmBasket(s.context, s.clerk, placed.value.id, pin);
  t.equal(locked.ok, false, 'even the right PIN is refused while locked');
  if (!locked.ok) t.equal(locked.problems[0]!.code, 'people.error.pin_locked');
  t.same(snapshot(s.db), before);

  s.clock.ms += 15 * 60_000;
  const expired = await confirmBasket(s.context, s.clerk, placed.value.id, pin);
  t.equal(expired.ok, false);
  if (!expired.ok) t.equal(expired.problems[0]!.code, 'redemption.error.hold_expired');
  t.equal(walletAvailable(s.db, s.fenghuang.memberId), 300, 'the expired hold is released');
  t.equal((s.db.$client.prepare('SELECT reserved FROM site_items WHERE id = ?').get(s.rice) as { reserved: number }).reserved, 0);
  t.equal((s.db.$client.prepare('SELECT status FROM redemptions WHERE id = ?').get(placed.value.id) as { status: string }).status, 'expired');
  t.equal(sweepExpired(s.context), 0);
  t.ok(verifyLedger(s.db.$client).ok);
});

t.test('cancel voids the hold and releases stock; abandoned holds expire by sweep', async (t) => {
  const s = await counterSetup();
  const placed = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.rice, quantity: 2 }] });
  if (!placed.ok) return t.fail('placed');
  const blocked = placeBasket(s.context, s.otherClerk, { siteId: s.siteId, memberId: s.longhui.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.rice, quantity: 2 }] });
  t.equal(blocked.ok, false, 'reserved stock is not sold twice');
  if (!blocked.ok) t.same(blocked.problems[0]!.params, { item: '大米 5kg', left: 1 });
  t.ok(cancelBasket(s.context, s.clerk, placed.value.id).ok);
  t.ok(cancelBasket(s.context, s.clerk, placed.value.id).ok, 'cancelling twice is harmless');
  t.equal(walletAvailable(s.db, s.fenghuang.memberId), 300);
  const afterCancel = await confirmBasket(s.context, s.clerk, placed.value.id, pin);
  t.equal(afterCancel.ok, false);
  if (!afterCancel.ok) t.equal(afterCancel.problems[0]!.code, 'redemption.error.basket_cancelled');

  const abandoned = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.oil, quantity: 1 }] });
  t.ok(abandoned.ok);
  s.clock.ms += 14 * 60_000;
  t.equal(sweepExpired(s.context), 0);
  s.clock.ms += 60_000;
  t.equal(sweepExpired(s.context), 1);
  t.equal(walletAvailable(s.db, s.fenghuang.memberId), 300);
  t.ok(verifyLedger(s.db.$client).ok);
});

t.test('a clerk of another site, or of none, cannot work this counter', async (t) => {
  const s = await counterSetup();
  const stranger = s.addUser('外站店员', 'clerk', { siteId: 999 });
  const refused = placeBasket(s.context, stranger, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.oil, quantity: 1 }] });
  t.equal(refused.ok, false);
  if (!refused.ok) t.equal(refused.status, 404, 'answered like a missing site');
  t.equal(rowCount(s.db, 'redemptions'), 0);
});

t.test('stock: receive and correct are audited movements; a correction below reservations is refused', async (t) => {
  const s = await counterSetup();
  const key = randomUUID();
  t.same(changeStock(s.context, s.clerk, s.rice, { kind: 'receive', quantity: 5, idempotencyKey: key }), { ok: true, value: { stock: 8 } });
  t.same(changeStock(s.context, s.clerk, s.rice, { kind: 'receive', quantity: 5, idempotencyKey: key }), { ok: true, value: { stock: 8 } }, 'double tap counts once');
  const placed = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.rice, quantity: 2 }] });
  t.ok(placed.ok);
  const before = snapshot(s.db);
  const low = changeStock(s.context, s.clerk, s.rice, { kind: 'correct', count: 1, reason: '盘点', idempotencyKey: randomUUID() });
  t.equal(low.ok, false);
  t.same(snapshot(s.db), before);
  t.same(changeStock(s.context, s.clerk, s.rice, { kind: 'correct', count: 6, reason: '盘点少了两袋', idempotencyKey: randomUUID() }), { ok: true, value: { stock: 6 } });
  t.equal(rowCount(s.db, "audit_log WHERE action LIKE 'site.stock_%'"), 2);
});

t.test('when the ledger\'s own expiry sweep voids the legs first, the counter still closes the basket cleanly', async (t) => {
  const s = await counterSetup();
  const placed = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.rice, quantity: 1 }] });
  if (!placed.ok) return t.fail('placed');
  const expired = ledgerFor(s.db.$client, () => s.clock.ms).expirePending(s.clock.ms + 16 * 60_000);
  t.equal(expired.length, 2, 'both legs of the cross-county hold expire in the ledger');
  const refused = await confirmBasket(s.context, s.clerk, placed.value.id, pin);
  t.equal(refused.ok, false);
  if (!refused.ok) t.equal(refused.problems[0]!.code, 'redemption.error.hold_expired');
  t.equal((s.db.$client.prepare('SELECT status FROM redemptions WHERE id = ?').get(placed.value.id) as { status: string }).status, 'expired');
  t.equal((s.db.$client.prepare('SELECT reserved FROM site_items WHERE id = ?').get(s.rice) as { reserved: number }).reserved, 0);
  t.equal(walletAvailable(s.db, s.fenghuang.memberId), 300);
  const other = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: s.fenghuang.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.oil, quantity: 1 }] });
  if (!other.ok) return t.fail('other');
  ledgerFor(s.db.$client, () => s.clock.ms).expirePending(s.clock.ms + 16 * 60_000);
  t.ok(cancelBasket(s.context, s.clerk, other.value.id).ok, 'cancelling an already expired hold closes it as expired');
  t.equal((s.db.$client.prepare('SELECT status FROM redemptions WHERE id = ?').get(other.value.id) as { status: string }).status, 'expired');
  t.ok(verifyLedger(s.db.$client).ok);
});

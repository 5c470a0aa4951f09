import t from 'tap';
import { translator } from '../../../src/i18n/index.ts';
import { randomUUID } from 'node:crypto';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { accountIds, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { confirmBasket } from '../../../src/domain/redemption/counter-confirm.ts';
import { identifyMember } from '../../../src/domain/redemption/counter-identify.ts';
import { placeBasket } from '../../../src/domain/redemption/counter-basket.ts';
import { giveCredits, registerRelative } from '../../../src/domain/redemption/gifts.ts';
import { defaultPolicy } from '../../../src/domain/redemption/policy.ts';
import { publishPolicyVersion } from '../../../src/domain/redemption/policy-versions.ts';
import { setPolicyRules } from '../../helpers/policy.ts';
import { addItem } from '../../../src/domain/redemption/site-catalogue.ts';
import { registerSite } from '../../../src/domain/redemption/site-core.ts';
import { grantVouchers, voucherBalance } from '../../../src/domain/redemption/vouchers.ts';
import { pin, places, redemptionFixture, snapshot, walletAvailable } from './fixture.ts';

t.test('gifts between registered relatives, with the giver\'s PIN; outside the policy refused and nothing written', async (t) => {
  const f = redemptionFixture();
  const daughter = await f.addMember('龙春花', places.fenghuangVillage, { credits: 600, birthDate: '1965-01-01' });
  const mother = await f.addMember('龙老太', places.fenghuangVillage2, { credits: 30, birthDate: '1940-01-01' });
  const stranger = await f.addMember('陌生人', places.longhuiVillage, { credits: 10 });
  let before = snapshot(f.db);
  const refused = await giveCredits(f.context, f.coordinator, { fromMemberId: daughter.memberId, toMemberId: mother.memberId, kind: 'gift', amountMinutes: 120, pin, idempotencyKey: randomUUID(), actorMemberId: null });
  t.equal(refused.ok, false);
  if (!refused.ok) t.equal(refused.problems[0]!.code, 'redemption.error.gift_relatives_only');
  t.same(snapshot(f.db), before, 'a gift outside the policy writes nothing');

  t.ok(registerRelative(f.context, f.coordinator, { memberId: daughter.memberId, relativeMemberId: mother.memberId, kind: 'parent_child', relation: '母女' }).ok);
  before = snapshot(f.db);
  const wrongPin = await giveCredits(f.context, f.coordinator, { fromMemberId: daughter.memberId, toMemberId: mother.memberId, kind: 'gift', amountMinutes: 120, pin: '000111', idempotencyKey: randomUUID(), actorMemberId: null });
  t.equal(wrongPin.ok, false);
  if (!wrongPin.ok) t.equal(wrongPin.problems[0]!.code, 'people.error.pin_wrong');
  t.same(snapshot(f.db), before);

  const key = randomUUID();
  const gift = await giveCredits(f.context, f.coordinator, { fromMemberId: daughter.memberId, toMemberId: mother.memberId, kind: 'gift', amountMinutes: 120, pin, idempotencyKey: key, actorMemberId: null });
  t.ok(gift.ok);
  const again = await giveCredits(f.context, f.coordinator, { fromMemberId: daughter.memberId, toMemberId: mother.memberId, kind: 'gift', amountMinutes: 120, pin, idempotencyKey: key, actorMemberId: null });
  t.ok(again.ok && gift.ok && again.value.id === gift.value.id, 'a double tap gives once');
  t.equal(walletAvailable(f.db, daughter.memberId), 480);
  t.equal(walletAvailable(f.db, mother.memberId), 150);

  const tooMuch = await giveCredits(f.context, f.coordinator, { fromMemberId: daughter.memberId, toMemberId: mother.memberId, kind: 'gift', amountMinutes: 481, pin, idempotencyKey: randomUUID(), actorMemberId: null });
  t.equal(tooMuch.ok, false);
  if (!tooMuch.ok) t.equal(tooMuch.problems[0]!.code, 'redemption.error.insufficient_balance');

  const notMine = await giveCredits(f.context, f.coordinator, { fromMemberId: stranger.memberId, toMemberId: mother.memberId, kind: 'gift', amountMinutes: 5, pin, idempotencyKey: randomUUID(), actorMemberId: null });
  t.equal(notMine.ok, false, 'a coordinator of 山江镇 cannot give for a member of 隆回县');
  if (!notMine.ok) t.equal(notMine.status, 404, 'a member outside the scope reads as missing');
  const bySelf = await giveCredits(f.context, f.addUser('龙春花', 'volunteer', { regionCode: places.fenghuangVillage }), { fromMemberId: daughter.memberId, toMemberId: null, kind: 'donation', amountMinutes: 60, pin, idempotencyKey: randomUUID(), actorMemberId: daughter.memberId });
  t.ok(bySelf.ok, 'a member donates from their own login');
  const pool = ledgerFor(f.db.$client, () => f.clock.ms).account(accountIds.pool('433123'))!;
  t.equal(pool.creditsPosted, 60);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('the balance cap: refused with a clear message, or the excess diverted to the pool', async (t) => {
  const f = redemptionFixture();
  setPolicyRules(f.db, { balanceCapMinutes: 200, capMode: 'refuse', careAgeYears: 60, giftsRelativesOnly: false });
  t.equal(publishPolicyVersion(f.context, f.fenghuangOffice, { effectiveDate: '2099-01-01', rules: { ...defaultPolicy, balanceCapMinutes: 1 }, idempotencyKey: randomUUID() }).ok, false, 'only the top office publishes policy');
  const giver = await f.addMember('甲', places.fenghuangVillage, { credits: 500 });
  const receiver = await f.addMember('乙', places.fenghuangVillage2, { credits: 150 });
  const before = snapshot(f.db);
  const capped = await giveCredits(f.context, f.coordinator, { fromMemberId: giver.memberId, toMemberId: receiver.memberId, kind: 'gift', amountMinutes: 100, pin, idempotencyKey: randomUUID(), actorMemberId: null });
  t.equal(capped.ok, false);
  if (!capped.ok) {
    t.equal(capped.problems[0]!.code, 'redemption.error.cap_reached');
    t.same(capped.problems[0]!.params, { cap: 200, room: 50, version: 1 }, 'minutes; the message shows them as hours and minutes');
    const text = translator('zh-CN')(capped.problems[0]!.code, capped.problems[0]!.params);
    t.equal(text, '超过个人余额上限 3 小时 20 分（政策第 1 版）：对方最多还能收 50 分钟。', 'the refusal text carries the numbers');
    t.notMatch(translator('en')(capped.problems[0]!.code, capped.problems[0]!.params), /[{}]/, 'no placeholder is left unfilled');
  }
  t.same(snapshot(f.db), before, 'a capped gift writes nothing');
  setPolicyRules(f.db, { balanceCapMinutes: 200, capMode: 'divert', careAgeYears: 60, giftsRelativesOnly: false });
  const diverted = await giveCredits(f.context, f.coordinator, { fromMemberId: giver.memberId, toMemberId: receiver.memberId, kind: 'gift', amountMinutes: 100, pin, idempotencyKey: randomUUID(), actorMemberId: null });
  t.ok(diverted.ok);
  if (diverted.ok) t.equal(diverted.value.divertedMinutes, 50);
  t.equal(walletAvailable(f.db, receiver.memberId), 200);
  t.equal(ledgerFor(f.db.$client, () => f.clock.ms).account(accountIds.pool('433123'))!.creditsPosted, 50);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('vouchers: to every 失能 elder of a county at once, spent at a service station; pool short refuses all', async (t) => {
  const f = redemptionFixture();
  const elderMember = await f.addMember('田奶奶', places.fenghuangVillage, { credits: 0, birthDate: '1940-05-01' });
  const withCard = f.addElder('田奶奶', places.fenghuangVillage, ['disabled'], elderMember.memberId);
  const second = f.addElder('吴爷爷', places.fenghuangVillage2, ['disabled', 'living_alone']);
  f.addElder('张奶奶', places.fenghuangVillage2, ['living_alone']);
  f.addElder('隆回老人', places.longhuiVillage, ['disabled']);
  const before = snapshot(f.db);
  const short = grantVouchers(f.context, f.fenghuangOffice, { source: 'pool', regionCode: '433123', category: 'disabled', amountPerElderMinutes: 120, reason: '重阳节', idempotencyKey: randomUUID() });
  t.equal(short.ok, false);
  if (!short.ok) t.equal(short.problems[0]!.code, 'redemption.error.pool_insufficient');
  t.same(snapshot(f.db), before, 'a pool short of credits grants to nobody');
  t.equal(grantVouchers(f.context, f.fenghuangOffice, { source: 'issuance', regionCode: '430524', category: 'disabled', amountPerElderMinutes: 120, reason: 'x', idempotencyKey: randomUUID() }).ok, false, 'outside the office region');

  const key = randomUUID();
  const grant = grantVouchers(f.context, f.fenghuangOffice, { source: 'issuance', regionCode: '433123', category: 'disabled', amountPerElderMinutes: 120, reason: '重阳节助老', idempotencyKey: key });
  t.ok(grant.ok);
  if (grant.ok) t.equal(grant.value.elderCount, 2, 'both 失能 elders of 凤凰县, not the one in 隆回县');
  t.ok(grantVouchers(f.context, f.fenghuangOffice, { source: 'issuance', regionCode: '433123', category: 'disabled', amountPerElderMinutes: 120, reason: '重阳节助老', idempotencyKey: key }).ok);
  t.same(voucherBalance(f.context, withCard), { granted: 120, available: 120 });
  t.same(voucherBalance(f.context, second), { granted: 120, available: 120 });

  const station = registerSite(f.context, f.admin, { name: '老家寨村服务站', kind: 'service_station', villageCode: places.fenghuangVillage, address: '村部', openingHours: '每天' });
  const shop = registerSite(f.context, f.admin, { name: '爱心超市', kind: 'love_supermarket', villageCode: places.fenghuangVillage, address: '村部', openingHours: '每天' });
  if (!station.ok || !shop.ok) return t.fail('sites');
  const clerk = f.addUser('站员', 'clerk', { siteId: station.value.siteId });
  const shopClerk = f.addUser('店员', 'clerk', { siteId: shop.value.siteId });
  const bath = addItem(f.context, clerk, station.value.siteId, { name: '助浴', kind: 'service', priceMinutes: 90, stock: null });
  const soap = addItem(f.context, shopClerk, shop.value.siteId, { name: '肥皂', kind: 'goods', priceMinutes: 10, stock: 5 });
  if (!bath.ok || !soap.ok) return t.fail('items');
  const counter = identifyMember(f.context, { token: elderMember.cardToken });
  t.ok(counter.ok && counter.value.voucherAvailableMinutes === 120);
  const atShop = placeBasket(f.context, shopClerk, { siteId: shop.value.siteId, memberId: elderMember.memberId, payer: 'voucher', idempotencyKey: randomUUID(), lines: [{ itemId: soap.value.itemId, quantity: 1 }] });
  t.equal(atShop.ok, false);
  if (!atShop.ok) t.equal(atShop.problems[0]!.code, 'redemption.error.voucher_only_service_station');
  const placed = placeBasket(f.context, clerk, { siteId: station.value.siteId, memberId: elderMember.memberId, payer: 'voucher', idempotencyKey: randomUUID(), lines: [{ itemId: bath.value.itemId, quantity: 1 }] });
  if (!placed.ok) return t.fail(JSON.stringify(placed));
  const receipt = await confirmBasket(f.context, clerk, placed.value.id, pin);
  t.ok(receipt.ok);
  if (receipt.ok) {
    t.equal(receipt.value.balanceAfterMinutes, 30, 'the receipt shows the voucher balance after');
    t.equal(receipt.value.payer, 'voucher');
  }
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('care age: a member younger than the policy age cannot spend on care services at a service station', async (t) => {
  const f = redemptionFixture();
  const young = await f.addMember('年轻人', places.fenghuangVillage, { credits: 300, birthDate: '1990-01-01' });
  const station = registerSite(f.context, f.admin, { name: '服务站', kind: 'service_station', villageCode: places.fenghuangVillage, address: '村部', openingHours: '每天' });
  if (!station.ok) return t.fail('site');
  const clerk = f.addUser('站员', 'clerk', { siteId: station.value.siteId });
  const care = addItem(f.context, clerk, station.value.siteId, { name: '助浴', kind: 'service', priceMinutes: 90, stock: null });
  if (!care.ok) return t.fail('item');
  const before = snapshot(f.db);
  const refused = placeBasket(f.context, clerk, { siteId: station.value.siteId, memberId: young.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: care.value.itemId, quantity: 1 }] });
  t.equal(refused.ok, false);
  if (!refused.ok) t.same(refused.problems[0], { code: 'redemption.error.care_age', params: { age: 60, item: '助浴', version: 1 } });
  t.same(snapshot(f.db), before);
});

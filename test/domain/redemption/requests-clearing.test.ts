import t from 'tap';
import { randomUUID } from 'node:crypto';
import { exportHledger, verifyLedger } from '../../../src/ledger/index.ts';
import { clearingView, recordSettlement } from '../../../src/domain/redemption/clearing.ts';
import { confirmBasket } from '../../../src/domain/redemption/counter-confirm.ts';
import { placeBasket } from '../../../src/domain/redemption/counter-basket.ts';
import { setPolicyRules } from '../../helpers/policy.ts';
import { acceptRequest, cancelRequest, confirmRequest, postRequest, requestsIn } from '../../../src/domain/redemption/requests.ts';
import { addItem } from '../../../src/domain/redemption/site-catalogue.ts';
import { registerSite } from '../../../src/domain/redemption/site-core.ts';
import { grantVouchers } from '../../../src/domain/redemption/vouchers.ts';
import { pin, places, redemptionFixture, snapshot, walletAvailable } from './fixture.ts';
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

t.test('a member requests care: held, accepted by a volunteer of the area, confirmed, paid', async (t) => {
  const f = redemptionFixture();
  const elder = await f.addMember('龙奶奶', places.fenghuangVillage, { credits: 200, birthDate: '1945-02-02' });
  const volunteer = await f.addMember('杨志愿', places.fenghuangVillage2, { credits: 0 });
  const faraway = await f.addMember('隆回志愿者', places.longhuiVillage, { credits: 0 });
  const elderUser = f.addUser('龙奶奶', 'volunteer', { regionCode: places.fenghuangVillage });
  const volunteerUser = f.addUser('杨志愿', 'volunteer', { regionCode: places.fenghuangVillage2 });
  const before = snapshot(f.db);
  const tooMuch = postRequest(f.context, elderUser, { requesterMemberId: elder.memberId, payer: 'wallet', serviceCategory: 'cleaning', description: '打扫房间', scheduledFor: '2026-11-25T09:00', place: '家中', offeredMinutes: 201, idempotencyKey: randomUUID(), actorMemberId: elder.memberId });
  t.equal(tooMuch.ok, false);
  t.same(snapshot(f.db), before, 'insufficient balance writes nothing');
  const key = randomUUID();
  const posted = postRequest(f.context, elderUser, { requesterMemberId: elder.memberId, payer: 'wallet', serviceCategory: 'cleaning', description: '打扫房间', scheduledFor: '2026-11-25T09:00', place: '家中', offeredMinutes: 120, idempotencyKey: key, actorMemberId: elder.memberId });
  if (!posted.ok) return t.fail(JSON.stringify(posted));
  t.equal(walletAvailable(f.db, elder.memberId), 80, 'the offer is held');
  t.ok(postRequest(f.context, elderUser, { requesterMemberId: elder.memberId, payer: 'wallet', serviceCategory: 'cleaning', description: '打扫房间', scheduledFor: '2026-11-25T09:00', place: '家中', offeredMinutes: 120, idempotencyKey: key, actorMemberId: elder.memberId }).ok);
  t.equal(walletAvailable(f.db, elder.memberId), 80, 'posting twice holds once');
  t.equal(requestsIn(f.context, '/430000/433100/433123/', ['open']).length, 1);
  const far = acceptRequest(f.context, f.addUser('隆回', 'volunteer', { regionCode: places.longhuiVillage }), posted.value.id, faraway.memberId, faraway.memberId);
  t.equal(far.ok, false, 'a volunteer of another county does not take it');
  t.ok(acceptRequest(f.context, volunteerUser, posted.value.id, volunteer.memberId, volunteer.memberId).ok);
  const stranger = confirmRequest(f.context, volunteerUser, posted.value.id, volunteer.memberId);
  t.equal(stranger.ok, false, 'the volunteer cannot confirm their own payment');
  const done = confirmRequest(f.context, elderUser, posted.value.id, elder.memberId);
  t.ok(done.ok);
  t.equal(walletAvailable(f.db, volunteer.memberId), 120);
  t.equal(walletAvailable(f.db, elder.memberId), 80);
  t.ok(confirmRequest(f.context, elderUser, posted.value.id, elder.memberId).ok, 'confirming twice pays once');
  t.equal(walletAvailable(f.db, volunteer.memberId), 120);

  const second = postRequest(f.context, elderUser, { requesterMemberId: elder.memberId, payer: 'wallet', serviceCategory: 'meals', description: '送餐', scheduledFor: '2026-11-26', place: '家中', offeredMinutes: 60, idempotencyKey: randomUUID(), actorMemberId: elder.memberId });
  if (!second.ok) return t.fail('second');
  t.ok(cancelRequest(f.context, elderUser, second.value.id, elder.memberId).ok);
  t.equal(walletAvailable(f.db, elder.memberId), 80, 'cancel releases the hold');
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('a coordinator requests for an elder paid from the voucher or the pool; age and cap rules', async (t) => {
  const f = redemptionFixture();
  const elderId = f.addElder('吴爷爷', places.fenghuangVillage, ['disabled']);
  t.ok(grantVouchers(f.context, f.fenghuangOffice, { source: 'issuance', regionCode: places.fenghuangVillage, elderId, amountPerElderMinutes: 90, reason: '助浴券', idempotencyKey: randomUUID() }).ok);
  const volunteer = await f.addMember('志愿者', places.fenghuangVillage, { credits: 0 });
  const request = postRequest(f.context, f.coordinator, { elderId, payer: 'voucher', serviceCategory: 'bathing', description: '助浴', scheduledFor: '2026-11-27', place: '家中', offeredMinutes: 90, idempotencyKey: randomUUID(), actorMemberId: null });
  if (!request.ok) return t.fail(JSON.stringify(request));
  const fromPool = postRequest(f.context, f.coordinator, { elderId, payer: 'pool', serviceCategory: 'cleaning', description: '打扫', scheduledFor: '2026-11-27', place: '家中', offeredMinutes: 30, idempotencyKey: randomUUID(), actorMemberId: null });
  t.equal(fromPool.ok, false, 'an empty pool cannot pay');
  const young = await f.addMember('年轻人', places.fenghuangVillage, { credits: 100, birthDate: '1995-01-01' });
  const forYoung = postRequest(f.context, f.coordinator, { requesterMemberId: young.memberId, payer: 'wallet', serviceCategory: 'cleaning', description: '打扫', scheduledFor: '2026-11-27', place: '家中', offeredMinutes: 30, idempotencyKey: randomUUID(), actorMemberId: null });
  t.ok(!forYoung.ok && forYoung.status === 403 && forYoung.problems[0]!.code === 'redemption.error.wallet_holder_only', 'a coordinator never spends a member\'s wallet');
  const youngUser = f.addUser('年轻人', 'volunteer', { regionCode: places.fenghuangVillage });
  const tooYoung = postRequest(f.context, youngUser, { requesterMemberId: young.memberId, payer: 'wallet', serviceCategory: 'cleaning', description: '打扫', scheduledFor: '2026-11-27', place: '家中', offeredMinutes: 30, idempotencyKey: randomUUID(), actorMemberId: young.memberId });
  t.equal(tooYoung.ok, false);
  if (!tooYoung.ok) t.equal(tooYoung.problems[0]!.code, 'redemption.error.care_age_request');

  setPolicyRules(f.db, { balanceCapMinutes: 60, capMode: 'refuse', careAgeYears: 60, giftsRelativesOnly: true });
  t.ok(acceptRequest(f.context, f.coordinator, request.value.id, volunteer.memberId, null).ok);
  const before = snapshot(f.db);
  const capped = confirmRequest(f.context, f.coordinator, request.value.id, null);
  t.equal(capped.ok, false);
  if (!capped.ok) t.equal(capped.problems[0]!.code, 'redemption.error.cap_reached');
  t.same(snapshot(f.db), before);
  setPolicyRules(f.db, { balanceCapMinutes: 60, capMode: 'divert', careAgeYears: 60, giftsRelativesOnly: true });
  t.ok(confirmRequest(f.context, f.coordinator, request.value.id, null).ok);
  t.equal(walletAvailable(f.db, volunteer.memberId), 60);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('clearing: positions from the ledger net to zero; a higher office settles; hledger agrees', async (t) => {
  const f = redemptionFixture();
  const longhuiShop = registerSite(f.context, f.admin, { name: '旺溪村爱心超市', kind: 'love_supermarket', villageCode: places.longhuiVillage, address: '村部', openingHours: '每天' });
  const fenghuangShop = registerSite(f.context, f.admin, { name: '老家寨爱心超市', kind: 'love_supermarket', villageCode: places.fenghuangVillage, address: '村部', openingHours: '每天' });
  if (!longhuiShop.ok || !fenghuangShop.ok) return t.fail('sites');
  const clerkL = f.addUser('隆回店员', 'clerk', { siteId: longhuiShop.value.siteId });
  const clerkF = f.addUser('凤凰店员', 'clerk', { siteId: fenghuangShop.value.siteId });
  const itemL = addItem(f.context, clerkL, longhuiShop.value.siteId, { name: '米', kind: 'goods', priceMinutes: 100, stock: null });
  const itemF = addItem(f.context, clerkF, fenghuangShop.value.siteId, { name: '油', kind: 'goods', priceMinutes: 30, stock: null });
  if (!itemL.ok || !itemF.ok) return t.fail('items');
  const fromFenghuang = await f.addMember('凤凰会员', places.fenghuangVillage, { credits: 500 });
  const fromLonghui = await f.addMember('隆回会员', places.longhuiVillage, { credits: 500 });
  for (const [clerk, siteId, itemId, memberId] of [
    [clerkL, longhuiShop.value.siteId, itemL.value.itemId, fromFenghuang.memberId],
    [clerkL, longhuiShop.value.siteId, itemL.value.itemId, fromFenghuang.memberId],
    [clerkF, fenghuangShop.value.siteId, itemF.value.itemId, fromLonghui.memberId],
    [clerkF, fenghuangShop.value.siteId, itemF.value.itemId, fromFenghuang.memberId],
  ] as const) {
    const placed = placeBasket(f.context, clerk, { siteId, memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId, quantity: 1 }] });
    if (!placed.ok) return t.fail(JSON.stringify(placed));
    t.ok((await confirmBasket(f.context, clerk, placed.value.id, pin)).ok);
  }
  // One more held but not confirmed: holds are not positions.
  t.ok(placeBasket(f.context, clerkL, { siteId: longhuiShop.value.siteId, memberId: fromFenghuang.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: itemL.value.itemId, quantity: 1 }] }).ok);
  const view = clearingView(f.context);
  t.equal(view.networkSumMinutes, 0);
  const fenghuang = view.counties.find((c) => c.countyCode === '433123')!;
  const longhui = view.counties.find((c) => c.countyCode === '430524')!;
  t.same([fenghuang.outboundMinutes, fenghuang.inboundMinutes, fenghuang.positionMinutes], [200, 30, 170]);
  t.same([longhui.outboundMinutes, longhui.inboundMinutes, longhui.positionMinutes], [30, 200, -170]);
  t.same(view.months.map((m) => m.month), ['2026-11', '2026-11'].slice(0, view.months.length));
  t.equal(view.pairs.length, 2);

  const before = snapshot(f.db);
  const countyOffice = recordSettlement(f.context, f.fenghuangOffice, { fromCountyCode: '433123', toCountyCode: '430524', amountMinutes: 170, note: '11月结算', idempotencyKey: randomUUID() });
  t.equal(countyOffice.ok, false, 'a county office cannot settle');
  const cityOnly = recordSettlement(f.context, f.cityOffice, { fromCountyCode: '433123', toCountyCode: '430524', amountMinutes: 170, note: '11月结算', idempotencyKey: randomUUID() });
  t.equal(cityOnly.ok, false, '邵阳市 does not hold 凤凰县');
  const tooMuch = recordSettlement(f.context, f.admin, { fromCountyCode: '433123', toCountyCode: '430524', amountMinutes: 171, note: '11月结算', idempotencyKey: randomUUID() });
  t.equal(tooMuch.ok, false);
  if (!tooMuch.ok) t.same(tooMuch.problems[0]!.params, { most: 170 });
  t.same(snapshot(f.db), before, 'refused settlements write nothing');
  const key = randomUUID();
  const settled = recordSettlement(f.context, f.admin, { fromCountyCode: '433123', toCountyCode: '430524', amountMinutes: 170, note: '11月结算', idempotencyKey: key });
  t.ok(settled.ok);
  t.ok(recordSettlement(f.context, f.admin, { fromCountyCode: '433123', toCountyCode: '430524', amountMinutes: 170, note: '11月结算', idempotencyKey: key }).ok);
  const after = clearingView(f.context);
  t.equal(after.counties.find((c) => c.countyCode === '433123')!.positionMinutes, 0);
  t.equal(after.counties.find((c) => c.countyCode === '433123')!.settledPaidMinutes, 170);
  t.equal(after.counties.find((c) => c.countyCode === '430524')!.settledReceivedMinutes, 170);
  t.equal(after.settlements.length, 1);
  t.equal(after.networkSumMinutes, 0);
  t.ok(verifyLedger(f.db.$client).ok);

  const hledger = ['/usr/bin/hledger', '/usr/local/bin/hledger'].find((path) => existsSync(path));
  if (!hledger) {
    t.comment('hledger is not installed (.ci/run installs it): skipped the independent check');
    return;
  }
  const directory = mkdtempSync(join(tmpdir(), 'silver-hledger-'));
  const journal = join(directory, 'ledger.journal');
  const out = createWriteStream(journal);
  await exportHledger(f.db.$client, out);
  out.end();
  await finished(out);
  execFileSync(hledger, ['check', '-f', journal]);
  t.pass('hledger check passes');
});

t.test('an overdue basket does not block a service request: the ledger voids its hold when the request needs the credits, without a sweep', async (t) => {
  const f = redemptionFixture();
  const shop = registerSite(f.context, f.admin, { name: '老家寨爱心超市', kind: 'love_supermarket', villageCode: places.fenghuangVillage, address: '村部', openingHours: '每天' });
  if (!shop.ok) return t.fail('site');
  const clerk = f.addUser('凤凰店员', 'clerk', { siteId: shop.value.siteId });
  const item = addItem(f.context, clerk, shop.value.siteId, { name: '油', kind: 'goods', priceMinutes: 150, stock: null });
  if (!item.ok) return t.fail('item');
  const elder = await f.addMember('龙奶奶', places.fenghuangVillage, { credits: 200, birthDate: '1945-02-02' });
  const elderUser = f.addUser('龙奶奶', 'volunteer', { regionCode: places.fenghuangVillage });
  const basket = placeBasket(f.context, clerk, { siteId: shop.value.siteId, memberId: elder.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: item.value.itemId, quantity: 1 }] });
  if (!basket.ok) return t.fail('basket');
  const request = (key: string) => postRequest(f.context, elderUser, {
    requesterMemberId: elder.memberId, payer: 'wallet', serviceCategory: 'cleaning', description: '打扫房间', scheduledFor: '2026-11-25T09:00', place: '家中', offeredMinutes: 120, idempotencyKey: key, actorMemberId: elder.memberId,
  });
  const early = request(randomUUID());
  t.equal(early.ok, false, 'while the basket holds 150 of 200 minutes, 120 more cannot be offered');
  if (!early.ok) t.same(early.problems[0]?.params, { available: 50, total: 120 });
  f.clock.ms += 15 * 60_000; // the basket's 15 minutes are over; no sweep runs
  const posted = request(randomUUID());
  t.ok(posted.ok, 'the overdue hold no longer counts');
  t.equal(walletAvailable(f.db, elder.memberId), 80, '200 - 120: the basket hold was voided, the request holds 120');
  t.equal(f.db.$client.prepare('SELECT status FROM redemptions WHERE id = ?').pluck().get(basket.value.id), 'held', 'the basket row is left for the sweep');
  t.equal(f.db.$client.prepare("SELECT count(*) FROM ledger_transfers WHERE code = 'expiry'").pluck().get(), 1, 'the hold ended as an expiry');
  t.ok(verifyLedger(f.db.$client).ok);
});

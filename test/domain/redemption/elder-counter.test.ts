import t from 'tap';
import { randomUUID } from 'node:crypto';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { openIdNumber } from '../../../src/domain/people/members/identity.ts';
import { confirmAttested, confirmBasket, voidRedemption } from '../../../src/domain/redemption/counter-confirm.ts';
import { identifyElder } from '../../../src/domain/redemption/counter-identify.ts';
import { placeBasket } from '../../../src/domain/redemption/counter-basket.ts';
import { addItem } from '../../../src/domain/redemption/site-catalogue.ts';
import { registerSite } from '../../../src/domain/redemption/site-core.ts';
import { grantVouchers, voucherBalance } from '../../../src/domain/redemption/vouchers.ts';
import { pin, places, redemptionFixture, snapshot } from './fixture.ts';

/**
 * A registered elder without a member record (no card, no PIN, no login)
 * spends a voucher at a service station of their county: the clerk finds the
 * elder by name and ID digits, and confirms with an attested confirmation.
 */
async function elderSetup() {
  const f = redemptionFixture();
  const elderId = f.addElder('吴爷爷', places.fenghuangVillage2, ['disabled']);
  f.db.$client.prepare(`UPDATE elders SET family_contact_name = '吴小红', family_contact_relation = '女儿', family_contact_phone = '13912340001' WHERE id = ?`).run(elderId);
  const otherCounty = f.addElder('吴爷爷', places.longhuiVillage, ['disabled']);
  for (const county of ['433123', '430524']) {
    const grant = grantVouchers(f.context, f.admin, { source: 'issuance', regionCode: county, category: 'disabled', amountPerElderMinutes: 120, reason: '重阳节助老', idempotencyKey: randomUUID() });
    if (!grant.ok) throw new Error(JSON.stringify(grant));
  }
  const station = registerSite(f.context, f.admin, { name: '老家寨村服务站', kind: 'service_station', villageCode: places.fenghuangVillage, address: '村部', openingHours: '每天' });
  const shop = registerSite(f.context, f.admin, { name: '老家寨村爱心超市', kind: 'love_supermarket', villageCode: places.fenghuangVillage, address: '村部', openingHours: '每天' });
  const farStation = registerSite(f.context, f.admin, { name: '旺溪村服务站', kind: 'service_station', villageCode: places.longhuiVillage, address: '村部', openingHours: '每天' });
  if (!station.ok || !shop.ok || !farStation.ok) throw new Error('sites');
  const clerk = f.addUser('站员', 'clerk', { siteId: station.value.siteId });
  const shopClerk = f.addUser('店员', 'clerk', { siteId: shop.value.siteId });
  const farClerk = f.addUser('隆回站员', 'clerk', { siteId: farStation.value.siteId });
  const bath = addItem(f.context, clerk, station.value.siteId, { name: '助浴', kind: 'service', priceMinutes: 90, stock: null });
  const towel = addItem(f.context, clerk, station.value.siteId, { name: '毛巾', kind: 'goods', priceMinutes: 20, stock: 5 });
  const farBath = addItem(f.context, farClerk, farStation.value.siteId, { name: '助浴', kind: 'service', priceMinutes: 30, stock: null });
  if (!bath.ok || !towel.ok || !farBath.ok) throw new Error('items');
  const idNumber = openIdNumber(f.context.keys, (f.db.$client.prepare('SELECT id_number_ciphertext FROM elders WHERE id = ?').pluck().get(elderId) as string));
  return {
    ...f, elderId, otherCounty, idNumber, clerk, shopClerk, farClerk, station: station.value.siteId, shop: shop.value.siteId, farStation: farStation.value.siteId,
    bath: bath.value.itemId, towel: towel.value.itemId, farBath: farBath.value.itemId,
  };
}

t.test('an elder without a member record is found by name and ID digits, in the site county only', async (t) => {
  const s = await elderSetup();
  const found = identifyElder(s.context, s.clerk, s.station, { name: '吴爷爷', idDigits: s.idNumber.slice(-4) });
  t.ok(found.ok, 'name + last 4 of the ID number');
  if (found.ok) {
    t.equal(found.value.elderId, s.elderId, 'the elder of this county, not the namesake in 隆回县');
    t.equal(found.value.memberId, null);
    t.equal(found.value.voucherAvailableMinutes, 120);
    t.equal(found.value.familyContactName, '吴小红');
  }
  t.ok(identifyElder(s.context, s.clerk, s.station, { name: ' 吴爷爷 ', idDigits: s.idNumber }).ok, 'the whole ID number works too');
  t.equal(s.db.$client.prepare(`SELECT count(*) FROM audit_log WHERE action = 'redemption.elder_identified'`).pluck().get(), 2, 'each lookup is audited');

  const before = snapshot(s.db);
  const audits = s.db.$client.prepare('SELECT count(*) FROM audit_log').pluck().get();
  const refusals: [string, ReturnType<typeof identifyElder>][] = [
    ['redemption.error.counter_elder_not_found', identifyElder(s.context, s.clerk, s.station, { name: '吴爷爷', idDigits: '0000' })],
    ['redemption.error.counter_elder_not_found', identifyElder(s.context, s.clerk, s.station, { name: '吴奶奶', idDigits: s.idNumber.slice(-4) })],
    ['redemption.error.elder_digits_invalid', identifyElder(s.context, s.clerk, s.station, { name: '吴爷爷', idDigits: '12' })],
    ['redemption.error.elder_name_required', identifyElder(s.context, s.clerk, s.station, { name: '  ', idDigits: s.idNumber.slice(-4) })],
    ['redemption.error.voucher_only_service_station', identifyElder(s.context, s.shopClerk, s.shop, { name: '吴爷爷', idDigits: s.idNumber.slice(-4) })],
    ['redemption.error.site_not_found', identifyElder(s.context, s.clerk, s.farStation, { name: '吴爷爷', idDigits: s.idNumber.slice(-4) })],
  ];
  for (const [code, outcome] of refusals) {
    t.equal(outcome.ok, false, code);
    if (!outcome.ok) t.equal(outcome.problems[0]!.code, code);
  }
  // The 隆回县 station does not find the 凤凰县 elder, even with the whole number.
  const far = identifyElder(s.context, s.farClerk, s.farStation, { name: '吴爷爷', idDigits: s.idNumber });
  t.equal(far.ok, false, 'another county does not see the elder');
  t.same(snapshot(s.db), before, 'refusals write nothing');
  t.equal(s.db.$client.prepare('SELECT count(*) FROM audit_log').pluck().get(), audits, 'refused lookups leave no audit entry');
});

t.test('the elder spends the voucher; the clerk confirms with a witness, a note and the read-out tick', async (t) => {
  const s = await elderSetup();
  const placed = placeBasket(s.context, s.clerk, { siteId: s.station, memberId: null, elderId: s.elderId, payer: 'voucher', idempotencyKey: randomUUID(), lines: [{ itemId: s.bath, quantity: 1 }, { itemId: s.towel, quantity: 1 }] });
  t.ok(placed.ok);
  if (!placed.ok) return;
  t.equal(placed.value.memberId, null);
  t.equal(placed.value.elderId, s.elderId);
  t.equal(placed.value.totalMinutes, 110);
  t.equal(voucherBalance(s.context, s.elderId).available, 10, 'the hold reduces the voucher');

  const before = snapshot(s.db);
  const pinTry = await confirmBasket(s.context, s.clerk, placed.value.id, pin);
  t.equal(pinTry.ok, false);
  if (!pinTry.ok) t.equal(pinTry.problems[0]!.code, 'redemption.error.attestation_required', 'no PIN to check: the clerk must attest');
  const bad: [string, Parameters<typeof confirmAttested>[3]][] = [
    ['redemption.error.witness_invalid', { witness: 'neighbour', witnessName: '', note: '读给老人听', readOut: true }],
    ['redemption.error.witness_name_mismatch', { witness: 'family', witnessName: '王某', note: '女儿在场同意', readOut: true }],
    ['redemption.error.attest_note_required', { witness: 'elder', witnessName: '', note: '  ', readOut: true }],
    ['redemption.error.attest_note_required', { witness: 'elder', witnessName: '', note: '<b>', readOut: true }],
    ['redemption.error.attest_read_out', { witness: 'elder', witnessName: '', note: '读给老人听，老人点头同意', readOut: false }],
  ];
  for (const [code, input] of bad) {
    const refused = confirmAttested(s.context, s.clerk, placed.value.id, input);
    t.equal(refused.ok, false, code);
    if (!refused.ok) t.equal(refused.problems[0]!.code, code);
  }
  const outsider = confirmAttested(s.context, s.farClerk, placed.value.id, { witness: 'elder', witnessName: '', note: '读给老人听', readOut: true });
  t.equal(outsider.ok, false, 'a clerk of another site cannot confirm');
  t.same(snapshot(s.db), before, 'refused confirmations write nothing');

  // Typed with spaces at the counter: the same name as on record, and the record's spelling is kept.
  const receipt = confirmAttested(s.context, s.clerk, placed.value.id, { witness: 'family', witnessName: ' 吴 小红 ', note: '女儿陪同，读给老人听，老人同意', readOut: true });
  t.ok(receipt.ok);
  if (!receipt.ok) return;
  t.equal(receipt.value.memberName, '吴爷爷');
  t.equal(receipt.value.cardNumber, null);
  t.equal(receipt.value.payer, 'voucher');
  t.equal(receipt.value.balanceAfterMinutes, 10);
  t.equal(receipt.value.confirmedWith, 'attested');
  t.same(receipt.value.attestation, { witness: 'family', witnessName: '吴小红', note: '女儿陪同，读给老人听，老人同意', clerkUserId: s.clerk.userId });
  const audit = s.db.$client.prepare(`SELECT actor_user_id AS actor, detail FROM audit_log WHERE action = 'redemption.confirm_attested'`).get() as { actor: number; detail: string };
  t.equal(audit.actor, s.clerk.userId, 'the confirming clerk is audited');
  t.match(JSON.parse(audit.detail), { witness: 'family', witnessName: '吴小红', elderId: s.elderId });
  const again = confirmAttested(s.context, s.clerk, placed.value.id, { witness: 'elder', witnessName: '', note: 'x', readOut: true });
  t.ok(again.ok && again.value.receiptNumber === receipt.value.receiptNumber, 'confirming twice returns the same receipt');
  t.equal(voucherBalance(s.context, s.elderId).available, 10);

  const voided = voidRedemption(s.context, s.clerk, placed.value.id, '老人改主意了');
  t.ok(voided.ok, 'the usual 10-minute void works for an elder basket');
  t.equal(voucherBalance(s.context, s.elderId).available, 120);
  t.ok(verifyLedger(s.db.$client).ok, 'the ledger verifies');
});

t.test('an elder basket is refused outside a service station of the elder county, and for an elder who is a member', async (t) => {
  const s = await elderSetup();
  const member = await s.addMember('田奶奶', places.fenghuangVillage, { birthDate: '1940-05-01' });
  const withCard = s.addElder('田奶奶', places.fenghuangVillage, ['disabled'], member.memberId);
  grantVouchers(s.context, s.admin, { source: 'issuance', regionCode: '433123', elderId: withCard, amountPerElderMinutes: 60, reason: '补发', idempotencyKey: randomUUID() });
  const before = snapshot(s.db);
  const attempt = (actor: typeof s.clerk, siteId: number, elderId: number, itemId: number) =>
    placeBasket(s.context, actor, { siteId, memberId: null, elderId, payer: 'voucher', idempotencyKey: randomUUID(), lines: [{ itemId, quantity: 1 }] });
  const cases: [string, ReturnType<typeof placeBasket>][] = [
    ['redemption.error.elder_not_found', attempt(s.farClerk, s.farStation, s.elderId, s.farBath)],
    ['redemption.error.elder_not_found', attempt(s.clerk, s.station, s.otherCounty, s.bath)],
    ['redemption.error.elder_is_member', attempt(s.clerk, s.station, withCard, s.bath)],
    ['redemption.error.no_voucher', placeBasket(s.context, s.clerk, { siteId: s.station, memberId: null, elderId: s.elderId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.bath, quantity: 1 }] })],
    ['redemption.error.insufficient_balance', placeBasket(s.context, s.clerk, { siteId: s.station, memberId: null, elderId: s.elderId, payer: 'voucher', idempotencyKey: randomUUID(), lines: [{ itemId: s.bath, quantity: 2 }] })],
  ];
  for (const [code, outcome] of cases) {
    t.equal(outcome.ok, false, code);
    if (!outcome.ok) t.equal(outcome.problems[0]!.code, code);
  }
  t.same(snapshot(s.db), { ...before, ledger_failed_transfers: snapshot(s.db).ledger_failed_transfers }, 'refusals write nothing (the ledger may log its own refusal)');
  t.equal(snapshot(s.db).redemptions, before.redemptions);
});

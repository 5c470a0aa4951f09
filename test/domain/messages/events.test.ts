import t from 'tap';
import { randomUUID } from 'node:crypto';
import { verifyMemberPin, pinMaximumAttempts } from '../../../src/domain/people/members/pin.ts';
import { confirmBasket } from '../../../src/domain/redemption/counter-confirm.ts';
import { placeBasket } from '../../../src/domain/redemption/counter-basket.ts';
import { giveCredits, registerRelative } from '../../../src/domain/redemption/gifts.ts';
import { addItem } from '../../../src/domain/redemption/site-catalogue.ts';
import { registerSite } from '../../../src/domain/redemption/site-core.ts';
import { grantVouchers } from '../../../src/domain/redemption/vouchers.ts';
import { setChannel } from '../../../src/domain/messages/channel.ts';
import { pin, places, redemptionFixture, type Fixture } from '../redemption/fixture.ts';

function messagesOf(f: Fixture, memberId: number) {
  return f.db.$client.prepare('SELECT kind, params_json AS params FROM messages WHERE recipient_member_id = ? ORDER BY id').all(memberId)
    .map((row) => { const { kind, params } = row as { kind: string; params: string }; return { kind, params: JSON.parse(params) as Record<string, unknown> }; });
}
const smsOf = (f: Fixture, memberId: number) => f.db.$client.prepare('SELECT text FROM sms_outbox WHERE member_id = ? ORDER BY id').pluck().all(memberId);

t.test('a gift tells the receiver (and SMS if chosen); a refused gift tells nobody', async (t) => {
  const f = redemptionFixture();
  const daughter = await f.addMember('龙春花', places.fenghuangVillage, { credits: 600, birthDate: '1965-01-01' });
  const mother = await f.addMember('龙老太', places.fenghuangVillage2, { credits: 30, birthDate: '1940-01-01', phone: '13712345678' });
  t.ok(setChannel(f.context, f.coordinator, mother.memberId, 'sms').ok);
  registerRelative(f.context, f.coordinator, { memberId: daughter.memberId, relativeMemberId: mother.memberId, kind: 'parent_child', relation: '母女' });
  const wrong = await giveCredits(f.context, f.coordinator, { fromMemberId: daughter.memberId, toMemberId: mother.memberId, kind: 'gift', amountMinutes: 120, pin: '000111', idempotencyKey: randomUUID(), actorMemberId: null });
  t.equal(wrong.ok, false);
  t.same(messagesOf(f, mother.memberId), [], 'a refused gift writes no message');
  const gift = await giveCredits(f.context, f.coordinator, { fromMemberId: daughter.memberId, toMemberId: mother.memberId, kind: 'gift', amountMinutes: 120, pin, idempotencyKey: randomUUID(), actorMemberId: null });
  t.ok(gift.ok);
  t.same(messagesOf(f, mother.memberId), [{ kind: 'credits_gift', params: { giftId: gift.ok ? gift.value.id : 0, giverName: '龙春花', amountMinutes: 120 } }]);
  t.same(smsOf(f, mother.memberId), ['【银龄时光】龙春花赠送您2 小时，已存入存折。']);
  t.same(messagesOf(f, daughter.memberId), [], 'the giver gets no message');
});

t.test('vouchers tell elders who are members; a counter redemption sends the member a receipt with site, items, credits and balance after', async (t) => {
  const f = redemptionFixture();
  const elderMember = await f.addMember('田奶奶', places.fenghuangVillage, { credits: 0, birthDate: '1940-05-01', phone: '13712340000' });
  f.addElder('田奶奶', places.fenghuangVillage, ['disabled'], elderMember.memberId);
  f.addElder('吴爷爷', places.fenghuangVillage2, ['disabled']);
  t.ok(setChannel(f.context, f.coordinator, elderMember.memberId, 'sms').ok);
  const grant = grantVouchers(f.context, f.fenghuangOffice, { source: 'issuance', regionCode: '433123', category: 'disabled', amountPerElderMinutes: 120, reason: '重阳节助老', idempotencyKey: randomUUID() });
  t.ok(grant.ok);
  t.same(messagesOf(f, elderMember.memberId), [{ kind: 'credits_voucher', params: { grantId: grant.ok ? grant.value.id : 0, amountMinutes: 120 } }]);
  t.equal(f.db.$client.prepare("SELECT count(*) FROM messages WHERE kind = 'credits_voucher'").pluck().get(), 1, 'an elder without a member record has no inbox');

  const station = registerSite(f.context, f.admin, { name: '老家寨村服务站', kind: 'service_station', villageCode: places.fenghuangVillage, address: '村部', openingHours: '每天' });
  if (!station.ok) return t.fail('site');
  const clerk = f.addUser('站员', 'clerk', { siteId: station.value.siteId });
  const bath = addItem(f.context, clerk, station.value.siteId, { name: '助浴', kind: 'service', priceMinutes: 45, stock: null });
  if (!bath.ok) return t.fail('item');
  const placed = placeBasket(f.context, clerk, { siteId: station.value.siteId, memberId: elderMember.memberId, payer: 'voucher', idempotencyKey: randomUUID(), lines: [{ itemId: bath.value.itemId, quantity: 2 }] });
  if (!placed.ok) return t.fail(JSON.stringify(placed));
  t.equal(messagesOf(f, elderMember.memberId).length, 1, 'a basket held is not yet a receipt');
  const receipt = await confirmBasket(f.context, clerk, placed.value.id, pin);
  t.ok(receipt.ok);
  const again = await confirmBasket(f.context, clerk, placed.value.id, pin);
  t.ok(again.ok, 'confirmed twice answers the same receipt');
  t.same(messagesOf(f, elderMember.memberId).slice(1), [{
    kind: 'redemption_receipt', params: { redemptionId: placed.value.id, siteName: '老家寨村服务站', items: '助浴×2', totalMinutes: 90, balanceAfterMinutes: 30 },
  }], 'one receipt message, however many confirmations');
  t.same(smsOf(f, elderMember.memberId), ['【银龄时光】您收到2 小时服务消费券。', '【银龄时光】您在老家寨村服务站兑换助浴×2，用去1 小时 30 分，余额30 分钟。']);
});

t.test('a PIN locked by wrong tries tells the member when it unlocks, once however many guesses arrive together', async (t) => {
  const f = redemptionFixture();
  const member = await f.addMember('石秀兰', places.fenghuangVillage, { credits: 60 });
  const guesses = await Promise.all(Array.from({ length: pinMaximumAttempts + 7 }, () => verifyMemberPin(f.context, member.memberId, '000000')));
  t.ok(guesses.some((guess) => !guess.ok && guess.status === 423));
  t.same(messagesOf(f, member.memberId), [{ kind: 'pin_locked', params: { unlockAtMs: f.clock.ms + 30 * 60_000 } }]);
});

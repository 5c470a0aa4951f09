import t from 'tap';
import { fileObjection, objectionsPerAddressPerDay, objectionsPerNoticePerDay } from '../../../src/domain/stars/objections.ts';
import { createHoursApp, starOnNotice } from '../../routes/stars/helpers.ts';

/**
 * The review found that a handful of addresses filing their three objections
 * each filled a notice's daily cap and shut every other objector out, and that
 * each IPv6 address counted on its own. The cap now counts addresses, and an
 * IPv6 address counts by its /64.
 */
t.test('a notice takes objections from up to its cap of addresses; a few addresses cannot use it up', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const { awardId } = await starOnNotice(testApp);
  const context = { db: testApp.db, keys: testApp.app.secrets, now: testApp.clock.now };
  const file = (address: string) => fileObjection(context, awardId, { reason: '她那天不在村里', phone: '13912345678' }, address);
  const objections = () => testApp.db.$client.prepare('SELECT count(*) FROM star_objections WHERE award_id = ?').pluck().get(awardId);
  for (let a = 1; a <= 7; a += 1) for (let n = 0; n < objectionsPerAddressPerDay; n += 1) t.ok(file(`198.51.100.${a}`).ok, `address ${a}, objection ${n + 1}`);
  t.equal(objections(), 21, 'seven addresses filed three each: more objections than the cap, but only seven addresses');
  for (let a = 8; a <= objectionsPerNoticePerDay; a += 1) t.ok(file(`198.51.100.${a}`).ok);
  const refused = file('203.0.113.99');
  t.match(refused, { ok: false, status: 429, problems: [{ code: 'stars.error.too_many_for_notice' }] }, 'the twenty-first address is refused');
  t.equal(objections(), 21 + objectionsPerNoticePerDay - 7, 'nothing written for it');
});

t.test('the addresses of one IPv6 /64 are one address', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const { awardId } = await starOnNotice(testApp);
  const context = { db: testApp.db, keys: testApp.app.secrets, now: testApp.clock.now };
  const outcomes = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:abcd::7', '2001:db8:1:2::99']
    .map((address) => fileObjection(context, awardId, { reason: '重复', phone: '13912345678' }, address));
  t.same(outcomes.map((outcome) => outcome.ok), [true, true, true, false], 'three objections, then refused');
  t.match(outcomes[3], { status: 429, problems: [{ code: 'stars.error.too_many_from_address' }] });
  t.ok(fileObjection(context, awardId, { reason: '另一户', phone: '13912345678' }, '2001:db8:1:3::1').ok, 'the next /64 is another address');
});

import t from 'tap';
import { randomUUID } from 'node:crypto';
import { cancelBasket } from '../../../src/domain/redemption/counter-confirm.ts';
import { placeBasket } from '../../../src/domain/redemption/counter-basket.ts';
import { addClerk, clerksOf, findSite, registerSite, removeClerk, setSiteActive, updateSite } from '../../../src/domain/redemption/site-core.ts';
import { addItem, itemsOf, publicSites, updateItem } from '../../../src/domain/redemption/site-catalogue.ts';
import { places, redemptionFixture, snapshot } from './fixture.ts';

function setup() {
  const f = redemptionFixture();
  const site = registerSite(f.context, f.admin, { name: '老家寨村爱心超市', kind: 'love_supermarket', villageCode: places.fenghuangVillage, address: '村部一楼', openingHours: '每天 8:00-17:00' });
  if (!site.ok) throw new Error('site');
  const siteId = site.value.siteId;
  const clerk = f.addUser('店员甲', 'clerk', { siteId });
  const rice = addItem(f.context, clerk, siteId, { name: '大米', kind: 'goods', priceMinutes: 120, stock: 10 });
  const oil = addItem(f.context, clerk, siteId, { name: '食用油', kind: 'goods', priceMinutes: 90, stock: 10 });
  if (!rice.ok || !oil.ok) throw new Error('items');
  const audits = (action: string) => f.db.$client.prepare('SELECT detail FROM audit_log WHERE action = ? ORDER BY id').pluck().all(action) as string[];
  return { ...f, siteId, clerk, rice: rice.value.itemId, oil: oil.value.itemId, audits };
}

t.test('an item name and price change, audited; placed baskets keep their price', async (t) => {
  const s = setup();
  const member = await s.addMember('龙秀英', places.fenghuangVillage, { credits: 600 });
  const placed = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: member.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.rice, quantity: 1 }] });
  t.ok(placed.ok);
  const changed = updateItem(s.context, s.clerk, s.rice, { name: '大米 5 千克', priceMinutes: 150 });
  t.ok(changed.ok);
  const rice = itemsOf(s.db, s.siteId).find((item) => item.id === s.rice)!;
  t.equal(rice.name, '大米 5 千克');
  t.equal(rice.priceMinutes, 150);
  t.match(JSON.parse(s.audits('site.item_update').at(-1)!), { nameBefore: '大米', name: '大米 5 千克', priceMinutesBefore: 120, priceMinutes: 150 });
  if (placed.ok) {
    t.equal(placed.value.totalMinutes, 120);
    t.equal(s.db.$client.prepare('SELECT price_minutes FROM redemption_lines WHERE redemption_id = ?').pluck().get(placed.value.id), 120, 'the line keeps the old price');
    t.ok(cancelBasket(s.context, s.clerk, placed.value.id).ok);
  }

  const before = snapshot(s.db);
  const auditCount = s.db.$client.prepare('SELECT count(*) FROM audit_log').pluck().get();
  const refusals: [string, ReturnType<typeof updateItem>][] = [
    ['redemption.error.price_invalid', updateItem(s.context, s.clerk, s.rice, { priceMinutes: 0 })],
    ['redemption.error.price_invalid', updateItem(s.context, s.clerk, s.rice, { priceMinutes: Number.NaN })],
    ['redemption.error.item_name_required', updateItem(s.context, s.clerk, s.rice, { name: '  ' })],
    ['redemption.error.item_name_invalid', updateItem(s.context, s.clerk, s.rice, { name: '<script>' })],
    ['redemption.error.item_name_taken', updateItem(s.context, s.clerk, s.rice, { name: '食用油' })],
    ['redemption.error.site_not_found', updateItem(s.context, s.addUser('别的店员', 'clerk', { siteId: 999 }), s.rice, { priceMinutes: 60 })],
  ];
  for (const [code, outcome] of refusals) {
    t.equal(outcome.ok, false, code);
    if (!outcome.ok) t.equal(outcome.problems[0]!.code, code);
  }
  t.same(snapshot(s.db), before);
  t.equal(s.db.$client.prepare('SELECT count(*) FROM audit_log').pluck().get(), auditCount, 'refusals write nothing, not even an audit entry');
  t.equal(itemsOf(s.db, s.siteId).find((item) => item.id === s.rice)!.priceMinutes, 150);
});

t.test('clerks are removed by coordinators and offices over the site, audited', async (t) => {
  const s = setup();
  const other = s.addUser('店员乙', 'volunteer', { regionCode: places.fenghuangVillage });
  t.ok(addClerk(s.context, s.coordinator, s.siteId, other.userId).ok);
  t.equal(clerksOf(s.db, s.siteId).length, 2);
  const byClerk = removeClerk(s.context, s.clerk, s.siteId, other.userId);
  t.equal(byClerk.ok, false, 'a clerk does not remove clerks');
  const byCity = removeClerk(s.context, s.cityOffice, s.siteId, other.userId);
  t.equal(byCity.ok, false, 'an office of another region does not');
  const removed = removeClerk(s.context, s.coordinator, s.siteId, other.userId);
  t.ok(removed.ok);
  t.same(clerksOf(s.db, s.siteId).map((c) => c.userId), [s.clerk.userId]);
  t.equal(s.db.$client.prepare(`SELECT count(*) FROM user_roles WHERE user_id = ? AND role = 'volunteer'`).pluck().get(other.userId), 1, 'their other roles stay');
  t.match(JSON.parse(s.audits('site.clerk_remove')[0]!), { userId: other.userId });
  const again = removeClerk(s.context, s.coordinator, s.siteId, other.userId);
  t.equal(again.ok, false);
  if (!again.ok) t.equal(again.problems[0]!.code, 'redemption.error.clerk_not_found');
  t.equal(s.audits('site.clerk_remove').length, 1);
});

t.test('a site is edited and closed with a reason; a closed site takes no baskets and leaves the public list', async (t) => {
  const s = setup();
  const edit = { name: '老家寨村互助超市', kind: 'love_supermarket', address: '村部二楼', openingHours: '周一至周六 8:00-18:00' };
  t.equal(updateSite(s.context, s.clerk, s.siteId, edit).ok, false, 'clerks do not edit the site');
  t.equal(updateSite(s.context, s.cityOffice, s.siteId, edit).ok, false, 'out of scope');
  const bad = updateSite(s.context, s.fenghuangOffice, s.siteId, { ...edit, kind: 'casino' });
  t.ok(!bad.ok && bad.problems[0]!.code === 'redemption.error.kind_invalid');
  const blank = updateSite(s.context, s.fenghuangOffice, s.siteId, { ...edit, address: ' ' });
  t.ok(!blank.ok && blank.problems[0]!.code === 'redemption.error.address_required');
  t.equal(s.audits('site.update').length, 0, 'refusals write nothing');
  t.ok(updateSite(s.context, s.fenghuangOffice, s.siteId, edit).ok);
  const site = findSite(s.db, s.siteId)!;
  t.match(site, { name: '老家寨村互助超市', address: '村部二楼', openingHours: '周一至周六 8:00-18:00', villageCode: places.fenghuangVillage });
  t.match(JSON.parse(s.audits('site.update')[0]!), { nameBefore: '老家寨村爱心超市', name: '老家寨村互助超市', addressBefore: '村部一楼' });

  const noReason = setSiteActive(s.context, s.coordinator, s.siteId, false, ' ');
  t.ok(!noReason.ok && noReason.problems[0]!.code === 'redemption.error.reason_required');
  t.equal(setSiteActive(s.context, s.clerk, s.siteId, false, '装修').ok, false, 'clerks do not close the site');
  t.ok(setSiteActive(s.context, s.coordinator, s.siteId, false, '村部装修，暂停两周').ok);
  t.equal(findSite(s.db, s.siteId)!.active, false);
  t.notOk(publicSites(s.db).some((p) => p.id === s.siteId), 'off the public list');
  const member = await s.addMember('龙秀英', places.fenghuangVillage, { credits: 600 });
  const placed = placeBasket(s.context, s.clerk, { siteId: s.siteId, memberId: member.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.rice, quantity: 1 }] });
  t.ok(!placed.ok && placed.problems[0]!.code === 'redemption.error.site_inactive');
  t.ok(setSiteActive(s.context, s.coordinator, s.siteId, true, '装修完成').ok);
  t.equal(findSite(s.db, s.siteId)!.active, true);
  t.same(s.db.$client.prepare(`SELECT action FROM audit_log WHERE action IN ('site.close','site.reopen') ORDER BY id`).pluck().all(), ['site.close', 'site.reopen']);
});

import t from 'tap';
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { regions } from '../../../src/db/schema/core.ts';
import { members } from '../../../src/db/schema/people.ts';
import { partnerSites, redemptionLines, redemptions } from '../../../src/db/schema/redemption.ts';
import { pinConsentOf } from '../../../src/domain/people/members/pin.ts';
import { memberFacts } from '../../../src/domain/redemption/context.ts';
import { countyCodeOfPath } from '../../../src/domain/regions/path.ts';
import { confirmBasket, cancelBasket, linesOf } from '../../../src/domain/redemption/counter-confirm.ts';
import { placeBasket } from '../../../src/domain/redemption/counter-basket.ts';
import { findRedemption } from '../../../src/domain/redemption/counter-core.ts';
import { addItem } from '../../../src/domain/redemption/site-catalogue.ts';
import { findSite, registerSite, setSiteActive } from '../../../src/domain/redemption/site-core.ts';
import { pin, places, redemptionFixture } from './fixture.ts';

// findSite and findRedemption are raw SQL on the statement cache (read on every counter request); they must
// give exactly what drizzle's select gave: the same keys, the same values, booleans as booleans.
t.test('findSite and findRedemption (raw SQL) equal the drizzle selects they replace, for held, confirmed and cancelled baskets', async (t) => {
  const s = redemptionFixture();
  const site = registerSite(s.context, s.admin, { name: '旺溪村爱心超市', kind: 'love_supermarket', villageCode: places.longhuiVillage, address: '旺溪村村部一楼', openingHours: '周一至周六 8:00-17:00' });
  if (!site.ok) throw new Error(JSON.stringify(site));
  const siteId = site.value.siteId;
  const clerk = s.addUser('吴小梅', 'clerk', { siteId });
  const oil = addItem(s.context, clerk, siteId, { name: '食用油 1L', kind: 'goods', priceMinutes: 60, stock: 10 });
  if (!oil.ok) throw new Error('item');
  const member = await s.addMember('龙秀英', places.fenghuangVillage, { credits: 300 });
  const basket = () => {
    const placed = placeBasket(s.context, clerk, { siteId, memberId: member.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: oil.value.itemId, quantity: 1 }] });
    if (!placed.ok) throw new Error(JSON.stringify(placed));
    return placed.value.id;
  };
  const confirmed = basket();
  t.ok((await confirmBasket(s.context, clerk, confirmed, pin)).ok);
  const cancelled = basket();
  t.ok(cancelBasket(s.context, clerk, cancelled).ok);
  const held = basket();
  for (const id of [confirmed, cancelled, held]) {
    const drizzle = s.db.select().from(redemptions).where(eq(redemptions.id, id)).get();
    t.same(findRedemption(s.context, id), drizzle, `basket ${drizzle?.status}`);
    t.same(Object.keys(findRedemption(s.context, id)!), Object.keys(drizzle!), 'the same keys in the same order');
  }
  t.equal(findRedemption(s.context, 999_999), undefined, 'no such basket');
  const drizzleSite = () => s.db.select({
    id: partnerSites.id, name: partnerSites.name, kind: partnerSites.kind, villageCode: partnerSites.villageCode,
    countyCode: partnerSites.countyCode, address: partnerSites.address, openingHours: partnerSites.openingHours,
    active: partnerSites.active, idempotencyKey: partnerSites.idempotencyKey, createdByUserId: partnerSites.createdByUserId,
    createdAtMs: partnerSites.createdAtMs, villageName: regions.nameZh, villageNameEn: regions.nameEn, villagePath: regions.path,
  }).from(partnerSites).innerJoin(regions, eq(regions.code, partnerSites.villageCode)).where(eq(partnerSites.id, siteId)).get();
  t.same(findSite(s.db, siteId), drizzleSite());
  t.equal(findSite(s.db, siteId)!.active, true, 'active as a boolean');
  t.ok(setSiteActive(s.context, s.admin, siteId, false, '装修停业').ok);
  t.same(findSite(s.db, siteId), drizzleSite());
  t.equal(findSite(s.db, siteId)!.active, false, 'inactive as a boolean');
  t.equal(findSite(s.db, 999_999), undefined, 'no such site');
});

t.test('linesOf and pinConsentOf (raw SQL) equal the drizzle selects they replace', async (t) => {
  const s = redemptionFixture();
  const site = registerSite(s.context, s.admin, { name: '旺溪村爱心超市', kind: 'love_supermarket', villageCode: places.longhuiVillage, address: '旺溪村村部一楼', openingHours: '周一至周六 8:00-17:00' });
  if (!site.ok) throw new Error(JSON.stringify(site));
  const clerk = s.addUser('吴小梅', 'clerk', { siteId: site.value.siteId });
  const oil = addItem(s.context, clerk, site.value.siteId, { name: '食用油 1L', kind: 'goods', priceMinutes: 60, stock: 10 });
  const haircut = addItem(s.context, clerk, site.value.siteId, { name: '理发', kind: 'service', priceMinutes: 30, stock: null });
  if (!oil.ok || !haircut.ok) throw new Error('items');
  const member = await s.addMember('龙秀英', places.fenghuangVillage, { credits: 300 });
  const placed = placeBasket(s.context, clerk, { siteId: site.value.siteId, memberId: member.memberId, payer: 'wallet', idempotencyKey: randomUUID(),
    lines: [{ itemId: haircut.value.itemId, quantity: 1 }, { itemId: oil.value.itemId, quantity: 2 }] });
  if (!placed.ok) throw new Error(JSON.stringify(placed));
  const drizzleLines = s.db.select({ itemId: redemptionLines.itemId, name: redemptionLines.name, priceMinutes: redemptionLines.priceMinutes, quantity: redemptionLines.quantity })
    .from(redemptionLines).where(eq(redemptionLines.redemptionId, placed.value.id)).orderBy(asc(redemptionLines.id)).all();
  t.equal(drizzleLines.length, 2);
  t.same(linesOf(s.context, placed.value.id), drizzleLines, 'both lines, in the order they were added');
  t.same(linesOf(s.context, 999_999), [], 'no lines');
  const drizzleConsent = () => s.db.select({ setByStaff: members.pinSetByStaff, resetByUserId: members.pinResetByUserId, setAtMs: members.pinSetAtMs, cardTokenHash: members.cardTokenHash })
    .from(members).where(eq(members.id, member.memberId)).get();
  t.same(pinConsentOf(s.context, member.memberId), drizzleConsent());
  t.equal(pinConsentOf(s.context, member.memberId)!.setByStaff, false, 'a boolean');
  s.db.update(members).set({ pinSetByStaff: true, pinResetByUserId: clerk.userId }).where(eq(members.id, member.memberId)).run();
  t.same(pinConsentOf(s.context, member.memberId), drizzleConsent());
  t.equal(pinConsentOf(s.context, member.memberId)!.setByStaff, true, 'set by staff: true, a boolean');
  t.equal(pinConsentOf(s.context, 999_999), undefined, 'no such member');
});

t.test('memberFacts (raw SQL) equals the drizzle select it replaces, with the county from the village path', async (t) => {
  const s = redemptionFixture();
  const member = await s.addMember('龙秀英', places.fenghuangVillage, { credits: 300 });
  const row = s.db.select({
    id: members.id, realName: members.realName, status: members.status, villageCode: members.villageCode,
    villagePath: regions.path, birthDate: members.birthDate, cardNumber: members.cardNumber,
  }).from(members).innerJoin(regions, eq(regions.code, members.villageCode)).where(eq(members.id, member.memberId)).get();
  if (!row) throw new Error('member');
  const facts = memberFacts(s.db, member.memberId);
  t.same(facts, { ...row, countyCode: countyCodeOfPath(row.villagePath) ?? '' });
  t.equal(facts?.realName, '龙秀英');
  t.equal(facts?.cardNumber, member.cardNumber, 'the card number');
  t.ok(facts?.countyCode, 'a county code');
  t.equal(memberFacts(s.db, 999_999), undefined, 'no such member');
});

import { randomUUID } from 'node:crypto';
import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings, users } from '../../db/schema/core.ts';
import { members } from '../../db/schema/people.ts';
import { partnerSites } from '../../db/schema/redemption.ts';
import { TransferFlags } from '../../ledger/index.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';
import { actorOf, grantsOf } from '../auth/users.ts';
import { demoIdNumber, demoVolunteerIdNumber } from './id-numbers.ts';
import { addDays, shanghaiDateOf } from '../hours/time.ts';
import { registerElder } from '../people/elders/register.ts';
import { accountIds, accountInputs, countyAccounts, ensureAccounts, ledgerFor } from '../bookkeeping/accounts.ts';
import { hashPin } from '../people/members/pin-hash.ts';
import { setMemberPin } from '../people/members/pin.ts';
import { registerMember } from '../people/members/register.ts';
import type { RedemptionContext } from '../redemption/context.ts';
import { confirmBasket } from '../redemption/counter-confirm.ts';
import { placeBasket } from '../redemption/counter-basket.ts';
import { giveCredits, registerRelative } from '../redemption/gifts.ts';
import { postRequest } from '../redemption/requests.ts';
import { addClerk, registerSite } from '../redemption/site-core.ts';
import { addItem } from '../redemption/site-catalogue.ts';
import { grantVouchers } from '../redemption/vouchers.ts';
import { present } from '../../lib/assert.ts';

/** Every demo member's redemption PIN. Demo data only. */
export const demoRedemptionPin = '258036';
const seededKey = 'demo.redemption_seeded_at_ms';

interface DemoMember {
  key: string;
  name: string;
  village: string;
  birthDate: string;
  phone: string | null;
  openingHours: number;
  gender: 'male' | 'female';
}

const demoMembers: DemoMember[] = [
  { key: 'longxiuying', name: '龙秀英', village: '433123101001', birthDate: '1958-04-12', phone: '13900000011', openingHours: 20, gender: 'female' },
  { key: 'yangguofu', name: '杨国富', village: '433123101002', birthDate: '1956-09-30', phone: '13900000012', openingHours: 6, gender: 'male' },
  { key: 'luochunlan', name: '罗春兰', village: '430524101001', birthDate: '1961-02-18', phone: '13900000013', openingHours: 12, gender: 'female' },
  { key: 'liudaye', name: '刘德顺', village: '433123101001', birthDate: '1938-11-05', phone: null, openingHours: 1, gender: 'male' },
  { key: 'shiji', name: '彭桂芝', village: '433101001001', birthDate: '1957-07-07', phone: '13900000014', openingHours: 8, gender: 'female' },
];

/**
 * The redemption part of the demo network: partner sites with catalogues in
 * three counties (site 1 is the love supermarket of 旺溪村, 隆回县, where the
 * demo clerk 13800000003 works; site 2 the service station of 老家寨村, 凤凰县),
 * demo members with opening balances (code 'opening') and PIN 258036, a
 * registered relative pair, vouchers for the 失能 elders of 凤凰县, a few
 * redemptions (two across counties, one paid by voucher), a gift and an open
 * service request. Runs once (a settings key) and only after seedDemo (needs
 * its regions and users). Returns false when it did nothing.
 */
export async function seedRedemption(db: Db, keys: PeopleKeys, nowMs: number = Date.now()): Promise<boolean> {
  if (db.select().from(settings).where(eq(settings.key, seededKey)).get()) return false;
  if (db.select({ id: partnerSites.id }).from(partnerSites).limit(1).get()) return false;
  const adminUser = db.select({ id: users.id }).from(users).where(eq(users.phone, '13800000006')).get();
  if (!adminUser) return false;
  const context: RedemptionContext = { db, keys, now: () => nowMs };
  const admin = { userId: adminUser.id, grants: grantsOf(db, adminUser.id) };
  const peopleContext = { db, keys, now: () => nowMs };
  const peopleAdmin = actorOf(db, adminUser.id);
  // Demo members chose their own PINs (as if signed in): a PIN set by staff would not authorise the demo's gifts.
  const asMember = (memberId: number) => ({ userId: adminUser.id, memberId, grants: [] });
  const must = <T>(outcome: { ok: true; value: T } | { ok: false; problems: unknown }, what: string): T => {
    if (!outcome.ok) throw new Error(`demo redemption seed: ${what}: ${JSON.stringify(outcome.problems)}`);
    return outcome.value;
  };

  const sites = [
    { name: '旺溪村爱心超市', kind: 'love_supermarket', villageCode: '430524101001', address: '隆回县小沙江镇旺溪村村部一楼', openingHours: '周一至周六 8:00-17:30' },
    { name: '老家寨村互助服务站', kind: 'service_station', villageCode: '433123101001', address: '凤凰县山江镇老家寨村综合服务中心', openingHours: '每天 8:00-18:00' },
    { name: '东方社区长者食堂', kind: 'canteen', villageCode: '430524100001', address: '隆回县桃洪镇东方社区文化楼', openingHours: '午餐 11:00-13:00，晚餐 17:00-18:30' },
    { name: '世纪社区爱心超市', kind: 'love_supermarket', villageCode: '433101001001', address: '吉首市乾州街道世纪社区服务中心', openingHours: '周一至周五 9:00-17:00' },
  ].map((site) => must(registerSite(context, admin, site), site.name).siteId);
  const catalogues: Record<number, { name: string; kind: 'goods' | 'service'; priceMinutes: number; stock: number | null }[]> = {
    [present(sites[0], 'demo data holds sites[0]')]: [
      { name: '大米 5 千克', kind: 'goods', priceMinutes: 120, stock: 40 },
      { name: '食用油 1.8 升', kind: 'goods', priceMinutes: 90, stock: 25 },
      { name: '洗衣粉 1 千克', kind: 'goods', priceMinutes: 30, stock: 60 },
      { name: '毛巾', kind: 'goods', priceMinutes: 15, stock: 80 },
      { name: '鸡蛋 10 个', kind: 'goods', priceMinutes: 30, stock: 3 },
    ],
    [present(sites[1], 'demo data holds sites[1]')]: [
      { name: '助浴服务（一次）', kind: 'service', priceMinutes: 90, stock: null },
      { name: '理发', kind: 'service', priceMinutes: 30, stock: null },
      { name: '上门打扫（两小时）', kind: 'service', priceMinutes: 120, stock: null },
      { name: '血压计', kind: 'goods', priceMinutes: 300, stock: 4 },
    ],
    [present(sites[2], 'demo data holds sites[2]')]: [
      { name: '午餐一份', kind: 'service', priceMinutes: 20, stock: null },
      { name: '晚餐一份', kind: 'service', priceMinutes: 20, stock: null },
    ],
    [present(sites[3], 'demo data holds sites[3]')]: [
      { name: '挂面 1 千克', kind: 'goods', priceMinutes: 20, stock: 50 },
      { name: '牙膏', kind: 'goods', priceMinutes: 15, stock: 30 },
    ],
  };
  const items: Record<string, number> = {};
  for (const [siteId, list] of Object.entries(catalogues)) {
    for (const item of list) items[`${siteId}:${item.name}`] = must(addItem(context, admin, Number(siteId), item), item.name).itemId;
  }
  // The demo clerk (site 1) already holds the role from seedDemo; make sure of it.
  const clerkUser = db.select({ id: users.id }).from(users).where(eq(users.phone, '13800000003')).get();
  if (clerkUser) must(addClerk(context, admin, present(sites[0], 'demo data holds sites[0]'), clerkUser.id), 'clerk');

  const ledger = ledgerFor(db.$client, () => nowMs);
  const memberIds: Record<string, number> = {};
  const idNumbers: Record<string, string> = {};
  let sequence = 700;
  for (const member of demoMembers) {
    sequence += 2;
    const registered = must(registerMember(peopleContext, peopleAdmin, {
      realName: member.name, phone: member.phone, idNumber: demoIdNumber(member.village.slice(0, 6), member.birthDate, sequence, member.gender), villageCode: member.village,
    }), member.name);
    memberIds[member.key] = registered.memberId;
    idNumbers[member.key] = demoIdNumber(member.village.slice(0, 6), member.birthDate, sequence, member.gender);
    must(await setMemberPin(peopleContext, asMember(registered.memberId), registered.memberId, demoRedemptionPin), `${member.name} PIN`);
    const county = member.village.slice(0, 6);
    ensureAccounts(ledger, [...countyAccounts(county), accountInputs.wallet(registered.memberId)]);
    const [result] = ledger.createTransfers([{
      id: `demo:opening:m${registered.memberId}`, debitAccountId: accountIds.issuance(county), creditAccountId: accountIds.wallet(registered.memberId),
      amount: member.openingHours * 60, code: 'opening', flags: TransferFlags.none, refType: 'demo', refId: 'opening',
    }]);
    if (result !== 'ok' && result !== 'exists') throw new Error(`demo opening balance: ${result}`);
  }
  // The demo volunteer sign-in (王秀英) gets a member record of her own, so "my credits" pages have data.
  const volunteerUser = db.select({ id: users.id }).from(users).where(and(eq(users.phone, '13800000001'), isNull(users.memberId))).get();
  if (volunteerUser) {
    const wang = must(registerMember(peopleContext, peopleAdmin, { realName: '王秀英', phone: '13800000001', idNumber: demoVolunteerIdNumber, villageCode: '433123101001' }), '王秀英');
    must(await setMemberPin(peopleContext, asMember(wang.memberId), wang.memberId, demoRedemptionPin), '王秀英 PIN');
    db.update(users).set({ memberId: wang.memberId }).where(eq(users.id, volunteerUser.id)).run();
    memberIds.wangxiuying = wang.memberId;
    ensureAccounts(ledger, [accountInputs.wallet(wang.memberId)]);
    ledger.createTransfers([{ id: `demo:opening:m${wang.memberId}`, debitAccountId: accountIds.issuance('433123'), creditAccountId: accountIds.wallet(wang.memberId), amount: 10 * 60, code: 'opening', refType: 'demo', refId: 'opening' }]);
  }
  // The demo volunteer (however her member record came to be: here or in the hours demo) is 刘德顺's daughter.
  const volunteerMemberId = db.select({ memberId: users.memberId }).from(users).where(eq(users.phone, '13800000001')).get()?.memberId ?? null;
  if (volunteerMemberId !== null) {
    // The hours demo may have created her member record without a PIN; she needs one to give credits.
    const hasPin = db.select({ pinHash: members.pinHash }).from(members).where(eq(members.id, volunteerMemberId)).get()?.pinHash;
    if (!hasPin) must(await setMemberPin(peopleContext, asMember(volunteerMemberId), volunteerMemberId, demoRedemptionPin), '王秀英 PIN');
    ensureAccounts(ledger, [accountInputs.wallet(volunteerMemberId)]);
    must(registerRelative(context, admin, { memberId: volunteerMemberId, relativeMemberId: present(memberIds.liudaye, 'demo data holds memberIds.liudaye'), kind: 'parent_child', relation: '父女' }), 'relative');
  }
  must(registerRelative(context, admin, { memberId: present(memberIds.longxiuying, 'demo data holds memberIds.longxiuying'), relativeMemberId: present(memberIds.yangguofu, 'demo data holds memberIds.yangguofu'), kind: 'spouse', relation: '夫妻' }), 'relative');

  const elderId = must(registerElder(peopleContext, peopleAdmin, {
    realName: '刘德顺', idNumber: present(idNumbers.liudaye, 'demo data holds idNumbers.liudaye'), villageCode: '433123101001', memberId: present(memberIds.liudaye, 'demo data holds memberIds.liudaye'), categories: ['disabled', 'advanced_age'],
    consent: { givenBy: 'self', method: 'written' }, sensitiveConsent: { givenBy: 'family', givenByName: '刘家', method: 'written' },
  }), 'elder').elderId;
  must(grantVouchers(context, admin, { source: 'issuance', regionCode: '433123', category: 'disabled', amountPerElderMinutes: 6 * 60, reason: '2026 年重阳节居家服务消费券', idempotencyKey: randomUUID() }), 'vouchers');

  const redeem = async (siteIndex: number, memberKey: string, lines: [string, number][], payer: 'wallet' | 'voucher' = 'wallet') => {
    const siteId = present(sites[siteIndex], 'demo data holds sites[siteIndex]');
    const placed = must(placeBasket(context, admin, {
      siteId, memberId: present(memberIds[memberKey], 'demo data holds memberIds[memberKey]'), payer, idempotencyKey: randomUUID(), lines: lines.map(([name, quantity]) => ({ itemId: present(items[`${siteId}:${name}`], 'demo data holds items[${siteId}:${name}]'), quantity })),
    }), `basket ${memberKey}`);
    must(await confirmBasket(context, admin, placed.id, demoRedemptionPin), `confirm ${memberKey}`);
  };
  await redeem(0, 'longxiuying', [['大米 5 千克', 1], ['毛巾', 2]]); // 凤凰县 member in 隆回县: across counties
  await redeem(0, 'luochunlan', [['食用油 1.8 升', 1]]);
  await redeem(3, 'longxiuying', [['挂面 1 千克', 2]]); // 凤凰县 member in 吉首市
  await redeem(1, 'shiji', [['理发', 1]]); // 吉首市 member in 凤凰县
  await redeem(1, 'liudaye', [['助浴服务（一次）', 1]], 'voucher');
  await redeem(2, 'luochunlan', [['午餐一份', 3]]);
  must(await giveCredits(context, admin, { fromMemberId: present(memberIds.longxiuying, 'demo data holds memberIds.longxiuying'), toMemberId: present(memberIds.yangguofu, 'demo data holds memberIds.yangguofu'), kind: 'gift', amountMinutes: 60, pin: demoRedemptionPin, idempotencyKey: randomUUID(), actorMemberId: null }), 'gift');
  must(postRequest(context, admin, { elderId, payer: 'voucher', serviceCategory: 'cleaning', description: '打扫房间、换洗床单', scheduledFor: `${addDays(shanghaiDateOf(nowMs), 7)}T09:00`, place: '老家寨村刘德顺家', offeredMinutes: 60, idempotencyKey: randomUUID(), actorMemberId: null }), 'request');
  giveEveryCardholderTheDemoPin(db, keys, nowMs);
  db.insert(settings).values({ key: seededKey, value: String(nowMs), updatedAtMs: nowMs }).run();
  return true;
}

/**
 * Every active demo member with a card gets the demo PIN (README), so an
 * elder such as 龙玉兰 can confirm a visit: stored as the HMAC each member's
 * own PIN gets (pin-hash.ts; microseconds each, so seeding stays fast).
 */
export function giveEveryCardholderTheDemoPin(db: Db, keys: PeopleKeys, nowMs: number): void {
  const withoutPin = db.select({ id: members.id }).from(members)
    .where(and(isNull(members.pinHash), isNotNull(members.cardNumber), eq(members.status, 'active'))).all();
  for (const { id } of withoutPin) {
    db.update(members).set({ pinHash: hashPin(keys, id, demoRedemptionPin), pinSetAtMs: nowMs, updatedAtMs: nowMs }).where(eq(members.id, id)).run();
  }
}

import { readFileSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Actor } from '../../../src/domain/access/authorize.ts';
import { clearingAccess, recordSettlement, settlementAccess } from '../../../src/domain/redemption/clearing.ts';
import type { Outcome, Refusal } from '../../../src/domain/redemption/context.ts';
import { placeBasket } from '../../../src/domain/redemption/counter-basket.ts';
import { cancelBasket, confirmAttested, confirmBasket, voidRedemption } from '../../../src/domain/redemption/counter-confirm.ts';
import { counterAccess, siteForCounter } from '../../../src/domain/redemption/counter-core.ts';
import { identifyElder } from '../../../src/domain/redemption/counter-identify.ts';
import { giftsAccess, giveCredits, registerRelative, relativesAccess } from '../../../src/domain/redemption/gifts.ts';
import { defaultPolicy, policyAccess } from '../../../src/domain/redemption/policy.ts';
import { publishPolicyVersion, withdrawPolicyVersion } from '../../../src/domain/redemption/policy-versions.ts';
import { acceptRequest, cancelRequest, confirmRequest, postRequest, requestsAccess } from '../../../src/domain/redemption/requests.ts';
import { addItem, changeStock, updateItem } from '../../../src/domain/redemption/site-catalogue.ts';
import { addClerk, registerSite, removeClerk, setSiteActive, siteToKeep, siteToManage, sitesAccess, updateSite } from '../../../src/domain/redemption/site-core.ts';
import { grantVouchers, vouchersAccess } from '../../../src/domain/redemption/vouchers.ts';
import { pin, places, redemptionFixture, rowCount, snapshot, type Fixture } from './fixture.ts';

/**
 * Issue 15: the redemption routes no longer call request.authorize; each
 * domain function a page calls checks the role itself first, before it looks
 * anything up, with the refusal of the 403 page request.authorize rendered
 * (errors.forbidden.message), and writes nothing. The routes turn that
 * refusal into the page; test/routes/access-matrix.test.ts checks the same
 * over HTTP for every demo role.
 */

const forbidden = '403 errors.forbidden.message';
const missingId = 987654;

function answer(outcome: Outcome<unknown> | Refusal | { ok: true } | null): string {
  if (outcome === null || outcome.ok) return 'ok';
  return `${outcome.status} ${outcome.problems[0]?.code}`;
}

/** What the database holds that any of these functions could write. */
function written(f: Fixture): Record<string, number> {
  return { ...snapshot(f.db), ...Object.fromEntries(['partner_sites', 'site_items', 'user_roles', 'audit_log', 'idempotency_keys', 'settings', 'policy_versions'].map((table) => [table, rowCount(f.db, table)])) };
}

async function setting() {
  const f = redemptionFixture();
  const site = registerSite(f.context, f.admin, { name: '老家寨村服务站', kind: 'service_station', villageCode: places.fenghuangVillage, address: '村部一楼', openingHours: '每天 8:00-17:00' });
  if (!site.ok) throw new Error('site');
  const siteId = site.value.siteId;
  const clerk = f.addUser('店员甲', 'clerk', { siteId });
  const item = addItem(f.context, clerk, siteId, { name: '大米', kind: 'goods', priceMinutes: 60, stock: 10 });
  if (!item.ok) throw new Error('item');
  const member = await f.addMember('龙秀英', places.fenghuangVillage, { credits: 600 });
  const relative = await f.addMember('龙二妹', places.fenghuangVillage, { credits: 60 });
  const elderId = f.addElder('田秀英', places.fenghuangVillage, ['living_alone']);
  const basket = placeBasket(f.context, clerk, { siteId, memberId: member.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: item.value.itemId, quantity: 1 }], present: true });
  if (!basket.ok) throw new Error(`basket ${JSON.stringify(basket)}`);
  const volunteer = f.addUser('龙秀英', 'volunteer', { regionCode: places.fenghuangVillage });
  const request = postRequest(f.context, volunteer, {
    requesterMemberId: member.memberId, payer: 'wallet', serviceCategory: 'cleaning', description: '打扫房间', scheduledFor: '2026-11-25T09:00', place: '家中', offeredMinutes: 60,
    idempotencyKey: randomUUID(), actorMemberId: member.memberId,
  });
  if (!request.ok) throw new Error(`request ${JSON.stringify(request)}`);
  return { f, siteId, clerk, volunteer, itemId: item.value.itemId, memberId: member.memberId, relativeId: relative.memberId, elderId, basketId: basket.value.id, requestId: request.value.id };
}

type Setting = Awaited<ReturnType<typeof setting>>;
type Call = [string, (actor: Actor) => Outcome<unknown> | Refusal | { ok: true } | null | Promise<Outcome<unknown>>];

/** Every redemption-domain call a staff page makes (`id` replaces the object's id). */
function staffCalls(s: Setting, id?: number): Call[] {
  const { f } = s;
  const site = id ?? s.siteId;
  const item = id ?? s.itemId;
  const basket = id ?? s.basketId;
  return [
    ['vouchersAccess', (actor) => vouchersAccess(actor)],
    ['grantVouchers', (actor) => grantVouchers(f.context, actor, { source: 'issuance', regionCode: '433123', elderId: id ?? s.elderId, amountPerElderMinutes: 60, reason: '重阳节', idempotencyKey: randomUUID() })],
    ['relativesAccess', (actor) => relativesAccess(actor)],
    ['registerRelative', (actor) => registerRelative(f.context, actor, { memberId: id ?? s.memberId, relativeMemberId: s.relativeId, kind: 'parent_child', relation: '女儿' })],
    ['clearingAccess', (actor) => clearingAccess(actor)],
    ['settlementAccess', (actor) => settlementAccess(actor)],
    ['recordSettlement', (actor) => recordSettlement(f.context, actor, { fromCountyCode: '433123', toCountyCode: '430524', amountMinutes: 60, note: '月结', idempotencyKey: randomUUID() })],
    ['policyAccess', (actor) => policyAccess(actor)],
    ['publishPolicyVersion', (actor) => publishPolicyVersion(f.context, actor, { effectiveDate: '2099-01-01', rules: { ...defaultPolicy, careAgeYears: 70 }, idempotencyKey: randomUUID() })],
    ['withdrawPolicyVersion', (actor) => withdrawPolicyVersion(f.context, actor, 1)],
    ['sitesAccess', (actor) => sitesAccess(actor)],
    ['registerSite', (actor) => registerSite(f.context, actor, { name: '新站', kind: 'canteen', villageCode: places.fenghuangVillage, address: '村口', openingHours: '中午', idempotencyKey: randomUUID() })],
    ['siteToManage', (actor) => siteToManage(f.context, actor, site)],
    ['addClerk', (actor) => addClerk(f.context, actor, site, actor.userId)],
    ['removeClerk', (actor) => removeClerk(f.context, actor, site, s.clerk.userId)],
    ['updateSite', (actor) => updateSite(f.context, actor, site, { name: '改名', kind: 'canteen', address: '村口', openingHours: '中午' })],
    ['setSiteActive', (actor) => setSiteActive(f.context, actor, site, false, '装修')],
    ['siteToKeep', (actor) => siteToKeep(f.context, actor, site)],
    ['addItem', (actor) => addItem(f.context, actor, site, { name: '食用油', kind: 'goods', priceMinutes: 60, stock: 1 })],
    ['updateItem', (actor) => updateItem(f.context, actor, item, { priceMinutes: 30 })],
    ['changeStock', (actor) => changeStock(f.context, actor, item, { kind: 'receive', quantity: 5, idempotencyKey: randomUUID() })],
    ['counterAccess', (actor) => counterAccess(actor)],
    ['siteForCounter', (actor) => siteForCounter(f.context, actor, site)],
    ['placeBasket', (actor) => placeBasket(f.context, actor, { siteId: site, memberId: s.memberId, payer: 'wallet', idempotencyKey: randomUUID(), lines: [{ itemId: s.itemId, quantity: 1 }], present: true })],
    ['identifyElder', (actor) => identifyElder(f.context, actor, site, { name: '田秀英', idDigits: '0000' })],
    ['confirmBasket', (actor) => confirmBasket(f.context, actor, basket, pin)],
    ['confirmAttested', (actor) => confirmAttested(f.context, actor, basket, { witness: 'elder', witnessName: '', note: '', readOut: true })],
    ['cancelBasket', (actor) => cancelBasket(f.context, actor, basket)],
    ['voidRedemption', (actor) => voidRedemption(f.context, actor, basket, '误操作')],
  ];
}

/** The calls of the pages every member may use (gifts, service requests): refused only to someone with no role at all. */
function memberCalls(s: Setting, id?: number): Call[] {
  const { f } = s;
  const request = id ?? s.requestId;
  return [
    ['giftsAccess', (actor) => giftsAccess(actor)],
    ['giveCredits', (actor) => giveCredits(f.context, actor, { fromMemberId: id ?? s.memberId, toMemberId: s.relativeId, kind: 'gift', amountMinutes: 30, pin, idempotencyKey: randomUUID(), actorMemberId: s.memberId })],
    ['requestsAccess', (actor) => requestsAccess(actor)],
    ['postRequest', (actor) => postRequest(f.context, actor, {
      requesterMemberId: id ?? s.memberId, payer: 'wallet', serviceCategory: 'meals', description: '送餐', scheduledFor: '2026-11-26', place: '家中', offeredMinutes: 30,
      idempotencyKey: randomUUID(), actorMemberId: s.memberId,
    })],
    ['acceptRequest', (actor) => acceptRequest(f.context, actor, request, s.relativeId, s.relativeId)],
    ['confirmRequest', (actor) => confirmRequest(f.context, actor, request, s.memberId)],
    ['cancelRequest', (actor) => cancelRequest(f.context, actor, request, s.memberId)],
  ];
}

t.test('a user without the role gets the 403 page from every redemption function, whatever the object, and nothing is written', async (t) => {
  const s = await setting();
  // A signed-in user holding no role at all (the member is theirs: the answer still does not depend on it).
  const noRole: Actor = { userId: s.volunteer.userId, memberId: s.memberId, grants: [] };
  const before = written(s.f);
  const askers: [string, Actor, Call[][]][] = [
    ['no role', noRole, [staffCalls(s), staffCalls(s, missingId), memberCalls(s), memberCalls(s, missingId)]],
    // A volunteer holds none of the staff roles: the staff functions refuse them before looking anything up.
    ['volunteer', { ...s.volunteer, memberId: s.memberId }, [staffCalls(s), staffCalls(s, missingId)]],
  ];
  for (const [who, actor, lists] of askers) {
    for (const [name, call] of lists.flat()) t.equal(answer(await call(actor)), forbidden, `${who}: ${name}`);
  }
  t.same(written(s.f), before, 'no refusal wrote anything (ledger, baskets, stock, sites, roles, audit, idempotency keys, settings)');
});

t.test('the role check comes first: a clerk managing no site gets the 403 page for a site that exists and for one that does not', async (t) => {
  const s = await setting();
  const before = written(s.f);
  for (const [name, call] of staffCalls(s).filter(([name]) => ['vouchersAccess', 'grantVouchers', 'sitesAccess', 'registerSite', 'addClerk', 'removeClerk', 'updateSite', 'setSiteActive', 'recordSettlement', 'publishPolicyVersion', 'withdrawPolicyVersion'].includes(name))) {
    t.equal(answer(await call(s.clerk)), forbidden, `clerk: ${name}`);
  }
  for (const [name, call] of staffCalls(s, missingId).filter(([name]) => ['addClerk', 'removeClerk', 'updateSite', 'setSiteActive', 'grantVouchers'].includes(name))) {
    t.equal(answer(await call(s.clerk)), forbidden, `clerk, missing object: ${name}`);
  }
  // The clerk keeps the catalogue: their own site opens, a missing one is a 404, and managing it is the role's 403 page (not "outside your area": it is her site).
  t.equal(answer(siteToKeep(s.f.context, s.clerk, s.siteId)), 'ok');
  t.equal(answer(siteToKeep(s.f.context, s.clerk, missingId)), '404 redemption.error.site_not_found');
  t.equal(answer(siteToManage(s.f.context, s.clerk, s.siteId)), forbidden);
  t.same(written(s.f), before);
});

t.test('someone with the role but outside the scope is answered like a missing object', async (t) => {
  const s = await setting();
  const farClerk = s.f.addUser('隆回店员', 'clerk', { siteId: missingId - 1 });
  const farCoordinator = s.f.addUser('隆回协管员', 'coordinator', { regionCode: places.longhuiVillage });
  for (const [who, actor] of [['clerk of another site', farClerk], ['coordinator of another county', farCoordinator]] as const) {
    t.equal(answer(siteToKeep(s.f.context, actor, s.siteId)), answer(siteToKeep(s.f.context, actor, missingId)), `${who}: siteToKeep`);
    t.equal(answer(siteForCounter(s.f.context, actor, s.siteId)), '404 redemption.error.site_not_found', `${who}: siteForCounter`);
  }
  t.equal(answer(siteToManage(s.f.context, farCoordinator, s.siteId)), '404 redemption.error.site_not_found');
  // Registering a site in a village outside the area answers like a village that does not exist.
  const newSite = (villageCode: string) => registerSite(s.f.context, farCoordinator, { name: '新站', kind: 'canteen', villageCode, address: '村口', openingHours: '中午', idempotencyKey: randomUUID() });
  t.equal(answer(newSite(places.fenghuangVillage)), '422 redemption.error.village_unknown', 'a village of another county');
  t.equal(answer(newSite('999999999999')), '422 redemption.error.village_unknown', 'a village that does not exist');
  t.equal(answer(siteToManage(s.f.context, s.f.coordinator, s.siteId)), 'ok', 'the coordinator over the village manages the site');
});

t.test('the redemption route files call no request.authorize: the domain checks', async (t) => {
  const root = new URL('../../../src/routes/redemption/', import.meta.url);
  const areas = ['clearing', 'counter', 'gifts', 'requests', 'sites', 'vouchers'];
  let files = 0;
  for (const area of areas) {
    for (const name of readdirSync(new URL(`${area}/`, root)).filter((file) => file.endsWith('.ts'))) {
      files += 1;
      t.notMatch(readFileSync(new URL(`${area}/${name}`, root), 'utf8'), 'request.authorize(', `${area}/${name}`);
    }
  }
  t.ok(files >= areas.length, `${files} route files read`);
});

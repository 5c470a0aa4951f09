import t from 'tap';
import { actorOf } from '../../../src/domain/auth/users.ts';
import { registerElder } from '../../../src/domain/people/elders/register.ts';
import { grantVouchers } from '../../../src/domain/redemption/vouchers.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { elderLookupMissesPerClerk } from '../../../src/domain/redemption/lookup.ts';
import { demoPhone, signedInAs, visibleText } from '../../helpers/web.ts';
import { available, key, redemptionApp, tableCounts } from './helpers.ts';
import { actorWithRoles } from '../../helpers/actor.ts';

/** Site 2 of the demo is 老家寨村互助服务站 (凤凰县); the demo coordinator (山江镇) works its counter. */
const station = 2;

async function elderApp() {
  const test = await redemptionApp();
  const { db, secrets } = test;
  const adminId = (db.$client.prepare('SELECT id FROM users WHERE phone = ?').get(demoPhone('admin')) as { id: number }).id;
  const admin = actorOf(db, adminId);
  const idNumber = makeIdNumber('433123', '1936-02-14', 613);
  const registered = registerElder({ db, keys: secrets, now: test.clock.now }, actorWithRoles(db, { userId: adminId, roles: [{ role: 'admin', regionCode: '430000' }] }), {
    realName: '麻老三', idNumber, villageCode: '433123101001', memberId: null, categories: ['living_alone'],
    familyContactName: '麻小英', familyContactRelation: '孙女', familyContactPhone: '13912340077',
    consent: { givenBy: 'self', method: 'written' }, sensitiveConsent: null,
  });
  if (!registered.ok) throw new Error(JSON.stringify(registered));
  const elderId = registered.value.elderId;
  const grant = grantVouchers({ db, keys: secrets, now: test.clock.now }, admin, { source: 'issuance', regionCode: '433123', elderId, amountPerElderMinutes: 180, reason: '居家服务消费券', idempotencyKey: key() });
  if (!grant.ok) throw new Error(JSON.stringify(grant));
  const bath = (db.$client.prepare(`SELECT id FROM site_items WHERE site_id = ? AND name = '助浴服务（一次）'`).get(station) as { id: number }).id;
  return { ...test, elderId, idNumber, bath };
}

t.test('a clerk finds an elder without a card, spends the voucher and confirms for the elder', async (t) => {
  const { app, db, elderId, idNumber, bath } = await elderApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  const page = await coordinator.get(`/counter/${station}`);
  t.equal(page.statusCode, 200);
  t.match(visibleText(page.body), '老人没有会员卡？按档案查找');

  const before = tableCounts(db);
  const wrong = await coordinator.post(`/counter/${station}/identify-elder`, { elder_name: '麻老三', elder_digits: '0000' });
  t.equal(wrong.statusCode, 404);
  t.match(visibleText(wrong.body), '本县登记的老人里没有找到这个姓名和身份证号码');
  const short = await coordinator.post(`/counter/${station}/identify-elder`, { elder_name: '麻老三', elder_digits: '12' });
  t.equal(short.statusCode, 422);
  t.match(visibleText(short.body), '请输入身份证号码最后 4 位');
  t.same(tableCounts(db), before, 'refused lookups write nothing');

  const found = await coordinator.post(`/counter/${station}/identify-elder`, { elder_name: '麻老三', elder_digits: idNumber.slice(-4) });
  t.equal(found.statusCode, 303);
  const elderUrl = found.headers.location as string;
  t.match(elderUrl, new RegExp(`^/counter/${station}/e/${elderId}\\.[A-Za-z0-9_-]{22}$`));
  const forged = await coordinator.get(`/counter/${station}/e/${elderId}.${'A'.repeat(22)}`);
  t.equal(forged.statusCode, 404, 'an elder reference cannot be made up');
  const basket = await coordinator.get(elderUrl);
  t.equal(basket.statusCode, 200);
  const text = visibleText(basket.body);
  t.match(text, '麻老三');
  t.match(text, '消费券余额 3 小时');
  t.match(text, '麻小英（孙女）');

  const formKey = /name="idempotency_key" value="([^"]+)"/.exec(basket.body)![1]!;
  const placed = await coordinator.post(`${elderUrl}/baskets`, { idempotency_key: formKey, [`qty_${bath}`]: '1' });
  t.equal(placed.statusCode, 303);
  const basketUrl = placed.headers.location as string;
  const again = await coordinator.post(`${elderUrl}/baskets`, { idempotency_key: formKey, [`qty_${bath}`]: '1' });
  t.equal(again.headers.location, basketUrl, 'a double tap lands on the same basket');
  const held = await coordinator.get(basketUrl);
  t.match(visibleText(held.body), '已为老人预留消费券 1 小时 30 分');
  t.match(visibleText(held.body), '店员代为确认');
  t.notMatch(visibleText(held.body), '会员', 'an elder who is not a member is never called one');
  t.match(visibleText(held.body), '可用消费券余额（已扣除预留）');

  const pinTry = await coordinator.post(`${basketUrl}/confirm`, { pin: '123456' });
  t.equal(pinTry.statusCode, 409);
  t.match(visibleText(pinTry.body), '这位老人没有兑换密码');
  const noTick = await coordinator.post(`${basketUrl}/attest`, { witness: 'elder', note: '读给老人听，老人同意' });
  t.equal(noTick.statusCode, 422);
  t.match(visibleText(noTick.body), '请先把物品和合计读给对方听');
  const wrongFamily = await coordinator.post(`${basketUrl}/attest`, { witness: 'family', witness_name: '张三', note: '孙女在场', read_out: '1' });
  t.equal(wrongFamily.statusCode, 422);
  t.match(visibleText(wrongFamily.body), '家属姓名与档案里登记的不一致');
  t.equal(available(db, `voucher:e${elderId}`), 90, 'refusals keep the hold and spend nothing');

  const clerk = await signedInAs(app, 'clerk');
  const outsider = await clerk.post(`${basketUrl}/attest`, { witness: 'elder', note: '读给老人听', read_out: '1' });
  t.equal(outsider.statusCode, 404, 'the clerk of a 隆回县 site cannot confirm at a 凤凰县 station (answered as a missing site)');

  const confirmed = await coordinator.post(`${basketUrl}/attest`, { witness: 'family', witness_name: '麻小英', note: '孙女陪同，读给老人听，老人同意', read_out: '1' });
  t.equal(confirmed.statusCode, 303);
  const receipt = visibleText((await coordinator.get(basketUrl)).body);
  t.match(receipt, '兑换凭证');
  t.match(receipt, '老人 麻老三');
  t.match(receipt, '助浴服务（一次） × 1');
  t.match(receipt, '兑换后余额 1 小时 30 分');
  t.match(receipt, '店员代为确认：登记的家属联系人（麻小英）同意；说明：孙女陪同，读给老人听，老人同意');
  t.equal(available(db, `voucher:e${elderId}`), 90);
  t.ok(verifyLedger(db.$client).ok);
});

t.test('the elder search of another county finds nobody, and a love supermarket has none', async (t) => {
  const { app, idNumber } = await elderApp();
  t.teardown(() => app.close());
  const clerk = await signedInAs(app, 'clerk');
  const page = await clerk.get('/counter/1');
  t.notMatch(visibleText(page.body), '按档案查找', 'site 1 is a love supermarket: no elder search');
  const refused = await clerk.post('/counter/1/identify-elder', { elder_name: '麻老三', elder_digits: idNumber });
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '消费券只能在服务站使用。');
  const foreign = await clerk.post(`/counter/${station}/identify-elder`, { elder_name: '麻老三', elder_digits: idNumber });
  t.equal(foreign.statusCode, 404, 'a clerk of another site may not search at this station (answered as a missing site)');
});

t.test('guessing an elder\'s ID digits at a service station: parallel misses stop at the limit, counted in the database (found in review)', async (t) => {
  const { app, db, idNumber } = await elderApp();
  t.teardown(() => app.close());
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get(`/counter/${station}`);
  const guess = (digits: string) => fetch(`${address}/counter/${station}/identify-elder`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: coordinator.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: coordinator.csrfToken, elder_name: '麻老三', elder_digits: digits }).toString(),
  });
  const wrongDigits = Array.from({ length: 16 }, (_, index) => String(index).padStart(4, '0')).filter((digits) => digits !== idNumber.slice(-4));
  const answers = await Promise.all(wrongDigits.slice(0, 16).map((digits) => guess(digits)));
  const statuses = answers.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 404).length, elderLookupMissesPerClerk, 'exactly the limit of guesses were evaluated');
  t.equal(statuses.filter((status) => status === 429).length, wrongDigits.slice(0, 16).length - elderLookupMissesPerClerk, 'the rest refused');
  t.match(visibleText(await answers[statuses.indexOf(429)]!.text()), '查找暂停');
  t.equal(Number(db.$client.prepare("SELECT count(*) FROM audit_log WHERE action = 'counter.elder_lookup_miss'").pluck().get()), elderLookupMissesPerClerk);
  const right = await guess(idNumber.slice(-4));
  t.equal(right.status, 429, 'the right digits wait for the window too');
});

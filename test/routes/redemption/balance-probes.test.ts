import t from 'tap';
import { balanceProbesPerUser, balanceProbeWindowMs } from '../../../src/domain/redemption/balance-probes.ts';
import { giftLookupMissesPerUser, lookupWindowMs } from '../../../src/domain/redemption/lookup.ts';
import { count, signedInAs, visibleText, type TestBrowser } from '../../helpers/web.ts';
import { available, key, redemptionApp, tableCounts } from './helpers.ts';

/**
 * A clerk who found a member by a typed card number sees no balance, but could
 * learn it by placing baskets of chosen totals: a refusal for too few credits
 * says "below", a hold that succeeds (and is cancelled) says "at least". Both
 * count against the per-user allowance of the gifts forms' lookups (10 in 10
 * minutes), checked and counted in one write transaction.
 */
const { app, db, clock, member } = await redemptionApp();
t.teardown(() => app.close());
const address = await app.listen({ host: '127.0.0.1', port: 0 });
const probes = () => count(db, `audit_log WHERE action = 'counter.balance_probe'`);
const luo = member('罗春兰'); // 570 minutes in the demo
const rice = 1; // 大米 5 千克, 120 minutes, site 1
const towel = 4; // 毛巾, 15 minutes, site 1

function post(browser: TestBrowser, url: string, form: Record<string, string>): Promise<Response> {
  return fetch(`${address}${url}`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: browser.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: browser.csrfToken, ...form }).toString(),
  });
}

t.test('the allowance is the gifts lookups\' one', async (t) => {
  t.equal(balanceProbesPerUser, giftLookupMissesPerUser);
  t.equal(balanceProbeWindowMs, lookupWindowMs);
});

t.test('parallel refused baskets for a member not present: exactly the allowance is evaluated, then 429', async (t) => {
  const clerk = await signedInAs(app, 'clerk');
  await clerk.get('/counter/1');
  const typed = await clerk.post('/counter/1/identify', { lookup: luo.cardNumber });
  t.equal(typed.statusCode, 303);
  const reference = typed.headers.location as string;
  const balance = available(db, `wallet:m${luo.id}`);
  t.ok(balance < 5 * 120, 'five bags of rice are more than the member has');
  const before = tableCounts(db);

  const answers = await Promise.all(Array.from({ length: 14 }, () => post(clerk, `${reference}/baskets`, { idempotency_key: key(), payer: 'wallet', [`qty_${rice}`]: '5' })));
  const statuses = answers.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 409).length, 10, 'ten refusals evaluated');
  t.equal(statuses.filter((status) => status === 429).length, 4, 'the rest refused before the balance is looked at');
  const hidden = visibleText(await answers[statuses.indexOf(409)]!.text());
  t.match(hidden, '余额不足。请会员扫码出示会员卡查看余额。');
  t.notMatch(hidden, '5 小时 30 分', 'the balance is not named');
  const limited = visibleText(await answers[statuses.indexOf(429)]!.text());
  t.match(limited, '您在 10 分钟内已有 10 次未扫卡的下单因余额不足被拒或被取消');
  t.equal(probes(), 10, 'each evaluated refusal is counted');
  t.same(tableCounts(db), before, 'no basket, hold or reservation was written');
  t.equal(available(db, `wallet:m${luo.id}`), balance);

  // Past the allowance even a basket the member could pay is refused: a success would answer the same question.
  const small = await post(clerk, `${reference}/baskets`, { idempotency_key: key(), payer: 'wallet', [`qty_${towel}`]: '1' });
  t.equal(small.status, 429);
  t.same(tableCounts(db), before);
  t.equal(probes(), 10, 'a refusal past the allowance writes nothing');

  // A scanned card shows the balance anyway: not limited.
  const scanned = await clerk.post('/counter/1/identify', { lookup: `${address}/c/${luo.token}` });
  const present = await clerk.post(`${scanned.headers.location}/baskets`, { idempotency_key: key(), payer: 'wallet', [`qty_${towel}`]: '1' });
  t.equal(present.statusCode, 303, 'the member who shows the card can still shop');
  t.equal(available(db, `wallet:m${luo.id}`), balance - 15);
  t.equal((await clerk.post(`${present.headers.location}/cancel`, {})).statusCode, 303);
  t.equal(probes(), 11, 'a member\'s basket cancelled without the PIN is counted too');
  t.equal(available(db, `wallet:m${luo.id}`), balance);

  clock.advance(balanceProbeWindowMs + 1000);
});

t.test('holds placed and cancelled (a linear search) are limited the same way', async (t) => {
  const clerk = await signedInAs(app, 'clerk');
  await clerk.get('/counter/1');
  const reference = (await clerk.post('/counter/1/identify', { lookup: luo.cardNumber })).headers.location as string;
  for (let towels = 1; towels <= balanceProbesPerUser; towels += 1) {
    const placed = await clerk.post(`${reference}/baskets`, { idempotency_key: key(), payer: 'wallet', [`qty_${towel}`]: String(towels) });
    t.equal(placed.statusCode, 303, `basket of ${towels} towels held`);
    t.equal((await clerk.post(`${placed.headers.location}/cancel`, {})).statusCode, 303);
  }
  t.equal(probes(), 11 + balanceProbesPerUser);
  const redemptions = count(db, 'redemptions');
  const next = await clerk.post(`${reference}/baskets`, { idempotency_key: key(), payer: 'wallet', [`qty_${towel}`]: '11' });
  t.equal(next.statusCode, 429);
  t.match(visibleText(next.body), '暂停为未扫卡的会员下单');
  t.equal(count(db, 'redemptions'), redemptions, 'nothing placed');
});

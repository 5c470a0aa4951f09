import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { HttpSession } from '../../helpers/server-process.ts';
import { demoPhone, signedInAs, visibleText } from '../../helpers/web.ts';
import { key, tableCounts } from './helpers.ts';
import { openCounter, pin, policyApp, policyForm, scalarOf } from './policy-helpers.ts';

/**
 * Issue 20, priority for empty-nest elders aged 80+ when stock is short, as a
 * real reservation list: an eligible elder is put on an item's list, the clerk
 * sees it in order, a short item goes only to the first waiting elders, and
 * taking it fulfils the reservation with the stock decrement.
 * Site 1 is 旺溪村爱心超市 (隆回县); its clerk and the Shaoyang city office work its counter.
 */
const tomorrow = Date.UTC(2026, 10, 24, 2, 0, 0);
const village = '430524101001';

async function reservationApp(threshold: string) {
  const test = await policyApp();
  const admin = await signedInAs(test.app, 'admin');
  await admin.get('/policy');
  const published = await admin.post('/policy/versions', policyForm({ effective_date: '2026-11-24', priority_threshold: threshold }));
  if (published.statusCode !== 303) throw new Error(visibleText(published.body).slice(0, 300));
  test.clock.nowMs = tomorrow;
  const elderMember = async (name: string, birthDate: string, categories: string[]) => {
    const member = await test.addMember(name, birthDate, 300, village);
    test.registerAsElder(member, name, birthDate, village, categories);
    return { ...member, elderId: Number(scalarOf(test.db, 'SELECT id FROM elders WHERE member_id = ?', member.id)) };
  };
  const eggs = test.itemId(1, '鸡蛋 10 个');
  const reservations = () => test.db.$client.prepare('SELECT elder_id AS elderId, status, redemption_id AS redemptionId FROM stock_reservations ORDER BY id').all() as { elderId: number; status: string; redemptionId: number | null }[];
  const counts = (): Record<string, number> => ({ ...tableCounts(test.db), stock_reservations: Number(scalarOf(test.db, 'SELECT count(*) FROM stock_reservations')), audit: Number(scalarOf(test.db, 'SELECT count(*) FROM audit_log')) });
  return { ...test, elderMember, eggs, reservations, counts };
}

t.test('the reservation list: eligible elders only, in order on the counter page; short stock goes to the first in line and fulfils the reservation', async (t) => {
  const { app, db, elderMember, eggs, reservations, counts, addMember, registerAsElder } = await reservationApp('3');
  t.teardown(() => app.close());
  const first = await elderMember('钱高龄', '1940-02-01', ['empty_nest', 'advanced_age']);
  const second = await elderMember('孙高龄', '1941-03-01', ['empty_nest']);
  const younger = await elderMember('钱空巢', '1950-02-01', ['empty_nest']);
  const notEmptyNest = await elderMember('李高龄', '1939-05-01', ['advanced_age']);
  const elsewhere = await addMember('周外县', '1940-01-01', 0, '433123101001');
  registerAsElder(elsewhere, '周外县', '1940-01-01', '433123101001', ['empty_nest']);
  const otherCounty = Number(scalarOf(db, 'SELECT id FROM elders WHERE member_id = ?', elsewhere.id));
  const clerk = await signedInAs(app, 'clerk');
  const empty = visibleText((await clerk.get('/counter/1')).body);
  t.match(empty, '预留名单（按先后顺序）');
  t.match(empty, '还没有老人在预留名单上。');

  const before = counts();
  const add = (elderId: number, itemId = eggs) => clerk.post('/counter/1/reservations', { item_id: String(itemId), elder_id: String(elderId) });
  // Anyone the list does not offer gets one answer: no age, no family situation of an elder the page never showed.
  const missingId = Number(scalarOf(db, 'SELECT max(id) FROM elders')) + 1000;
  const refusals = { under80: younger.elderId, notEmptyNest: notEmptyNest.elderId, otherCounty, missing: missingId };
  const refusalTexts = new Set<string>();
  for (const [why, elderId] of Object.entries(refusals)) {
    const refused = await add(elderId);
    t.equal(refused.statusCode, 404, `${why}: answered like a missing elder`);
    const text = visibleText(refused.body);
    t.match(text, '预留名单只能加入本县登记的 80 岁以上空巢老人，这位老人不在其中。', `${why}: says who may be listed`);
    t.notMatch(text, /76 岁|不是空巢/, `${why}: neither the younger elder's age nor a family situation`);
    refusalTexts.add(text);
  }
  t.equal(refusalTexts.size, 1, 'the four refusal pages read exactly the same');
  const uncounted = Number(scalarOf(db, 'SELECT id FROM site_items WHERE site_id = 1 AND stock IS NULL AND active = 1 LIMIT 1'));
  if (uncounted > 0) t.equal((await add(first.elderId, uncounted)).statusCode, 409, 'an item without counted stock needs no list');
  t.same(counts(), before, 'refusals write nothing');

  t.equal((await add(first.elderId)).statusCode, 303);
  t.equal((await add(second.elderId)).statusCode, 303);
  const twice = await add(first.elderId);
  t.equal(twice.statusCode, 409);
  t.match(visibleText(twice.body), '这位老人已经在「鸡蛋 10 个」的预留名单上。');
  t.same(reservations().map((row) => [row.elderId, row.status]), [[first.elderId, 'waiting'], [second.elderId, 'waiting']]);
  t.equal(Number(scalarOf(db, "SELECT count(*) FROM audit_log WHERE action = 'redemption.reservation_add'")), 2, 'each addition audited');
  const listed = visibleText((await clerk.get('/counter/1')).body);
  t.ok(listed.indexOf('钱*龄（86 岁）') >= 0 && listed.indexOf('钱*龄（86 岁）') < listed.indexOf('孙*龄（85 岁）'), 'the clerk sees the list in order, names masked');

  // One box of eggs left: only the first on the list may take it, one box.
  db.$client.prepare('UPDATE site_items SET stock = 1 WHERE id = ?').run(eggs);
  const ordinary = await addMember('吴普通', '1960-01-01', 300, village);
  const held = Number(scalarOf(db, 'SELECT count(*) FROM redemptions'));
  for (const [member, quantity, words] of [
    [second, '1', '按政策第 2 版，「鸡蛋 10 个」只剩 1 件，留给预留名单上排在前面的老人（共 2 位在等）。'],
    [ordinary, '1', '按政策第 2 版，「鸡蛋 10 个」只剩 1 件，留给预留名单上排在前面的老人（共 2 位在等）。'],
  ] as const) {
    const refused = await clerk.post(`${await openCounter(clerk, 1, member.cardNumber)}/baskets`, { idempotency_key: key(), [`qty_${eggs}`]: quantity });
    t.equal(refused.statusCode, 409);
    t.match(visibleText(refused.body), words);
  }
  t.equal(Number(scalarOf(db, 'SELECT count(*) FROM redemptions')), held, 'no basket placed');
  const url = await openCounter(clerk, 1, first.cardNumber);
  const cancelled = await clerk.post(`${url}/baskets`, { idempotency_key: key(), [`qty_${eggs}`]: '1' });
  t.equal(cancelled.statusCode, 303, 'the first on the list takes it');
  const basket = Number(String(cancelled.headers.location).split('/').pop());
  t.same(reservations()[0], { elderId: first.elderId, status: 'held', redemptionId: basket });
  t.match(visibleText((await clerk.get('/counter/1')).body), '正在兑换');
  t.equal((await clerk.post(`${cancelled.headers.location}/cancel`, {})).statusCode, 303);
  t.same(reservations()[0], { elderId: first.elderId, status: 'waiting', redemptionId: null }, 'a cancelled basket gives the place back');

  const taken = await clerk.post(`${url}/baskets`, { idempotency_key: key(), [`qty_${eggs}`]: '1' });
  t.equal(taken.statusCode, 303);
  t.equal((await clerk.post(`${taken.headers.location}/confirm`, { pin })).statusCode, 303);
  const row = reservations()[0]!;
  t.equal(row.status, 'fulfilled');
  t.equal(scalarOf(db, 'SELECT stock FROM site_items WHERE id = ?', eggs), 0, 'the stock went down with it');
  t.equal(scalarOf(db, "SELECT count(*) FROM stock_movements WHERE redemption_id = ? AND kind = 'sale'", row.redemptionId), 1);
  t.notMatch(visibleText((await clerk.get('/counter/1')).body), '钱*龄（86 岁） 正在兑换', 'a fulfilled reservation leaves the list');
  t.equal((await clerk.post(`${taken.headers.location}/void`, { reason: '拿错了' })).statusCode, 303);
  t.same(reservations()[0], { elderId: first.elderId, status: 'waiting', redemptionId: null }, 'a voided redemption reopens the reservation');
  t.equal(scalarOf(db, 'SELECT stock FROM site_items WHERE id = ?', eggs), 1, 'with the stock back');
});

t.test('two counters, one box left, one reservation: exactly one basket takes it (real server, parallel)', async (t) => {
  const { app, db, elderMember, eggs, reservations, addMember } = await reservationApp('1');
  const reserved = await elderMember('钱高龄', '1940-02-01', ['empty_nest']);
  const other = await addMember('吴普通', '1960-01-01', 300, village);
  db.$client.prepare('UPDATE site_items SET stock = 1 WHERE id = ?').run(eggs);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  async function counterFor(phone: string, cardNumber: string) {
    const session = await HttpSession.signIn(base, phone);
    await session.page('/counter/1');
    const found = await session.fetch('/counter/1/identify', { form: { lookup: cardNumber } });
    const memberUrl = found.headers.get('location')!;
    await session.page(memberUrl);
    return { session, memberUrl };
  }
  const clerk = await counterFor(demoPhone('clerk'), reserved.cardNumber);
  t.equal((await clerk.session.fetch('/counter/1/reservations', { form: { item_id: String(eggs), elder_id: String(reserved.elderId) } })).status, 303);
  const office = await counterFor(demoPhone('office-city'), reserved.cardNumber);
  const clerkForOther = await counterFor(demoPhone('clerk'), other.cardNumber);
  const attempts = Array.from({ length: 9 }, (_, index) => {
    const counter = [clerk, office, clerkForOther][index % 3]!;
    return counter.session.fetch(`${counter.memberUrl}/baskets`, { form: { idempotency_key: randomUUID(), [`qty_${eggs}`]: '1' } });
  });
  const answers = await Promise.all(attempts.map(async (pending) => { const response = await pending; return { status: response.status, text: visibleText(await response.text()), location: response.headers.get('location') }; }));
  const statuses = answers.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 303).length, 1, `exactly one basket (${statuses.join(',')})`);
  t.ok(statuses.every((status) => status === 303 || status === 409), 'the others refused with 409');
  t.equal(scalarOf(db, 'SELECT reserved FROM site_items WHERE id = ?', eggs), 1);
  const winner = answers.find((answer) => answer.status === 303)!;
  const basket = Number(String(winner.location).split('/').pop());
  t.equal(scalarOf(db, 'SELECT member_id FROM redemptions WHERE id = ?', basket), reserved.id, 'the reserved elder has it');
  t.same(reservations(), [{ elderId: reserved.elderId, status: 'held', redemptionId: basket }]);
  const confirms = await Promise.all([clerk, office].map((counter) => counter.session.fetch(`${winner.location}/confirm`, { form: { pin } })));
  t.ok(confirms.some((response) => response.status === 303), 'confirmed');
  t.same(reservations(), [{ elderId: reserved.elderId, status: 'fulfilled', redemptionId: basket }]);
  t.equal(scalarOf(db, 'SELECT stock FROM site_items WHERE id = ?', eggs), 0);
  t.equal(scalarOf(db, 'SELECT reserved FROM site_items WHERE id = ?', eggs), 0);
  t.equal(scalarOf(db, "SELECT count(*) FROM stock_movements WHERE item_id = ? AND kind = 'sale'", eggs), 1, 'one sale');
});

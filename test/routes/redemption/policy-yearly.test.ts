import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { HttpSession } from '../../helpers/server-process.ts';
import { demoPhone, signedInAs, visibleText } from '../../helpers/web.ts';
import { tableCounts } from './helpers.ts';
import { pin, policyApp, policyForm, scalarOf, station } from './policy-helpers.ts';

/**
 * The yearly redemption limit holds under parallel requests: it is counted
 * (held and confirmed baskets of the Shanghai year) and checked in the same
 * IMMEDIATE transaction that holds the basket. Requests go through a real
 * listening server, from several sessions at once.
 */
t.test('yearly limit: parallel baskets through a listening server never spend past it', async (t) => {
  const { app, db, clock, addMember, itemId } = await policyApp();
  const admin = await signedInAs(app, 'admin');
  await admin.get('/policy');
  t.equal((await admin.post('/policy/versions', policyForm({ effective_date: '2026-11-24', yearly_hours: '', yearly_minutes: '45' }))).statusCode, 303);
  clock.nowMs = Date.UTC(2026, 10, 24, 2, 0, 0);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const member = await addMember('钱年限', '1950-01-01', 600);
  const spentThisYear = () => Number(scalarOf(db, "SELECT coalesce(sum(total_minutes), 0) FROM redemptions WHERE member_id = ? AND status IN ('held','confirmed')", member.id));

  async function counterFor(phone: string, siteId: number) {
    const session = await HttpSession.signIn(base, phone);
    await session.page(`/counter/${siteId}`);
    const found = await session.fetch(`/counter/${siteId}/identify`, { form: { lookup: member.cardNumber } });
    const memberUrl = found.headers.get('location')!;
    await session.page(memberUrl);
    return { session, memberUrl };
  }
  const coordinator = await counterFor(demoPhone('coordinator'), station);
  const clerk = await counterFor(demoPhone('clerk'), 1);
  const haircut = itemId(station, '理发'); // 30 minutes
  const small = Number(scalarOf(db, 'SELECT id FROM site_items WHERE site_id = 1 AND price_minutes = 15 AND (stock IS NULL OR stock - reserved >= 12) ORDER BY id LIMIT 1'));
  t.ok(small > 0, 'the love supermarket sells something for 15 minutes');

  const first = await coordinator.session.fetch(`${coordinator.memberUrl}/baskets`, { form: { idempotency_key: randomUUID(), [`qty_${haircut}`]: '1' } });
  t.equal(first.status, 303);
  t.equal((await coordinator.session.fetch(`${first.headers.get('location')}/confirm`, { form: { pin } })).status, 303);
  t.equal(spentThisYear(), 30, '30 of 45 minutes spent');

  const race = async (attempts: Promise<Response>[]) => Promise.all(attempts.map(async (pending) => {
    const response = await pending;
    return { status: response.status, location: response.headers.get('location'), text: visibleText(await response.text()) };
  }));
  const round1 = await race(Array.from({ length: 12 }, (_, index) => index % 2 === 0
    ? clerk.session.fetch(`${clerk.memberUrl}/baskets`, { form: { idempotency_key: randomUUID(), [`qty_${small}`]: '1' } })
    : coordinator.session.fetch(`${coordinator.memberUrl}/baskets`, { form: { idempotency_key: randomUUID(), [`qty_${haircut}`]: '1' } })));
  const statuses = round1.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 303).length, 1, `exactly one basket fits the 15 minutes left (${statuses.join(',')})`);
  t.ok(round1.filter((answer) => answer.status !== 303).every((answer) => answer.status === 409), 'every other one refused');
  // A refusal names the limit and what is left (15 minutes before the one basket was held, none after), or the open basket.
  const named = /按政策第 2 版，每人每年最多兑换 45 分钟，今年还能兑换 (15|0) 分钟。|还有一个未完成的购物篮/;
  t.ok(round1.filter((answer) => answer.status === 409).every((answer) => named.test(answer.text)), 'each refusal says why');
  t.equal(spentThisYear(), 45, 'held and confirmed never pass the limit');

  const held = round1.find((answer) => answer.status === 303)!;
  t.equal((await clerk.session.fetch(`${held.location}/confirm`, { form: { pin } })).status, 303);
  const before = tableCounts(db);
  const round2 = await race(Array.from({ length: 12 }, () => clerk.session.fetch(`${clerk.memberUrl}/baskets`, { form: { idempotency_key: randomUUID(), [`qty_${small}`]: '1' } })));
  t.same(round2.map((answer) => answer.status), Array(12).fill(409), 'the limit reached: all twelve refused');
  t.ok(round2.every((answer) => answer.text.includes('今年还能兑换 0 分钟')));
  t.same(tableCounts(db), before, 'refusals write nothing');
  t.equal(spentThisYear(), 45);
});

/**
 * The yearly limit covers service requests paid from the wallet too: the
 * request's hold is the payment, counted and checked in its IMMEDIATE
 * transaction, and a counter basket counts the requests (and the other way round).
 */
t.test('yearly limit: service requests paid from the wallet count, in parallel through a listening server', async (t) => {
  const { app, db, clock, memberNamed, itemId } = await policyApp();
  const admin = await signedInAs(app, 'admin');
  await admin.get('/policy');
  t.equal((await admin.post('/policy/versions', policyForm({ effective_date: '2026-11-24', yearly_hours: '', yearly_minutes: '45' }))).statusCode, 303);
  clock.nowMs = Date.UTC(2026, 10, 24, 2, 0, 0);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const member = memberNamed('王秀英');
  const spentThisYear = () => Number(scalarOf(db, "SELECT coalesce(sum(total_minutes), 0) FROM redemptions WHERE member_id = ? AND payer = 'wallet' AND status IN ('held','confirmed')", member.id))
    + Number(scalarOf(db, "SELECT coalesce(sum(offered_minutes), 0) FROM service_requests WHERE payer_account_id = ? AND status IN ('open','accepted','completed')", `wallet:m${member.id}`));
  t.equal(spentThisYear(), 0, 'nothing spent from the wallet yet this year');

  const volunteer = await HttpSession.signIn(base, demoPhone('volunteer'));
  await volunteer.page('/requests');
  const form = (minutes: number) => ({ category: 'cleaning', description: '打扫院子', when: '2026-11-28', place: '家中', offered_hours: '', offered_minutes: String(minutes), payer: 'wallet', idempotency_key: randomUUID() });
  const first = await volunteer.fetch('/requests', { form: form(30) });
  t.equal(first.status, 303, 'a request for 30 minutes fits the 45');
  t.equal(spentThisYear(), 30);

  const answers = await Promise.all(Array.from({ length: 8 }, async () => {
    const response = await volunteer.fetch('/requests', { form: form(15) });
    return { status: response.status, text: visibleText(await response.text()) };
  }));
  const statuses = answers.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 303).length, 1, `exactly one request of 15 minutes fits (${statuses.join(',')})`);
  t.ok(answers.filter((answer) => answer.status !== 303).every((answer) => answer.status === 409 && /按政策第 2 版，每人每年最多兑换 45 分钟，今年还能兑换 (15|0) 分钟。/.test(answer.text)), 'the others refused, naming the limit');
  t.equal(spentThisYear(), 45, 'requests never pass the limit');

  // A counter basket counts the requests: the limit is reached.
  const coordinator = await HttpSession.signIn(base, demoPhone('coordinator'));
  await coordinator.page(`/counter/${station}`);
  const found = await coordinator.fetch(`/counter/${station}/identify`, { form: { lookup: member.cardNumber } });
  const memberUrl = found.headers.get('location') ?? '';
  await coordinator.page(memberUrl);
  const before = tableCounts(db);
  const basket = await coordinator.fetch(`${memberUrl}/baskets`, { form: { idempotency_key: randomUUID(), [`qty_${itemId(station, '理发')}`]: '1' } });
  t.equal(basket.status, 409);
  t.match(visibleText(await basket.text()), '按政策第 2 版，每人每年最多兑换 45 分钟，今年还能兑换 0 分钟。');
  const request = await volunteer.fetch('/requests', { form: form(1) });
  t.equal(request.status, 409);
  t.same(tableCounts(db), before, 'refusals write nothing');
  t.equal(spentThisYear(), 45);
});

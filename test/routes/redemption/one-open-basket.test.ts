import t from 'tap';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { openDatabase } from '../../../src/db/client.ts';
import { HttpSession } from '../../helpers/server-process.ts';
import { createTestApp, demoPhone, signedInAs, visibleText } from '../../helpers/web.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { seedRedemption } from '../../../src/domain/demo/redemption.ts';
import { available, key, redemptionApp, tableCounts } from './helpers.ts';

/**
 * A hold ties up a member's credits for 15 minutes without the member's PIN, so
 * at most one basket may hold a member's wallet at a time (issue 12, consent):
 * a second one, at any site, is refused naming the site that holds the first,
 * writes nothing, and two clerks racing cannot both open one.
 */

type Db = ReturnType<typeof openDatabase>;

function heldBaskets(db: Db, memberId: number): number {
  return Number(db.$client.prepare("SELECT count(*) FROM redemptions WHERE member_id = ? AND status = 'held'").pluck().get(memberId));
}

t.test('a second open basket for the same member is refused, naming the site that holds the first; it writes nothing', async (t) => {
  const { app, db, member, clock } = await redemptionApp();
  t.teardown(() => app.close());
  const wang = member('王秀英');
  const clerk = await signedInAs(app, 'clerk'); // site 1, 旺溪村爱心超市
  await clerk.get('/counter/1');
  const atSite1 = (await clerk.post('/counter/1/identify', { lookup: wang.cardNumber })).headers.location as string;
  await clerk.get(atSite1);
  const first = await clerk.post(`${atSite1}/baskets`, { idempotency_key: key(), qty_4: '1' });
  t.equal(first.statusCode, 303, 'the first basket holds 15 minutes of credits');
  const before = tableCounts(db);
  const walletBefore = available(db, `wallet:m${wang.id}`);

  const again = await clerk.post(`${atSite1}/baskets`, { idempotency_key: key(), qty_3: '1' });
  t.equal(again.statusCode, 409, 'a second basket at the same counter: refused');
  t.match(visibleText(again.body), '该成员在“旺溪村爱心超市”还有一个未完成的购物篮，一次只能有一个');

  const coordinator = await signedInAs(app, 'coordinator'); // works site 2, 老家寨村互助服务站
  await coordinator.get('/counter/2');
  const atSite2 = (await coordinator.post('/counter/2/identify', { lookup: wang.cardNumber })).headers.location as string;
  await coordinator.get(atSite2);
  const elsewhere = await coordinator.post(`${atSite2}/baskets`, { idempotency_key: key(), qty_7: '1' });
  t.equal(elsewhere.statusCode, 409, 'at another site: refused too');
  t.match(visibleText(elsewhere.body), '旺溪村爱心超市');
  t.same(tableCounts(db), before, 'refusals write nothing (no basket, no transfer, no stock reserved)');
  t.equal(available(db, `wallet:m${wang.id}`), walletBefore);
  t.equal(heldBaskets(db, wang.id), 1);

  // Cancelled, the next basket may open; and a hold whose 15 minutes ran out frees the member too.
  t.equal((await clerk.post(`${first.headers.location}/cancel`, {})).statusCode, 303);
  const second = await coordinator.post(`${atSite2}/baskets`, { idempotency_key: key(), qty_7: '1' });
  t.equal(second.statusCode, 303, 'after the cancel another site may open one');
  clock.advance(15 * 60_000);
  const afterExpiry = await clerk.post(`${atSite1}/baskets`, { idempotency_key: key(), qty_4: '1' });
  t.equal(afterExpiry.statusCode, 303, 'after the first hold expired a new one opens');
  t.equal(heldBaskets(db, wang.id), 1);
  t.equal(db.$client.prepare('SELECT status FROM redemptions WHERE id = ?').pluck().get(Number(/baskets\/(\d+)/.exec(second.headers.location as string)![1])), 'expired');
});

t.test('the database itself refuses a second held basket for a member', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const wang = member('王秀英');
  const insert = db.$client.prepare(`INSERT INTO redemptions (idempotency_key, site_id, member_id, payer, payer_account_id, status, total_minutes, member_county_code, site_county_code, hold_transfer_ids, created_at_ms, expires_at_ms)
    VALUES (?, 1, ?, 'wallet', ?, 'held', 15, '433123', '430524', '[]', 0, 1)`);
  insert.run(randomUUID(), wang.id, `wallet:m${wang.id}`);
  t.throws(() => insert.run(randomUUID(), wang.id, `wallet:m${wang.id}`), /already has an open basket/);
  t.equal(heldBaskets(db, wang.id), 1);
});

t.test('two clerks racing through a listening server to open baskets for the same member: exactly one hold', async (t) => {
  const secrets = testSecrets();
  const db = openDatabase(':memory:');
  const testApp = await createTestApp({ db, secrets });
  await seedRedemption(db, secrets, testApp.clock.now());
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => testApp.app.close());
  const base = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`;
  const wang = db.$client.prepare("SELECT id, card_number AS card FROM members WHERE real_name = '王秀英' ORDER BY id LIMIT 1").get() as { id: number; card: string };

  async function counterFor(phone: string, siteId: number) {
    const session = await HttpSession.signIn(base, phone);
    await session.page(`/counter/${siteId}`);
    const found = await session.fetch(`/counter/${siteId}/identify`, { form: { lookup: wang.card } });
    const memberUrl = found.headers.get('location')!;
    await session.page(memberUrl);
    return { session, memberUrl };
  }
  const clerk = await counterFor(demoPhone('clerk'), 1);
  const coordinator = await counterFor(demoPhone('coordinator'), 2);
  const ledgerBefore = Number(db.$client.prepare('SELECT count(*) FROM ledger_transfers').pluck().get());

  const attempts = Array.from({ length: 12 }, (_, index) => index % 2 === 0
    ? clerk.session.fetch(`${clerk.memberUrl}/baskets`, { form: { idempotency_key: randomUUID(), qty_4: '1' } })
    : coordinator.session.fetch(`${coordinator.memberUrl}/baskets`, { form: { idempotency_key: randomUUID(), qty_7: '1' } }));
  const answers = await Promise.all(attempts.map(async (pending) => {
    const response = await pending;
    return { status: response.status, text: visibleText(await response.text()) };
  }));
  const statuses = answers.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 303).length, 1, `exactly one basket opened (${statuses.join(',')})`);
  t.equal(statuses.filter((status) => status === 409).length, 11, 'every other one refused');
  t.ok(answers.filter((answer) => answer.status === 409).every((answer) => /该成员在“(旺溪村爱心超市|老家寨村互助服务站)”还有一个未完成的购物篮/.test(answer.text)), 'each refusal names the site holding it');
  t.equal(heldBaskets(db, wang.id), 1, 'one held basket in the database');
  t.equal(Number(db.$client.prepare('SELECT count(*) FROM redemptions WHERE member_id = ?').pluck().get(wang.id)), Number(db.$client.prepare("SELECT count(*) FROM redemptions WHERE member_id = ? AND status <> 'held'").pluck().get(wang.id)) + 1, 'no other basket row was written');
  const holds = Number(db.$client.prepare('SELECT count(*) FROM ledger_transfers').pluck().get()) - ledgerBefore;
  t.ok(holds === 1 || holds === 2, `one hold in the ledger (one leg, or two across counties): ${holds}`);
});

import t from 'tap';
import { accountIds, accountInputs, countyAccounts, ensureAccounts, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { addDays, shanghaiDateOf } from '../../../src/domain/hours/time.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { available, key, pin, redemptionApp, tableCounts } from './helpers.ts';
import { setPolicyRules } from '../../helpers/policy.ts';

t.test('a volunteer gives credits to a registered relative with her PIN; refusals write nothing', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const volunteer = await signedInAs(app, 'volunteer'); // 王秀英, daughter of 刘德顺 in the demo
  const wang = member('王秀英');
  const liu = member('刘德顺');
  const stranger = member('罗春兰');
  const page = await volunteer.get('/gifts');
  t.equal(page.statusCode, 200);
  t.match(visibleText(page.body), '转出人：王秀英（本人）');
  t.match(visibleText(page.body), '刘德顺（父母与子女 · 父女）');
  let before = tableCounts(db);
  const outside = await volunteer.post('/gifts', { kind: 'gift', to: stranger.cardNumber, amount: '1', pin, idempotency_key: key() });
  t.equal(outside.statusCode, 404, 'a stranger\'s card answers like a card that does not exist (relatives only)');
  t.match(visibleText(outside.body), '找不到这个卡号的亲属。按规定只能转赠给已登记的亲属');
  const wrongPin = await volunteer.post('/gifts', { kind: 'gift', to: liu.cardNumber, amount: '1', pin: '999000', idempotency_key: key() });
  t.equal(wrongPin.statusCode, 422);
  t.match(visibleText(wrongPin.body), '密码不对');
  const tooMuch = await volunteer.post('/gifts', { kind: 'gift', to: liu.cardNumber, amount: '99', pin, idempotency_key: key() });
  t.equal(tooMuch.statusCode, 409);
  t.match(visibleText(tooMuch.body), '余额不足：可用 10 小时，需要 99 小时。');
  const badAmount = await volunteer.post('/gifts', { kind: 'gift', to: liu.cardNumber, amount: 'abc', pin, idempotency_key: key() });
  t.equal(badAmount.statusCode, 422);
  t.same(tableCounts(db), before, 'refused gifts write nothing');
  const giftKey = key();
  const given = await volunteer.post('/gifts', { kind: 'gift', to: liu.cardNumber, amount: '1.5', pin, idempotency_key: giftKey });
  t.equal(given.statusCode, 303);
  t.match(visibleText((await volunteer.get(given.headers.location as string)).body), '已转出 1 小时 30 分。');
  const again = await volunteer.post('/gifts', { kind: 'gift', to: liu.cardNumber, amount: '1.5', pin, idempotency_key: giftKey });
  t.equal(again.headers.location, given.headers.location, 'a retry gives once');
  t.equal(available(db, `wallet:m${wang.id}`), 10 * 60 - 90);
  before = tableCounts(db);
  const donated = await volunteer.post('/gifts', { kind: 'donation', to: '', amount: '0.5', pin, idempotency_key: key() });
  t.equal(donated.statusCode, 303);
  t.equal(tableCounts(db).member_gifts, before.member_gifts! + 1);
  t.ok(verifyLedger(db.$client).ok);
});

t.test('an office grants vouchers to the 失能 elders of its county; an elder spends the voucher at the service station', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office'); // 凤凰县
  await office.get('/vouchers');
  const before = tableCounts(db);
  const outside = await office.post('/vouchers', { source: 'issuance', region: '430524', category: 'disabled', amount: '2', reason: '试', idempotency_key: key() });
  t.equal(outside.statusCode, 422, 'a county outside the area answers like one that does not exist');
  t.match(visibleText(outside.body), '请填写您负责范围内的县或县以下的地区代码。');
  const poolShort = await office.post('/vouchers', { source: 'pool', region: '433123', category: 'disabled', amount: '50', reason: '试', idempotency_key: key() });
  t.equal(poolShort.statusCode, 409);
  t.match(visibleText(poolShort.body), '一张也没有发出');
  t.same(tableCounts(db), before);
  const granted = await office.post('/vouchers', { source: 'issuance', region: '433123', category: 'disabled', amount: '2', reason: '冬季助浴', idempotency_key: key() });
  t.equal(granted.statusCode, 303);
  t.match(visibleText((await office.get(granted.headers.location as string)).body), '已向 1 位老人各发放 2 小时。');

  const coordinator = await signedInAs(app, 'coordinator'); // works the 老家寨村 service station (site 2) through its region
  const liu = member('刘德顺');
  await coordinator.get('/counter/2');
  // The card is scanned (its QR code): the member is present, so the balances are shown.
  const found = await coordinator.post('/counter/2/identify', { lookup: `http://localhost/c/${liu.token}` });
  const basketUrl = found.headers.location as string;
  const basket = await coordinator.get(basketUrl);
  // Demo: 6 h voucher, 1.5 h spent on a bath, 1 h held by an open request; plus 2 h now.
  t.match(visibleText(basket.body), '消费券余额 5 小时 30 分');
  const haircut = (db.$client.prepare("SELECT id FROM site_items WHERE site_id = 2 AND name = '理发'").get() as { id: number }).id;
  const placed = await coordinator.post(`${basketUrl}/baskets`, { idempotency_key: key(), payer: 'voucher', [`qty_${haircut}`]: '1' });
  t.equal(placed.statusCode, 303);
  const confirmed = await coordinator.post(`${placed.headers.location}/confirm`, { pin });
  t.equal(confirmed.statusCode, 303);
  const receipt = visibleText((await coordinator.get(confirmed.headers.location as string)).body);
  t.match(receipt, '支付方式 消费券');
  t.match(receipt, '兑换后余额 5 小时');

  const clerk = await signedInAs(app, 'clerk'); // 隆回县 love supermarket: vouchers are for service stations only
  await clerk.get('/counter/1');
  const atShop = (await clerk.post('/counter/1/identify', { lookup: liu.cardNumber })).headers.location as string;
  const shopPage = await clerk.get(atShop);
  t.notMatch(visibleText(shopPage.body), '用什么支付', 'no voucher choice at a love supermarket');
  const towel = (db.$client.prepare("SELECT id FROM site_items WHERE site_id = 1 AND name = '毛巾'").get() as { id: number }).id;
  const refused = await clerk.post(`${atShop}/baskets`, { idempotency_key: key(), payer: 'voucher', [`qty_${towel}`]: '1' });
  t.equal(refused.statusCode, 409);
  t.match(visibleText(refused.body), '消费券只能在服务站使用。');
  t.ok(verifyLedger(db.$client).ok);
});

t.test('service requests: a coordinator posts for an elder, the demo volunteer accepts, the coordinator confirms', async (t) => {
  const { app, db, member, clock } = await redemptionApp();
  t.teardown(() => app.close());
  const volunteer = await signedInAs(app, 'volunteer');
  const list = await volunteer.get('/requests');
  t.equal(list.statusCode, 200);
  t.match(visibleText(list.body), '打扫房间、换洗床单');
  const requestId = (db.$client.prepare("SELECT id FROM service_requests WHERE status = 'open'").get() as { id: number }).id;
  t.equal((await volunteer.post(`/requests/${requestId}/confirm`, {})).statusCode, 404, 'the volunteer cannot pay herself');
  t.equal((await volunteer.post(`/requests/${requestId}/accept`, {})).statusCode, 303);
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/requests');
  const wang = member('王秀英');
  const before = available(db, `wallet:m${wang.id}`);
  t.equal((await coordinator.post(`/requests/${requestId}/confirm`, {})).statusCode, 303);
  t.equal(available(db, `wallet:m${wang.id}`), before + 60);
  // When the service is wanted: a day that exists, a time of day that exists, and not before today.
  const today = shanghaiDateOf(clock.now());
  const own = { category: 'cleaning', description: '打扫院子', place: '家中', offered: '1', payer: 'wallet' };
  for (const [when, message] of [
    ['2027-02-30', '时间格式如 2026-12-01 或 2026-12-01T09:00。'], ['2027-01-05T24:00', '时间格式如 2026-12-01 或 2026-12-01T09:00。'],
    ['2027-01-05T09:00T10:00', '时间格式如 2026-12-01 或 2026-12-01T09:00。'], [addDays(today, -1), `服务时间不能早于今天（${today}）。`],
  ] as const) {
    const requestsBefore = tableCounts(db).service_requests;
    const refused = await volunteer.post('/requests', { ...own, when, idempotency_key: key() });
    t.equal(refused.statusCode, 422, `${when}: 422`);
    t.match(visibleText(refused.body), message, `${when}: ${message}`);
    t.equal(tableCounts(db).service_requests, requestsBefore, `${when}: nothing written`);
  }
  const counts = tableCounts(db);
  const bad = await coordinator.post('/requests', { elder: '', payer: 'voucher', category: 'cleaning', description: '', when: 'tomorrow', place: '', offered: '1', idempotency_key: key() });
  t.equal(bad.statusCode, 422);
  t.match(visibleText(bad.body), '请填写老人编号，或为本人发布。');
  t.same(tableCounts(db), counts);
  t.ok(verifyLedger(db.$client).ok);
});

t.test('clearing: the county office sees its position; only an office above both counties settles; the view shows it settled', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office'); // 凤凰县
  const view = await office.get('/clearing');
  t.equal(view.statusCode, 200);
  const text = visibleText(view.body);
  t.match(text, '凤凰县 应付');
  t.notMatch(text, '登记结算', 'a county office does not settle');
  t.equal((await office.post('/clearing/settlements', { from: '433123', to: '430524', amount: '1', note: 'x', idempotency_key: key() })).statusCode, 403);
  const city = await signedInAs(app, 'office-city'); // 邵阳市: holds 隆回县 but not 凤凰县
  await city.get('/clearing');
  const before = tableCounts(db);
  const notAbove = await city.post('/clearing/settlements', { from: '433123', to: '430524', amount: '1', note: '试', idempotency_key: key() });
  t.equal(notAbove.statusCode, 403);
  t.match(visibleText(notAbove.body), '同时管辖两个县的上级老龄办');
  const admin = await signedInAs(app, 'admin');
  const adminView = visibleText((await admin.get('/clearing')).body);
  t.match(adminView, '全网头寸合计：0 分钟');
  const tooMuch = await admin.post('/clearing/settlements', { from: '433123', to: '430524', amount: '100', note: '11 月', idempotency_key: key() });
  t.equal(tooMuch.statusCode, 409);
  t.match(visibleText(tooMuch.body), '结算金额超过未结头寸，最多 2 小时 30 分。');
  t.same(tableCounts(db), before, 'refused settlements write nothing');
  const settled = await admin.post('/clearing/settlements', { from: '433123', to: '430524', amount: '2.5', note: '11 月结算', idempotency_key: key() });
  t.equal(settled.statusCode, 303);
  const after = visibleText((await admin.get('/clearing?settled=1')).body);
  t.match(after, '结算已登记。');
  t.match(after, '凤凰县 → 隆回县：2 小时 30 分（11 月结算');
  t.match(after, '隆回县 已结清');
  t.ok(verifyLedger(db.$client).ok);

  await admin.get('/policy');
  const cap = await admin.post('/policy/versions', { idempotency_key: key(), effective_date: '2026-12-01', cap_hours: '0', cap_minutes: '', cap_mode: 'refuse', care_age: '60', relatives_only: '1' });
  t.equal(cap.statusCode, 422);
  t.match(visibleText(cap.body), '上限应为正数。');
  t.equal((await admin.post('/policy/versions', { idempotency_key: key(), effective_date: '2026-12-01', cap_hours: '1500', cap_minutes: '', cap_mode: 'divert', care_age: '65', relatives_only: '1' })).statusCode, 303);
  t.equal((await office.post('/policy/versions', { idempotency_key: key(), effective_date: '2026-12-01', cap_hours: '1', cap_mode: 'divert', care_age: '65' })).statusCode, 403);
});


t.test('the balance cap refuses a gift with a clear message and writes nothing; divert mode sends the excess to the pool', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  // The rules in force today, set in place (a published version would only apply from tomorrow).
  setPolicyRules(db, { balanceCapMinutes: 90, capMode: 'refuse' });
  const volunteer = await signedInAs(app, 'volunteer');
  const liu = member('刘德顺');
  await volunteer.get('/gifts');
  const before = tableCounts(db);
  const capped = await volunteer.post('/gifts', { kind: 'gift', to: liu.cardNumber, amount: '1', pin, idempotency_key: key() });
  t.equal(capped.statusCode, 409);
  t.match(visibleText(capped.body), '超过个人余额上限 1 小时 30 分（政策第 1 版）：对方最多还能收 30 分钟。');
  t.same(tableCounts(db), before, 'a capped gift writes nothing');
  setPolicyRules(db, { balanceCapMinutes: 90, capMode: 'divert' });
  await volunteer.get('/gifts');
  const diverted = await volunteer.post('/gifts', { kind: 'gift', to: liu.cardNumber, amount: '1', pin, idempotency_key: key() });
  t.equal(diverted.statusCode, 303);
  t.match(visibleText((await volunteer.get(diverted.headers.location as string)).body), '其中 30 分钟超过余额上限，已转入公益时间池。');
  t.equal(available(db, `wallet:m${liu.id}`), 90);
  t.ok(verifyLedger(db.$client).ok);
});

t.test('two devices confirming the same basket at once, and two baskets for the last credits at once: never overdrawn', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const clerk = await signedInAs(app, 'clerk');
  const luo = member('罗春兰');
  await clerk.get('/counter/1');
  const basketUrl = (await clerk.post('/counter/1/identify', { lookup: luo.cardNumber })).headers.location as string;
  await clerk.get(basketUrl);
  const rice = (db.$client.prepare("SELECT id FROM site_items WHERE site_id = 1 AND name = '大米 5 千克'").get() as { id: number }).id;
  const wallet = `wallet:m${luo.id}`;
  const start = available(db, wallet);
  const quantity = String(Math.floor(start / 120));
  const [one, two] = await Promise.all([
    clerk.post(`${basketUrl}/baskets`, { idempotency_key: key(), [`qty_${rice}`]: quantity }),
    clerk.post(`${basketUrl}/baskets`, { idempotency_key: key(), [`qty_${rice}`]: quantity }),
  ]);
  t.same([one.statusCode, two.statusCode].sort(), [303, 409], 'one basket holds the credits, the other is refused');
  const refused = one.statusCode === 409 ? one : two;
  // One open basket per member: the second finds the first still open before it would find the credits gone.
  t.match(visibleText(refused.body), '还有一个未完成的购物篮');
  const held = (one.statusCode === 303 ? one : two).headers.location as string;
  const confirms = await Promise.all([clerk.post(`${held}/confirm`, { pin }), clerk.post(`${held}/confirm`, { pin })]);
  t.same(confirms.map((r) => r.statusCode), [303, 303], 'both taps land on the receipt');
  t.equal(Number(db.$client.prepare("SELECT count(*) FROM ledger_transfers WHERE id LIKE 'rdm:%:post:%' AND ref_id = ?").pluck().get(held.split('/').at(-1))), 1, 'posted once');
  t.equal(available(db, wallet), start - Number(quantity) * 120);
  t.ok(available(db, wallet) >= 0);
  t.ok(verifyLedger(db.$client).ok);
});

t.test('a coordinator posting for an elder who is a member cannot hold the member\'s own credits', async (t) => {
  const { app, db, clock } = await redemptionApp();
  t.teardown(() => app.close());
  const elderId = Number(db.$client.prepare("SELECT id FROM elders WHERE real_name = '刘德顺'").pluck().get());
  const memberId = Number(db.$client.prepare('SELECT member_id FROM elders WHERE id = ?').pluck().get(elderId));
  // Two hours of the member's own credits, as in the report (120 minutes available).
  const ledger = ledgerFor(db.$client, clock.now);
  ensureAccounts(ledger, [...countyAccounts('433123'), accountInputs.wallet(memberId)]);
  t.same(ledger.createTransfers([{ id: 'test:earned', debitAccountId: accountIds.issuance('433123'), creditAccountId: accountIds.wallet(memberId), amount: 120, code: 'service_credit' }]), ['ok']);
  const start = available(db, `wallet:m${memberId}`);
  t.ok(start >= 120);
  const coordinator = await signedInAs(app, 'coordinator');
  const page = await coordinator.get('/requests');
  t.notMatch(page.body, /name="payer" value="wallet"/, 'the coordinator is not offered a member\'s credits');
  const counts = tableCounts(db);
  const form = { elder: String(elderId), category: 'cleaning', description: '打扫房间', when: '2026-11-28', place: '家中', offered: '1' };
  const refused = await coordinator.post('/requests', { ...form, payer: 'wallet', idempotency_key: key() });
  t.equal(refused.statusCode, 403);
  t.match(visibleText(refused.body), '时间余额只能由成员本人使用');
  t.equal(available(db, `wallet:m${memberId}`), start, 'the member\'s credits are not held');
  t.same(tableCounts(db), counts, 'nothing written');
  const noPayer = await coordinator.post('/requests', { ...form, idempotency_key: key() });
  t.equal(noPayer.statusCode, 403, 'the default payer (wallet) is refused the same way');
  t.equal(available(db, `wallet:m${memberId}`), start);
});

t.test('the notice of a gift is shown to the giver and staff over the giver, never to another county\'s office (issue 12, item 13a)', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const volunteer = await signedInAs(app, 'volunteer'); // 王秀英 in 凤凰县
  await volunteer.get('/gifts');
  const given = await volunteer.post('/gifts', { kind: 'gift', to: member('刘德顺').cardNumber, amount: '1.5', pin, idempotency_key: key() });
  t.equal(given.statusCode, 303);
  const done = given.headers.location as string;
  t.match(done, /^\/gifts\?done=\d+$/);
  t.match(visibleText((await volunteer.get(done)).body), '已转出 1 小时 30 分。', 'the giver sees it');
  const countyOffice = await signedInAs(app, 'office'); // 凤凰县
  t.match(visibleText((await countyOffice.get(done)).body), '已转出 1 小时 30 分。', 'the office of the giver\'s county sees it');
  const before = tableCounts(db);
  const cityOffice = await signedInAs(app, 'office-city'); // 邵阳市
  const away = await cityOffice.get(done);
  t.equal(away.statusCode, 200, 'the page itself opens');
  t.notMatch(visibleText(away.body), '已转出', 'but says nothing of the gift');
  t.notMatch(visibleText(away.body), '1 小时 30 分');
  t.same(tableCounts(db), before, 'reading writes nothing');
});

t.test('service requests: an elder or a request of another county is answered exactly like a missing one (issue 12, item 7)', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const elderId = Number(db.$client.prepare("SELECT id FROM elders WHERE real_name = '刘德顺'").pluck().get()); // 凤凰县
  const cityOffice = await signedInAs(app, 'office-city'); // 邵阳市: 凤凰县 is outside
  await cityOffice.get('/requests');
  const form = { category: 'cleaning', description: '打扫房间', when: '2026-11-28', place: '家中', offered: '1', payer: 'voucher' };
  const counts = tableCounts(db);
  const outside = await cityOffice.post('/requests', { ...form, elder: String(elderId), idempotency_key: key() });
  const missing = await cityOffice.post('/requests', { ...form, elder: '987654', idempotency_key: key() });
  t.equal(outside.statusCode, missing.statusCode);
  t.equal(outside.statusCode, 404);
  const text = (body: string) => visibleText(body).replace(/[0-9a-f-]{36}/g, '');
  t.equal(text(outside.body), text(missing.body), 'the same page for an elder outside the scope and a missing one');
  t.same(tableCounts(db), counts, 'nothing written');

  // The demo volunteer (凤凰县) accepting a request of 隆回县 by its id: answered like a missing request.
  const requestId = Number(db.$client.prepare("SELECT id FROM service_requests WHERE status = 'open'").pluck().get());
  db.$client.prepare("UPDATE service_requests SET county_code = '430524' WHERE id = ?").run(requestId);
  const volunteer = await signedInAs(app, 'volunteer');
  await volunteer.get('/requests');
  const acceptOther = await volunteer.post(`/requests/${requestId}/accept`, {});
  const acceptMissing = await volunteer.post('/requests/987654/accept', {});
  t.equal(acceptOther.statusCode, 404);
  t.equal(text(acceptOther.body), text(acceptMissing.body), 'the same page as a missing request');
  t.equal(String(db.$client.prepare('SELECT status FROM service_requests WHERE id = ?').pluck().get(requestId)), 'open');
});

t.test('a coordinator who is also a volunteer cannot take a request they posted, nor confirm a payout to themselves', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  // 龙德福 coordinates in 凤凰县 and, as many village coordinators do, volunteers too: link his sign-in to a member there.
  const self = member('王秀英');
  const coordinatorUser = Number(db.$client.prepare("SELECT id FROM users WHERE phone = '13800000002'").pluck().get());
  db.$client.prepare("UPDATE users SET member_id = NULL WHERE member_id = ?").run(self.id);
  db.$client.prepare('UPDATE users SET member_id = ? WHERE id = ?').run(self.id, coordinatorUser);
  const requestId = Number(db.$client.prepare("SELECT id FROM service_requests WHERE status = 'open'").pluck().get());
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/requests');

  // Posted by him: he may not take it.
  db.$client.prepare('UPDATE service_requests SET created_by_user_id = ? WHERE id = ?').run(coordinatorUser, requestId);
  const own = await coordinator.post(`/requests/${requestId}/accept`, {});
  t.equal(own.statusCode, 409);
  t.match(visibleText(own.body), '不能接自己发布的需求');
  t.equal(String(db.$client.prepare('SELECT status FROM service_requests WHERE id = ?').pluck().get(requestId)), 'open');

  // Posted by someone else: he takes it, but his own confirmation does not pay him.
  db.$client.prepare('UPDATE service_requests SET created_by_user_id = NULL WHERE id = ?').run(requestId);
  t.equal((await coordinator.post(`/requests/${requestId}/accept`, {})).statusCode, 303);
  const before = available(db, `wallet:m${self.id}`);
  const counts = tableCounts(db);
  const payout = await coordinator.post(`/requests/${requestId}/confirm`, {});
  t.equal(payout.statusCode, 403);
  t.match(visibleText(payout.body), '这次服务是您本人做的');
  t.equal(available(db, `wallet:m${self.id}`), before, 'nothing paid');
  t.same(tableCounts(db), counts, 'nothing written');
  t.equal(String(db.$client.prepare('SELECT status FROM service_requests WHERE id = ?').pluck().get(requestId)), 'accepted');
});

import t from 'tap';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { available, key, redemptionApp, tableCounts } from '../redemption/helpers.ts';

/**
 * "Nothing leaves a member's wallet without that member's consent" (issue 12,
 * item 2): a coordinator who resets a member's PIN must prove the member is
 * present (the card's QR token, or a wallet holding nothing), and a PIN chosen
 * by staff authorises no gift or donation keyed by someone else, pays at a
 * counter only with the card scanned and never for the staff user who chose it.
 */

type Db = Awaited<ReturnType<typeof redemptionApp>>['db'];

function pinRow(db: Db, memberId: number) {
  return db.$client
    .prepare('SELECT pin_hash AS hash, pin_set_at_ms AS setAt, pin_set_by_staff AS byStaff, pin_reset_by_user_id AS resetBy, pin_failed_attempts AS attempts FROM members WHERE id = ?')
    .get(memberId) as { hash: string; setAt: number; byStaff: number; resetBy: number | null; attempts: number };
}

function auditCount(db: Db, action: string, memberId: number): number {
  return Number(db.$client.prepare('SELECT count(*) FROM audit_log WHERE action = ? AND object_id = ?').pluck().get(action, String(memberId)));
}

function lastAuditDetail(db: Db, action: string, memberId: number): Record<string, unknown> {
  return JSON.parse(db.$client.prepare('SELECT detail FROM audit_log WHERE action = ? AND object_id = ? ORDER BY id DESC LIMIT 1').pluck().get(action, String(memberId)) as string);
}

const staffPin = '730418';

t.test('a coordinator resets a PIN only with the member\'s card; the PIN they chose moves nothing by gift or donation and not at their own counter', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const wang = member('王秀英'); // 10 hours, a sign-in of her own, daughter of 刘德顺
  const liu = member('刘德顺');
  const other = member('龙秀英');
  const coordinator = await signedInAs(app, 'coordinator'); // 龙德福, 山江镇
  const coordinatorId = Number(db.$client.prepare("SELECT id FROM users WHERE phone = '13800000002'").pluck().get());
  await coordinator.get(`/members/${wang.id}`);
  const before = pinRow(db, wang.id);
  const auditBefore = auditCount(db, 'member.pin_set', wang.id);

  const noCard = await coordinator.post(`/members/${wang.id}/pin`, { pin: staffPin, pin_confirm: staffPin });
  t.equal(noCard.statusCode, 422, 'no card: refused');
  t.match(visibleText(noCard.body), '需要成员本人在场：请扫描成员会员卡上的二维码');
  const wrongCard = await coordinator.post(`/members/${wang.id}/pin`, { pin: staffPin, pin_confirm: staffPin, card: `http://localhost/c/${other.token}` });
  t.equal(wrongCard.statusCode, 422, 'another member\'s card: refused');
  t.match(visibleText(wrongCard.body), '扫描的不是这位成员现用的会员卡');
  t.same(pinRow(db, wang.id), before, 'a refused reset writes nothing');
  t.equal(auditCount(db, 'member.pin_set', wang.id), auditBefore, 'and audits nothing');

  const withCard = await coordinator.post(`/members/${wang.id}/pin`, { pin: staffPin, pin_confirm: staffPin, card: `http://localhost/c/${wang.token}` });
  t.equal(withCard.statusCode, 303, 'with the member\'s card scanned the reset goes through');
  t.match(pinRow(db, wang.id), { byStaff: 1, resetBy: coordinatorId, attempts: 0 });
  t.not(pinRow(db, wang.id).hash, before.hash);
  t.same(lastAuditDetail(db, 'member.pin_set', wang.id), { bySelf: false, proof: 'card' }, 'the reset is audited with its proof');
  t.match(visibleText((await coordinator.get(`/members/${wang.id}`)).body), '由工作人员代设，成员本人尚未确认');

  // The coordinator keys a gift and a donation for her with the PIN they chose.
  await coordinator.get('/gifts');
  const counts = tableCounts(db);
  const gift = await coordinator.post('/gifts', { kind: 'gift', from: wang.cardNumber, to: liu.cardNumber, amount: '1', pin: staffPin, idempotency_key: key() });
  t.equal(gift.statusCode, 409, 'a gift keyed by staff with a staff-set PIN is refused');
  t.match(visibleText(gift.body), '兑换密码是工作人员代设的，成员本人还没有确认，不能用于转赠或捐赠');
  const donation = await coordinator.post('/gifts', { kind: 'donation', from: wang.cardNumber, to: '', amount: '1', pin: staffPin, idempotency_key: key() });
  t.equal(donation.statusCode, 409, 'so is a donation');
  t.same(tableCounts(db), counts, 'nothing written');
  t.equal(available(db, `wallet:m${wang.id}`), 10 * 60, 'her wallet is untouched');
  t.equal(pinRow(db, wang.id).attempts, 0, 'no PIN attempt was spent either');

  // She sees who reset her PIN, and when, on her own page.
  const volunteer = await signedInAs(app, 'volunteer');
  const own = visibleText((await volunteer.get('/members/me')).body);
  t.match(own, /您的兑换密码已于 .+ 由 龙德福 重设/);

  // The coordinator works the service station of her village: not with the PIN they chose.
  await coordinator.get('/counter/2');
  const found = await coordinator.post('/counter/2/identify', { lookup: wang.cardNumber });
  const memberUrl = found.headers.location as string;
  await coordinator.get(memberUrl);
  const placed = await coordinator.post(`${memberUrl}/baskets`, { idempotency_key: key(), qty_7: '1' });
  t.equal(placed.statusCode, 303);
  const basketUrl = placed.headers.location as string;
  await coordinator.get(basketUrl);
  const own_use = await coordinator.post(`${basketUrl}/confirm`, { pin: staffPin, card: `http://localhost/c/${wang.token}` });
  t.equal(own_use.statusCode, 409, 'the staff user who chose the PIN cannot pay with it, card or not');
  t.match(visibleText(own_use.body), '这个兑换密码是您为该成员代设的');
  const basketId = Number(/baskets\/(\d+)/.exec(basketUrl)![1]);
  t.equal(db.$client.prepare('SELECT status FROM redemptions WHERE id = ?').pluck().get(basketId), 'held');
  t.equal(pinRow(db, wang.id).attempts, 0);
  t.equal((await coordinator.post(`${basketUrl}/cancel`, {})).statusCode, 303);

  // Another clerk, at another site: only with her card scanned; that confirms the PIN as hers.
  const clerk = await signedInAs(app, 'clerk');
  await clerk.get('/counter/1');
  const atSite1 = (await clerk.post('/counter/1/identify', { lookup: wang.cardNumber })).headers.location as string;
  await clerk.get(atSite1);
  const towel = await clerk.post(`${atSite1}/baskets`, { idempotency_key: key(), qty_4: '1' });
  t.equal(towel.statusCode, 303);
  const towelUrl = towel.headers.location as string;
  t.match(visibleText((await clerk.get(towelUrl)).body), '请扫描成员本人的会员卡');
  const withoutCard = await clerk.post(`${towelUrl}/confirm`, { pin: staffPin });
  t.equal(withoutCard.statusCode, 422, 'a staff-set PIN without the card: refused');
  t.match(visibleText(withoutCard.body), '结账时必须扫描成员本人现用的会员卡');
  t.equal(pinRow(db, wang.id).attempts, 0, 'refused before the PIN is checked');
  const confirmed = await clerk.post(`${towelUrl}/confirm`, { pin: staffPin, card: `http://localhost/c/${wang.token}` });
  t.equal(confirmed.statusCode, 303, 'card and PIN: paid');
  t.equal(available(db, `wallet:m${wang.id}`), 10 * 60 - 15);
  t.match(pinRow(db, wang.id), { byStaff: 0, resetBy: coordinatorId }, 'confirmed at a counter with the card: the PIN is hers now (the notice stays)');
  t.equal(auditCount(db, 'member.pin_confirmed', wang.id), 1);

  await coordinator.get('/gifts');
  const nowAllowed = await coordinator.post('/gifts', { kind: 'gift', from: wang.cardNumber, to: liu.cardNumber, amount: '1', pin: staffPin, idempotency_key: key() });
  t.equal(nowAllowed.statusCode, 303, 'after she confirmed it, a gift keyed for her with her PIN goes through');

  // She sets her own PIN (the confirmed one is hers now, so she types it first): the notice goes.
  await volunteer.get('/members/me');
  t.equal((await volunteer.post('/members/me/pin', { pin: '582046', pin_confirm: '582046', current_pin: staffPin })).statusCode, 303);
  t.match(pinRow(db, wang.id), { byStaff: 0, resetBy: null });
  t.notMatch(visibleText((await volunteer.get('/members/me')).body), '重设');
});

t.test('a member signed in as themself may spend with a PIN staff set; staff may set a PIN without the card only while the wallet is empty', async (t) => {
  const { app, db, member } = await redemptionApp();
  t.teardown(() => app.close());
  const wang = member('王秀英');
  const liu = member('刘德顺');
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get(`/members/${wang.id}`);
  t.equal((await coordinator.post(`/members/${wang.id}/pin`, { pin: staffPin, pin_confirm: staffPin, card: wang.token })).statusCode, 303, 'the bare token works too');
  const volunteer = await signedInAs(app, 'volunteer');
  await volunteer.get('/gifts');
  const own = await volunteer.post('/gifts', { kind: 'gift', to: liu.cardNumber, amount: '1', pin: staffPin, idempotency_key: key() });
  t.equal(own.statusCode, 303, 'her own signed-in action is her consent');

  // A new member at registration: nothing in the wallet, so nothing a chosen PIN could spend.
  await coordinator.get('/members/new');
  const registered = await coordinator.post('/members', { real_name: '石大山', phone: '13900000099', id_number: makeIdNumber('433123', '1960-05-05', 777), village_code: '433123101001', idempotency_key: key() });
  t.equal(registered.statusCode, 303);
  const newId = Number(/members\/(\d+)/.exec(registered.headers.location as string)![1]);
  await coordinator.get(`/members/${newId}`);
  t.equal((await coordinator.post(`/members/${newId}/pin`, { pin: staffPin, pin_confirm: staffPin })).statusCode, 303, 'empty wallet: no card needed');
  t.match(pinRow(db, newId), { byStaff: 1 });
  t.same(lastAuditDetail(db, 'member.pin_set', newId), { bySelf: false, proof: 'empty_wallet' });
});

t.test('credits a member offered from her own wallet for a service are paid out only when she confirms, not by a coordinator', async (t) => {
  const { app, db, member, clock, secrets } = await redemptionApp();
  t.teardown(() => app.close());
  const wang = member('王秀英'); // 67, a sign-in of her own
  const long = member('龙秀英'); // a volunteer of the same county
  const volunteer = await signedInAs(app, 'volunteer');
  await volunteer.get('/requests');
  const posted = await volunteer.post('/requests', { category: 'cleaning', description: '打扫院子', when: '2026-11-28', place: '家中', offered: '1', payer: 'wallet', idempotency_key: key() });
  t.equal(posted.statusCode, 303, 'she offers one hour of her own credits');
  const requestId = Number(db.$client.prepare('SELECT id FROM service_requests WHERE requester_member_id = ? ORDER BY id DESC LIMIT 1').pluck().get(wang.id));
  // A coordinator may name who accepts (src/domain/redemption/requests.ts); here 龙秀英.
  const coordinatorId = Number(db.$client.prepare("SELECT id FROM users WHERE phone = '13800000002'").pluck().get());
  const { acceptRequest } = await import('../../../src/domain/redemption/requests.ts');
  const { actorOf } = await import('../../../src/domain/auth/users.ts');
  t.ok(acceptRequest({ db, keys: secrets, now: clock.now }, actorOf(db, coordinatorId), requestId, long.id, null).ok);
  const heldBefore = available(db, `wallet:m${wang.id}`);
  const longBefore = available(db, `wallet:m${long.id}`);

  const coordinator = await signedInAs(app, 'coordinator');
  t.notMatch((await coordinator.get('/requests')).body, `action="/requests/${requestId}/confirm"`, 'staff are not offered the confirm button');
  t.match((await volunteer.get('/requests')).body, `action="/requests/${requestId}/confirm"`, 'she is');
  const counts = tableCounts(db);
  const byStaff = await coordinator.post(`/requests/${requestId}/confirm`, {});
  t.equal(byStaff.statusCode, 403, 'the coordinator cannot pay the volunteer from her wallet');
  t.match(visibleText(byStaff.body), '只能由成员本人登录确认服务已完成');
  t.same(tableCounts(db), counts, 'nothing written');
  t.equal(db.$client.prepare('SELECT status FROM service_requests WHERE id = ?').pluck().get(requestId), 'accepted');
  t.equal(available(db, `wallet:m${long.id}`), longBefore, 'the volunteer was not paid');

  const byHerself = await volunteer.post(`/requests/${requestId}/confirm`, {});
  t.equal(byHerself.statusCode, 303, 'she confirms it herself');
  t.equal(db.$client.prepare('SELECT status FROM service_requests WHERE id = ?').pluck().get(requestId), 'completed');
  t.equal(available(db, `wallet:m${wang.id}`), heldBefore, 'the hold was posted, nothing more');
  t.equal(available(db, `wallet:m${long.id}`), longBefore + 60, 'the volunteer is paid');
});

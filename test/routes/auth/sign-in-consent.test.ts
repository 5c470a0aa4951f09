import t from 'tap';
import { readFileSync } from 'node:fs';
import { openIdNumber } from '../../../src/domain/people/members/identity.ts';
import { pin as memberPin } from '../redemption/helpers.ts';
import { signedInAs, TestBrowser, visibleText } from '../../helpers/web.ts';
import { available, key, redemptionApp, tableCounts } from '../redemption/helpers.ts';

/**
 * "Nothing leaves a member's wallet without that member's consent": a sign-in
 * whose password staff chose (a coordinator creating it for a member, or an
 * office resetting it) is not the member's own signed-in action until the
 * member proves presence at a counter with their card (docs/WEB.md "Consent").
 */

type Db = Awaited<ReturnType<typeof redemptionApp>>['db'];

const coordinatorPhone = '13800000002';
const attackerPhone = '13911112222';
const chosenPin = '582046';

function pinRow(db: Db, memberId: number) {
  return db.$client
    .prepare('SELECT pin_hash AS hash, pin_set_by_staff AS byStaff, pin_reset_by_user_id AS resetBy, pin_failed_attempts AS attempts FROM members WHERE id = ?')
    .get(memberId) as { hash: string | null; byStaff: number; resetBy: number | null; attempts: number };
}

function userId(db: Db, phone: string): number {
  return Number(db.$client.prepare('SELECT id FROM users WHERE phone = ?').pluck().get(phone));
}

function markOf(db: Db, phone: string): number | null {
  return db.$client.prepare('SELECT password_set_by_user_id FROM users WHERE phone = ?').pluck().get(phone) as number | null;
}

/** The coordinator opens a sign-in for the member with a phone and password they choose, signs in and changes the password. */
async function becomeTheMember(app: Awaited<ReturnType<typeof redemptionApp>>['app'], memberId: number): Promise<TestBrowser> {
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get(`/members/${memberId}`);
  const created = await coordinator.post(`/members/${memberId}/account`, { phone: attackerPhone, temporary_password: 'linshi-2026' });
  if (created.statusCode !== 303) throw new Error(`account: ${created.statusCode}`);
  const asMember = new TestBrowser(app);
  await asMember.signIn(attackerPhone, 'linshi-2026');
  await asMember.get('/account/password');
  const changed = await asMember.post('/account/password', { current_password: 'linshi-2026', new_password: 'mine-only-2026', confirm_password: 'mine-only-2026' });
  if (changed.statusCode !== 303) throw new Error(`password: ${changed.statusCode}`);
  return asMember;
}

t.test('a coordinator who opens a sign-in for a member cannot move her credits through it; a counter visit with her card makes it hers', async (t) => {
  const { app, db, member, secrets } = await redemptionApp();
  t.teardown(() => app.close());
  const long = member('龙秀英'); // 9.5 hours, no sign-in
  const yang = member('杨国富'); // her husband, a registered relative
  db.$client.prepare('UPDATE members SET pin_hash = NULL, pin_set_at_ms = NULL WHERE id = ?').run(long.id); // she never chose a PIN
  const coordinatorId = userId(db, coordinatorPhone);
  const walletBefore = available(db, `wallet:m${long.id}`);

  const asMember = await becomeTheMember(app, long.id);
  t.equal(markOf(db, attackerPhone), coordinatorId, 'the sign-in is marked as set by the coordinator');
  t.equal(markOf(db, attackerPhone), coordinatorId, 'changing the password oneself does not clear it');

  t.match(visibleText((await asMember.get('/members/me')).body), '这个登录账号是工作人员为您开通（或重置密码）的', 'her page says why');
  t.equal((await asMember.post('/members/me/pin', { pin: chosenPin, pin_confirm: chosenPin })).statusCode, 303);
  t.match(pinRow(db, long.id), { byStaff: 1, resetBy: coordinatorId }, 'a PIN set from that session is a PIN set by the coordinator');

  await asMember.get('/gifts');
  const counts = tableCounts(db);
  const gift = await asMember.post('/gifts', { kind: 'gift', to: yang.cardNumber, amount: '1', pin: chosenPin, idempotency_key: key() });
  t.equal(gift.statusCode, 409, 'the gift is refused');
  t.match(visibleText(gift.body), '这个登录账号的密码是工作人员代设（开户或重置）的');
  const donation = await asMember.post('/gifts', { kind: 'donation', to: '', amount: '1', pin: chosenPin, idempotency_key: key() });
  t.equal(donation.statusCode, 409, 'so is a donation');
  await asMember.get('/requests');
  const request = await asMember.post('/requests', { category: 'cleaning', description: '打扫院子', when: '2026-11-28', place: '家中', offered: '1', payer: 'wallet', idempotency_key: key() });
  t.equal(request.statusCode, 409, 'so is a request paid from her wallet');
  t.match(visibleText(request.body), '暂时不能用它转赠、捐赠或用自己账户里的时间币付款');
  t.same(tableCounts(db), counts, 'nothing written');
  t.equal(available(db, `wallet:m${long.id}`), walletBefore, 'her wallet is untouched');
  t.equal(pinRow(db, long.id).attempts, 0, 'refused before the PIN is checked');

  const memberRow = db.$client.prepare('SELECT phone, id_number_ciphertext AS ciphertext FROM members WHERE id = ?').get(long.id) as { phone: string; ciphertext: string };
  const idNumber = openIdNumber(secrets, memberRow.ciphertext);
  const masked = await asMember.get('/members/me/export');
  t.equal(masked.statusCode, 200);
  t.notMatch(masked.body, idNumber, 'the export does not give the ID number in clear');
  t.notMatch(masked.body, memberRow.phone, 'nor the phone');
  t.match(JSON.parse(masked.body), { masked: true, member: { idNumber: /\*{4}/, phone: /\*{4}/ } }, 'masked like the staff view');

  // The coordinator at the service station of her village, with her card: not the person who set the sign-in up.
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/counter/2');
  const atSite2 = (await coordinator.post('/counter/2/identify', { lookup: long.cardNumber })).headers.location as string;
  await coordinator.get(atSite2);
  const basket = (await coordinator.post(`${atSite2}/baskets`, { idempotency_key: key(), qty_7: '1' })).headers.location as string;
  await coordinator.get(basket);
  const ownCounter = await coordinator.post(`${basket}/confirm`, { pin: chosenPin, card: `http://localhost/c/${long.token}` });
  t.equal(ownCounter.statusCode, 409);
  t.match(visibleText(ownCounter.body), '这个兑换密码是您为该成员代设的');
  t.equal(markOf(db, attackerPhone), coordinatorId, 'still marked');
  t.equal((await coordinator.post(`${basket}/cancel`, {})).statusCode, 303);

  // Another clerk, her card scanned and her PIN typed: she was there.
  const clerk = await signedInAs(app, 'clerk');
  await clerk.get('/counter/1');
  const atSite1 = (await clerk.post('/counter/1/identify', { lookup: long.cardNumber })).headers.location as string;
  await clerk.get(atSite1);
  const towel = (await clerk.post(`${atSite1}/baskets`, { idempotency_key: key(), qty_4: '1' })).headers.location as string;
  await clerk.get(towel);
  t.equal((await clerk.post(`${towel}/confirm`, { pin: chosenPin, card: `http://localhost/c/${long.token}` })).statusCode, 303, 'paid at the counter');
  t.equal(markOf(db, attackerPhone), null, 'the sign-in is hers now');
  t.match(pinRow(db, long.id), { byStaff: 0 }, 'and so is the PIN');
  t.equal(Number(db.$client.prepare("SELECT count(*) FROM audit_log WHERE action = 'member.sign_in_confirmed' AND object_id = ?").pluck().get(String(long.id))), 1);

  // Her session works as before.
  await asMember.get('/gifts');
  const afterGift = await asMember.post('/gifts', { kind: 'gift', to: yang.cardNumber, amount: '1', pin: chosenPin, idempotency_key: key() });
  t.equal(afterGift.statusCode, 303, 'her gift goes through');
  t.equal(available(db, `wallet:m${long.id}`), walletBefore - 15 - 60);
  t.notMatch(visibleText((await asMember.get('/members/me')).body), '这个登录账号是工作人员为您开通', 'the notice goes');
  const clear = await asMember.get('/members/me/export');
  t.match(clear.body, idNumber, 'her own copy is in clear again');
});

t.test('a member who chose her PIN changes it only by typing it; a reset password masks her copy but leaves her PIN hers', async (t) => {
  const { app, db, member, secrets } = await redemptionApp();
  t.teardown(() => app.close());
  const long = member('龙秀英'); // chose her PIN (the demo PIN)
  const before = pinRow(db, long.id);
  const asMember = await becomeTheMember(app, long.id);

  await asMember.get('/members/me');
  const without = await asMember.post('/members/me/pin', { pin: chosenPin, pin_confirm: chosenPin });
  t.equal(without.statusCode, 422, 'no current PIN: refused');
  t.match(visibleText(without.body), '修改自己设的兑换密码，请先输入现在的密码');
  t.same(pinRow(db, long.id), before, 'nothing written');
  const wrong = await asMember.post('/members/me/pin', { pin: chosenPin, pin_confirm: chosenPin, current_pin: '909192' });
  t.equal(wrong.statusCode, 422, 'a wrong current PIN: refused');
  t.match(visibleText(wrong.body), '密码不对');
  t.match(pinRow(db, long.id), { hash: before.hash, attempts: 1 }, 'the guess is counted, the PIN unchanged');

  // The demo volunteer (王秀英, her own sign-in) changes her chosen PIN with it.
  const wang = member('王秀英');
  const volunteer = await signedInAs(app, 'volunteer');
  await volunteer.get('/members/me');
  t.match((await volunteer.get('/members/me')).body, 'name="current_pin"', 'the form asks for the current PIN');
  t.equal((await volunteer.post('/members/me/pin', { pin: chosenPin, pin_confirm: chosenPin, current_pin: memberPin })).statusCode, 303);
  t.match(pinRow(db, wang.id), { byStaff: 0, resetBy: null });

  // The county office resets her password: her own copy is masked until she proves presence.
  const idNumber = openIdNumber(secrets, db.$client.prepare('SELECT id_number_ciphertext FROM members WHERE id = ?').pluck().get(wang.id) as string);
  t.match((await volunteer.get('/members/me/export')).body, idNumber, 'in clear before');
  const office = await signedInAs(app, 'office');
  const wangUser = userId(db, '13800000001');
  await office.get(`/accounts/${wangUser}`);
  t.equal((await office.post(`/accounts/${wangUser}/password`, { temporary_password: 'linshi-2026' })).statusCode, 303);
  t.equal(markOf(db, '13800000001'), userId(db, '13800000004'));
  const again = new TestBrowser(app);
  await again.signIn('13800000001', 'linshi-2026');
  t.notMatch((await again.get('/members/me/export')).body, idNumber, 'masked after the reset');
  t.match(pinRow(db, wang.id), { byStaff: 0 }, 'her PIN is still the one she chose');
});

t.test('migration 0016 marks member sign-ins staff set up before it, from the audit log', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office');
  const wangUser = userId(db, '13800000001');
  await office.get(`/accounts/${wangUser}`);
  t.equal((await office.post(`/accounts/${wangUser}/password`, { temporary_password: 'linshi-2026' })).statusCode, 303);
  db.$client.exec('UPDATE users SET password_set_by_user_id = NULL'); // as before the migration
  const backfill = readFileSync(new URL('../../../drizzle/0016_credentials_set_by_staff.sql', import.meta.url), 'utf8').split('--> statement-breakpoint')[1]!;
  db.$client.exec(backfill);
  t.same(db.$client.prepare('SELECT id FROM users WHERE password_set_by_user_id IS NOT NULL').pluck().all(), [wangUser], 'only the member sign-in whose password staff reset');
  t.equal(markOf(db, '13800000001'), userId(db, '13800000004'), 'marked with the office that reset it');
});

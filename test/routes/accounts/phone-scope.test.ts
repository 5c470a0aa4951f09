import t from 'tap';
import { randomUUID } from 'node:crypto';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { phoneRefusalsPerHour, phoneRefusalWindowMs } from '../../../src/domain/auth/phone-in-use.ts';
import { count, createTestApp, demoPhone, listeningAs, signedInAs, visibleText } from '../../helpers/web.ts';

/**
 * Making an account must refuse a phone that already has one, but must not
 * tell an office whether a number belongs to someone outside its area: such
 * a phone gets a neutral refusal, counted (10 per user per hour, then every
 * new account of that user is paused), atomically under parallel requests.
 */
const form = (phone: string, name = '石协管') => ({ display_name: name, phone, role: 'coordinator', scope: 'region:433123101', temporary_password: 'linshi-2026' });
const refusals = (db: Parameters<typeof count>[0]) => count(db, `audit_log WHERE action = 'accounts.phone_refused'`);

t.test('a phone outside the office\'s area: a neutral refusal that names nobody; inside: "already has an account"', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office'); // 凤凰县
  await office.get('/accounts/new');
  const users = count(db, 'users');

  const away = await office.post('/accounts', form(demoPhone('office-city'))); // 邵阳市's office: outside 凤凰县
  t.equal(away.statusCode, 409);
  const text = visibleText(away.body);
  t.match(text, '这个手机号码不能用来新建账户');
  t.notMatch(text, '已经有账户', 'does not say the number has an account');
  t.notMatch(text, '刘志强', 'names nobody');
  t.notMatch(text, '邵阳', 'and no place');
  t.equal(count(db, 'users'), users, 'no account written');
  t.equal(refusals(db), 1, 'the refusal is counted');
  const entry = db.$client.prepare(`SELECT detail, object_id AS objectId FROM audit_log WHERE action = 'accounts.phone_refused'`).get() as { detail: string | null; objectId: string | null };
  t.notMatch(String(entry.detail), demoPhone('office-city').slice(3), 'the phone is not recorded');
  t.equal(entry.objectId, null, 'nor the account');

  const home = await office.post('/accounts', form(demoPhone('volunteer'))); // 王秀英 in 凤凰县
  t.equal(home.statusCode, 409);
  t.match(visibleText(home.body), '这个手机号码已经有账户了', 'inside the area the office can find the account in its own list anyway');
  t.equal(refusals(db), 1, 'not counted');
  t.equal(count(db, 'users'), users);

  // A coordinator making a member's sign-in: the same rule.
  const coordinator = await signedInAs(app, 'coordinator'); // 山江镇
  await coordinator.get('/members/new');
  const registered = await coordinator.post('/members', { idempotency_key: randomUUID(), real_name: '龙阿妹', phone: '13712345678', id_number: makeIdNumber('433123', '1958-03-03', 21), village_code: '433123101001' });
  t.equal(registered.statusCode, 303);
  const memberId = Number(/\/members\/(\d+)/.exec(String(registered.headers.location))![1]);
  await coordinator.get(`/members/${memberId}`);
  const signIn = await coordinator.post(`/members/${memberId}/account`, { phone: demoPhone('clerk'), temporary_password: 'linshi-2026' }); // a clerk in 隆回县
  t.equal(signIn.statusCode, 409);
  t.match(visibleText(signIn.body), '这个手机号码不能用来新建账户');
  t.notMatch(visibleText(signIn.body), '已经有账户');
  t.equal(count(db, 'users'), users);
  t.equal(refusals(db), 2);
});

t.test('parallel: at most the allowance of neutral refusals, then every new account is paused', async (t) => {
  const { app, db, clock, client } = await listeningAs('office', () => createTestApp());
  t.teardown(() => app.close());
  t.equal(phoneRefusalsPerHour, 10);
  await client.get('/accounts/new');
  const users = count(db, 'users');
  const outside = [demoPhone('office-city'), demoPhone('clerk'), demoPhone('admin')];
  const answers = await Promise.all(Array.from({ length: 14 }, (_, index) => client.post('/accounts', form(outside[index % 3]!, `石协管${index}`))));
  const statuses = answers.map((answer) => answer.status);
  t.equal(statuses.filter((status) => status === 409).length, 10, 'ten evaluated');
  t.equal(statuses.filter((status) => status === 429).length, 4, 'the rest paused');
  t.match(visibleText(answers[statuses.indexOf(429)]!.body), '您在一小时内已有 10 次因手机号码不能使用而未能新建账户');
  t.equal(refusals(db), 10);
  t.equal(count(db, 'users'), users);

  // A free number is paused too: otherwise success versus refusal would answer the question.
  const free = await client.post('/accounts', form('13900007777'));
  t.equal(free.status, 429);
  t.equal(count(db, 'users'), users, 'nothing written');
  t.equal(refusals(db), 10, 'a paused form writes nothing');

  clock.advance(phoneRefusalWindowMs + 1000);
  await client.get('/sign-in'); // the access token has expired meanwhile: sign in again
  await client.post('/sign-in', { phone: demoPhone('office'), password: 'yinling2026', next: '/' });
  await client.get('/accounts/new');
  const later = await client.post('/accounts', form('13900007777'));
  t.equal(later.status, 303, 'an hour later the office can make accounts again');
  t.equal(count(db, 'users'), users + 1);
});

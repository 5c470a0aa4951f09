import t from 'tap';
import type { AddressInfo } from 'node:net';
import { demoPassword } from '../../../src/domain/demo/seed.ts';
import { accountAttemptCeiling, pairAttemptLimit, pruneEveryMs } from '../../../src/domain/auth/throttle.ts';
import { AddressClient } from '../../helpers/http-client.ts';
import { count, createTestApp, demoPhone, signedInAs, TestBrowser, visibleText } from '../../helpers/web.ts';

/**
 * Lock-out as a weapon (issue 12, item 10): wrong passwords from one address
 * lock only that address out of the account; an account-wide ceiling stops a
 * distributed guesser at new addresses but never the holder's usual one; an
 * office lifts a lock; the holder is told at the next sign-in.
 */
const wrong = 'not-the-password';
const badCredentials = '手机号码或密码不正确';
const pairLocked = '从这个网络尝试登录这个手机号码的次数太多';
const accountLocked = '这个账号近期失败的登录尝试太多';

async function listening() {
  const testApp = await createTestApp({ signInAttemptsPerAddress: 1000 });
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (testApp.app.server.address() as AddressInfo).port;
  return { ...testApp, client: async (address: string) => {
    const client = new AddressClient(port, address);
    await client.get('/sign-in');
    return client;
  } };
}

function failedAudits(db: Parameters<typeof count>[0]): number {
  return (db.$client.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'auth.sign_in_failed'").get() as { n: number }).n;
}

t.test('parallel guesses from one address: at most the limit is evaluated, and the owner at another address still signs in', async (t) => {
  const { app, db, client } = await listening();
  t.teardown(() => app.close());
  const phone = demoPhone('admin');
  const attacker = await client('127.0.0.2');
  const answers = await Promise.all(Array.from({ length: 12 }, () => attacker.post('/sign-in', { phone, password: wrong, next: '/' })));
  const evaluated = answers.filter((answer) => answer.status === 401);
  const refused = answers.filter((answer) => answer.status === 429);
  t.equal(evaluated.length, pairAttemptLimit, `exactly ${pairAttemptLimit} of 12 parallel guesses were evaluated`);
  t.equal(refused.length, 12 - pairAttemptLimit, 'the rest were refused unevaluated');
  for (const answer of evaluated) t.match(visibleText(answer.body), badCredentials);
  for (const answer of refused) t.match(visibleText(answer.body), pairLocked, 'refusal says why, in Chinese');
  t.equal(failedAudits(db), pairAttemptLimit, 'only evaluated guesses were recorded as failed sign-ins');
  t.equal(count(db, 'refresh_tokens'), 0);

  const right = await attacker.post('/sign-in', { phone, password: demoPassword, next: '/' });
  t.equal(right.status, 429, 'the right password from the locked address is refused until the lock ends');
  t.equal(count(db, 'refresh_tokens'), 0, 'no session for the locked address');

  const owner = await client('127.0.0.3');
  const signIn = await owner.post('/sign-in', { phone, password: demoPassword, next: '/audit' });
  t.equal(signIn.status, 200, 'the owner from another address signs in');
  t.match(visibleText(signIn.body), `您的账号有 ${pairAttemptLimit} 次失败的登录尝试`, 'and is told about the failed attempts');
  t.match(signIn.body, 'href="/audit"', 'with a way on to where they were going');
  t.equal(count(db, 'refresh_tokens'), 1, 'one session, the owner\'s');
  const next = await owner.post('/sign-out', {});
  t.equal(next.status, 303);
  await owner.get('/sign-in');
  const again = await owner.post('/sign-in', { phone, password: demoPassword, next: '/' });
  t.equal(again.status, 303, 'the notice is shown once: the next sign-in goes straight on');
});

t.test('the account-wide ceiling stops new addresses, not the owner\'s usual one; an office in scope lifts it', async (t) => {
  const { app, db, client } = await listening();
  t.teardown(() => app.close());
  const phone = demoPhone('volunteer');
  const usual = await client('127.0.0.3');
  t.equal((await usual.post('/sign-in', { phone, password: demoPassword, next: '/' })).status, 303, 'the owner signs in from their usual address');
  t.equal((await usual.post('/sign-out', {})).status, 303);

  const addresses = Math.ceil(accountAttemptCeiling / pairAttemptLimit) + 2;
  const attackers = await Promise.all(Array.from({ length: addresses }, (_, index) => client(`127.0.1.${index + 1}`)));
  const answers = await Promise.all(attackers.flatMap((attacker) => Array.from({ length: pairAttemptLimit }, () => attacker.post('/sign-in', { phone, password: wrong, next: '/' }))));
  const evaluated = answers.filter((answer) => answer.status === 401).length;
  t.equal(evaluated, accountAttemptCeiling, `a distributed guesser gets ${accountAttemptCeiling} evaluated guesses in all`);
  t.ok(answers.filter((answer) => answer.status === 429).every((answer) => visibleText(answer.body).includes(accountLocked)), 'the others are refused with the account-wide message');

  const stranger = await client('127.0.2.1');
  const strangerAnswer = await stranger.post('/sign-in', { phone, password: demoPassword, next: '/' });
  t.equal(strangerAnswer.status, 429, 'a new address is refused even with the right password');
  t.match(visibleText(strangerAnswer.body), accountLocked);

  await usual.get('/sign-in');
  const owner = await usual.post('/sign-in', { phone, password: demoPassword, next: '/' });
  t.equal(owner.status, 200, 'the owner at the usual address is not locked out');
  t.match(visibleText(owner.body), `您的账号有 ${accountAttemptCeiling} 次失败的登录尝试`);

  // The county office of the volunteer's county sees the lock on the account page and lifts it.
  const userId = (db.$client.prepare('SELECT id FROM users WHERE phone = ?').get(phone) as { id: number }).id;
  const cityOffice = await signedInAs(app, 'office-city');
  const away = await cityOffice.post(`/accounts/${userId}/unlock`, {});
  t.equal(away.statusCode, 404, 'an office of another city may not lift it (answered as a missing account)');
  const office = await signedInAs(app, 'office');
  const page = await office.get(`/accounts/${userId}`);
  t.match(visibleText(page.body), '登录锁定');
  t.match(visibleText(page.body), '解除登录锁定');
  const auditBefore = count(db, 'audit_log');
  const lifted = await office.post(`/accounts/${userId}/unlock`, {});
  t.equal(lifted.statusCode, 303);
  t.equal(lifted.headers.location, `/accounts/${userId}?done=unlocked`);
  t.match(visibleText((await office.get(`/accounts/${userId}?done=unlocked`)).body), '已解除登录锁定');
  t.equal(count(db, 'audit_log'), auditBefore + 1, 'one audit entry');
  t.match(db.$client.prepare("SELECT actor_user_id, object_id FROM audit_log WHERE action = 'auth.sign_in_lock_lifted'").get(), { object_id: String(userId) });
  const twice = await office.post(`/accounts/${userId}/unlock`, {});
  t.equal(twice.statusCode, 409, 'nothing left to lift');
  t.match(visibleText(twice.body), '这个账号现在没有被锁定');
  t.equal(count(db, 'audit_log'), auditBefore + 1, 'the refusal writes nothing');

  await stranger.get('/sign-in');
  t.equal((await stranger.post('/sign-in', { phone, password: demoPassword, next: '/' })).status, 303, 'after the lift, a new address signs in');
});

t.test('a pair lock grows each time and ends by the clock', async (t) => {
  const { app, clock } = await createTestApp({ signInAttemptsPerAddress: 1000 });
  t.teardown(() => app.close());
  const browser = new TestBrowser(app);
  const phone = demoPhone('coordinator');
  const guess = () => browser.signIn(phone, wrong);
  for (let attempt = 0; attempt < pairAttemptLimit; attempt += 1) t.equal((await guess()).statusCode, 401);
  const locked = await guess();
  t.equal(locked.statusCode, 429);
  t.match(visibleText(locked.body), '请 15 分钟后再试');
  clock.advance(15 * 60_000);
  for (let attempt = 0; attempt < pairAttemptLimit; attempt += 1) t.equal((await guess()).statusCode, 401, 'evaluated again after the first lock');
  const second = await guess();
  t.match(visibleText(second.body), '请 30 分钟后再试', 'the second lock lasts twice as long');
  clock.advance(29 * 60_000);
  t.equal((await browser.signIn(phone, demoPassword)).statusCode, 429, 'still locked a minute before the end');
  clock.advance(60_000);
  t.equal((await browser.signIn(phone, demoPassword)).statusCode, 200, 'the right password works when the lock ends (with the notice)');
});

t.test('the current password on the change-password form is throttled the same way, under parallel guesses', async (t) => {
  const { app, db, client } = await listening();
  t.teardown(() => app.close());
  const phone = demoPhone('office');
  const thief = await client('127.0.0.5');
  t.equal((await thief.post('/sign-in', { phone, password: demoPassword, next: '/' })).status, 303, 'a copied session, say');
  await thief.get('/account/password');
  const hashBefore = db.$client.prepare('SELECT password_hash FROM users WHERE phone = ?').pluck().get(phone);
  const answers = await Promise.all(Array.from({ length: 10 }, (_, index) => thief.post('/account/password', { current_password: `guess-${index}`, new_password: 'taken-over-2026', confirm_password: 'taken-over-2026' })));
  const evaluated = answers.filter((answer) => visibleText(answer.body).includes('现在的密码不正确'));
  const locked = answers.filter((answer) => visibleText(answer.body).includes('现在的密码输错次数太多'));
  t.equal(evaluated.length, pairAttemptLimit, `only ${pairAttemptLimit} guesses were evaluated`);
  t.equal(locked.length, 10 - pairAttemptLimit, 'the rest were refused with a message');
  t.same(evaluated.map((answer) => answer.status), Array(pairAttemptLimit).fill(422), 'a wrong current password answers 422');
  t.same(locked.map((answer) => answer.status), Array(10 - pairAttemptLimit).fill(429), 'a locked check answers 429');
  const right = await thief.post('/account/password', { current_password: demoPassword, new_password: 'taken-over-2026', confirm_password: 'taken-over-2026' });
  t.equal(right.status, 429, 'the right current password is refused while locked');
  t.equal(db.$client.prepare('SELECT password_hash FROM users WHERE phone = ?').pluck().get(phone), hashBefore, 'the password did not change');
  const owner = await client('127.0.0.6');
  t.equal((await owner.post('/sign-in', { phone, password: demoPassword, next: '/' })).status, 200, 'the owner elsewhere still signs in (and is told of the failures)');
});

t.test('devices signing in at the same moment are not warned about each other\'s attempts in flight', async (t) => {
  const { app, db, client } = await listening();
  t.teardown(() => app.close());
  const phone = demoPhone('clerk');
  const devices = await Promise.all(['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4'].map((address) => client(address)));
  const answers = await Promise.all(devices.map((device) => device.post('/sign-in', { phone, password: demoPassword, next: '/' })));
  t.same(answers.map((answer) => answer.status), [303, 303, 303, 303], 'every right password signs straight in, with no notice page');
  t.equal(count(db, 'refresh_tokens'), 4);
  t.equal(failedAudits(db), 0);
});

t.test('guesses at made-up phones from changing addresses do not grow the throttle table without bound', async (t) => {
  const { app, db, clock, client } = await listening();
  t.teardown(() => app.close());
  const rows = () => count(db, 'sign_in_throttle');
  // Twenty made-up phones, each from its own address: two rows each (the pair and the phone's '*' row).
  for (let n = 0; n < 20; n += 1) {
    const guesser = await client(`127.0.1.${n + 1}`);
    const answer = await guesser.post('/sign-in', { phone: `1390000${String(n).padStart(4, '0')}`, password: wrong, next: '/' });
    t.equal(answer.status, 401);
  }
  t.equal(rows(), 40, 'each guess left a pair row and a phone row');
  // The holder's own history: a known address and the notice of failures, and a pair locked right now.
  const phone = demoPhone('admin');
  const owner = await client('127.0.2.1');
  t.equal((await owner.post('/sign-in', { phone, password: demoPassword, next: '/' })).status, 303);
  await owner.post('/sign-out', {});
  const attacker = await client('127.0.2.2');
  for (let n = 0; n < pairAttemptLimit; n += 1) await attacker.post('/sign-in', { phone, password: wrong, next: '/' });
  const kept = rows();

  // A day and a minute later the next attempt prunes the pair rows that no longer decide anything.
  clock.advance(24 * 60 * 60 * 1000 + pruneEveryMs);
  await (await client('127.0.3.1')).post('/sign-in', { phone: '13900009999', password: wrong, next: '/' });
  t.equal(rows(), kept - 20 + 2, 'the twenty pair rows of the made-up phones went; the new guess left its own two');
  const holderKey = db.$client.prepare("SELECT phone_key FROM sign_in_throttle WHERE address = '127.0.2.1'").pluck().get();
  t.ok(holderKey, 'the holder\'s known address stays');
  t.equal(db.$client.prepare("SELECT count(*) FROM sign_in_throttle WHERE address = '127.0.2.2'").pluck().get(), 1, 'the attacker\'s pair, locked less than a day ago, stays (its next lock is longer)');

  // The phone rows of made-up phones hold failures "for the notice": they go after 90 days without a guess.
  clock.advance(90 * 24 * 60 * 60 * 1000);
  await (await client('127.0.3.2')).post('/sign-in', { phone: '13900008888', password: wrong, next: '/' });
  const left = db.$client.prepare('SELECT phone_key = ? AS holder, address FROM sign_in_throttle ORDER BY address').all(holderKey) as { holder: number; address: string }[];
  t.same(left.filter((row) => row.holder === 1).map((row) => row.address), ['*'], 'of the holder only the phone row stays, with the notice');
  t.equal(left.filter((row) => row.holder === 0).length, 2, 'of everything else only the newest guess\'s two rows are left');
  const notice = db.$client.prepare("SELECT failures_since_success FROM sign_in_throttle WHERE address = '*' AND phone_key = ?").pluck().get(holderKey);
  t.equal(notice, pairAttemptLimit, 'the holder will still be told about the failures');
});

import t from 'tap';
import { createHmac } from 'node:crypto';
import { hashPassword } from '../../../src/domain/auth/passwords.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { insertUser } from '../../../src/domain/auth/users.ts';
import { demoPassword } from '../../../src/domain/demo/seed.ts';
import { count, createTestApp, demoPhone, signedInAs, TestBrowser, visibleText } from '../../helpers/web.ts';

const sixteenMinutesMs = 16 * 60 * 1000;

t.test('a signed-out visitor is sent to the sign-in page, which is Chinese by default', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const browser = new TestBrowser(app);
  const home = await browser.get('/');
  t.equal(home.statusCode, 303);
  t.equal(home.headers.location, '/sign-in?next=%2F');
  const page = await browser.get('/sign-in');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], 'text/html; charset=utf-8');
  t.match(page.body, '<html lang="zh-CN"');
  t.match(visibleText(page.body), '手机号码');
  const english = await app.inject({ url: '/sign-in', headers: { 'accept-language': 'en-US,en;q=0.9' } });
  t.match(english.body, '<html lang="en"');
  t.match(visibleText(english.body), 'Mobile number');
});

t.test('the demo admin signs in, gets HttpOnly SameSite=Lax cookies, and sees their name', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const browser = new TestBrowser(app);
  const response = await browser.signIn(demoPhone('admin'), demoPassword, '/regions');
  t.equal(response.statusCode, 303);
  t.equal(response.headers.location, '/regions');
  const cookies = response.cookies as { name: string; httpOnly?: boolean; sameSite?: string; maxAge?: number }[];
  const access = cookies.find((cookie) => cookie.name === 'sh_at');
  const refresh = cookies.find((cookie) => cookie.name === 'sh_rt');
  t.ok(access?.httpOnly && refresh?.httpOnly, 'both cookies are HttpOnly');
  t.equal(access?.sameSite, 'Lax');
  t.equal(access?.maxAge, 900, 'access token lives 15 minutes');
  t.equal(count(db, 'refresh_tokens'), 1);
  const home = await browser.get('/');
  t.equal(home.statusCode, 200);
  t.match(visibleText(home.body), '张明，您好');
  const audit = db.$client.prepare("SELECT action, actor_user_id FROM audit_log WHERE action = 'auth.signed_in'").all();
  t.equal(audit.length, 1, 'the sign-in is audited');
});

t.test('sign-in refusals say what is wrong and start no session', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const cases = [
    { name: 'wrong password', phone: demoPhone('volunteer'), password: 'not-the-password', status: 401, message: '手机号码或密码不正确，请检查后再试。', audited: true },
    { name: 'unknown phone', phone: '13999999999', password: demoPassword, status: 401, message: '手机号码或密码不正确，请检查后再试。', audited: true },
    { name: 'malformed phone', phone: '1380000', password: demoPassword, status: 422, message: '手机号码格式不对，请输入 11 位手机号码', audited: false },
    { name: 'letters in phone', phone: 'abcdefghijk', password: demoPassword, status: 422, message: '手机号码格式不对', audited: false },
    { name: 'empty phone', phone: '', password: demoPassword, status: 422, message: '请填写手机号码。', audited: false },
    { name: 'empty password', phone: demoPhone('volunteer'), password: '', status: 422, message: '请填写密码。', audited: false },
  ];
  for (const testCase of cases) {
    const browser = new TestBrowser(app);
    const auditBefore = count(db, 'audit_log');
    const response = await browser.signIn(testCase.phone, testCase.password);
    t.equal(response.statusCode, testCase.status, `${testCase.name}: status`);
    t.match(visibleText(response.body), testCase.message, `${testCase.name}: message`);
    t.notOk(browser.cookies.has('sh_at') || browser.cookies.has('sh_rt'), `${testCase.name}: no session cookie`);
    t.equal(count(db, 'refresh_tokens'), 0, `${testCase.name}: no session stored`);
    t.equal(count(db, 'audit_log') - auditBefore, testCase.audited ? 1 : 0, `${testCase.name}: audit entries`);
    t.notMatch(response.body, testCase.password === '' ? /\0/ : testCase.password, `${testCase.name}: password not echoed`);
  }
  const failed = db.$client.prepare("SELECT object_id, detail FROM audit_log WHERE action = 'auth.sign_in_failed'").all() as { object_id: string }[];
  for (const row of failed) t.notMatch(row.object_id, /^1\d{10}$/, 'the audit log holds no phone number');
});

t.test('wrong password and unknown phone read the same, in English too', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const browser = new TestBrowser(app);
  browser.cookies.set('sh_lang', 'en');
  const wrong = await browser.signIn(demoPhone('clerk'), 'wrong-password');
  const unknown = await browser.signIn('13911112222', 'wrong-password');
  const message = 'The mobile number or password is not correct. Check them and try again.';
  t.match(visibleText(wrong.body), message);
  t.match(visibleText(unknown.body), message);
  const malformed = await browser.signIn('12345', 'x');
  t.match(visibleText(malformed.body), 'That mobile number is not valid');
});

t.test('five failures lock one phone from this address for 15 minutes without revealing whether it exists', async (t) => {
  const { app, db, clock } = await createTestApp();
  t.teardown(() => app.close());
  const browser = new TestBrowser(app);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    t.equal((await browser.signIn(demoPhone('office'), 'guess-' + attempt)).statusCode, 401);
    t.equal((await browser.signIn('13911110000', 'guess-' + attempt)).statusCode, 401);
  }
  const locked = await browser.signIn(demoPhone('office'), demoPassword);
  t.equal(locked.statusCode, 429);
  t.match(visibleText(locked.body), '从这个网络尝试登录这个手机号码的次数太多，请 15 分钟后再试。');
  t.equal(count(db, 'refresh_tokens'), 0);
  const unknownLocked = await browser.signIn('13911110000', demoPassword);
  t.equal(unknownLocked.statusCode, 429, 'an unknown phone locks the same way');
  const other = await browser.signIn(demoPhone('admin'), demoPassword);
  t.equal(other.statusCode, 303, 'other accounts are not affected');
  clock.advance(15 * 60 * 1000 + 1);
  const after = await new TestBrowser(app).signIn(demoPhone('office'), demoPassword);
  t.equal(after.statusCode, 200, 'the lock ends after the window');
  t.match(visibleText(after.body), '您的账号有 5 次失败的登录尝试', 'and the holder is told of the failed attempts');
});

t.test('sign-in attempts are limited per address', async (t) => {
  const { app, db } = await createTestApp({ signInAttemptsPerAddress: 3 });
  t.teardown(() => app.close());
  const browser = new TestBrowser(app);
  for (let attempt = 0; attempt < 3; attempt += 1) await browser.signIn(`1391111000${attempt}`, 'x');
  const auditBefore = count(db, 'audit_log');
  const limited = await browser.signIn(demoPhone('admin'), demoPassword);
  t.equal(limited.statusCode, 429);
  t.match(visibleText(limited.body), '尝试次数太多，请 15 分钟后再试。');
  t.equal(count(db, 'refresh_tokens'), 0);
  t.equal(count(db, 'audit_log'), auditBefore, 'a refused attempt writes nothing');
});

t.test('the next parameter cannot send the user to another site', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
    const response = await new TestBrowser(app).signIn(demoPhone('admin'), demoPassword, next);
    t.equal(response.headers.location, '/', `${next} is replaced by /`);
  }
});

t.test('an expired access token is refreshed transparently, also for htmx requests', async (t) => {
  const { app, db, clock } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'office');
  const oldRefresh = browser.cookies.get('sh_rt');
  clock.advance(sixteenMinutesMs);
  const response = await browser.get('/audit', { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.equal(response.statusCode, 200, 'the htmx request goes through');
  t.notMatch(response.body, '<html', 'and gets a fragment, not the sign-in page');
  t.match(visibleText(response.body), '登录');
  t.not(browser.cookies.get('sh_rt'), oldRefresh, 'the refresh token was rotated');
  t.equal(count(db, 'refresh_tokens'), 2);
  const again = await browser.get('/');
  t.equal(again.statusCode, 200, 'the new access token works');
});

t.test('an expired session without a refresh token asks to sign in again', async (t) => {
  const { app, clock } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'office');
  browser.cookies.delete('sh_rt');
  clock.advance(sixteenMinutesMs);
  const response = await browser.get('/regions');
  t.equal(response.statusCode, 303);
  t.equal(response.headers.location, '/sign-in?next=%2Fregions&expired=1');
  const page = await browser.get(response.headers.location as string);
  t.match(visibleText(page.body), '登录已过期，请重新登录。');
  const htmx = await (await signedInAs(app, 'office')).get('/audit', {});
  t.equal(htmx.statusCode, 200);
});

t.test('htmx requests without a session get HX-Redirect, not a sign-in page swapped into the form', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const response = await app.inject({ url: '/audit', headers: { 'hx-request': 'true', 'hx-request-type': 'partial' } });
  t.equal(response.statusCode, 401);
  t.equal(response.headers['hx-redirect'], '/sign-in?next=%2Faudit');
  t.notMatch(response.body, '<html');
});

t.test('tampered, forged and foreign tokens are refused', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'volunteer');
  const token = browser.cookies.get('sh_at') as string;
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const adminId = (db.$client.prepare('SELECT id FROM users WHERE phone = ?').get(demoPhone('admin')) as { id: number }).id;
  const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: String(adminId) })).toString('base64url')}.${signature}`;
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, sub: String(adminId) })).toString('base64url')}.`;
  const forgedBody = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: String(adminId) })).toString('base64url')}`;
  const otherKey = `${forgedBody}.${createHmac('sha256', 'a'.repeat(48)).update(forgedBody).digest('base64url')}`;
  for (const [name, forged] of [['tampered payload', tampered], ['alg none', none], ['signed with another key', otherKey]] as const) {
    const response = await app.inject({ url: '/regions', headers: { cookie: `sh_at=${forged}` } });
    t.equal(response.statusCode, 303, `${name}: not signed in`);
    t.match(response.headers.location, /^\/sign-in/, `${name}: sent to sign in`);
  }
});

t.test('reusing an old refresh token revokes the whole session family', async (t) => {
  const { app, db, clock } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'coordinator');
  const stolen = browser.cookies.get('sh_rt') as string;
  clock.advance(sixteenMinutesMs);
  t.equal((await browser.get('/')).statusCode, 200, 'the browser refreshes');
  clock.advance(sixteenMinutesMs);
  const thief = await app.inject({ url: '/', headers: { cookie: `sh_rt=${stolen}` } });
  t.equal(thief.statusCode, 303, 'the old token does not work');
  const live = db.$client.prepare('SELECT count(*) AS n FROM refresh_tokens WHERE revoked_at_ms IS NULL').get() as { n: number };
  t.equal(live.n, 0, 'every token of the family is revoked');
  t.equal((await browser.get('/')).statusCode, 303, 'the rightful browser is signed out as well');
  t.equal((db.$client.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'auth.refresh_token_reused'").get() as { n: number }).n, 1);
});

t.test('two requests sent at once with the same refresh token both succeed', async (t) => {
  const { app, clock } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'coordinator');
  clock.advance(sixteenMinutesMs);
  const cookie = browser.cookieHeader();
  const [first, second] = await Promise.all([app.inject({ url: '/', headers: { cookie } }), app.inject({ url: '/account', headers: { cookie } })]);
  t.equal(first.statusCode, 200);
  t.equal(second.statusCode, 200);
});

t.test('sign-out revokes the session, even for a copy of the access token', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'office');
  const copy = browser.cookieHeader();
  const out = await browser.post('/sign-out', {});
  t.equal(out.statusCode, 303);
  t.equal(out.headers.location, '/sign-in?signed_out=1');
  t.notOk(browser.cookies.has('sh_at'), 'the cookie is cleared');
  const reused = await app.inject({ url: '/', headers: { cookie: copy } });
  t.equal(reused.statusCode, 303, 'the copied cookies no longer work');
  t.equal((db.$client.prepare('SELECT count(*) AS n FROM refresh_tokens WHERE revoked_at_ms IS NULL').get() as { n: number }).n, 0);
  const page = await browser.get('/sign-in?signed_out=1');
  t.match(visibleText(page.body), '您已退出登录。');
});

t.test('changing the password keeps this session and ends the others', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const laptop = await signedInAs(app, 'office');
  const phone = await signedInAs(app, 'office');
  await laptop.get('/account/password');
  const changed = await laptop.post('/account/password', { current_password: demoPassword, new_password: 'a-new-secret-2026', confirm_password: 'a-new-secret-2026' });
  t.equal(changed.statusCode, 303);
  const account = await laptop.get('/account?changed=1');
  t.equal(account.statusCode, 200, 'this session stays signed in');
  t.match(visibleText(account.body), '密码已修改');
  t.equal((await phone.get('/')).statusCode, 303, 'the other session is signed out');
  t.equal((await new TestBrowser(app).signIn(demoPhone('office'), demoPassword)).statusCode, 401, 'the old password no longer works');
  const signedIn = await new TestBrowser(app).signIn(demoPhone('office'), 'a-new-secret-2026');
  t.equal(signedIn.statusCode, 200, 'signed in, with a notice of the one failed attempt');
  t.match(visibleText(signedIn.body), '您的账号有 1 次失败的登录尝试');
});

t.test('password change refusals say what is wrong and change nothing', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'volunteer');
  await browser.get('/account/password');
  const hashBefore = (db.$client.prepare('SELECT password_hash FROM users WHERE phone = ?').get(demoPhone('volunteer')) as { password_hash: string }).password_hash;
  const cases = [
    { form: { current_password: '', new_password: 'good-password-1', confirm_password: 'good-password-1' }, message: '请填写现在的密码。' },
    { form: { current_password: 'wrong', new_password: 'good-password-1', confirm_password: 'good-password-1' }, message: '现在的密码不正确。' },
    { form: { current_password: demoPassword, new_password: 'short', confirm_password: 'short' }, message: '新密码太短，至少要 8 位。' },
    { form: { current_password: demoPassword, new_password: '12345678', confirm_password: '12345678' }, message: '新密码太简单' },
    { form: { current_password: demoPassword, new_password: demoPhone('volunteer'), confirm_password: demoPhone('volunteer') }, message: '新密码太简单' },
    { form: { current_password: demoPassword, new_password: 'good-password-1', confirm_password: 'good-password-2' }, message: '两次输入的新密码不一样。' },
    { form: { current_password: demoPassword, new_password: demoPassword, confirm_password: demoPassword }, message: '新密码不能和现在的密码一样。' },
  ];
  for (const testCase of cases) {
    const response = await browser.post('/account/password', testCase.form);
    t.equal(response.statusCode, 422, testCase.message);
    t.match(visibleText(response.body), testCase.message);
  }
  const hashAfter = (db.$client.prepare('SELECT password_hash FROM users WHERE phone = ?').get(demoPhone('volunteer')) as { password_hash: string }).password_hash;
  t.equal(hashAfter, hashBefore, 'the password is unchanged');
  t.match(hashAfter, /^\$argon2id\$/, 'passwords are hashed with argon2id');
});

t.test('a user created by staff must set a new password before anything else', async (t) => {
  const { app, db, clock } = await createTestApp();
  t.teardown(() => app.close());
  insertUser(
    db,
    { phone: '13700000001', displayName: '新用户', passwordHash: await hashPassword('temporary-pass'), mustChangePassword: true, roles: [{ role: 'volunteer', regionCode: '433123101001' }] },
    clock.now(),
  );
  const browser = new TestBrowser(app);
  const signedIn = await browser.signIn('13700000001', 'temporary-pass');
  t.equal(signedIn.headers.location, '/account/password');
  const home = await browser.get('/');
  t.equal(home.statusCode, 303);
  t.equal(home.headers.location, '/account/password');
  const htmx = await browser.get('/account', { 'hx-request': 'true' });
  t.equal(htmx.headers['hx-redirect'], '/account/password');
  const page = await browser.get('/account/password');
  t.match(visibleText(page.body), '这是您第一次登录，请先设置一个只有您知道的新密码。');
  await browser.post('/account/password', { current_password: 'temporary-pass', new_password: 'my-own-secret-9', confirm_password: 'my-own-secret-9' });
  t.equal((await browser.get('/')).statusCode, 200, 'after the change the app opens');
});

t.test('state-changing requests need the CSRF token', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'admin');
  const regionsBefore = count(db, 'regions');
  const form = { code: '433123199', name_zh: '测试镇', name_en: '', kind: '' };
  const missing = await browser.post('/regions/433123/children', form, { csrf: false });
  t.equal(missing.statusCode, 403);
  t.match(visibleText(missing.body), '页面已过期，请返回上一页，刷新后再提交一次。');
  const wrong = await browser.post('/regions/433123/children', { ...form, _csrf: 'forged-token' });
  t.equal(wrong.statusCode, 403);
  t.match(visibleText(wrong.body), '页面已过期');
  const noSecret = await app.inject({
    method: 'POST',
    url: '/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `phone=${demoPhone('admin')}&password=${demoPassword}&_csrf=${encodeURIComponent(browser.csrfToken)}`,
  });
  t.equal(noSecret.statusCode, 403, 'a token without its cookie secret is refused');
  t.equal(count(db, 'regions'), regionsBefore, 'nothing was written');
  await browser.get('/regions/433123');
  const viaHeader = await browser.request({
    method: 'POST',
    url: '/regions/433123/children',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': browser.csrfToken, 'hx-request': 'true' },
    payload: new URLSearchParams(form).toString(),
  });
  t.equal(viaHeader.statusCode, 303, 'htmx sends the token as a header');
  t.equal(count(db, 'regions'), regionsBefore + 1);
});

t.test('an oversize body is refused with a message and nothing is written', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'admin');
  const regionsBefore = count(db, 'regions');
  const auditBefore = count(db, 'audit_log');
  const response = await browser.post('/regions/433123/children', { code: '433123198', name_zh: '大'.repeat(40_000), name_en: '', kind: '' });
  t.equal(response.statusCode, 413);
  t.match(visibleText(response.body), '提交的内容太大，没有保存。');
  t.equal(count(db, 'regions'), regionsBefore);
  t.equal(count(db, 'audit_log'), auditBefore);
});

t.test('tokens signed with our key but the wrong algorithm, issuer, audience or expiry are refused', async (t) => {
  const secrets = testSecrets();
  const { app, db, clock } = await createTestApp({ secrets });
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'admin');
  const claims = JSON.parse(Buffer.from((browser.cookies.get('sh_at') as string).split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
  const sign = (header: Record<string, unknown>, payload: Record<string, unknown>, algorithm = 'sha256') => {
    const body = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${body}.${createHmac(algorithm, secrets.tokenSigningKey).update(body).digest('base64url')}`;
  };
  const nowSeconds = Math.floor(clock.now() / 1000);
  const good = sign({ alg: 'HS256', typ: 'JWT' }, claims);
  t.equal((await app.inject({ url: '/account', headers: { cookie: `sh_at=${good}` } })).statusCode, 200, 'the control token is accepted');
  const cases = {
    'HS512': sign({ alg: 'HS512', typ: 'JWT' }, claims, 'sha512'),
    'other issuer': sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: 'someone-else' }),
    'other audience': sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, aud: 'silver-hours-api' }),
    'expired': sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: nowSeconds - 2000, exp: nowSeconds - 1000 }),
  };
  for (const [name, token] of Object.entries(cases)) {
    const response = await app.inject({ url: '/account', headers: { cookie: `sh_at=${token}` } });
    t.equal(response.statusCode, 303, `${name}: refused`);
    t.match(response.headers.location, '/sign-in?next=%2Faccount&expired=1', `${name}: asked to sign in again`);
  }
  t.equal(count(db, 'refresh_tokens'), 1, 'no session was created by any of them');
});

t.test('an htmx form post with an expired access token is saved, not bounced to the sign-in page', async (t) => {
  const { app, db, clock } = await createTestApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  await admin.get('/regions/433123');
  clock.advance(sixteenMinutesMs);
  const response = await admin.post('/regions/433123/children', { code: '433123120', name_zh: '禾库镇', name_en: '', kind: '' }, {
    csrf: false,
    headers: { 'x-csrf-token': admin.csrfToken, 'hx-request': 'true', 'hx-current-url': 'http://localhost/regions/433123' },
  });
  t.equal(response.statusCode, 303);
  t.equal(response.headers.location, '/regions/433123?added=433123120');
  t.ok(db.$client.prepare("SELECT 1 FROM regions WHERE code = '433123120'").get(), 'the region was saved');
});

t.test('an htmx post after the session ended is sent to sign in and comes back to its page', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  await admin.get('/regions/433123');
  admin.cookies.delete('sh_at');
  admin.cookies.delete('sh_rt');
  const before = count(db, 'regions');
  const response = await admin.post('/regions/433123/children', { code: '433123121', name_zh: '某镇', name_en: '', kind: '' }, {
    headers: { 'hx-request': 'true', 'hx-current-url': 'http://localhost/regions/433123' },
  });
  t.equal(response.statusCode, 401);
  t.equal(response.headers['hx-redirect'], '/sign-in?next=%2Fregions%2F433123');
  t.match(visibleText(response.body), '请先登录。');
  t.equal(count(db, 'regions'), before, 'nothing was written');
});

t.test('a disabled account cannot sign in and its open sessions end at once', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'coordinator');
  db.$client.prepare("UPDATE users SET status = 'disabled' WHERE phone = ?").run(demoPhone('coordinator'));
  const response = await browser.get('/regions/433123101');
  t.equal(response.statusCode, 303, 'the open session no longer works');
  const again = await new TestBrowser(app).signIn(demoPhone('coordinator'), demoPassword);
  t.equal(again.statusCode, 401);
  t.match(visibleText(again.body), '手机号码或密码不正确', 'the same message as a wrong password');
});

t.test('a token signed with our key that names another user on a live session id is refused (issue 12, item 13b)', async (t) => {
  const secrets = testSecrets();
  const { app, db } = await createTestApp({ secrets });
  t.teardown(() => app.close());
  const volunteer = await signedInAs(app, 'volunteer');
  const claims = JSON.parse(Buffer.from((volunteer.cookies.get('sh_at') as string).split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
  const sign = (payload: Record<string, unknown>) => {
    const body = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${body}.${createHmac('sha256', secrets.tokenSigningKey).update(body).digest('base64url')}`;
  };
  const adminId = (db.$client.prepare('SELECT id FROM users WHERE phone = ?').get(demoPhone('admin')) as { id: number }).id;
  const sessionOwner = db.$client.prepare('SELECT user_id FROM refresh_tokens WHERE family_id = ?').get(claims.sid) as { user_id: number };
  t.not(sessionOwner.user_id, adminId, 'the session id belongs to the volunteer');
  const control = await app.inject({ url: '/account', headers: { cookie: `sh_at=${sign(claims)}` } });
  t.equal(control.statusCode, 200, 'the control token (its own user) is accepted');
  t.match(control.body, '王秀英');
  const sessionsBefore = count(db, 'refresh_tokens');
  const forged = await app.inject({ url: '/account', headers: { cookie: `sh_at=${sign({ ...claims, sub: String(adminId) })}` } });
  t.equal(forged.statusCode, 303, 'not signed in as the administrator');
  t.match(forged.headers.location, /^\/sign-in\?next=%2Faccount/);
  const audit = await app.inject({ url: '/audit', headers: { cookie: `sh_at=${sign({ ...claims, sub: String(adminId) })}` } });
  t.equal(audit.statusCode, 303, 'the audit log stays closed');
  t.equal(count(db, 'refresh_tokens'), sessionsBefore, 'no session was created');
});

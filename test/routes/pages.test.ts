import t from 'tap';
import { createTestApp, signedInAs, TestBrowser, visibleText } from '../helpers/web.ts';

t.test('404 is a page for browsers and a fragment for htmx', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const page = await app.inject({ url: '/no/such/page' });
  t.equal(page.statusCode, 404);
  t.match(page.body, '<html lang="zh-CN"');
  t.match(visibleText(page.body), '找不到这个页面');
  const fragment = await app.inject({ url: '/no/such/page', headers: { 'hx-request': 'true', 'hx-request-type': 'partial', cookie: 'sh_lang=en' } });
  t.equal(fragment.statusCode, 404);
  t.notMatch(fragment.body, '<html');
  t.match(visibleText(fragment.body), 'Page not found');
});

t.test('a 500 shows a reference and no stack trace; 403 as page and fragment', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  app.get('/test/boom', { config: { public: true } }, async () => {
    throw new Error('secret internal detail at /src/somewhere.ts:12');
  });
  const page = await app.inject({ url: '/test/boom' });
  t.equal(page.statusCode, 500);
  const text = visibleText(page.body);
  t.match(text, '系统出了问题，您的操作没有完成。');
  t.match(text, /错误编号： [0-9A-F]{8}/);
  t.notMatch(page.body, 'secret internal detail');
  t.notMatch(page.body, 'somewhere.ts');
  const fragment = await app.inject({ url: '/test/boom', headers: { 'hx-request': 'true', 'hx-request-type': 'partial' } });
  t.equal(fragment.statusCode, 500);
  t.notMatch(fragment.body, '<html');
  t.match(visibleText(fragment.body), '系统出错了');
  const volunteer = await signedInAs(app, 'volunteer');
  const forbiddenFragment = await volunteer.get('/audit', { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.equal(forbiddenFragment.statusCode, 403);
  t.notMatch(forbiddenFragment.body, '<html');
  t.match(visibleText(forbiddenFragment.body), '没有权限');
});

t.test('full page or fragment follows HX-Request-Type, and Vary says so', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'office');
  const full = await browser.get('/account', { 'hx-request': 'true', 'hx-request-type': 'full' });
  t.match(full.body, '<html');
  t.match(full.body, 'hx-boost:inherited="true"');
  const partial = await browser.get('/account', { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.notMatch(partial.body, '<html');
  t.match(visibleText(partial.body), '我的账户');
  t.match(String(full.headers.vary), 'HX-Request-Type');
  t.match(visibleText(full.body), '138****0004', 'the phone is shown masked');
  t.notMatch(full.body, '13800000004');
});

t.test('security headers: CSP without unsafe-inline, nonce on the script, no other origin', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const response = await app.inject({ url: '/sign-in' });
  const csp = String(response.headers['content-security-policy']);
  t.notMatch(csp, 'unsafe-inline');
  t.notMatch(csp, 'unsafe-eval');
  t.notMatch(csp, /https?:/);
  t.match(csp, "default-src 'self'");
  t.match(csp, "frame-ancestors 'none'");
  const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
  t.ok(nonce, 'a script nonce');
  t.match(response.body, `nonce="${nonce}"`);
  t.notMatch(response.body, /<script(?![^>]*src=)/, 'no inline scripts');
  t.notMatch(response.body, / style="/, 'no inline styles');
  t.notMatch(response.body, /(src|href)="(https?:)?\/\//, 'nothing from another origin');
  t.equal(response.headers['x-content-type-options'], 'nosniff');
});

t.test('htmx and the stylesheet are served by our own route', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const htmx = await app.inject({ url: '/assets/htmx.min.js' });
  t.equal(htmx.statusCode, 200);
  t.match(htmx.headers['content-type'], 'javascript');
  t.match(htmx.body, 'htmx');
  const etag = String(htmx.headers.etag);
  t.equal((await app.inject({ url: '/assets/htmx.min.js', headers: { 'if-none-match': etag } })).statusCode, 304);
  const css = await app.inject({ url: '/assets/app.css' });
  t.equal(css.statusCode, 200);
  t.match(css.headers['content-type'], 'text/css');
  t.equal((await app.inject({ url: '/assets/..%2Fpackage.json' })).statusCode, 404);
});

t.test('pages link assets under content-hashed names, cached for a year, precompressed; pages are compressed', async (t) => {
  const { gunzipSync, brotliDecompressSync } = await import('node:zlib');
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const page = await app.inject({ url: '/sign-in' });
  const links = [...page.body.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
  t.ok(links.length >= 3, `the layout links its assets (${links.join(' ')})`);
  for (const link of links) t.match(link, /^\/assets\/[\w.-]+\.[0-9a-f]{12}\.(css|js|svg)$/, `${link} is content-hashed`);
  const htmxUrl = links.find((link) => link.includes('htmx.min'))!;
  const plain = await app.inject({ url: htmxUrl });
  t.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.equal(plain.headers['content-encoding'], undefined, 'no encoding the client did not ask for');
  t.match(String(plain.headers.vary), 'Accept-Encoding');
  const brotli = await app.inject({ url: htmxUrl, headers: { 'accept-encoding': 'gzip, deflate, br' } });
  t.equal(brotli.headers['content-encoding'], 'br');
  t.ok(brotli.rawPayload.length < plain.rawPayload.length / 2, `brotli ${brotli.rawPayload.length} B of ${plain.rawPayload.length} B`);
  t.same(brotliDecompressSync(brotli.rawPayload), plain.rawPayload, 'the same bytes once decoded');
  const gzip = await app.inject({ url: htmxUrl, headers: { 'accept-encoding': 'gzip;q=1, br;q=0' } });
  t.equal(gzip.headers['content-encoding'], 'gzip', 'br refused with q=0: gzip');
  t.same(gunzipSync(gzip.rawPayload), plain.rawPayload);
  t.equal((await app.inject({ url: htmxUrl, headers: { 'accept-encoding': 'br', 'if-none-match': String(brotli.headers.etag) } })).statusCode, 304);
  t.not(brotli.headers.etag, plain.headers.etag, 'each encoding has its own validator');
  t.equal((await app.inject({ url: '/assets/htmx.min.js' })).headers['cache-control'], 'public, max-age=3600', 'the plain name keeps a short cache');
  const compressedPage = await app.inject({ url: '/sign-in', headers: { 'accept-encoding': 'gzip, br' } });
  t.equal(compressedPage.headers['content-encoding'], 'br', 'a page above 1 KB is compressed');
  t.match(String(compressedPage.headers.vary), /HX-Request-Type, Cookie, Accept-Encoding/);
  t.match(brotliDecompressSync(compressedPage.rawPayload).toString('utf8'), '登录');
  t.equal(page.headers['content-encoding'], undefined, 'a client that accepts no encoding gets plain HTML');
});

t.test('/healthz answers when the database does', async (t) => {
  const { app, db, clock } = await createTestApp();
  t.teardown(() => app.close());
  const ok = await app.inject({ url: '/healthz' });
  t.equal(ok.statusCode, 200);
  const { ledgerFor } = await import('../../src/domain/bookkeeping/accounts.ts');
  const head = ledgerFor(db.$client, clock.now).head();
  t.same(ok.json(), { status: 'ok', database: 'ok', disk: 'ok', freeBytes: null, ledger: { seq: head.seq, hash: head.hash } }, 'reports the database, the disk (no directory for an in-memory database) and the ledger head');
  db.$client.close();
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 503);
});

t.test('language and elder mode switch by cookie and return to the same page', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const browser = new TestBrowser(app);
  await browser.get('/sign-in');
  const english = await browser.post('/preferences/language', { lang: 'en', return_to: '/sign-in?next=%2Faudit' });
  t.equal(english.statusCode, 303);
  t.equal(english.headers.location, '/sign-in?next=%2Faudit');
  const page = await browser.get('/sign-in');
  t.match(page.body, '<html lang="en"');
  t.match(visibleText(page.body), 'Sign in');
  t.match(page.body, 'value="zh-CN" lang="zh-CN">中文<', 'a way back to Chinese');
  await browser.post('/preferences/language', { lang: 'zh-CN', return_to: '/sign-in' });
  t.match((await browser.get('/sign-in')).body, '<html lang="zh-CN"');
  const elder = await browser.post('/preferences/elder-mode', { elder: '1', return_to: '/sign-in' });
  t.equal(elder.statusCode, 303);
  const elderPage = await browser.get('/sign-in');
  t.match(elderPage.body, '<html lang="zh-CN" class="elder"');
  t.match(elderPage.body, 'aria-pressed="true"');
  const offsite = await browser.post('/preferences/language', { lang: 'en', return_to: 'https://evil.example/' });
  t.equal(offsite.headers.location, '/', 'never redirects to another site');
  const unknown = await browser.post('/preferences/language', { lang: 'fr', return_to: '/' });
  t.equal(unknown.statusCode, 400);
  t.match(visibleText(unknown.body), 'That language is not available.');
});

t.test('each role sees its own navigation', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  // The core entries; features add their own entries, which this test leaves alone.
  const core = ['首页', '地区', '操作记录', '我的账户'];
  const expected = {
    volunteer: ['首页', '我的账户'],
    coordinator: ['首页', '地区', '我的账户'],
    clerk: ['首页', '我的账户'],
    office: ['首页', '地区', '操作记录', '我的账户'],
    admin: ['首页', '地区', '操作记录', '我的账户'],
  } as const;
  for (const [role, items] of Object.entries(expected)) {
    const browser = await signedInAs(app, role as keyof typeof expected);
    const page = await browser.get('/');
    const nav = /<nav aria-label="主导航">([\s\S]*?)<\/nav>/.exec(page.body)?.[1] ?? '';
    const links = [...nav.matchAll(/<a href="[^"]+"[^>]*>([^<]+)<\/a>/g)].map((match) => match[1]);
    t.same(links.filter((link) => core.includes(link as string)), items, `${role} navigation`);
    t.match(nav, '退出登录');
  }
});

t.test('after a refused form, the language switch returns to the page the form was on', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  await admin.get('/regions/433123');
  const refused = await admin.post('/regions/433123/children', { code: 'x', name_zh: '', name_en: '', kind: '' }, { headers: { referer: 'http://localhost:80/regions/433123', host: 'localhost:80' } });
  t.equal(refused.statusCode, 422);
  t.match(refused.body, 'name="return_to" value="/regions/433123"');
  const foreign = await admin.post('/regions/433123/children', { code: 'x', name_zh: '', name_en: '', kind: '' }, { headers: { referer: 'https://evil.example/x' } });
  t.match(foreign.body, 'name="return_to" value="/"');
  t.equal((await app.inject({ url: '/sign-in' })).headers['referrer-policy'], 'same-origin');
});

t.test('a user with several roles sees the navigation of all of them', async (t) => {
  const { app, db, clock } = await createTestApp();
  t.teardown(() => app.close());
  const volunteerId = (db.$client.prepare("SELECT id FROM users WHERE phone = '13800000001'").get() as { id: number }).id;
  db.$client.prepare("INSERT INTO user_roles (user_id, role, region_code, granted_at_ms) VALUES (?, 'coordinator', '433123101', ?)").run(volunteerId, clock.now());
  const browser = await signedInAs(app, 'volunteer');
  const page = await browser.get('/');
  const nav = /<nav aria-label="主导航">([\s\S]*?)<\/nav>/.exec(page.body)?.[1] ?? '';
  const links = [...nav.matchAll(/<a href="[^"]+"[^>]*>([^<]+)<\/a>/g)].map((match) => match[1]);
  t.same(links.filter((link) => ['首页', '地区', '操作记录', '我的账户'].includes(link as string)), ['首页', '地区', '我的账户']);
  t.match(visibleText(page.body), '志愿者、协管员');
  t.equal((await browser.get('/regions/433123101')).statusCode, 200);
});

t.test('a route that opts into rate limiting gets the localized 429 page', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  app.get('/test/limited', { config: { public: true, rateLimit: { max: 1, timeWindow: 60_000 } } }, async () => 'ok');
  t.equal((await app.inject({ url: '/test/limited' })).statusCode, 200);
  const limited = await app.inject({ url: '/test/limited' });
  t.equal(limited.statusCode, 429);
  t.match(visibleText(limited.body), '操作太频繁，请过几分钟再试。');
});

t.test('a clerk sees their partner site by name once it exists', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const clerk = await signedInAs(app, 'clerk');
  t.match(visibleText((await clerk.get('/')).body), '站点 1', 'the placeholder site by number');
  db.$client
    .prepare("INSERT INTO partner_sites (id, name, kind, village_code, county_code, address, opening_hours, created_at_ms) VALUES (1, '旺溪村爱心超市', 'love_supermarket', '430524101001', '430524', '旺溪村村部', '8:00-17:00', 1)")
    .run();
  t.match(visibleText((await clerk.get('/')).body), '站点：旺溪村爱心超市');
  t.match(visibleText((await clerk.get('/account')).body), '站点：旺溪村爱心超市');
});

t.test('addresses the router refuses (a broken %-escape, an over-long id) answer the 404 page in Chinese, not English JSON', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  for (const url of ['/members/%E0%A4%A', `/members/${'1'.repeat(500)}`]) {
    const response = await app.inject({ url });
    t.equal(response.statusCode, 404, url.slice(0, 30));
    t.match(String(response.headers['content-type']), 'text/html');
    t.match(visibleText(response.body), '找不到这个页面');
    t.notMatch(response.body, 'FST_ERR');
  }
});

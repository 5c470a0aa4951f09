import t, { type Test } from 'tap';
import fc from 'fast-check';
import { localReturnPath } from '../../src/lib/return-path.ts';
import { demoPassword } from '../../src/domain/demo/seed.ts';
import { count, createTestApp, demoPhone, signedInAs, TestBrowser } from '../helpers/web.ts';

/**
 * Open redirect (issue 12, item 8): every redirect target that comes from the
 * request must land on our own site. A browser reads a Location header with
 * the WHATWG URL parser (TAB/LF/CR dropped, '\' read as '/'), so each answer is
 * checked the same way, against our origin.
 */
const origin = 'http://127.0.0.1:3000';

/** Values a hostile link or form could carry, as the server receives them (already URL-decoded). */
const hostile = [
  '/\t/evil.example/phish', // the reported case: /%09/ in the query
  '/\n/evil.example/',
  '/\r/evil.example/',
  '/\r\n/evil.example/',
  '\t//evil.example/',
  '//evil.example/',
  '///evil.example/',
  '/\\evil.example/',
  '\\\\evil.example/',
  '\\/evil.example/',
  '/\\/evil.example/',
  '/.//evil.example/', // a path that normalizes to '//evil.example/'
  '/%2F%2F/../..//evil.example/',
  'javascript:alert(1)',
  'http:evil.example',
  'http://evil.example/',
  'https://evil.example/',
  'HTTPS://evil.example/',
  'data:text/html,<script>alert(1)</script>',
  ' //evil.example/',
  'evil.example',
  '',
];
/** Percent-encoded forms (which stay encoded) and odd but local paths: they must name a path on our site, never another host. */
const encoded = ['/javascript:alert(1)//', '%2F%2Fevil.example/', '/%2F%2Fevil.example/', '/%5Cevil.example/', '/%5C%5Cevil.example/', '/%09/evil.example/'];

function landsHome(t: Test, location: string | undefined, label: string): void {
  t.type(location, 'string', `${label}: a Location header`);
  const url = new URL(String(location), origin);
  t.equal(url.origin, origin, `${label}: stays on our site (Location ${JSON.stringify(location)})`);
}

t.test('the helper answers the fallback for every hostile form, and only ever a path on our own origin', async (t) => {
  for (const value of hostile) t.equal(localReturnPath(value, '/fallback'), '/fallback', JSON.stringify(value));
  for (const value of [...hostile, ...encoded]) {
    const path = localReturnPath(value, '/fallback');
    t.equal(new URL(path, origin).origin, origin, `${JSON.stringify(value)} -> ${path}`);
    t.notOk(path.startsWith('//') || path.startsWith('/\\'), `${JSON.stringify(value)}: no network-path reference`);
  }
  t.equal(localReturnPath('/members/7?tab=cards#history'), '/members/7?tab=cards#history', 'an ordinary path is kept');
  t.equal(localReturnPath('/sign-in?next=%2Faudit'), '/sign-in?next=%2Faudit');
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('', '/', '//', '/\\', '\\', '/\t/', 'http:'), (tail, head) => {
      const path = localReturnPath(head + tail);
      const url = new URL(path, origin);
      return url.origin === origin && path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\');
    }),
    { numRuns: 3000 },
  );
});

t.test('GET /sign-in?next= sends a signed-in user only to our own site', async (t) => {
  const { app } = await createTestApp({ signInAttemptsPerAddress: 1000 });
  t.teardown(() => app.close());
  const browser = await signedInAs(app, 'office');
  for (const value of [...hostile, ...encoded]) {
    const response = await browser.get(`/sign-in?next=${encodeURIComponent(value)}`);
    t.equal(response.statusCode, 303);
    landsHome(t, response.headers.location, `GET next=${JSON.stringify(value)}`);
  }
  const reported = await browser.get('/sign-in?next=/%09/evil.example/phish');
  t.equal(reported.headers.location, '/', 'the reported link goes home');
  const ordinary = await browser.get('/sign-in?next=%2Fmembers%3Fq%3D1');
  t.equal(ordinary.headers.location, '/members?q=1', 'an ordinary next is kept');
});

t.test('the sign-in form keeps a hostile next neither in the page nor in the redirect', async (t) => {
  const { app, db } = await createTestApp({ signInAttemptsPerAddress: 1000 });
  t.teardown(() => app.close());
  for (const value of hostile) {
    const browser = new TestBrowser(app);
    const page = await browser.get(`/sign-in?next=${encodeURIComponent(value)}`);
    t.match(page.body, /name="next" value="\/"/, `form for ${JSON.stringify(value)} carries next=/`);
    const response = await browser.post('/sign-in', { phone: demoPhone('admin'), password: demoPassword, next: value });
    t.equal(response.statusCode, 303, `${JSON.stringify(value)}: signed in`);
    t.equal(response.headers.location, '/', `POST next=${JSON.stringify(value)} goes home`);
  }
  for (const value of encoded) {
    const response = await new TestBrowser(app).signIn(demoPhone('admin'), demoPassword, value);
    landsHome(t, response.headers.location, `POST next=${JSON.stringify(value)}`);
  }
  t.equal(count(db, 'refresh_tokens'), hostile.length + encoded.length, 'each sign-in started one session, nothing else changed');
});

t.test('the language and elder-mode switches return only to our own site', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const browser = new TestBrowser(app);
  await browser.get('/sign-in');
  for (const value of [...hostile, ...encoded]) {
    const language = await browser.post('/preferences/language', { lang: 'en', return_to: value });
    t.equal(language.statusCode, 303);
    landsHome(t, language.headers.location, `language return_to=${JSON.stringify(value)}`);
    const elder = await browser.post('/preferences/elder-mode', { elder: '1', return_to: value });
    landsHome(t, elder.headers.location, `elder-mode return_to=${JSON.stringify(value)}`);
    if (hostile.includes(value)) t.equal(language.headers.location, '/', `${JSON.stringify(value)} goes home`);
  }
  const kept = await browser.post('/preferences/language', { lang: 'zh-CN', return_to: '/sites?q=%E8%B6%85%E5%B8%82' });
  t.equal(kept.headers.location, '/sites?q=%E8%B6%85%E5%B8%82', 'an ordinary return_to is kept');
});

t.test('a hostile Referer never reaches the return_to of a form shown again', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const browser = new TestBrowser(app);
  await browser.get('/sign-in');
  const response = await browser.post('/sign-in', { phone: '', password: '' }, { headers: { referer: 'http://localhost:80//evil.example/x', host: 'localhost:80' } });
  t.equal(response.statusCode, 422);
  t.match(response.body, /name="return_to" value="\/"/, 'the footer switches return home');
});

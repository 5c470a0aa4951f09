import t from 'tap';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { createTestApp, signedInAs } from '../helpers/web.ts';

/**
 * Issue 14 item 17: response header bytes are paid at 250 kbps like body
 * bytes. Static assets carry only the headers that apply to a subresource;
 * pages carry no header for browsers or plug-ins that no longer exist. The
 * security that matters stays (docs/PERFORMANCE.md has the figures).
 */

/** The header block as sent on the wire: "Name: value\r\n" per header, plus the status line and the blank line. */
function headerBytes(headers: Record<string, unknown>): number {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}\r\n`).join('');
  return Buffer.byteLength(`HTTP/1.1 200 OK\r\n${lines}\r\n`);
}

const obsolete = ['x-xss-protection', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-dns-prefetch-control'];
const documentOnly = ['content-security-policy', 'cross-origin-opener-policy', 'origin-agent-cluster', 'referrer-policy', 'x-frame-options'];

t.test('a static asset carries the headers of a subresource only', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const page = await app.inject({ url: '/sign-in' });
  const hrefs = [...page.body.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
  t.ok(hrefs.length >= 2, `assets linked: ${hrefs.join(' ')}`);
  for (const href of hrefs) {
    const asset = await app.inject({ url: href, headers: { 'accept-encoding': 'br, gzip' } });
    t.equal(asset.statusCode, 200);
    for (const name of [...documentOnly, ...obsolete]) t.notOk(name in asset.headers, `${href}: no ${name}`);
    t.equal(asset.headers['x-content-type-options'], 'nosniff', `${href}: nosniff still`);
    t.equal(asset.headers['cross-origin-resource-policy'], 'same-origin');
    t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    t.ok(headerBytes(asset.headers) < 400, `${href}: ${headerBytes(asset.headers)} header bytes (was about 910)`);
  }
  const missing = await app.inject({ url: '/assets/nothing.css' });
  t.equal(missing.statusCode, 404);
  t.equal(missing.headers['x-content-type-options'], 'nosniff');
});

t.test('a page keeps its security headers and drops the obsolete ones', async (t) => {
  const testApp = await createTestApp();
  t.teardown(() => testApp.app.close());
  seedHours(testApp.db, testApp.app.secrets, testApp.clock.now());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const page = await volunteer.get('/hours/new', { 'accept-encoding': 'br' });
  t.equal(page.statusCode, 200);
  for (const name of obsolete) t.notOk(name in page.headers, `no ${name}`);
  const csp = String(page.headers['content-security-policy']);
  for (const directive of ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "img-src 'self' data:"]) t.match(csp, directive);
  t.notMatch(csp, /font-src|connect-src/, 'font-src and connect-src fall back to default-src');
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.equal(page.headers['x-frame-options'], 'SAMEORIGIN');
  t.equal(page.headers['cache-control'], 'no-store', 'a personal page is never cached');
  t.ok(headerBytes(page.headers) < 780, `${headerBytes(page.headers)} header bytes on /hours/new (was about 870)`);
});

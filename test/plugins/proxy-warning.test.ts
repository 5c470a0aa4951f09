import t from 'tap';
import { Writable } from 'node:stream';
import { loggerOptions } from '../../src/plugins/logging.ts';
import { isProxyPeer } from '../../src/plugins/proxy-warning.ts';
import { createTestApp } from '../helpers/web.ts';

/**
 * Behind a proxy without TRUST_PROXY every client has the proxy's address
 * for the throttles and the audit log. The server says so, once, in its log.
 */
function logged() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: loggerOptions('info', stream) };
}

const warnings = (lines: Record<string, unknown>[]) => lines.filter((line) => String(line.msg).includes('TRUST_PROXY'));
const failedSignIn = { phone: '13800000001', password: 'wrong-password' };
const clientAddress = '203.0.113.7';

async function failSignIn(app: Awaited<ReturnType<typeof createTestApp>>['app'], remoteAddress: string, forwarded: string | null) {
  const page = await app.inject({ url: '/sign-in', remoteAddress });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  return app.inject({
    method: 'POST', url: '/sign-in', remoteAddress,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...(forwarded ? { 'x-forwarded-for': forwarded } : {}) },
    payload: new URLSearchParams({ _csrf: token, ...failedSignIn }).toString(),
  });
}

const lastFailureAddress = (db: Awaited<ReturnType<typeof createTestApp>>['db']) =>
  db.$client.prepare(`SELECT ip_address FROM audit_log WHERE action = 'auth.sign_in_failed' ORDER BY id DESC LIMIT 1`).pluck().get();

t.test('loopback and private peers are proxies; public ones are not', async (t) => {
  for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '172.20.0.5', '192.168.1.10', 'fd00::1']) t.ok(isProxyPeer(address), address);
  for (const address of ['203.0.113.7', '8.8.8.8', '172.32.0.1', '2001:db8::1', undefined]) t.notOk(isProxyPeer(address), String(address));
});

t.test('X-Forwarded-For from a loopback peer without TRUST_PROXY: one warning naming the setting, once', async (t) => {
  const { lines, logger } = logged();
  const { app, db } = await createTestApp({ logger });
  t.teardown(() => app.close());
  t.equal((await app.inject({ url: '/healthz', remoteAddress: '127.0.0.1' })).statusCode, 200);
  t.equal(warnings(lines).length, 0, 'no header, no warning');
  t.equal((await app.inject({ url: '/healthz', remoteAddress: clientAddress, headers: { 'x-forwarded-for': '198.51.100.1' } })).statusCode, 200);
  t.equal(warnings(lines).length, 0, 'a header from a public peer is a client, not a proxy');

  const refused = await failSignIn(app, '127.0.0.1', clientAddress);
  t.equal(refused.statusCode, 401, 'the sign-in is refused');
  t.equal(lastFailureAddress(db), '127.0.0.1', 'the audit log holds the proxy\'s address, not the client\'s: the hole the warning names');
  const warned = warnings(lines);
  t.equal(warned.length, 1);
  t.equal(warned[0]!.level, 40, 'at warn level');
  t.match(String(warned[0]!.msg), 'TRUST_PROXY is not set');
  t.notMatch(JSON.stringify(warned[0]), clientAddress, 'no address in the line');
  await failSignIn(app, '127.0.0.1', clientAddress);
  await app.inject({ url: '/healthz', remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': clientAddress } });
  t.equal(warnings(lines).length, 1, 'only once');
});

t.test('with TRUST_PROXY set: no warning, and the client\'s address reaches the audit log', async (t) => {
  const { lines, logger } = logged();
  const { app, db } = await createTestApp({ logger, trustProxy: '127.0.0.1' });
  t.teardown(() => app.close());
  const refused = await failSignIn(app, '127.0.0.1', clientAddress);
  t.equal(refused.statusCode, 401, 'the sign-in is refused');
  t.equal(lastFailureAddress(db), clientAddress);
  t.equal(warnings(lines).length, 0);
});

import t from 'tap';
import { Writable } from 'node:stream';
import { makeIdNumber } from '../../src/lib/idcard.ts';
import { loggerOptions } from '../../src/plugins/logging.ts';
import { createTestApp, demoPhone, signedInAs, TestBrowser, visibleText } from '../helpers/web.ts';

/**
 * The server's own logger options, at debug level, while people sign in (also
 * wrongly), register a member and search for them: the log has request lines
 * with route patterns and ids, and none of the personal values sent.
 */
t.test('logs carry route patterns and request ids, never phones, names, ID numbers, passwords or card numbers', async (t) => {
  let written = '';
  const stream = new Writable({ write(chunk, _encoding, done) { written += String(chunk); done(); } });
  const { app } = await createTestApp({ logger: loggerOptions('debug', stream) });
  t.teardown(() => app.close());

  const anonymous = new TestBrowser(app);
  await anonymous.get('/sign-in');
  const wrong = await anonymous.post('/sign-in', { phone: demoPhone('volunteer'), password: 'not-the-password-9' });
  t.equal(wrong.statusCode, 401, 'a wrong password is refused');

  const coordinator = await signedInAs(app, 'coordinator');
  const form = await coordinator.get('/members/new');
  const key = /name="idempotency_key" value="([^"]+)"/.exec(form.body)![1]!;
  const idNumber = makeIdNumber('433123', '1958-03-09', 41);
  const created = await coordinator.post('/members', { idempotency_key: key, real_name: '龙秀梅', phone: '13755550123', id_number: idNumber, village_code: '433123101001' });
  t.equal(created.statusCode, 303, 'the member was registered');
  const page = await coordinator.get(created.headers.location as string);
  const cardNumber = /\b(\d{13})\b/.exec(visibleText(page.body))?.[1];
  const found = await coordinator.get(`/members?q=${encodeURIComponent('龙秀梅')}`);
  t.match(visibleText(found.body), '龙秀梅', 'and found by name');

  const lines = written.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  t.ok(lines.some((line) => (line.req as { route?: string } | undefined)?.route === '/members'), 'requests are logged by route pattern');
  t.ok(lines.every((line) => !('req' in line) || typeof (line.req as { id?: unknown }).id === 'string'), 'each request line has its id');
  for (const [what, value] of [
    ['the volunteer\'s phone', demoPhone('volunteer')], ['the wrong password', 'not-the-password-9'], ['the demo password', 'yinling2026'],
    ['the new member\'s phone', '13755550123'], ['their ID number', idNumber], ['the last digits of the ID number', idNumber.slice(-8)],
    ['their name', '龙秀梅'], ['their name, URL-encoded', encodeURIComponent('龙秀梅')], ['their card number', cardNumber ?? 'no-card-number-found'],
  ] as const) {
    t.notOk(written.includes(value), `${what} is not in the log`);
  }
  t.ok(cardNumber, 'the member page showed a card number (so the check above is real)');
});

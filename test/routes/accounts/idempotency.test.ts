import t from 'tap';
import { randomUUID } from 'node:crypto';
import { demoPassword } from '../../../src/domain/demo/seed.ts';
import { translator } from '../../../src/i18n/index.ts';
import { AddressClient } from '../../helpers/http-client.ts';
import { count, createTestApp, demoPhone, signedInAs, visibleText } from '../../helpers/web.ts';

const zh = translator('zh-CN');
const en = translator('en');

/** Creating an account runs once per form (src/domain/kernel/idempotency.ts), not within a time window. */

const form = (phone: string, key: string) => ({ display_name: '石协管', phone, role: 'coordinator', scope: 'region:433123101', temporary_password: 'linshi-2026', idempotency_key: key });

function rowsOf(db: Awaited<ReturnType<typeof createTestApp>>['db']) {
  return { users: count(db, 'users'), roles: count(db, 'user_roles'), audit: count(db, 'audit_log'), keys: count(db, 'idempotency_keys') };
}

t.test('a double submit through a listening server (eight at once) makes one account, and every answer is that account', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const office = new AddressClient(port, '127.0.0.1');
  await office.get('/sign-in');
  t.equal((await office.post('/sign-in', { phone: demoPhone('office'), password: demoPassword, next: '/' })).status, 303);
  const page = await office.get('/accounts/new');
  const key = /name="idempotency_key" value="([^"]+)"/.exec(page.body)![1]!;
  const before = rowsOf(db);
  const answers = await Promise.all(Array.from({ length: 8 }, () => office.post('/accounts', form('139 0000 3333', key))));
  t.same(answers.map((answer) => answer.status), Array(8).fill(303), 'every request is answered with the account');
  t.equal(new Set(answers.map((answer) => answer.headers.location)).size, 1, 'the same account each time');
  t.same(rowsOf(db), { users: before.users + 1, roles: before.roles + 1, audit: before.audit + 1, keys: before.keys + 1 }, 'one user, one role, one audit entry, one key');
  t.equal(db.$client.prepare("SELECT count(*) FROM users WHERE phone = '13900003333'").pluck().get(), 1);
});

t.test('the same key with other content is refused (409, zh-CN and en) and writes nothing; a refused form can be corrected under its key', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office');
  await office.get('/accounts/new');
  const key = randomUUID();
  const invalid = await office.post('/accounts', { ...form('139 0000 4444', key), temporary_password: 'abc' });
  t.equal(invalid.statusCode, 422, 'a refusal stores nothing under the key');
  t.match(invalid.body, `name="idempotency_key" value="${key}"`, 'the form shown again keeps its key');
  const created = await office.post('/accounts', form('139 0000 4444', key));
  t.equal(created.statusCode, 303, 'the corrected form is done under the same key');
  const before = rowsOf(db);
  const other = await office.post('/accounts', form('139 0000 5555', key));
  t.equal(other.statusCode, 409);
  t.match(visibleText(other.body), zh('common.error.idempotency_conflict'));
  t.match(zh('common.error.idempotency_conflict'), '已经提交过别的内容');
  t.notMatch(other.body, `value="${key}"`, 'the page offers a fresh key');
  t.same(rowsOf(db), before, 'nothing written');
  t.equal(db.$client.prepare("SELECT count(*) FROM users WHERE phone = '13900005555'").pluck().get(), 0);
  const english = await office.post('/accounts', form('139 0000 5555', key), { headers: { 'accept-language': 'en', cookie: `${office.cookieHeader()}; sh_lang=en` } });
  t.equal(english.statusCode, 409);
  t.match(visibleText(english.body), en('common.error.idempotency_conflict'));
  t.same(rowsOf(db), before, 'still nothing written');
});

t.test('without a key the time window is gone: the same form sent again later is a taken phone, not a replay', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office');
  await office.get('/accounts/new');
  const { idempotency_key: _key, ...keyless } = form('139 0000 6666', '');
  t.equal((await office.post('/accounts', keyless)).statusCode, 303);
  const again = await office.post('/accounts', keyless);
  t.equal(again.statusCode, 409);
  t.match(visibleText(again.body), '这个手机号码已经有账户了');
  t.equal(count(db, 'idempotency_keys'), 0, 'no key, no key row');
});

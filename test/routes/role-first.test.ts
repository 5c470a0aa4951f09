import t from 'tap';
import { count, createTestApp, signedInAs, visibleText } from '../helpers/web.ts';

/**
 * Issue 15: the import, staff-accounts and reports routes authorize only
 * through the domain, which checks the role before anything else: someone
 * without the role gets the 403 page whatever the address or the form holds
 * (a malformed id, a missing region, an empty form), and nothing is written.
 */

const forbiddenText = '您的账户不能使用这个功能';

t.test('without the role: the 403 page before the address or the form is looked at, nothing written', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const tables = ['users', 'user_roles', 'import_batches', 'import_rows', 'audit_log', 'idempotency_keys'];
  // Signed in first: a sign-in is audited.
  const browsers = [['volunteer', await signedInAs(app, 'volunteer')], ['clerk', await signedInAs(app, 'clerk')]] as const;
  for (const [, browser] of browsers) await browser.get('/');
  const before = Object.fromEntries(tables.map((table) => [table, count(db, table)]));
  for (const [role, browser] of browsers) {
    const asked = [
      ['GET', '/import/not-a-number'], ['GET', '/import/987654/progress'], ['GET', '/import/template/other'], ['POST', '/import'], ['POST', '/import/not-a-number/start'],
      ['GET', '/accounts/not-a-number'], ['GET', '/accounts/987654'], ['POST', '/accounts'], ['POST', '/accounts/not-a-number/roles'],
      ['GET', '/reports/not-a-code'], ['GET', '/reports/999999'], ['GET', '/reports/999999/visits'], ['GET', '/reports'], ['POST', '/reports/targets'],
    ] as const;
    for (const [method, url] of asked) {
      const response = method === 'GET' ? await browser.get(url) : await browser.post(url, {});
      t.equal(response.statusCode, 403, `${role} ${method} ${url}`);
      t.match(visibleText(response.body), forbiddenText, `${role} ${method} ${url}: the 403 page's message`);
    }
  }
  t.same(Object.fromEntries(tables.map((table) => [table, count(db, table)])), before, 'nothing was written');
});

t.test('with the role: a malformed or missing address is the 404 page', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office');
  for (const url of ['/import/not-a-number', '/import/987654', '/accounts/not-a-number', '/accounts/987654', '/reports/not-a-code', '/reports/999999']) {
    t.equal((await office.get(url)).statusCode, 404, `office GET ${url}`);
  }
  t.equal((await office.get('/reports/430500')).statusCode, 404, 'a region outside the scope answers exactly like a missing one');
});

import t from 'tap';
import { createTestApp, signedInAs, TestBrowser, visibleText } from '../helpers/web.ts';

t.test('office users read the audit log of their scope only', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  await signedInAs(app, 'coordinator'); // 山江镇, inside 凤凰县
  await signedInAs(app, 'office-city'); // 邵阳市
  await new TestBrowser(app).signIn('13800000001', 'wrong password');
  const county = await signedInAs(app, 'office');
  const page = await county.get('/audit');
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  t.match(text, '龙德福', 'the coordinator in the county is listed');
  t.match(text, '登录失败', 'the failed sign-in of a county user is listed');
  t.notMatch(text, '刘志强', 'the Shaoyang office is not');
  t.notMatch(text, '13800000001', 'no phone numbers in the log');
  const city = await signedInAs(app, 'office-city');
  const cityText = visibleText((await city.get('/audit')).body);
  t.match(cityText, '刘志强');
  t.notMatch(cityText, '龙德福');
  const admin = await signedInAs(app, 'admin');
  const adminText = visibleText((await admin.get('/audit')).body);
  t.match(adminText, '龙德福');
  t.match(adminText, '刘志强');
});

t.test('the audit log is not for volunteers, coordinators or clerks', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  for (const role of ['volunteer', 'coordinator', 'clerk'] as const) {
    const browser = await signedInAs(app, role);
    const response = await browser.get('/audit');
    t.equal(response.statusCode, 403, role);
    t.match(visibleText(response.body), '您的账户不能使用这个功能。');
  }
});

t.test('the audit log refuses updates and deletes', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  await signedInAs(app, 'admin');
  t.throws(() => db.$client.prepare("UPDATE audit_log SET action = 'x'").run(), /insert-only/);
  t.throws(() => db.$client.prepare('DELETE FROM audit_log').run(), /insert-only/);
});

t.test('the audit log pages 50 at a time', async (t) => {
  const { app } = await createTestApp({ signInAttemptsPerAddress: 1000 });
  t.teardown(() => app.close());
  for (let index = 0; index < 55; index += 1) await new TestBrowser(app).signIn(`1391234${String(index).padStart(4, '0')}`, 'wrong');
  const admin = await signedInAs(app, 'admin');
  const first = await admin.get('/audit');
  const entries = first.body.match(/<li class="card">/g) ?? [];
  t.equal(entries.length, 50);
  const older = /href="(\/audit\?before=\d+)"/.exec(first.body)?.[1];
  t.ok(older, 'a link to older entries');
  const second = await admin.get(older as string, { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.notMatch(second.body, '<html', 'htmx gets the entries fragment');
  t.ok((second.body.match(/<li class="card">/g) ?? []).length > 0);
});

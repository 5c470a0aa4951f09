import t from 'tap';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { count, createTestApp, demoPhone, signedInAs, TestBrowser, visibleText } from '../../helpers/web.ts';

type Db = Awaited<ReturnType<typeof createTestApp>>['db'];

function userByPhone(db: Db, phone: string) {
  return db.$client.prepare(`SELECT id, member_id AS memberId, must_change_password AS mustChange, display_name AS name FROM users WHERE phone = ?`).get(phone) as
    | { id: number; memberId: number | null; mustChange: number; name: string }
    | undefined;
}

function rolesOf(db: Db, userId: number) {
  return db.$client.prepare(`SELECT role, region_code AS regionCode, site_id AS siteId FROM user_roles WHERE user_id = ? ORDER BY id`).all(userId);
}

function addSite(db: Db, village: string, county: string): number {
  return Number(
    db.$client
      .prepare(`INSERT INTO partner_sites (name, kind, village_code, county_code, address, opening_hours, active, created_at_ms) VALUES ('爱心超市', 'love_supermarket', ?, ?, '村部', '9-17', 1, 0)`)
      .run(village, county).lastInsertRowid,
  );
}

t.test('an office lists the accounts of its area only, and the navigation shows the page to offices and admins', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office');
  const list = await office.get('/accounts');
  t.equal(list.statusCode, 200);
  const text = visibleText(list.body);
  t.match(text, '账户与身份');
  t.match(text, '138****0002', 'the coordinator of 山江镇 is listed');
  t.match(list.body, /<table class="list-table" id="account-list" aria-labelledby="results-title">\s*<thead><tr><th scope="col">姓名<\/th><th scope="col">电话<\/th><th scope="col">身份与范围<\/th><\/tr><\/thead>/, 'a table with column headers (cards on a phone)');
  const coordinatorRow = list.body.split('<tr>').find((row) => row.includes('138****0002'))?.split('</tr>')[0] ?? '';
  t.match(visibleText(coordinatorRow), /^龙德福 138\*{4}0002 协管员 · 山江镇/, 'one row per account: name, masked phone, roles and where');
  t.notMatch(text, '138****0005', 'the city office of 邵阳市 is not');
  t.notMatch(list.body, '13800000002', 'phones are masked');
  t.match(list.body, 'href="/accounts"', 'offices have the navigation link');
  const search = await office.get(`/accounts?q=${encodeURIComponent('0002')}`);
  t.match(visibleText(search.body), '共 1 个账户');
  t.match(visibleText((await office.get('/accounts?q=13800000002')).body), '共 1 个账户', 'the whole number finds the account');
  // A longer suffix would uncover the masked digits one at a time (00002, 000002, ...): it matches nothing.
  for (const suffix of ['00002', '000002', '0000002']) {
    t.notMatch(visibleText((await office.get(`/accounts?q=${suffix}`)).body), '138****0002', `no match on the ${suffix.length}-digit suffix`);
  }
  const coordinator = await signedInAs(app, 'coordinator');
  t.notMatch((await coordinator.get('/')).body, 'href="/accounts"', 'coordinators do not');
  t.equal((await coordinator.get('/accounts')).statusCode, 403);
});

t.test('an office creates an account in its county; every refusal says why and writes nothing', async (t) => {
  const { app, db, clock } = await createTestApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office');
  const form = await office.get('/accounts/new');
  t.equal(form.statusCode, 200);
  t.match(form.body, /<label for="temporary_password">临时密码<\/label>/);
  t.match(form.body, 'value="region:433123101"', 'townships of the county are offered');
  t.notMatch(form.body, 'value="region:430524"', 'other counties are not');
  t.notMatch(form.body, '<option value="office"', 'a county office cannot grant office roles');
  const users = count(db, 'users');
  const roles = count(db, 'user_roles');
  const audit = count(db, 'audit_log');

  const empty = await office.post('/accounts', {});
  t.equal(empty.statusCode, 422);
  const emptyText = visibleText(empty.body);
  for (const message of ['请填写手机号码', '请填写姓名', '请选择身份', '请选择负责的地区或站点', '请填写临时密码']) t.match(emptyText, message);

  const valid = { display_name: '石协管', phone: '139 0000 1111', role: 'coordinator', scope: 'region:433123101', temporary_password: 'linshi-2026' };
  const shortPassword = await office.post('/accounts', { ...valid, temporary_password: 'abc' });
  t.equal(shortPassword.statusCode, 422);
  t.match(visibleText(shortPassword.body), '临时密码太短');
  const clerkRegion = await office.post('/accounts', { ...valid, role: 'clerk' });
  t.equal(clerkRegion.statusCode, 422);
  t.match(visibleText(clerkRegion.body), '站点店员要选一个合作站点');
  // A region outside the county, typed into the form by hand.
  const outside = await office.post('/accounts', { ...valid, scope: 'region:430524101' });
  const missing = await office.post('/accounts', { ...valid, scope: 'region:433123999' });
  t.equal(outside.statusCode, 422, 'a region outside the county answers like one that does not exist');
  t.equal(missing.statusCode, 422);
  t.match(visibleText(outside.body), '找不到选中的地区或站点，请重新选择。');
  t.match(visibleText(missing.body), '找不到选中的地区或站点，请重新选择。');
  const staffRole = await office.post('/accounts', { ...valid, role: 'office', scope: 'region:433123' });
  t.equal(staffRole.statusCode, 403);
  t.match(visibleText(staffRole.body), '只能由管理员授予');
  const taken = await office.post('/accounts', { ...valid, phone: demoPhone('volunteer') });
  t.equal(taken.statusCode, 409);
  t.match(visibleText(taken.body), '这个手机号码已经有账户了');
  t.equal(count(db, 'users'), users, 'no user written');
  t.equal(count(db, 'user_roles'), roles, 'no role written');
  t.equal(count(db, 'audit_log'), audit, 'no audit entry written');

  // The form carries its idempotency key (issue 15: one mechanism, no time window): sent twice, one account.
  const formKey = /name="idempotency_key" value="([^"]+)"/.exec(form.body)![1]!;
  const created = await office.post('/accounts', { ...valid, idempotency_key: formKey });
  t.equal(created.statusCode, 303);
  const location = String(created.headers.location);
  t.match(location, /^\/accounts\/\d+\?done=created$/);
  const again = await office.post('/accounts', { ...valid, idempotency_key: formKey });
  t.equal(again.headers.location, location, 'the same form sent twice lands on the same account');
  t.equal(count(db, 'users'), users + 1);
  const user = userByPhone(db, '13900001111')!;
  t.equal(user.mustChange, 1, 'the person must choose a password at first sign-in');
  t.same(rolesOf(db, user.id), [{ role: 'coordinator', regionCode: '433123101', siteId: null }]);
  t.match(db.$client.prepare(`SELECT action, region_code FROM audit_log WHERE object_id = ? AND action = 'role.granted'`).get(String(user.id)), { region_code: '433123101' });
  t.match(visibleText((await office.get(location)).body), '账户已建好');

  // The new coordinator signs in and is sent to choose a password first.
  clock.advance(1000);
  const person = new TestBrowser(app);
  const signIn = await person.signIn('13900001111', 'linshi-2026');
  t.equal(signIn.headers.location, '/account/password');
});

t.test('a county office grants a clerk role at a site of its county, not of another', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const homeSite = addSite(db, '433123101001', '433123');
  const awaySite = addSite(db, '430524101001', '430524');
  const office = await signedInAs(app, 'office');
  const form = await office.get('/accounts/new');
  t.match(form.body, `value="site:${homeSite}"`);
  t.notMatch(form.body, `value="site:${awaySite}"`);
  const base = { display_name: '店员小田', role: 'clerk', temporary_password: 'linshi-2026' };
  const away = await office.post('/accounts', { ...base, phone: '13900002222', scope: `site:${awaySite}` });
  t.equal(away.statusCode, 422, 'a site outside the county answers like a missing one');
  t.match(visibleText(away.body), '找不到选中的地区或站点，请重新选择。');
  t.equal(userByPhone(db, '13900002222'), undefined);
  const home = await office.post('/accounts', { ...base, phone: '13900002222', scope: `site:${homeSite}` });
  t.equal(home.statusCode, 303);
  const user = userByPhone(db, '13900002222')!;
  t.same(rolesOf(db, user.id), [{ role: 'clerk', regionCode: null, siteId: homeSite }]);
  t.match(db.$client.prepare(`SELECT region_code FROM audit_log WHERE object_id = ? AND action = 'role.granted'`).get(String(user.id)), { region_code: '433123101001' }, "filed under the site's village, so the office sees it");
  t.equal((await office.get(`/accounts/${user.id}`)).statusCode, 200, 'a clerk of a site in the county is in the office scope');
});

t.test('on an account page an office grants and revokes roles and resets a password, only in its scope', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office');
  const volunteer = userByPhone(db, demoPhone('volunteer'))!;
  const cityOffice = userByPhone(db, demoPhone('office-city'))!;
  const page = await office.get(`/accounts/${volunteer.id}`);
  t.equal(page.statusCode, 200);
  t.match(visibleText(page.body), '志愿者');
  const outside = await office.get(`/accounts/${cityOffice.id}`);
  t.equal(outside.statusCode, 404);
  t.match(visibleText(outside.body), '找不到这个账户');
  t.equal((await office.get('/accounts/999999')).statusCode, 404);

  const roles = count(db, 'user_roles');
  const outsideGrant = await office.post(`/accounts/${volunteer.id}/roles`, { role: 'coordinator', scope: 'region:430524101' });
  t.equal(outsideGrant.statusCode, 422, 'outside the county: like a region that does not exist');
  t.match(visibleText(outsideGrant.body), '找不到选中的地区或站点，请重新选择。');
  const missingGrant = await office.post(`/accounts/${volunteer.id}/roles`, { role: 'coordinator', scope: 'region:433123999' });
  t.equal(missingGrant.statusCode, 422);
  t.match(visibleText(missingGrant.body), '找不到选中的地区或站点，请重新选择。');
  const noScope = await office.post(`/accounts/${volunteer.id}/roles`, { role: 'coordinator' });
  t.equal(noScope.statusCode, 422);
  t.match(visibleText(noScope.body), '请选择负责的地区或站点');
  const twice = await office.post(`/accounts/${volunteer.id}/roles`, { role: 'volunteer', scope: 'region:433123101001' });
  t.equal(twice.statusCode, 409);
  t.match(visibleText(twice.body), '已经有这个身份了');
  t.equal(count(db, 'user_roles'), roles, 'refusals wrote no role');

  const granted = await office.post(`/accounts/${volunteer.id}/roles`, { role: 'coordinator', scope: 'region:433123101' });
  t.equal(granted.statusCode, 303);
  const newRole = db.$client.prepare(`SELECT id FROM user_roles WHERE user_id = ? AND role = 'coordinator'`).get(volunteer.id) as { id: number };
  t.ok(newRole, 'the role was granted');
  // A role id of another account, sent against this account: refused, nothing revoked.
  const coordinatorRole = db.$client.prepare(`SELECT ur.id FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE u.phone = ?`).get(demoPhone('coordinator')) as { id: number };
  const foreign = await office.post(`/accounts/${volunteer.id}/revoke`, { role_id: String(coordinatorRole.id) });
  t.equal(foreign.statusCode, 422);
  t.match(visibleText(foreign.body), '这个账户没有要取消的身份');
  t.equal(count(db, 'user_roles'), roles + 1);
  const revoked = await office.post(`/accounts/${volunteer.id}/revoke`, { role_id: String(newRole.id) });
  t.equal(revoked.statusCode, 303);
  t.equal(count(db, 'user_roles'), roles);
  t.same(
    (db.$client.prepare(`SELECT action, region_code AS regionCode FROM audit_log WHERE object_id = ? AND action LIKE 'role.%' ORDER BY id`).all(String(volunteer.id))),
    [{ action: 'role.granted', regionCode: '433123101' }, { action: 'role.revoked', regionCode: '433123101' }],
  );

  const person = await signedInAs(app, 'volunteer');
  const short = await office.post(`/accounts/${volunteer.id}/password`, { temporary_password: 'abc' });
  t.equal(short.statusCode, 422);
  t.match(visibleText(short.body), '临时密码太短');
  const reset = await office.post(`/accounts/${volunteer.id}/password`, { temporary_password: 'linshi-2026' });
  t.equal(reset.statusCode, 303);
  t.equal(userByPhone(db, demoPhone('volunteer'))!.mustChange, 1);
  t.equal(db.$client.prepare(`SELECT count(*) AS n FROM refresh_tokens WHERE user_id = ? AND revoked_at_ms IS NULL`).pluck().get(volunteer.id), 0, "the person's sessions ended");
  t.ok(person, 'the volunteer had a session');
  const self = await office.post(`/accounts/${userByPhone(db, demoPhone('office'))!.id}/password`, { temporary_password: 'linshi-2026' });
  t.equal(self.statusCode, 422);
  t.match(visibleText(self.body), '不能在这里重置自己的密码');
  const staff = await office.post(`/accounts/${cityOffice.id}/password`, { temporary_password: 'linshi-2026' });
  t.equal(staff.statusCode, 404);
});

t.test('a coordinator opens a sign-in for a member of the area; it is linked to the member and must change its password', async (t) => {
  const { app, db, clock } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/members/new');
  const register = async (name: string, phone: string, village: string, serial: number) => {
    const response = await coordinator.post('/members', { idempotency_key: randomUUID(), real_name: name, phone, id_number: makeIdNumber('433123', '1958-03-03', serial), village_code: village });
    if (response.statusCode !== 303) throw new Error(`register ${name}: ${response.statusCode}`);
    return Number(/\/members\/(\d+)/.exec(String(response.headers.location))![1]);
  };
  const memberId = await register('龙阿妹', '13712345678', '433123101001', 21);
  const page = await coordinator.get(`/members/${memberId}`);
  t.match(page.body, `action="/members/${memberId}/account"`);
  t.match(visibleText(page.body), '开通登录账户');

  const users = count(db, 'users');
  const short = await coordinator.post(`/members/${memberId}/account`, { temporary_password: 'abc' });
  t.equal(short.statusCode, 422);
  t.match(visibleText(short.body), '临时密码太短');
  const badPhone = await coordinator.post(`/members/${memberId}/account`, { phone: '12345', temporary_password: 'linshi-2026' });
  t.equal(badPhone.statusCode, 422);
  t.match(visibleText(badPhone.body), '手机号码应为 11 位数字');
  const taken = await coordinator.post(`/members/${memberId}/account`, { phone: demoPhone('office'), temporary_password: 'linshi-2026' });
  t.equal(taken.statusCode, 409);
  t.equal(count(db, 'users'), users, 'nothing written');

  const created = await coordinator.post(`/members/${memberId}/account`, { temporary_password: 'linshi-2026' });
  t.equal(created.statusCode, 303);
  t.equal(created.headers.location, `/members/${memberId}?done=signIn`);
  const user = userByPhone(db, '13712345678')!;
  t.equal(user.memberId, memberId, 'linked to the member');
  t.equal(user.mustChange, 1);
  t.same(rolesOf(db, user.id), [{ role: 'volunteer', regionCode: '433123101001', siteId: null }]);
  const coordinatorId = Number(db.$client.prepare("SELECT id FROM users WHERE phone = '13800000002'").pluck().get());
  t.equal(db.$client.prepare('SELECT password_set_by_user_id FROM users WHERE id = ?').pluck().get(user.id), coordinatorId, 'marked as set by the coordinator until the member proves presence');
  t.match(db.$client.prepare(`SELECT region_code, actor_user_id FROM audit_log WHERE action = 'account.member_sign_in_created'`).get(), { region_code: '433123101001' });
  const after = visibleText((await coordinator.get(`/members/${memberId}?done=signIn`)).body);
  t.match(after, '登录账户已开通');
  t.match(after, '已开通登录账户，手机号码 137****5678');
  const twice = await coordinator.post(`/members/${memberId}/account`, { temporary_password: 'linshi-2026' });
  t.equal(twice.statusCode, 409);
  t.match(visibleText(twice.body), '这位成员已经有登录账户了');

  // The member signs in and must choose a password; then sees their own record.
  clock.advance(1000);
  const member = new TestBrowser(app);
  t.equal((await member.signIn('13712345678', 'linshi-2026')).headers.location, '/account/password');

  // A member of another township (阿拉营镇) is outside the coordinator's scope; the county office may.
  const office = await signedInAs(app, 'office');
  await office.get('/members/new');
  const response = await office.post('/members', { idempotency_key: randomUUID(), real_name: '吴老伯', phone: '13712340000', id_number: makeIdNumber('433123', '1950-01-01', 33), village_code: '433123102001' });
  const otherId = Number(/\/members\/(\d+)/.exec(String(response.headers.location))![1]);
  const refused = await coordinator.post(`/members/${otherId}/account`, { temporary_password: 'linshi-2026' });
  t.equal(refused.statusCode, 404);
  t.equal(userByPhone(db, '13712340000'), undefined);
  const byOffice = await office.post(`/members/${otherId}/account`, { temporary_password: 'linshi-2026' });
  t.equal(byOffice.statusCode, 303);
  const officePage = await office.get(`/members/${otherId}`);
  t.match(officePage.body, `href="/accounts/${userByPhone(db, '13712340000')!.id}"`, 'offices get a link to the account page');
});

t.test('an office still manages an account after revoking its last role: the account keeps its home region (issue 12, item 12)', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office');
  await office.get('/accounts/new');
  const created = await office.post('/accounts', { display_name: '石协管', phone: '13900001112', role: 'coordinator', scope: 'region:433123101', temporary_password: 'linshi-2026' });
  t.equal(created.statusCode, 303);
  const account = userByPhone(db, '13900001112')!;
  t.match(db.$client.prepare('SELECT home_region_code AS home FROM users WHERE id = ?').get(account.id), { home: '433123101' }, 'the home region is recorded at creation');
  const role = db.$client.prepare('SELECT id FROM user_roles WHERE user_id = ?').get(account.id) as { id: number };
  await office.get(`/accounts/${account.id}`);
  const revoked = await office.post(`/accounts/${account.id}/revoke`, { role_id: String(role.id) });
  t.equal(revoked.statusCode, 303);
  t.same(rolesOf(db, account.id), [], 'no role left');

  const page = await office.get(`/accounts/${account.id}`);
  t.equal(page.statusCode, 200, 'the office still opens the account');
  t.match(visibleText(page.body), '石协管');
  const list = await office.get('/accounts?q=%E7%9F%B3%E5%8D%8F%E7%AE%A1');
  t.match(visibleText(list.body), '石协管', 'and finds it in its list');
  const reset = await office.post(`/accounts/${account.id}/password`, { temporary_password: 'linshi-2027' });
  t.equal(reset.statusCode, 303, 'and may reset its password');
  const regranted = await office.post(`/accounts/${account.id}/roles`, { role: 'volunteer', scope: 'region:433123101001' });
  t.equal(regranted.statusCode, 303, 'and grant it a role again');
  t.equal(rolesOf(db, account.id).length, 1);

  const cityOffice = await signedInAs(app, 'office-city');
  t.equal((await cityOffice.get(`/accounts/${account.id}`)).statusCode, 404, 'an office elsewhere still may not (answered as a missing account)');
  const roles = count(db, 'user_roles');
  t.equal((await cityOffice.post(`/accounts/${account.id}/roles`, { role: 'volunteer', scope: 'region:430524101' })).statusCode, 404);
  t.equal(count(db, 'user_roles'), roles, 'and writes nothing');
});

t.test('the migration gives existing accounts a home region from their member, role or site', async (t) => {
  const { db } = await createTestApp();
  // Run the migration's backfill on accounts as they were before it (no home region).
  const migration = readFileSync(new URL('../../../drizzle/0012_account_home_region.sql', import.meta.url), 'utf8');
  const backfill = migration.split('--> statement-breakpoint').find((statement) => statement.includes('UPDATE'))!;
  db.$client.prepare('UPDATE users SET home_region_code = NULL').run();
  db.$client.exec(backfill);
  // The demo clerk's site 1 is a placeholder with no row in this network, so it has no village to inherit.
  t.equal((db.$client.prepare('SELECT count(*) AS n FROM users WHERE home_region_code IS NULL AND phone <> ?').get(demoPhone('clerk')) as { n: number }).n, 0, 'every other demo account has one');
  const site = addSite(db, '430524101001', '430524');
  db.$client.prepare('UPDATE user_roles SET site_id = ? WHERE site_id = 1').run(site);
  db.$client.prepare('UPDATE users SET home_region_code = NULL').run();
  db.$client.exec(backfill);
  t.match(db.$client.prepare('SELECT home_region_code AS home FROM users WHERE phone = ?').get(demoPhone('clerk')), { home: '430524101001' }, 'a clerk belongs to the village of the site');
  const rows = db.$client.prepare(`SELECT u.phone, u.home_region_code AS home FROM users u WHERE u.phone IN (?, ?, ?, ?)`).all(demoPhone('volunteer'), demoPhone('coordinator'), demoPhone('office'), demoPhone('admin')) as { phone: string; home: string }[];
  const byPhone = Object.fromEntries(rows.map((row) => [row.phone, row.home]));
  t.equal(byPhone[demoPhone('coordinator')], '433123101');
  t.equal(byPhone[demoPhone('office')], '433123');
  t.equal(byPhone[demoPhone('admin')], '430000');
  t.ok(byPhone[demoPhone('volunteer')]?.startsWith('433123101'), 'the volunteer belongs to her village');
});

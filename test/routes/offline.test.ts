import t from 'tap';
import { randomUUID } from 'node:crypto';
import { assetUrl } from '../../src/plugins/assets.ts';
import { offlineOwnerTag } from '../../src/plugins/render.ts';
import { signedInAs, TestBrowser, type TestApp } from '../helpers/web.ts';
import { addSecondVolunteer, createHoursApp, scalar, visitForm, written } from './hours/helpers.ts';
import { demoPassword } from '../../src/domain/demo/seed.ts';

/**
 * Offline logging (issue 19, docs/OFFLINE.md) over HTTP: the manifest and the
 * worker, the CSP, which pages are marked for the phone's copies (the
 * volunteer's own, never staff's), and the JSON answers the outbox's uploads get.
 */

t.test('the manifest, its icons and the service worker, from our own origin', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const manifest = await testApp.app.inject({ url: '/manifest.webmanifest' });
  t.equal(manifest.statusCode, 200);
  t.match(manifest.headers['content-type'], /^application\/manifest\+json/);
  const body = manifest.json();
  t.match(body, { name: '银龄时光', short_name: '银龄时光', start_url: '/hours', scope: '/', display: 'standalone', theme_color: '#0d5c53', background_color: '#fffdf8' });
  t.same(body.icons.map((icon: { sizes: string; purpose: string }) => `${icon.sizes} ${icon.purpose}`), ['192x192 any', '512x512 any', '192x192 maskable', '512x512 maskable']);
  for (const icon of body.icons as { src: string }[]) {
    const image = await testApp.app.inject({ url: icon.src });
    t.equal(image.statusCode, 200, icon.src);
    t.equal(image.headers['content-type'], 'image/png');
    t.same([...image.rawPayload.subarray(1, 4)].map((byte) => String.fromCharCode(byte)).join(''), 'PNG');
  }
  const worker = await testApp.app.inject({ url: '/sw.js' });
  t.equal(worker.statusCode, 200);
  t.match(worker.headers['content-type'], /^text\/javascript/);
  t.equal(worker.headers['cache-control'], 'no-cache', 'the browser checks the worker for updates');
  t.equal(worker.headers['service-worker-allowed'], '/');
  t.match(worker.body, "addEventListener('fetch'");
  // This build's asset names are written into the worker, which deletes any other cached asset when it activates.
  const listed = JSON.parse(/const currentAssets = (\[[^\]]*\]);/.exec(worker.body)?.[1] ?? '[]') as string[];
  for (const name of ['app.css', 'offline.js', 'outbox.js', 'idb-keyval.js', 'htmx.min.js']) {
    t.ok(listed.includes(assetUrl(name)), `the worker lists ${assetUrl(name)}`);
    t.ok(listed.includes(`/assets/${name}`), `and its plain name ${name}`);
  }
  t.notOk(listed.some((url) => !url.startsWith('/assets/')), 'only asset URLs');
  t.equal((await testApp.app.inject({ url: '/assets/sw.js' })).statusCode, 404, 'the worker is not an asset (its scope would be /assets/)');
});

t.test('the CSP stays strict and allows the worker and the manifest from our origin only', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const page = await testApp.app.inject({ url: '/sign-in' });
  const csp = String(page.headers['content-security-policy']);
  t.match(csp, "worker-src 'self'");
  t.match(csp, "manifest-src 'self'");
  t.notMatch(csp, 'unsafe-inline');
  t.match(page.body, '<link rel="manifest" href="/manifest.webmanifest">');
  t.notMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
});

t.test('only the volunteer\'s own home, passbook and form are marked for the phone; a staff form never', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const volunteerUserId = scalar(testApp, "SELECT id FROM users WHERE phone = '13800000001'");
  const owner = offlineOwnerTag(testApp.app.secrets.tokenSigningKey, volunteerUserId);
  for (const path of ['/hours', '/passbook', '/hours/new']) {
    const page = await volunteer.get(path);
    t.equal(page.statusCode, 200, path);
    t.match(page.body, `data-offline-owner="${owner}" data-offline-banner hidden`, `${path} is marked, its 离线 line hidden`);
    t.match(page.body, '更新于 <time datetime="2026-11-23T02:00:00.000Z">2026/11/23 10:00</time>', `${path} says when it was made`);
  }
  const older = await volunteer.get('/passbook?before=999999');
  t.notMatch(older.body, 'data-offline-owner', 'an older page of the passbook is not kept');
  t.notMatch((await volunteer.get('/hours/queue')).body, 'data-offline-owner');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const staffForm = await coordinator.get('/hours/new');
  t.equal(staffForm.statusCode, 200);
  t.notMatch(staffForm.body, 'data-offline-owner', 'the staff form (it lists other members) is never kept');
  t.notMatch(staffForm.body, 'id="outbox"');
  const signIn = await new TestBrowser(testApp.app).get('/sign-in');
  t.match(signIn.body, 'data-offline-signed-out', 'a signed-out page tells the worker to forget the copies');
  t.notMatch(volunteer.cookies.get('_csrf') ?? '', owner);
});

t.test('the volunteer\'s form offers the elders she served lately before any search (also in its offline copy)', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const served = testApp.db.$client.prepare(`SELECT DISTINCT e.real_name FROM service_records r JOIN elders e ON e.id = r.elder_id
    JOIN members m ON m.id = r.volunteer_member_id JOIN users u ON u.member_id = m.id WHERE u.phone = '13800000001'`).pluck().all() as string[];
  t.ok(served.length > 0, 'the demo volunteer has served someone');
  const form = await volunteer.get('/hours/new');
  for (const name of served.slice(0, 8)) t.match(form.body, new RegExp(`name="elder_id" value="\\d+"> ${name} · `), `${name} is offered`);
  const cleared = await volunteer.get('/hours/recipients?recipient_query=', { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.match(cleared.body, `> ${served[0]} · `, 'clearing the search box brings them back');
});

/** What the outbox sends for 王秀英's entry: the form's fields and her owner tag (docs/OFFLINE.md). */
function outboxEntry(testApp: TestApp, overrides: Record<string, string> = {}): Record<string, string> {
  const wang = scalar(testApp, "SELECT id FROM users WHERE phone = '13800000001'");
  return { ...visitForm(testApp, overrides), offline_owner: offlineOwnerTag(testApp.app.secrets.tokenSigningKey, wang) };
}

t.test('an upload from the outbox gets JSON: saved once under its key, or refused with the reason, writing nothing', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const json = { accept: 'application/json' };
  const fields = outboxEntry(testApp, { note: '离线上传' });
  const before = written(testApp);
  const first = await volunteer.post('/hours', fields, { headers: json });
  t.equal(first.statusCode, 200);
  const answer = first.json();
  t.match(answer, { ok: true, recordUrl: /^\/hours\/records\/\d+$/, status: 'pending' });
  const again = await volunteer.post('/hours', fields, { headers: json });
  t.same(again.json(), answer, 'the retry of a lost answer gets the same record');
  t.same(written(testApp), { records: before.records + 1, transfers: before.transfers + 1 }, 'one record, one transfer');
  t.equal(scalar(testApp, "SELECT service_date || ' ' || start_at_ms FROM service_records WHERE note = '离线上传'"), `2026-11-22 ${Date.UTC(2026, 10, 21, 21, 0)}`, 'the date and time she entered');

  const old = await volunteer.post('/hours', outboxEntry(testApp, { date: '2026-10-01', note: '太久以前' }), { headers: json });
  t.equal(old.statusCode, 422);
  t.same(old.json(), { ok: false, messages: ['只能登记最近 30 天内的服务（2026-10-24 以后）。'] });
  const noKey = await volunteer.post('/hours', outboxEntry(testApp, { idempotency_key: 'x' }), { headers: json });
  t.equal(noKey.statusCode, 400);
  t.equal(noKey.json().ok, false);
  const otherContent = await volunteer.post('/hours', { ...fields, note: '别的内容' }, { headers: json });
  t.equal(otherContent.statusCode, 409, 'the same key with other content');
  t.match(otherContent.json(), { ok: false, messages: [/./] });
  const untagged = await volunteer.post('/hours', visitForm(testApp, { note: '旧版本上传' }), { headers: json });
  t.equal(untagged.statusCode, 409, 'an outbox upload without its owner tag (an outdated script still open) is refused');
  t.same(untagged.json(), { ok: false, problem: 'hours.error.offline_owner_missing', messages: ['这次上传没有注明是哪个账号离线保存的（手机上的程序是旧版本）。请刷新页面，新版本会自动再上传。没有保存任何内容。'] });
  t.same(written(testApp), { records: before.records + 1, transfers: before.transfers + 1 }, 'refusals write nothing');
  const online = await volunteer.post('/hours', visitForm(testApp, { note: '在线提交', start_time: '08:00', end_time: '09:00' }));
  t.equal(online.statusCode, 303, 'a form posted online (HTML) needs no owner tag');
});

t.test('a stale CSRF token after hours offline: 403 and nothing written; a fresh token from the form page works', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const kept = volunteer.csrfToken;
  // Signing out and in again (or a new session) gives the browser a new CSRF secret: the kept token is stale.
  await volunteer.post('/sign-out', {});
  volunteer.cookies.clear();
  const again = await signedInAs(testApp.app, 'volunteer');
  const before = written(testApp);
  const fields = { ...outboxEntry(testApp, { note: '旧令牌' }), idempotency_key: randomUUID() };
  const stale = await again.post('/hours', { ...fields, _csrf: kept }, { headers: { accept: 'application/json' } });
  t.equal(stale.statusCode, 403);
  t.same(stale.json(), { ok: false, problem: 'errors.csrf.message', messages: ['页面已过期，请返回上一页，刷新后再提交一次。'] }, 'the outbox can tell a stale token from a refusal');
  t.same(written(testApp), before, 'nothing written');
  await again.get('/hours/new');
  const fresh = await again.post('/hours', fields, { headers: { accept: 'application/json' } });
  t.equal(fresh.statusCode, 200);
  t.equal(fresh.json().ok, true);
});

t.test('an upload by an account that may no longer log hours: 403 with the reason; signed out: 401; nothing written', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const json = { headers: { accept: 'application/json' } };
  const userId = scalar(testApp, "SELECT id FROM users WHERE phone = '13800000001'");
  const before = written(testApp);
  // Her role changed meanwhile (a clerk now): the upload is refused with the reason, not taken for a stale token.
  testApp.db.$client.prepare("UPDATE user_roles SET role = 'clerk' WHERE user_id = ? AND role = 'volunteer'").run(userId);
  const refused = await volunteer.post('/hours', outboxEntry(testApp, { note: '角色已变' }), json);
  t.equal(refused.statusCode, 403);
  t.same(refused.json(), { ok: false, problem: 'hours.error.not_a_member', messages: ['您的账号没有关联成员档案，不能登记或签到。'] });
  const form = await volunteer.get('/hours/new', { accept: 'application/json, text/html' });
  t.equal(form.statusCode, 403, 'the token fetch says so too');
  t.equal(form.json().problem, 'hours.error.not_a_member');
  const page = await volunteer.post('/hours', visitForm(testApp, { note: '角色已变' }));
  t.equal(page.statusCode, 403);
  t.match(page.headers['content-type'], /^text\/html/, 'a form post without JavaScript still gets the page');
  t.match(page.body, '您的账号没有关联成员档案，不能登记或签到。');
  // Her account disabled: the session no longer counts; the outbox is told to sign in again (401), not sent a page.
  testApp.db.$client.prepare("UPDATE user_roles SET role = 'volunteer' WHERE user_id = ? AND role = 'clerk'").run(userId);
  testApp.db.$client.prepare("UPDATE users SET status = 'disabled' WHERE id = ?").run(userId);
  const signedOut = await volunteer.post('/hours', outboxEntry(testApp, { note: '账号停用' }), json);
  t.equal(signedOut.statusCode, 401);
  t.same(signedOut.json(), { ok: false, problem: 'auth.signInRequired', messages: ['请先登录。'] });
  t.same(written(testApp), before, 'nothing written');
});

t.test('an entry kept offline by one volunteer, uploaded under another\'s session: 409 with the reason, nothing written', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const secondUserId = addSecondVolunteer(testApp.db);
  const wangUserId = scalar(testApp, "SELECT id FROM users WHERE phone = '13800000001'");
  const wangTag = offlineOwnerTag(testApp.app.secrets.tokenSigningKey, wangUserId);
  // The shared phone: 王秀英 kept the entry offline; the other volunteer is signed in when it is uploaded.
  const other = new TestBrowser(testApp.app);
  t.equal((await other.signIn('13800000098', demoPassword, '/hours')).statusCode, 303);
  const form = await other.get('/hours/new');
  t.match(form.body, `data-offline-owner="${offlineOwnerTag(testApp.app.secrets.tokenSigningKey, secondUserId)}"`, 'her form names her, not 王秀英');
  const before = written(testApp);
  const fields: Record<string, string> = { ...visitForm(testApp, { note: '别人的离线记录' }), offline_owner: wangTag };
  const json = { headers: { accept: 'application/json' } };
  const refused = await other.post('/hours', fields, json);
  t.equal(refused.statusCode, 409);
  t.same(refused.json(), { ok: false, problem: 'hours.error.offline_owner', messages: ['这条离线保存的记录是另一个账号在这部手机上保存的，不能用现在登录的账号上传。没有保存任何内容。'] });
  const page = await other.post('/hours', fields);
  t.equal(page.statusCode, 409, 'a form post says so too');
  t.match(page.body, '不能用现在登录的账号上传');
  t.same(written(testApp), before, 'nothing written');
  t.equal(scalar(testApp, "SELECT count(*) FROM idempotency_keys WHERE key LIKE ?", `%${fields.idempotency_key}%`), 0, 'the key is not used up');
  // Back as 王秀英: the same entry, the same key, arrives once.
  const wang = await signedInAs(testApp.app, 'volunteer');
  await wang.get('/hours/new');
  const saved = await wang.post('/hours', fields, json);
  t.equal(saved.statusCode, 200);
  t.equal(saved.json().ok, true);
  t.equal(scalar(testApp, "SELECT count(*) FROM service_records WHERE note = '别人的离线记录'"), 1, 'one record');
  t.equal(scalar(testApp, "SELECT u.phone FROM service_records r JOIN users u ON u.member_id = r.volunteer_member_id WHERE r.note = '别人的离线记录'"), '13800000001', 'under 王秀英');
});

import t, { type Test } from 'tap';
import { count, createTestApp, demoPhone, signedInAs, TestBrowser, visibleText } from '../helpers/web.ts';
import { createHoursApp, logVisit } from './hours/helpers.ts';

/**
 * Shape refusals of route schemas (src/lib/form-schema.ts, src/plugins/forms.ts):
 * a field of the wrong shape answers the same localized form page, Chinese
 * first, with the field marked and the status the page uses for a refusal,
 * never Fastify's English JSON 400; nothing is written. A malformed id in the
 * address is a missing record (the 404 page).
 */

function notJson(t: Test, response: { headers: Record<string, unknown>; body: string }): void {
  t.match(String(response.headers['content-type']), /^text\/html; charset=utf-8/, 'an HTML page');
  t.notMatch(response.body, /"statusCode":\s*400|FST_ERR_VALIDATION|must NOT have|must be integer/, 'not Fastify\'s JSON nor ajv\'s English');
}

t.test('changing a password: an over-long new password is refused in Chinese, the box marked, the password unchanged', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const volunteer = await signedInAs(app, 'volunteer');
  await volunteer.get('/account/password');
  const hashOf = () => (db.$client.prepare('SELECT password_hash FROM users WHERE phone = ?').get(demoPhone('volunteer')) as { password_hash: string }).password_hash;
  const before = hashOf();
  const response = await volunteer.post('/account/password', { current_password: 'x', new_password: 'a'.repeat(1025), confirm_password: 'a'.repeat(1025) });
  t.equal(response.statusCode, 422);
  notJson(t, response);
  t.match(visibleText(response.body), '太长了：最多 1024 个字。');
  t.match(response.body, /id="new_password"[^>]*aria-describedby="new-password-hint form-error" aria-invalid="true"/, 'the new password box is marked');
  t.equal(hashOf(), before, 'the password is unchanged');
});

t.test('signing in: an over-long phone is refused on the sign-in page and counts as no attempt', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const browser = new TestBrowser(app);
  await browser.get('/sign-in');
  const throttled = count(db, 'sign_in_throttle');
  const response = await browser.post('/sign-in', { phone: '1'.repeat(41), password: 'whatever' });
  t.equal(response.statusCode, 422);
  notJson(t, response);
  t.match(visibleText(response.body), '太长了：最多 40 个字。');
  t.match(response.body, /id="phone"[^>]*aria-invalid="true"/, 'the phone box is marked');
  t.equal(count(db, 'sign_in_throttle'), throttled, 'no attempt counted');
});

t.test('a new region: an over-long name is refused, marked, and no region is added', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  await admin.get('/regions/433123');
  const regions = count(db, 'regions');
  const response = await admin.post('/regions/433123/children', { code: '433123103', name_zh: '长'.repeat(41), name_en: '', kind: '' });
  t.equal(response.statusCode, 422);
  notJson(t, response);
  t.match(visibleText(response.body), '名称太长了。');
  t.match(response.body, /id="name_zh"[^>]*aria-invalid="true" aria-describedby="name-zh-error"/, 'the name box is marked');
  t.equal(count(db, 'regions'), regions, 'nothing added');
});

t.test('a new staff account: a repeated role field is refused with the form, marked, and no account is made', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office');
  await office.get('/accounts/new');
  const users = count(db, 'users');
  const form = new URLSearchParams({ _csrf: office.csrfToken, display_name: '石协管', phone: '139 0000 1111', scope: 'region:433123101', temporary_password: 'linshi-2026' });
  form.append('role', 'coordinator');
  form.append('role', 'office');
  const response = await office.request({ method: 'POST', url: '/accounts', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form.toString() });
  t.equal(response.statusCode, 422);
  notJson(t, response);
  t.match(visibleText(response.body), '这一项填得不对，请检查后再提交。');
  t.match(response.body, /<select id="role" name="role" aria-invalid="true"/, 'the role is marked');
  t.equal(count(db, 'users'), users, 'no account');
});

t.test('rejecting a record: an over-long reason comes back on the record page, marked, and the record stays pending', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const id = await logVisit(testApp, volunteer);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get(`/hours/records/${id}`);
  const response = await coordinator.post(`/hours/records/${id}/reject`, { reason: '理'.repeat(201) });
  t.equal(response.statusCode, 422);
  notJson(t, response);
  t.match(visibleText(response.body), '最多 200 个字');
  t.match(response.body, /<textarea id="reason" name="reason"[^>]*aria-invalid="true"/, 'the reason is marked');
  t.equal(testApp.db.$client.prepare('SELECT status FROM service_records WHERE id = ?').pluck().get(id), 'pending');
});

t.test('a malformed id in the address is a missing record, in Chinese', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  for (const url of ['/hours/records/abc', '/hours/records/0', '/coverage/elders/x']) {
    const response = await coordinator.get(url);
    t.equal(response.statusCode, 404, url);
    notJson(t, response);
    t.match(visibleText(response.body), /[\u4e00-\u9fff]/, `${url}: a Chinese sentence`);
  }
  const record = await coordinator.get('/hours/records/abc');
  t.match(visibleText(record.body), '找不到这条服务记录。', 'the feature\'s own sentence');
});

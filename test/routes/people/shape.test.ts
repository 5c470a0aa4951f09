import t from 'tap';
import { randomUUID } from 'node:crypto';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { count, createTestApp, signedInAs, TestBrowser, visibleText, type TestApp } from '../../helpers/web.ts';

/**
 * Shape refusals of the people forms (their TypeBox schemas,
 * src/routes/people/members/schemas.ts): the form page comes back in Chinese with
 * the field marked, never Fastify's English JSON 400, and nothing is written.
 * Someone without the role still gets the 403 page: the page a refused form
 * is shown again on is read through the domain, which checks the role first.
 */
const laojiazhai = '433123101001';

function written(app: TestApp) {
  const tables = ['members', 'member_status_events', 'elders', 'elder_categories', 'teams', 'team_memberships', 'team_activities', 'idempotency_keys'];
  return Object.fromEntries(tables.map((table) => [table, count(app.db, table)]));
}

t.test('the member form without a name: the form again, the name box marked, what was typed kept, nothing written', async (t) => {
  const testApp = await createTestApp();
  t.teardown(() => testApp.app.close());
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get('/members/new');
  const before = written(testApp);
  const idNumber = makeIdNumber('433123', '1959-08-08', 17);

  const missing = await coordinator.post('/members', { idempotency_key: randomUUID(), phone: '13712345678', id_number: idNumber, village_code: laojiazhai });
  t.equal(missing.statusCode, 422);
  t.match(String(missing.headers['content-type']), /^text\/html/);
  t.match(missing.body, /<p class="field-error" id="real_name-error">这一项必须填写。<\/p>/, 'the reason, in Chinese, beside the name box');
  t.match(missing.body, /id="real_name"[^>]*aria-invalid="true" aria-describedby="real_name-error"/, 'the name box is marked');
  t.match(missing.body, new RegExp(`id="id_number"[^>]*value="${idNumber}"`), 'the ID number typed is kept');
  t.match(missing.body, /<input type="hidden" name="idempotency_key" value="[0-9a-f-]{36}">/);

  const long = await coordinator.post('/members', { idempotency_key: randomUUID(), real_name: '龙'.repeat(201), phone: '', id_number: idNumber, village_code: laojiazhai });
  t.equal(long.statusCode, 422);
  t.match(long.body, /<p class="field-error" id="real_name-error">太长了：最多 200 个字。<\/p>/, 'an over-long name says the limit');

  const body = new URLSearchParams({ _csrf: coordinator.csrfToken, idempotency_key: randomUUID(), real_name: '龙阿妹', phone: '', id_number: idNumber, village_code: laojiazhai });
  body.append('real_name', '龙二妹');
  const repeated = await coordinator.request({ method: 'POST', url: '/members', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
  t.equal(repeated.statusCode, 422, 'a repeated field is a shape refusal too');
  t.match(repeated.body, /id="real_name"[^>]*aria-invalid="true"/);

  t.same(written(testApp), before, 'no member written');

  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/members/me');
  const refused = await volunteer.post('/members', { idempotency_key: randomUUID(), phone: '13712345678' });
  t.equal(refused.statusCode, 403, 'without the role: the 403 page, not the form');
  t.match(visibleText(refused.body), '您的账户不能使用这个功能。');
  t.notMatch(refused.body, /id="real_name"/);
  t.same(written(testApp), before);
});

t.test('the public join form without a name is marked the same way', async (t) => {
  const testApp = await createTestApp();
  t.teardown(() => testApp.app.close());
  const visitor = new TestBrowser(testApp.app);
  await visitor.get('/join');
  const before = written(testApp);
  const response = await visitor.post('/join', { idempotency_key: randomUUID(), id_number: makeIdNumber('433123', '1959-08-08', 19), phone: '', village_code: laojiazhai, consent: 'yes' });
  t.equal(response.statusCode, 422);
  t.match(response.body, /id="real_name"[^>]*aria-invalid="true"/);
  t.match(visibleText(response.body), '这一项必须填写。');
  t.same(written(testApp), before);
});

t.test('an elder\'s visit interval that is not a number: the elder page again, the box marked, nothing written', async (t) => {
  const testApp = await createTestApp();
  t.teardown(() => testApp.app.close());
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get('/elders/new');
  const created = await coordinator.post('/elders', {
    idempotency_key: randomUUID(), real_name: '龙阿婆', id_number: makeIdNumber('433123', '1939-09-09', 71), phone: '', village_code: laojiazhai,
    visit_interval_days: '30', categories: 'living_alone', consent_given_by: 'self', consent_method: 'verbal',
  });
  t.equal(created.statusCode, 303, 'an elder to change');
  const elderId = Number(/\/elders\/(\d+)/.exec(String(created.headers.location))![1]);

  const badNew = await coordinator.post('/elders', { idempotency_key: randomUUID(), real_name: '田阿婆', village_code: laojiazhai, visit_interval_days: '三十', categories: 'living_alone' });
  t.equal(badNew.statusCode, 422, 'the registration form too');
  t.match(badNew.body, /id="visit_interval_days"[^>]*aria-invalid="true"/, 'its interval box is marked');
  t.match(badNew.body, /value="三十"/, 'and shows what was typed');
  await coordinator.get(`/elders/${elderId}`);
  const interval = () => testApp.db.$client.prepare('SELECT visit_interval_days FROM elders WHERE id = ?').pluck().get(elderId);
  const was = interval();
  const before = written(testApp);
  const response = await coordinator.post(`/elders/${elderId}/care`, { categories: 'living_alone', visit_interval_days: 'abc' });
  t.equal(response.statusCode, 422);
  t.match(response.body, /id="visit_interval_days"[^>]*aria-invalid="true" aria-describedby="care-visit-error"/, 'the box is marked');
  t.match(response.body, /<p class="field-error" id="care-visit-error">[^<]+<\/p>/, 'with its message');
  t.equal(interval(), was, 'the interval is unchanged');
  t.same(written(testApp), before);
});

t.test('an id in the URL that is not a number is answered like a missing record, and writes nothing', async (t) => {
  const testApp = await createTestApp();
  t.teardown(() => testApp.app.close());
  const office = await signedInAs(testApp.app, 'office');
  await office.get('/teams');
  const before = written(testApp);
  for (const url of ['/members/abc', '/elders/1x', '/teams/-3', '/members/cards?ids=1,abc']) {
    const page = await office.get(url);
    t.ok(page.statusCode === 404 || page.statusCode === 400, `${url}: ${page.statusCode}`);
    t.match(String(page.headers['content-type']), /^text\/html/, `${url}: a page`);
    t.notMatch(page.body, /"statusCode"|FST_ERR/, `${url}: not Fastify's JSON`);
  }
  for (const url of ['/teams/abc/activities', '/members/abc/status', '/elders/abc/close', '/teams/1/memberships/x/']) {
    const posted = await office.post(url, { reason: '外出务工', activity_date: '2026-11-20', place: '村部', theme: '重阳敬老', idempotency_key: randomUUID() });
    t.equal(posted.statusCode, 404, url);
    t.match(visibleText(posted.body), '找不到', `${url}: the localized 404 page`);
  }
  t.same(written(testApp), before, 'nothing written');
});

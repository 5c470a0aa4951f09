import t from 'tap';
import { eq } from 'drizzle-orm';
import { auditLog } from '../../../src/db/schema/core.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { count, createTestApp, signedInAs, visibleText } from '../../helpers/web.ts';

const laojiazhai = '433123101001';

t.test('elder registry: register with consent, health data needs separate consent, views of it are audited, scope applies', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  const form = await coordinator.get('/elders/new');
  t.equal(form.statusCode, 200);
  const before = count(db, 'elders');
  const base = { idempotency_key: crypto.randomUUID(), real_name: '龙阿婆', id_number: makeIdNumber('433123', '1939-09-09', 71), phone: '', village_code: laojiazhai, visit_interval_days: '30', family_contact_name: '龙大', family_contact_relation: '儿子', family_contact_phone: '13900001111', consent_given_by: 'self', consent_method: 'verbal' };
  const noSeparateConsent = await coordinator.request({ method: 'POST', url: '/elders', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams([['_csrf', coordinator.csrfToken], ...Object.entries(base), ['categories', 'living_alone'], ['categories', 'disabled']]).toString() });
  t.equal(noSeparateConsent.statusCode, 422);
  t.match(visibleText(noSeparateConsent.body), '须另行取得单独同意');
  const noConsent = await coordinator.post('/elders', { ...base, consent_given_by: '', categories: 'living_alone' });
  t.equal(noConsent.statusCode, 422);
  t.match(visibleText(noConsent.body), '请记录本人或家属同意登记的情况');
  t.equal(count(db, 'elders'), before, 'nothing written');
  const created = await coordinator.request({ method: 'POST', url: '/elders', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams([['_csrf', coordinator.csrfToken], ...Object.entries(base), ['categories', 'living_alone'], ['categories', 'disabled'], ['sensitive_consent', 'yes']]).toString() });
  t.equal(created.statusCode, 303);
  const location = created.headers.location as string;
  const auditsBefore = db.select().from(auditLog).where(eq(auditLog.action, 'elder.sensitive_view')).all().length;
  const shown = await coordinator.get(location);
  t.match(visibleText(shown.body), '健康信息 失能');
  t.match(visibleText(shown.body), '139****1111');
  t.equal(db.select().from(auditLog).where(eq(auditLog.action, 'elder.sensitive_view')).all().length, auditsBefore + 1, 'the view is audited');

  const list = await coordinator.get('/elders?category=living_alone');
  t.match(visibleText(list.body), '龙阿婆');
  t.notMatch(visibleText(list.body.split('<h2>')[1] ?? ''), '失能', 'the list hides health data unless asked');
  const withHealth = await coordinator.get('/elders?sensitive=1');
  t.match(visibleText(withHealth.body.split('<h2>')[1] ?? ''), '失能');
  const cityOffice = await signedInAs(app, 'office-city');
  t.equal((await cityOffice.get(location)).statusCode, 404);
  t.notMatch(visibleText((await cityOffice.get('/elders')).body), '龙阿婆');
  const volunteer = await signedInAs(app, 'volunteer');
  t.equal((await volunteer.get('/elders')).statusCode, 403);
});

t.test('an elder page updates care and takes the elder off the registry with a reason', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/elders/new');
  const created = await coordinator.post('/elders', { idempotency_key: crypto.randomUUID(), real_name: '石阿公', id_number: makeIdNumber('433123', '1941-04-04', 72), village_code: laojiazhai, categories: 'empty_nest', visit_interval_days: '30', family_contact_phone: '13900002222', consent_given_by: 'self', consent_method: 'written' });
  t.equal(created.statusCode, 303);
  const url = (created.headers.location as string).split('?')[0]!;
  await coordinator.get(url);
  const noConsent = await coordinator.post(`${url}/care`, { categories: 'severe_disability', visit_interval_days: '14' });
  t.equal(noConsent.statusCode, 422);
  t.match(visibleText(noConsent.body), '须另行取得单独同意');
  const saved = await coordinator.post(`${url}/care`, { categories: 'empty_nest', visit_interval_days: '14', family_contact_phone: '' });
  t.equal(saved.statusCode, 303);
  const row = db.$client.prepare('SELECT visit_interval_days AS days, family_contact_phone AS phone FROM elders').get() as { days: number; phone: string };
  t.same(row, { days: 14, phone: '13900002222' }, 'an empty phone field keeps the number');
  const noReason = await coordinator.post(`${url}/close`, { reason: '' });
  t.equal(noReason.statusCode, 422);
  const closed = await coordinator.post(`${url}/close`, { reason: '已迁居' });
  t.equal(closed.statusCode, 303);
  t.notMatch(visibleText((await coordinator.get('/elders')).body), '石阿公');
});

t.test("an elder's page shows the visits and services received, with a link to the full list", async (t) => {
  const { createNetworkApp, TestBrowser, demoPhone } = await import('../../helpers/web.ts');
  const { demoPassword } = await import('../../../src/domain/demo/seed.ts');
  const { app, db } = await createNetworkApp();
  t.teardown(() => app.close());
  const served = db.$client
    .prepare(`SELECT elder_id AS id, count(*) AS n, max(service_date) AS last FROM service_records WHERE status = 'approved' AND elder_id IS NOT NULL AND village_code LIKE '433123101%' GROUP BY elder_id ORDER BY n DESC LIMIT 1`)
    .get() as { id: number; n: number; last: string } | undefined;
  if (!served) return t.fail('the demo network has an elder with approved services in 山江镇');
  const coordinator = new TestBrowser(app);
  await coordinator.signIn(demoPhone('coordinator'), demoPassword);
  const page = await coordinator.get(`/elders/${served.id}`);
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  t.notMatch(text, '会在这里显示', 'no placeholder');
  t.match(text, `${served.n} 次`, 'the number of approved services');
  // Issue 14 item 3: the total reads in hours and minutes, like every other amount of time.
  const minutes = Number(db.$client.prepare("SELECT sum(duration_minutes) FROM service_records WHERE status = 'approved' AND elder_id = ?").pluck().get(served.id));
  const total = minutes < 60 ? `${minutes} 分钟` : minutes % 60 === 0 ? `${minutes / 60} 小时` : `${Math.floor(minutes / 60)} 小时 ${minutes % 60} 分`;
  t.match(text, `${served.n} 次，共 ${total}`, 'the total time in hours and minutes');
  t.match(text, served.last, 'the date of the last one');
  t.match(page.body, /<ul class="plain" id="elder-visits">\s*<li>/, 'the latest services are listed');
  t.match(page.body, `href="/coverage/elders/${served.id}"`, 'with a link to the full list');
  const never = db.$client.prepare(`SELECT e.id FROM elders e WHERE e.village_code LIKE '433123101%' AND e.status = 'active' AND NOT EXISTS (SELECT 1 FROM service_records s WHERE s.elder_id = e.id) LIMIT 1`).get() as { id: number } | undefined;
  if (never) {
    const empty = visibleText((await coordinator.get(`/elders/${never.id}`)).body);
    t.match(empty, '还没有人为这位老人记录过服务');
    t.match(empty, '已到期，请尽快探访');
  }
});

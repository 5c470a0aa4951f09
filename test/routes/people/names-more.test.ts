import t from 'tap';
import { randomUUID } from 'node:crypto';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { redemptionApp } from '../redemption/helpers.ts';

/**
 * Names refuse markup and invisible control characters at entry (issue 12,
 * item 13c) in the places test/routes/people/names.test.ts does not cover: the
 * walk-in elder's name at a service station's counter, an elder's family
 * contact (registration and care update), service-type names of the standard,
 * and activity themes. Each refusal answers 422, says why in Chinese, and
 * writes nothing.
 */
const laojiazhai = '433123101001';
const hostileNames = ['王<b>秀</b>英', '石>阿公', '龙\u0007德福', '田\u202e国建', '张\u200b明'];

type Db = Awaited<ReturnType<typeof redemptionApp>>['db'];
const rows = (db: Db, table: string) => Number(db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get());

t.test('the walk-in elder\'s name at the counter', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator'); // works site 2, a service station
  await coordinator.get('/counter/2');
  const audits = rows(db, 'audit_log');
  for (const name of hostileNames) {
    const found = await coordinator.post('/counter/2/identify-elder', { elder_name: name, elder_digits: '1234' });
    t.equal(found.statusCode, 422, JSON.stringify(name));
    t.match(visibleText(found.body), '姓名不能含 < > 符号或看不见的控制字符');
  }
  t.equal(rows(db, 'audit_log'), audits, 'nothing written');
});

t.test('an elder\'s family contact, at registration and in the care update', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/elders/new');
  const elders = rows(db, 'elders');
  let sequence = 0;
  for (const name of hostileNames) {
    sequence += 1;
    const registered = await coordinator.post('/elders', {
      idempotency_key: randomUUID(), real_name: '石阿婆', id_number: makeIdNumber('433123', '1940-03-03', 300 + sequence), village_code: laojiazhai,
      categories: 'empty_nest', visit_interval_days: '30', family_contact_name: name, family_contact_relation: '儿子', family_contact_phone: '13900002222',
      consent_given_by: 'self', consent_method: 'written',
    });
    t.equal(registered.statusCode, 422, `registration ${JSON.stringify(name)}`);
    t.match(visibleText(registered.body), '家属姓名不能含 < > 符号或看不见的控制字符');
  }
  t.equal(rows(db, 'elders'), elders, 'no elder registered');

  const elder = db.$client.prepare("SELECT e.id, e.family_contact_name AS family, e.updated_at_ms AS updatedAt FROM elders e WHERE e.village_code LIKE '433123%' AND e.status = 'active' ORDER BY e.id LIMIT 1").get() as { id: number; family: string | null; updatedAt: number };
  await coordinator.get(`/elders/${elder.id}`);
  const good = { categories: 'empty_nest', visit_interval_days: '30', family_contact_relation: '女儿', family_contact_phone: '' };
  for (const name of hostileNames) {
    const updated = await coordinator.post(`/elders/${elder.id}/care`, { ...good, family_contact_name: name });
    t.equal(updated.statusCode, 422, `care update ${JSON.stringify(name)}`);
    t.match(visibleText(updated.body), '家属姓名不能含 < > 符号或看不见的控制字符');
  }
  t.same(db.$client.prepare('SELECT family_contact_name AS family, updated_at_ms AS updatedAt FROM elders WHERE id = ?').get(elder.id), { family: elder.family, updatedAt: elder.updatedAt }, 'the elder is unchanged');
  t.equal((await coordinator.post(`/elders/${elder.id}/care`, { ...good, family_contact_name: '石小红' })).statusCode, 303, 'a plain name is saved');
});

t.test('service-type names of the standard', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  await admin.get('/hours/standard');
  const versions = rows(db, 'service_standard_versions');
  const types = rows(db, 'service_types');
  for (const name of hostileNames) {
    for (const [zh, en] of [[name, 'Visiting'], ['探访关爱', name]] as const) {
      const published = await admin.post('/hours/standard', { effective_date: '2027-06-01', note: '', code: 'visit', name_zh: zh, name_en: en, category: 'visiting', coefficient: '1.0', max_minutes: '120', active: '0' });
      t.equal(published.statusCode, 422, `type name ${JSON.stringify([zh, en])}`);
      t.match(visibleText(published.body), '第 1 行：服务类型名称不能含 < > 符号或看不见的控制字符');
    }
  }
  t.equal(rows(db, 'service_standard_versions'), versions, 'no version published');
  t.equal(rows(db, 'service_types'), types, 'no service type written');
});

t.test('activity themes', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office'); // 凤凰县
  await office.get('/teams/new');
  const created = await office.post('/teams', { idempotency_key: randomUUID(), name: '山江镇银龄服务队', sponsor_unit: '凤凰县卫健局', sponsor_kind: 'member_unit', region_code: '433123' });
  t.equal(created.statusCode, 303);
  const teamUrl = created.headers.location as string;
  await office.get(teamUrl);
  const activities = rows(db, 'team_activities');
  for (const theme of hostileNames) {
    const activity = await office.post(`${teamUrl}/activities`, { idempotency_key: randomUUID(), activity_date: '2026-10-29', place: '老家寨村文化广场', theme });
    t.equal(activity.statusCode, 422, JSON.stringify(theme));
    t.match(visibleText(activity.body), '活动主题不能含 < > 符号或看不见的控制字符');
  }
  t.equal(rows(db, 'team_activities'), activities, 'no activity written');
});

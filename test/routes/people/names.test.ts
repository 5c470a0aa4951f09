import t from 'tap';
import { randomUUID } from 'node:crypto';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { redemptionApp } from '../redemption/helpers.ts';

/**
 * Display names refuse markup and invisible control characters at entry
 * (issue 12, item 13c): members, elders, accounts, teams, partner sites and
 * their items. Each refusal says why in Chinese, answers 422, and writes nothing.
 */
const laojiazhai = '433123101001';
const hostileNames = ['王<b>秀</b>英', '<script>x</script>', '石>阿公', '龙\u0007德福', '刘\u0000德顺', '吴\u001b[31m小梅', '田\u202e国建', '张\u200b明', '李\u007f华'];

type Db = Awaited<ReturnType<typeof redemptionApp>>['db'];
const rows = (db: Db, table: string) => Number(db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get());

t.test('every form where a name is entered refuses markup and control characters', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  const office = await signedInAs(app, 'office');
  const clerk = await signedInAs(app, 'clerk');
  const admin = await signedInAs(app, 'admin');
  await admin.get('/regions/433123');
  await coordinator.get('/members/new');
  await office.get('/accounts/new');
  await clerk.get('/sites/1/manage');
  const tables = ['members', 'elders', 'users', 'teams', 'partner_sites', 'site_items', 'audit_log'];
  const before = Object.fromEntries(tables.map((table) => [table, rows(db, table)]));
  let sequence = 0;
  for (const name of hostileNames) {
    sequence += 1;
    const label = JSON.stringify(name);
    const member = await coordinator.post('/members', { idempotency_key: randomUUID(), real_name: name, phone: `1371234${String(5600 + sequence)}`, id_number: makeIdNumber('433123', '1959-08-08', 100 + sequence), village_code: laojiazhai });
    t.equal(member.statusCode, 422, `member ${label}`);
    t.match(visibleText(member.body), '姓名中不能有数字、符号（如 < >）或看不见的控制字符', `member ${label}: says why`);
    const elder = await coordinator.post('/elders', { idempotency_key: randomUUID(), real_name: name, id_number: makeIdNumber('433123', '1941-04-04', 200 + sequence), village_code: laojiazhai, categories: 'empty_nest', visit_interval_days: '30', family_contact_phone: '13900002222', consent_given_by: 'self', consent_method: 'written' });
    t.equal(elder.statusCode, 422, `elder ${label}`);
    t.match(visibleText(elder.body), '姓名中不能有数字、符号（如 < >）或看不见的控制字符', `elder ${label}: says why`);
    const account = await office.post('/accounts', { display_name: name, phone: `1390000${String(3300 + sequence)}`, role: 'coordinator', scope: 'region:433123101', temporary_password: 'linshi-2026' });
    t.equal(account.statusCode, 422, `account ${label}`);
    t.match(visibleText(account.body), '姓名不能含 < > 符号或看不见的控制字符', `account ${label}: says why`);
    const team = await office.post('/teams', { idempotency_key: randomUUID(), name, sponsor_unit: '凤凰县卫健局', sponsor_kind: 'member_unit', region_code: '433123' });
    t.equal(team.statusCode, 422, `team ${label}`);
    t.match(visibleText(team.body), '队伍名称不能含 < > 符号或看不见的控制字符', `team ${label}: says why`);
    const site = await office.post('/sites', { idempotency_key: randomUUID(), name, kind: 'love_supermarket', village_code: laojiazhai, address: '村部', opening_hours: '9-17' });
    t.equal(site.statusCode, 422, `site ${label}`);
    t.match(visibleText(site.body), '不能含 < > 符号或看不见的控制字符', `site ${label}: says why`);
    const item = await clerk.post('/sites/1/items', { name, kind: 'goods', price_hours: '0.5', stock: '12' });
    t.equal(item.statusCode, 422, `item ${label}`);
    t.match(visibleText(item.body), '不能含 < > 符号或看不见的控制字符', `item ${label}: says why`);
  }
  const regionsBefore = rows(db, 'regions');
  for (const name of hostileNames) {
    const region = await admin.post('/regions/433123/children', { code: '433123109', name_zh: name, name_en: '', kind: '' });
    t.equal(region.statusCode, 422, `region ${JSON.stringify(name)}`);
    t.match(visibleText(region.body), '名称不能含 < > 符号或看不见的控制字符', `region ${JSON.stringify(name)}: says why`);
  }
  t.equal(rows(db, 'regions'), regionsBefore, 'no region was written');
  t.same(Object.fromEntries(tables.map((table) => [table, rows(db, table)])), before, 'nothing was written');

  // The same forms still take ordinary names (the check is not a blanket refusal).
  t.equal((await office.post('/teams', { idempotency_key: randomUUID(), name: '凤凰县银龄医疗队', sponsor_unit: '凤凰县卫健局', sponsor_kind: 'member_unit', region_code: '433123' })).statusCode, 303);
  t.equal((await clerk.post('/sites/1/items', { name: '酱油 (500ml)', kind: 'goods', price_hours: '0.5', stock: '12' })).statusCode, 303);
  t.equal((await office.post('/accounts', { display_name: '石 协管', phone: '13900004455', role: 'coordinator', scope: 'region:433123101', temporary_password: 'linshi-2026' })).statusCode, 303);
});

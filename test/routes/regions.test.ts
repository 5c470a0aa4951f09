import t from 'tap';
import { count, createTestApp, signedInAs, visibleText } from '../helpers/web.ts';

/** A page without what changes from one answer to the next (the CSP nonce, the CSRF token) and the address it answered (the language form's return path). */
const samePage = (body: string, code: string) => body.replaceAll(`/regions/${code}`, '/regions/CODE').replace(/nonce="[^"]*"/g, 'nonce=""').replace(/"X-CSRF-Token": "[^"]*"/g, '"X-CSRF-Token": ""').replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');

t.test('an office user browses their subtree and nothing outside it', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const office = await signedInAs(app, 'office'); // 凤凰县
  const index = await office.get('/regions');
  t.equal(index.statusCode, 303);
  t.equal(index.headers.location, '/regions/433123');
  const county = await office.get('/regions/433123');
  t.equal(county.statusCode, 200);
  const text = visibleText(county.body);
  t.match(text, '凤凰县');
  t.match(text, '沱江镇');
  t.match(text, '山江镇');
  t.notMatch(county.body, 'href="/regions/433100"', 'the prefecture is named in the breadcrumb but not linked');
  t.notMatch(text, '添加乡镇', 'an office user cannot add regions');
  const village = await office.get('/regions/433123101001');
  t.equal(village.statusCode, 200);
  t.match(visibleText(village.body), '老家寨村');
  t.match(visibleText(village.body), '农村');

  // Outside the scope answers exactly like a code that does not exist (as the report pages do).
  const missing = await office.get('/regions/439999');
  t.equal(missing.statusCode, 404);
  for (const outside of ['430524', '430000', '433100', '430524101001']) {
    const response = await office.get(`/regions/${outside}`);
    t.equal(response.statusCode, 404, `${outside} is outside 凤凰县: 404`);
    t.equal(samePage(response.body, outside), samePage(missing.body, '439999'), `${outside}: the very page a missing code gets`);
    t.match(visibleText(response.body), '没有这个地区代码。');
    t.notMatch(visibleText(response.body), '隆回县', 'the page does not leak the region it refused');
  }
});

t.test('a city office sees its counties; the province admin sees everything', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const city = await signedInAs(app, 'office-city');
  const shaoyang = await city.get('/regions/430500');
  t.equal(shaoyang.statusCode, 200);
  for (const name of ['双清区', '隆回县', '城步苗族自治县', '邵东市']) t.match(visibleText(shaoyang.body), name);
  t.equal((await city.get('/regions/433123')).statusCode, 404);
  const admin = await signedInAs(app, 'admin');
  const hunan = await admin.get('/regions/430000');
  t.match(visibleText(hunan.body), '湘西土家族苗族自治州');
  t.match(visibleText(hunan.body), '邵阳市');
});

t.test('a coordinator sees their township only; volunteers and clerks have no region pages', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator'); // 山江镇
  t.equal((await coordinator.get('/regions/433123101')).statusCode, 200);
  t.equal((await coordinator.get('/regions/433123101002')).statusCode, 200);
  t.equal((await coordinator.get('/regions/433123100')).statusCode, 404, 'a neighbouring township: like a missing one');
  t.equal((await coordinator.get('/regions/433123')).statusCode, 404, 'the county above');
  for (const role of ['volunteer', 'clerk'] as const) {
    const browser = await signedInAs(app, role);
    const response = await browser.get('/regions/433123101001');
    t.equal(response.statusCode, 403, `${role} gets 403`);
    t.match(visibleText(response.body), '没有权限');
    t.equal((await browser.get('/regions/439999')).statusCode, 403, `${role}: the role first, whatever the code`);
    t.equal((await browser.get('/regions')).statusCode, 403);
  }
});

t.test('unknown and malformed region codes are 404 with a message', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  for (const code of ['999999', 'abc', '4301', '433123101001001', '433123%27']) {
    const response = await admin.get(`/regions/${code}`);
    t.equal(response.statusCode, 404, code);
    t.match(visibleText(response.body), '没有这个地区代码。');
  }
});

t.test('an administrator adds a township and a village', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  const county = await admin.get('/regions/433123');
  t.match(visibleText(county.body), '添加乡镇（街道）');
  const township = await admin.post('/regions/433123/children', { code: '433123103', name_zh: '廖家桥镇', name_en: 'Liaojiaqiao Town', kind: '' });
  t.equal(township.statusCode, 303);
  t.equal(township.headers.location, '/regions/433123?added=433123103');
  const row = db.$client.prepare('SELECT * FROM regions WHERE code = ?').get('433123103') as Record<string, unknown>;
  t.match(row, { parent_code: '433123', level: 'township', name_zh: '廖家桥镇', path: '/430000/433100/433123/433123103/', rural: null });
  const after = await admin.get('/regions/433123?added=433123103');
  t.match(visibleText(after.body), '已添加地区 433123103。');
  t.match(visibleText(after.body), '廖家桥镇');

  await admin.get('/regions/433123103');
  const village = await admin.post('/regions/433123103/children', { code: '433123103001', name_zh: '菖蒲塘村', name_en: '', kind: 'rural' });
  t.equal(village.statusCode, 303);
  t.match(db.$client.prepare('SELECT level, rural FROM regions WHERE code = ?').get('433123103001'), { level: 'village', rural: 1 });
  const audit = db.$client.prepare("SELECT object_id, region_code FROM audit_log WHERE action = 'region.created' ORDER BY id").all();
  t.same(audit, [
    { object_id: '433123103', region_code: '433123103' },
    { object_id: '433123103001', region_code: '433123103001' },
  ]);
});

t.test('bad region input is refused field by field and nothing is written', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  await admin.get('/regions/433123');
  const cases = [
    { url: '/regions/433123/children', form: { code: '', name_zh: '某镇', name_en: '', kind: '' }, message: '请填写区划代码。' },
    { url: '/regions/433123/children', form: { code: '43312310', name_zh: '某镇', name_en: '', kind: '' }, message: '乡镇代码应为 9 位数字。' },
    { url: '/regions/433123/children', form: { code: '43312310x', name_zh: '某镇', name_en: '', kind: '' }, message: '乡镇代码应为 9 位数字。' },
    { url: '/regions/433123/children', form: { code: '430524199', name_zh: '某镇', name_en: '', kind: '' }, message: '代码要以上级代码开头' },
    { url: '/regions/433123/children', form: { code: '433123000', name_zh: '某镇', name_en: '', kind: '' }, message: '代码要以上级代码开头' },
    { url: '/regions/433123/children', form: { code: '433123101', name_zh: '重复镇', name_en: '', kind: '' }, message: '这个区划代码已经登记过了。' },
    { url: '/regions/433123/children', form: { code: '433123150', name_zh: '   ', name_en: '', kind: '' }, message: '请填写中文名称。' },
    { url: '/regions/433123/children', form: { code: '433123150', name_zh: '镇'.repeat(41), name_en: '', kind: '' }, message: '名称太长了。' },
    { url: '/regions/433123101/children', form: { code: '43312310100', name_zh: '某村', name_en: '', kind: 'rural' }, message: '村（社区）代码应为 12 位数字。' },
    { url: '/regions/433123101/children', form: { code: '433123101009', name_zh: '某村', name_en: '', kind: '' }, message: '请选择是农村还是城镇社区。' },
    { url: '/regions/433123101/children', form: { code: '433123101009', name_zh: '某村', name_en: '', kind: 'city' }, message: '请选择是农村还是城镇社区。' },
  ];
  const regionsBefore = count(db, 'regions');
  const auditBefore = count(db, 'audit_log');
  for (const testCase of cases) {
    const response = await admin.post(testCase.url, testCase.form);
    t.equal(response.statusCode, 422, `${testCase.form.code}: 422`);
    const text = visibleText(response.body);
    t.match(text, '没有添加，请按下面的提示修改。');
    t.match(text, testCase.message, testCase.message);
    t.match(response.body, 'aria-invalid="true"', 'the field is marked invalid');
  }
  const village = await admin.post('/regions/433123101001/children', { code: '433123101001001', name_zh: 'x', name_en: '', kind: '' });
  t.equal(village.statusCode, 422);
  t.match(visibleText(village.body), '这一级地区下面不能再添加下级。');
  const city = await admin.post('/regions/433100/children', { code: '433199', name_zh: 'x', name_en: '', kind: '' });
  t.equal(city.statusCode, 422, 'counties are not added here');
  t.equal(count(db, 'regions'), regionsBefore);
  t.equal(count(db, 'audit_log'), auditBefore);
});

t.test('adding regions is for administrators within their scope', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const regionsBefore = count(db, 'regions');
  for (const role of ['office', 'coordinator', 'volunteer'] as const) {
    const browser = await signedInAs(app, role);
    await browser.get('/');
    const response = await browser.post('/regions/433123101/children', { code: '433123101077', name_zh: '某村', name_en: '', kind: 'rural' });
    t.equal(response.statusCode, 403, role);
    t.match(visibleText(response.body), '您的账户不能使用这个功能。');
  }
  t.equal(count(db, 'regions'), regionsBefore);
});

t.test('English region pages use English names and messages', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const admin = await signedInAs(app, 'admin');
  admin.cookies.set('sh_lang', 'en');
  const page = await admin.get('/regions/430524');
  t.match(page.body, '<html lang="en"');
  t.match(visibleText(page.body), 'Longhui County');
  t.match(visibleText(page.body), 'Townships and streets');
  const refused = await admin.post('/regions/430524/children', { code: '12', name_zh: '', name_en: '', kind: '' });
  t.match(visibleText(refused.body), 'A township code has 9 digits.');
  t.match(visibleText(refused.body), 'Enter the Chinese name.');
});

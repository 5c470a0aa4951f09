import t from 'tap';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { key, redemptionApp } from './helpers.ts';

/**
 * Granting a voucher to one elder (issue 14 item 14): the office finds the
 * elder by name, pinyin or village (never an internal number from the address
 * bar), picks the region from the tree (never a typed 12-digit code), and the
 * grant history names the elders.
 */
interface ElderRow { id: number; name: string; pinyin: string; initials: string; village: string; villageCode: string }

t.test('an office finds an elder by name, pinyin or village, picks regions from a list, and the history names the elder', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());
  const elderIn = (countyCode: string) => db.$client.prepare(`SELECT e.id, e.real_name AS name, e.name_pinyin AS pinyin, e.name_initials AS initials, r.name_zh AS village, r.code AS villageCode
      FROM elders e JOIN regions r ON r.code = e.village_code WHERE e.status = 'active' AND r.path LIKE ? ORDER BY e.id LIMIT 1`).get(`%/${countyCode}/%`) as ElderRow | undefined;
  const home = elderIn('433123')!;
  t.ok(home, 'a 凤凰县 elder in the demo');
  const office = await signedInAs(app, 'office'); // 凤凰县

  const form = await office.get('/vouchers');
  t.notMatch(form.body, /name="region" inputmode="numeric"/, 'no typed region code');
  t.match(form.body, /<select id="region" name="region">/, 'regions are picked from a list');
  t.match(form.body, /<option value="433123">凤凰县<\/option>/);
  t.match(form.body, new RegExp(`<option value="${home.villageCode}">　　${home.village}</option>`), 'villages in the tree, indented under their township');
  t.notMatch(form.body, /<option value="430524"/, 'no county outside the scope');
  t.notMatch(visibleText(form.body), '老人编号', 'no internal number asked for');

  const radio = new RegExp(`<input type="radio" name="elder" value="${home.id}">\\s*${home.name}（[^）]*${home.village}）`);
  for (const query of [home.name, home.pinyin, home.initials.split(' ').join(''), home.village]) {
    const found = await office.get(`/vouchers?find=${encodeURIComponent(query)}`);
    t.equal(found.statusCode, 200);
    t.match(found.body, radio, `"${query}" finds ${home.name} with the village`);
  }
  const away = elderIn('430524');
  if (away) {
    t.notMatch((await office.get(`/vouchers?find=${encodeURIComponent(away.name)}`)).body, `value="${away.id}"`, 'an elder of another county is not found');
  }
  t.match(visibleText((await office.get('/vouchers?find=%E6%97%A0%E6%AD%A4%E4%BA%BA')).body), '没有找到“无此人”');

  const granted = await office.post('/vouchers', { source: 'issuance', region: '', elder: String(home.id), category: '', amount: '1', reason: '生日慰问', idempotency_key: key() });
  t.equal(granted.statusCode, 303, visibleText(granted.body).slice(0, 300));
  const row = db.$client.prepare('SELECT elder_id AS elderId, region_code AS regionCode, elder_count AS elderCount FROM voucher_grants ORDER BY id DESC LIMIT 1').get() as { elderId: number; regionCode: string; elderCount: number };
  t.same(row, { elderId: home.id, regionCode: home.villageCode, elderCount: 1 }, 'the grant went to the elder picked, in the elder\'s village');
  const page = (await office.get(granted.headers.location as string)).body;
  t.match(page, /<table class="list-table" id="grant-history" aria-labelledby="grants-title">\s*<thead><tr><th scope="col">发放时间<\/th>/, 'the history is a table with column headers');
  const newest = visibleText(/<tbody>\s*<tr>([\s\S]*?)<\/tr>/.exec(page)?.[1] ?? '');
  t.match(newest, new RegExp(`^\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2} ${home.village} ${home.name} 1 人 × 1 小时 县发行账户 生日慰问$`), 'one row per grant; the history names the elder');

  const category = await office.post('/vouchers', { source: 'issuance', region: '433123', elder: '', category: 'disabled', amount: '2', reason: '冬季助浴', idempotency_key: key() });
  t.equal(category.statusCode, 303);
  const names = (db.$client.prepare(`SELECT e.real_name AS name FROM voucher_grant_lines l JOIN elders e ON e.id = l.elder_id
      WHERE l.grant_id = (SELECT max(id) FROM voucher_grants) ORDER BY l.id`).all() as { name: string }[]).map((entry) => entry.name);
  t.ok(names.length >= 1);
  t.match(visibleText((await office.get('/vouchers')).body), `凤凰县 ${names.slice(0, 5).join('、')}`, 'a category grant names its elders too');

  // Outside the office's area answers exactly like what does not exist: the same status and the same words, on the region field.
  const grantsBefore = db.$client.prepare('SELECT count(*) FROM voucher_grants').pluck().get() as number;
  const refusal = async (fields: { region: string; elder: string }) => {
    const answer = await office.post('/vouchers', { source: 'issuance', category: '', amount: '1', reason: '试', idempotency_key: key(), ...fields });
    return { status: answer.statusCode, problem: /<div class="error-summary"[\s\S]*?<\/div>/.exec(answer.body)?.[0].replace(/value="[^"]*"/g, '') ?? visibleText(answer.body).slice(0, 200) };
  };
  const missingElder = await refusal({ region: '', elder: '999999' });
  t.equal(missingElder.status, 422);
  t.match(missingElder.problem, '请填写您负责范围内的县或县以下的地区代码。', 'a missing elder: the region is asked for, in words');
  if (away) t.same(await refusal({ region: '', elder: String(away.id) }), missingElder, 'an elder of another county answers like a missing one');
  const missingRegion = await refusal({ region: '439999', elder: '' });
  t.same(await refusal({ region: '430524', elder: '' }), missingRegion, 'a county outside the area answers like a region that does not exist');
  t.same(missingRegion, missingElder, 'and like a missing elder');
  t.equal(db.$client.prepare('SELECT count(*) FROM voucher_grants').pluck().get(), grantsBefore, 'no refusal wrote anything');
  t.equal((db.$client.prepare('SELECT count(*) FROM voucher_grants').pluck().get() as number), 2 + (db.$client.prepare("SELECT count(*) FROM voucher_grants WHERE reason NOT IN ('生日慰问', '冬季助浴')").pluck().get() as number), 'the refusal wrote nothing');
});

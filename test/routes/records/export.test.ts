import t from 'tap';
import ExcelJS from 'exceljs';
import { openIdNumber } from '../../../src/domain/people/members/identity.ts';
import { recordHeader, volunteerHeader } from '../../../src/domain/records/national-export.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, scalar } from '../hours/helpers.ts';
import { volunteerMemberId } from './helpers.ts';

const period = { region: '433123', from: '2026-01-01', to: '2026-11-23' };

t.test('the office exports its county as xlsx: volunteers and verified records by volunteer number, no ID numbers; audited', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const office = await signedInAs(testApp.app, 'office');
  t.equal((await office.get('/records/export')).statusCode, 200);
  const response = await office.request({ method: 'POST', url: '/records/export', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: office.csrfToken, ...period, format: 'xlsx' }).toString() });
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /spreadsheetml/);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
  const volunteers = workbook.getWorksheet('志愿者')!;
  const records = workbook.getWorksheet('服务记录')!;
  t.same((volunteers.getRow(1).values as unknown[]).slice(1), volunteerHeader);
  t.same((records.getRow(1).values as unknown[]).slice(1), recordHeader);
  const memberId = volunteerMemberId(testApp);
  const number = scalar<string>(testApp, 'SELECT volunteer_number FROM members WHERE id = ?', memberId);
  const rows: unknown[][] = [];
  volunteers.eachRow((row, index) => { if (index > 1) rows.push((row.values as unknown[]).slice(1)); });
  const her = rows.find((row) => row[0] === number);
  t.ok(her, 'her row, by volunteer number');
  const minutes = scalar(testApp, "SELECT sum(duration_minutes) FROM service_records WHERE volunteer_member_id = ? AND status = 'approved' AND service_date BETWEEN '2026-01-01' AND '2026-11-23'", memberId);
  t.equal(her?.[1], '王秀英');
  t.equal(her?.[8], Math.round((minutes / 60) * 100) / 100, 'hours served in the period');
  t.equal(her?.[7], undefined, 'no star table on this branch: the star column is empty');
  const verified = scalar(testApp, "SELECT count(*) FROM service_records r JOIN regions v ON v.code = r.village_code WHERE v.path LIKE '%/433123/%' AND r.status = 'approved' AND r.service_date BETWEEN '2026-01-01' AND '2026-11-23'");
  t.equal(records.rowCount - 1, verified, 'every verified record of the county in the period, nothing else');
  const idNumber = openIdNumber(testApp.app.secrets, scalar<string>(testApp, 'SELECT id_number_ciphertext FROM members WHERE id = ?', memberId));
  t.notOk(JSON.stringify(rows).includes(idNumber), 'no ID number');
  t.same(JSON.parse(scalar<string>(testApp, "SELECT detail FROM audit_log WHERE action = 'records.export'")), { from: '2026-01-01', to: '2026-11-23', idNumbers: false });
});

t.test('CSV; ID numbers only with a reason, audited with it; refusals', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const office = await signedInAs(testApp.app, 'office');
  await office.get('/records/export');
  const csv = await office.post('/records/export', { ...period, format: 'csv' });
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /text\/csv/);
  t.match(csv.body, volunteerHeader.join(','));
  t.match(csv.body, recordHeader.join(','));
  t.notMatch(csv.body, '身份证号码');

  const noReason = await office.post('/records/export', { ...period, format: 'csv', include_id: '1', reason: '' });
  t.equal(noReason.statusCode, 422);
  t.match(visibleText(noReason.body), '导出身份证号须填写原因');
  t.equal(scalar(testApp, "SELECT count(*) FROM audit_log WHERE action = 'records.export_with_id'"), 0);
  const withId = await office.post('/records/export', { ...period, format: 'csv', include_id: '1', reason: '民政厅年度核查' });
  t.equal(withId.statusCode, 200);
  t.match(withId.body, '身份证号码');
  const idNumber = openIdNumber(testApp.app.secrets, scalar<string>(testApp, 'SELECT id_number_ciphertext FROM members WHERE id = ?', volunteerMemberId(testApp)));
  t.match(withId.body, idNumber);
  t.match(scalar<string>(testApp, "SELECT detail FROM audit_log WHERE action = 'records.export_with_id'"), '民政厅年度核查');

  const reversed = await office.post('/records/export', { ...period, from: '2026-11-23', to: '2026-01-01', format: 'csv' });
  t.equal(reversed.statusCode, 422);
  t.match(visibleText(reversed.body), '开始日期不能晚于结束日期');
  const tooLong = await office.post('/records/export', { ...period, from: '2015-01-01', format: 'csv' });
  t.equal(tooLong.statusCode, 422);
  t.match(visibleText(tooLong.body), '导出期间最长 5 年');
  const elsewhere = await office.post('/records/export', { ...period, region: '430524', format: 'csv' });
  t.equal(elsewhere.statusCode, 422);
  t.match(visibleText(elsewhere.body), '请选择您管辖范围内的地区');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get('/');
  const wrongRole = await coordinator.post('/records/export', { ...period, format: 'csv' });
  t.equal(wrongRole.statusCode, 403);
  t.match(visibleText(wrongRole.body), '您没有导出数据的权限');
  t.equal(scalar(testApp, "SELECT count(*) FROM audit_log WHERE action LIKE 'records.export%'"), 2, 'only the two exports made are audited');
});

t.test('the star column reads awarded stars from star_awards once the star levels are installed', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const sqlite = testApp.db.$client;
  const memberId = volunteerMemberId(testApp);
  // Before the star levels are merged the table is missing: a stand-in with the columns this export and the insert below use.
  sqlite.exec(`CREATE TABLE IF NOT EXISTS star_awards (id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL, star INTEGER NOT NULL, status TEXT NOT NULL,
    service_minutes INTEGER NOT NULL, village_code TEXT NOT NULL, awarding_region_code TEXT NOT NULL, proposed_at_ms INTEGER NOT NULL)`);
  const award = sqlite.prepare(`INSERT INTO star_awards (member_id, star, status, service_minutes, village_code, awarding_region_code, proposed_at_ms) VALUES (?, ?, ?, 6000, '433123101001', '433123', 0)`);
  award.run(memberId, 1, 'awarded');
  award.run(memberId, 2, 'on_notice');
  const office = await signedInAs(testApp.app, 'office');
  await office.get('/records/export');
  const csv = (await office.post('/records/export', { ...period, format: 'csv' })).body;
  const number = scalar<string>(testApp, 'SELECT volunteer_number FROM members WHERE id = ?', memberId);
  const line = csv.split('\r\n').find((row) => row.startsWith(`${number},`)) ?? '';
  t.equal(line.split(',')[7], '1', 'the awarded star, not the one still on notice');
});

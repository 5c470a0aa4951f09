import t from 'tap';
import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import { headerText, rosterColumns } from '../../../src/domain/people/import/columns.ts';
import { duplicateRefusalsPerHour } from '../../../src/domain/people/members/identity.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { count, createTestApp, signedInAs, visibleText, type TestBrowser } from '../../helpers/web.ts';

/**
 * A roster upload tells the importer, row by row, that a person is "already
 * in the system" elsewhere: a way to test many ID numbers. Such rows count
 * against the importer's hourly allowance of duplicate answers (the one the
 * registration forms use, 10 an hour); once it is used up the upload is
 * refused as a whole and writes nothing, so no further row answers.
 */
const laojiazhai = '433123101001'; // 凤凰县, the demo coordinator's township
const longhui = '430524101001'; // 隆回县, outside it

async function membersFile(rows: string[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('roster');
  sheet.addRow(rosterColumns.members.map(headerText));
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

async function upload(browser: TestBrowser, data: Buffer) {
  const boundary = `----silverhours${randomUUID()}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${browser.csrfToken}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nmembers\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="roster.xlsx"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n`),
    data, Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return browser.request({ method: 'POST', url: '/import', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
}

t.test('rows registered outside the importer\'s scope use up the hourly allowance; then the upload is refused whole', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const city = await signedInAs(app, 'office-city'); // 邵阳市 registers people in 隆回县
  await city.get('/members/new');
  const elsewhere: string[] = [];
  for (let serial = 1; serial <= 14; serial += 1) {
    const idNumber = makeIdNumber('430524', '1955-05-05', 100 + serial);
    const registered = await city.post('/members', { idempotency_key: randomUUID(), real_name: `刘${'一二三四五六七八九十甲乙丙丁'[serial - 1]}`, phone: `1370000${String(serial).padStart(4, '0')}`, id_number: idNumber, village_code: longhui });
    if (registered.statusCode !== 303) throw new Error(`registration ${serial}: ${registered.statusCode} ${visibleText(registered.body).slice(0, 400)}`);
    elsewhere.push(idNumber);
  }
  const answers = () => count(db, `audit_log WHERE action = 'registration.duplicate_refused'`);
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/import');
  const fresh = (serial: number) => ['田新', makeIdNumber('433123', '1962-02-02', serial), `1360000${String(serial).padStart(4, '0')}`, laojiazhai];
  const row = (idNumber: string, serial: number) => ['某人', idNumber, `1350000${String(serial).padStart(4, '0')}`, laojiazhai];

  // Three rows of people registered in 隆回县: answered per row, without naming them, and counted.
  const first = await upload(coordinator, await membersFile([fresh(1), ...elsewhere.slice(0, 3).map(row)]));
  t.equal(first.statusCode, 303);
  const report = visibleText((await coordinator.get(first.headers.location as string)).body);
  t.match(report, '共 4 行，正确 1 行，有错 3 行');
  t.match(report, '系统中已有此人，请联系所在县老龄办');
  t.notMatch(report, '隆回', 'no name or place of the other county');
  t.equal(answers(), 3);

  // Seven answers are left: a file with nine such rows is refused whole, and saves nothing.
  const batches = count(db, 'import_batches');
  const rows = count(db, 'import_rows');
  const second = await upload(coordinator, await membersFile([fresh(2), ...elsewhere.slice(3, 12).map((id, index) => row(id, index))]));
  t.equal(second.statusCode, 429);
  const refusal = visibleText(second.body);
  t.match(refusal, `这份名单里有太多行的人员已在其他地区登记（您一小时内最多可得到 ${duplicateRefusalsPerHour} 次这样的答复），本次上传未保存。`);
  t.notMatch(refusal, '第 ', 'no row is reported');
  t.equal(count(db, 'import_batches'), batches, 'no batch written');
  t.equal(count(db, 'import_rows'), rows, 'no row written');
  t.equal(answers(), duplicateRefusalsPerHour, 'the allowance is used up, never exceeded');

  // Now any upload is refused (a clean file too: otherwise its acceptance would answer the question), and so are the registration forms.
  const third = await upload(coordinator, await membersFile([fresh(3)]));
  t.equal(third.statusCode, 429);
  t.match(visibleText(third.body), '登记暂停一小时');
  t.equal(count(db, 'import_batches'), batches);
  t.equal(answers(), duplicateRefusalsPerHour);
});

t.test('parallel uploads through a listening server: never more answers than the allowance', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const city = await signedInAs(app, 'office-city');
  await city.get('/members/new');
  const elsewhere: string[] = [];
  for (let serial = 1; serial <= 12; serial += 1) {
    const idNumber = makeIdNumber('430524', '1956-06-06', 200 + serial);
    const registered = await city.post('/members', { idempotency_key: randomUUID(), real_name: `王${'一二三四五六七八九十甲乙'[serial - 1]}`, id_number: idNumber, village_code: longhui });
    if (registered.statusCode !== 303) throw new Error(`registration ${serial}: ${registered.statusCode}`);
    elsewhere.push(idNumber);
  }
  const coordinator = await signedInAs(app, 'coordinator');
  await coordinator.get('/import');
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const batches = count(db, 'import_batches');
  // Three files of four such rows each (12 > 10), sent at the same moment.
  const files = await Promise.all([0, 1, 2].map((file) => membersFile(elsewhere.slice(file * 4, file * 4 + 4).map((idNumber, index) => ['某人', idNumber, `1340000${file}${index}00`, laojiazhai]))));
  const answers = await Promise.all(files.map(async (data) => {
    const boundary = `----silverhours${randomUUID()}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${coordinator.csrfToken}\r\n--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nmembers\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="roster.xlsx"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n`),
      data, Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await fetch(`${address}/import`, { method: 'POST', redirect: 'manual', body, headers: { cookie: coordinator.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}` } });
    await response.arrayBuffer();
    return response.status;
  }));
  t.equal(answers.filter((status) => status === 303).length, 2, 'two files fit in the allowance');
  t.equal(answers.filter((status) => status === 429).length, 1, 'the third is refused whole');
  t.equal(count(db, `audit_log WHERE action = 'registration.duplicate_refused'`), duplicateRefusalsPerHour, 'exactly the allowance was answered');
  t.equal(count(db, 'import_batches'), batches + 2, 'the refused upload saved nothing');
});

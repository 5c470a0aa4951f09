import t from 'tap';
import ExcelJS from 'exceljs';
import { headerText, rosterColumns } from '../../../src/domain/people/import/columns.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { count, createTestApp, signedInAs, visibleText, type TestBrowser } from '../../helpers/web.ts';

const laojiazhai = '433123101001';
const tianxing = '433123102001';

async function membersFile(rows: (string | null)[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('roster');
  sheet.addRow(rosterColumns.members.map(headerText));
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

function multipart(fields: Record<string, string>, file: { name: string; data: Buffer } | null): { payload: Buffer; contentType: string } {
  const boundary = '----silverhours' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n`));
    parts.push(file.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function upload(browser: TestBrowser, fields: Record<string, string>, file: { name: string; data: Buffer } | null, csrf = true) {
  const body = multipart(csrf ? { _csrf: browser.csrfToken, ...fields } : fields, file);
  return browser.request({ method: 'POST', url: '/import', headers: { 'content-type': body.contentType }, payload: body.payload });
}

t.test('template download, upload with mixed rows, errors by row and column, import valid rows only, re-upload creates nothing', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  const index = await coordinator.get('/import');
  t.equal(index.statusCode, 200);
  const template = await coordinator.get('/import/template/members');
  t.equal(template.statusCode, 200);
  t.match(template.headers['content-type'], /spreadsheetml/);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(template.rawPayload as unknown as ArrayBuffer);
  t.equal(workbook.worksheets[0]!.getRow(1).getCell(2).value, '身份证号 ID-card number');

  const good = makeIdNumber('433123', '1961-06-06', 61);
  const file = await membersFile([
    ['田大哥', good, '13600006001', laojiazhai],
    ['田二哥', good.slice(0, 17) + (good[17] === '3' ? '4' : '3'), '13600006002', laojiazhai],
    ['田三哥', makeIdNumber('433123', '1961-06-07', 63), '13600006003', tianxing],
    ['田四哥', makeIdNumber('433123', '1961-06-08', 64), '13600006004', '433123101999'],
  ]);
  const before = count(db, 'members');
  const noCsrf = await upload(coordinator, { kind: 'members' }, { name: 'a.xlsx', data: file }, false);
  t.equal(noCsrf.statusCode, 403, 'uploads need the CSRF token like any form');
  const noFile = await upload(coordinator, { kind: 'members' }, null);
  t.equal(noFile.statusCode, 422);
  t.match(visibleText(noFile.body), '请选择要上传的 Excel 文件');
  const notExcel = await upload(coordinator, { kind: 'members' }, { name: 'a.xlsx', data: Buffer.from('hello') });
  t.equal(notExcel.statusCode, 422);
  t.match(visibleText(notExcel.body), '无法读取这个文件');

  const uploaded = await upload(coordinator, { kind: 'members' }, { name: '老家寨村.xlsx', data: file });
  t.equal(uploaded.statusCode, 303);
  const batchUrl = uploaded.headers.location as string;
  const shown = await coordinator.get(batchUrl);
  const text = visibleText(shown.body);
  t.match(text, '共 4 行，正确 1 行，有错 3 行');
  t.match(text, '第 3 行 B · 身份证号 身份证号校验位不对');
  t.match(text, '第 4 行 D · 村/社区代码 您没有权限管理“天星村”的人员');
  t.match(text, '第 5 行 D · 村/社区代码 村/社区代码“433123101999”不存在');
  t.equal(count(db, 'members'), before, 'checking writes no member');
  t.notMatch(shown.body, good);

  const english = await coordinator.get(batchUrl, { cookie: `${coordinator.cookieHeader()}; lang=en` });
  t.ok(english.statusCode === 200);

  const started = await coordinator.post(`${batchUrl}/start`, {});
  t.equal(started.statusCode, 303);
  // Let the chunked import finish (the file is read again in a worker thread, which takes a moment to start).
  for (let attempt = 0; attempt < 1500 && !visibleText((await coordinator.get(`${batchUrl}/progress`)).body).includes('导入完成'); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const progress = await coordinator.get(`${batchUrl}/progress`, { 'hx-request': 'true', 'hx-request-type': 'partial' });
  t.match(visibleText(progress.body), '导入完成：新增 1 人，跳过 0 人');
  t.notMatch(progress.body, '<html', 'the progress fragment is a fragment');
  t.equal(count(db, 'members'), before + 1);

  await coordinator.get('/import');
  const again = await upload(coordinator, { kind: 'members' }, { name: 'copy.xlsx', data: file });
  t.equal(again.headers.location, `${batchUrl}?same=1`);
  const sameShown = await coordinator.get(again.headers.location as string);
  t.match(visibleText(sameShown.body), '这个文件之前已经导入过，这次没有新增任何记录');
  await coordinator.get(batchUrl);
  await coordinator.post(`${batchUrl}/start`, {});
  t.equal(count(db, 'members'), before + 1, 're-import creates nothing');

  const cityOffice = await signedInAs(app, 'office-city');
  t.equal((await cityOffice.get(batchUrl)).statusCode, 404, 'another region cannot see the batch');
  const volunteer = await signedInAs(app, 'volunteer');
  t.equal((await volunteer.get('/import')).statusCode, 403);
});

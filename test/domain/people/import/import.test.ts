import t from 'tap';
import ExcelJS from 'exceljs';
import { importBatches, members, elders, elderCategories } from '../../../../src/db/schema/people.ts';
import { getImportBatch, listImportBatches, startImport, uploadRoster } from '../../../../src/domain/people/import/batch.ts';
import { rosterTemplate } from '../../../../src/domain/people/import/template.ts';
import { registerMember } from '../../../../src/domain/people/members/register.ts';
import { translator } from '../../../../src/i18n/index.ts';
import { peopleFixture, villages } from '../fixture.ts';
import { rosterFile } from './roster-file.ts';

const zh = translator('zh-CN');
const en = translator('en');

t.test('templates: header, ID column as text, instructions, village codes', async (t) => {
  const buffer = await rosterTemplate('members', [{ code: villages.hongqi, name: '红旗村' }]);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0]!;
  t.same((sheet.getRow(1).values as unknown[]).slice(1), ['姓名 Name', '身份证号 ID-card number', '手机号 Mobile', '村/社区代码 Village code']);
  t.equal(sheet.getColumn(2).numFmt, '@', 'ID numbers are typed as text');
  t.same(workbook.worksheets.map((s) => s.name), ['成员 Members', '说明 Instructions', '村代码 Village codes']);
  t.equal(workbook.worksheets[2]!.getRow(2).getCell(1).value, villages.hongqi);
  const elderTemplate = new ExcelJS.Workbook();
  await elderTemplate.xlsx.load((await rosterTemplate('elders')) as unknown as ArrayBuffer);
  t.equal((elderTemplate.worksheets[0]!.getRow(1).values as unknown[]).length - 1, 11);
});

t.test('a members file with good and bad rows: every error by row and column; import valid rows only; re-import creates nothing', async (t) => {
  const f = peopleFixture();
  const existing = registerMember(f.context, f.coordinatorA, { realName: '老成员', phone: '13900000000', idNumber: f.idNumber(500), villageCode: villages.hongqi });
  t.ok(existing.ok);
  const good1 = f.idNumber(501, '1962-02-02');
  const good2 = f.idNumber(502, '1963-03-03');
  const badCheck = good1.slice(0, 16) + ((Number(good1[16]) + 1) % 10) + good1[17];
  const file = await rosterFile('members', [
    ['向大山', good1, '13900000001', villages.hongqi],
    ['彭二妹', badCheck, '13900000002', villages.hongqi],
    ['田三', f.idNumber(503), '13900000003', '433123100999'],
    ['向大山', good1, '13900000004', villages.hongqi],
    ['老成员', f.idNumber(500), '13900000005', villages.hongqi],
    ['外村人', f.idNumber(504, '1960-01-01', '433122'), '13900000006', villages.xinqiao],
    ['数字号', 433123196001010000, '13900000007', villages.hongqi],
    [null, null, null, null],
    ['杨四', good2, null, villages.hongqi],
    ['未来人', f.idNumber(505, '2030-01-01'), '13900000009', villages.hongqi],
  ]);
  const uploaded = await uploadRoster(f.context, f.coordinatorA, { kind: 'members', fileName: '红旗村名册.xlsx', file });
  if (!uploaded.ok) return t.fail(JSON.stringify(uploaded));
  t.same([uploaded.value.totalRows, uploaded.value.validRows, uploaded.value.errorRows, uploaded.value.status], [9, 2, 7, 'validated'], 'the empty row is not counted');
  t.equal(f.db.select().from(members).all().length, 1, 'checking writes no member');
  const detail = getImportBatch(f.context, f.coordinatorA, uploaded.value.batchId);
  if (!detail.ok) return t.fail('detail');
  // A page number from the address bar such as ?page=2.79e+234 (found by the fuzz test) is a last page, not an error.
  const farPage = getImportBatch(f.context, f.coordinatorA, uploaded.value.batchId, 2.7944467234765493e+234);
  t.ok(farPage.ok && farPage.value.errors.length === 0, 'a far page is empty, not a failure');
  const byRow = detail.value.errors.map((row) => [row.rowNumber, row.problems.map((p) => `${p.letter}:${p.code.replace('people.error.', '')}`)]);
  t.same(byRow, [
    [3, ['B:id_check_digit']],
    [4, ['D:village_unknown']],
    [5, ['B:import_duplicate_in_file']],
    [6, ['B:import_duplicate_in_system']],
    [7, ['D:out_of_scope']],
    [8, ['B:id_not_text']],
    [11, ['B:id_birth_date_future']],
  ]);
  const messages = detail.value.errors.map((row) => row.problems.map((p) => zh(p.code, p.params))[0]);
  t.equal(messages[2], '与第 2 行重复。');
  t.equal(messages[3], '系统中已有此人：老*员（红旗村）。', 'duplicate in system names the existing person masked');
  t.equal(messages[4], '您没有权限管理“新桥村”的人员，请联系该村的协管员。');
  t.equal(en(detail.value.errors[0]!.problems[0]!.code), "The ID-card number's check digit is wrong; one digit is probably mistyped.");
  t.notOk(JSON.stringify(detail.value).includes(good1), 'no ID number in the error list');
  t.equal(getImportBatch(f.context, f.coordinatorB, uploaded.value.batchId).ok, false, 'another coordinator cannot see the batch');

  const started = startImport(f.context, f.coordinatorA, uploaded.value.batchId);
  if (!started.ok) return t.fail('start');
  const again = startImport(f.context, f.coordinatorA, uploaded.value.batchId);
  t.same(again.ok ? null : again.problems[0]!.code, 'people.error.import_already_running', 'a double click starts nothing twice');
  const done = await started.value.done;
  t.same([done.status, done.importedRows, done.skippedRows, done.processedRows], ['done', 2, 0, 2]);
  const rows = f.db.select().from(members).all();
  t.same(rows.map((m) => m.realName).sort(), ['向大山', '杨四', '老成员'].sort());
  t.ok(rows.filter((m) => m.source === 'import').every((m) => m.status === 'active' && m.cardNumber && m.importBatchId === uploaded.value.batchId));
  t.equal(f.db.select().from(importBatches).get()!.fileCiphertext, null, 'the uploaded file is dropped after import');

  const reupload = await uploadRoster(f.context, f.coordinatorA, { kind: 'members', fileName: 'copy.xlsx', file });
  t.same(reupload.ok && [reupload.value.batchId, reupload.value.sameFileAsBefore, reupload.value.status], [uploaded.value.batchId, true, 'done']);
  const restart = startImport(f.context, f.coordinatorA, uploaded.value.batchId);
  t.equal(restart.ok ? 0 : restart.status, 409);
  const sameRowsNewFile = await rosterFile('members', [['向大山', good1, '13900000001', villages.hongqi], ['杨四', good2, null, villages.hongqi], ['新人', f.idNumber(506), null, villages.hongqi]]);
  const second = await uploadRoster(f.context, f.coordinatorA, { kind: 'members', fileName: 'v2.xlsx', file: sameRowsNewFile });
  t.same(second.ok && [second.value.validRows, second.value.errorRows], [1, 2], 'rows already imported are duplicates in the system');
  t.equal(f.db.select().from(members).all().length, 3, 're-importing created nothing');
  const list = listImportBatches(f.context, f.countyOffice);
  t.same(list.ok && list.value.length, 2, 'the county office sees the village batches');
});

t.test('an ID number typed as a number cell is refused even when its rounded digits pass the check digit', async (t) => {
  const f = peopleFixture();
  // 433123196001010471 as an Excel number is the double 433123196001010496, read back as
  // "433123196001010500": a valid number (check digit 0), but not this person's.
  const typed = 433123196001010471;
  t.equal(String(typed), '433123196001010500');
  t.equal(f.idNumber(0).length, 18);
  const file = await rosterFile('members', [['数字号', typed, '13900000011', villages.hongqi], ['文本号', '433123196001010500', '13900000012', villages.hongqi]]);
  const uploaded = await uploadRoster(f.context, f.coordinatorA, { kind: 'members', fileName: 'numbers.xlsx', file });
  if (!uploaded.ok) return t.fail(JSON.stringify(uploaded));
  t.same([uploaded.value.validRows, uploaded.value.errorRows], [1, 1], 'the same digits typed as text are valid; as a number they are not');
  const detail = getImportBatch(f.context, f.coordinatorA, uploaded.value.batchId);
  if (!detail.ok) return t.fail('detail');
  t.same(detail.value.errors.map((row) => [row.rowNumber, row.problems.map((p) => `${p.letter}:${p.code}`)]), [[2, ['B:people.error.id_not_text']]]);
  t.equal(f.db.select().from(members).all().length, 0, 'checking writes no member');
});

t.test('file-level refusals: not a spreadsheet, wrong header, empty', async (t) => {
  const f = peopleFixture();
  const notXlsx = await uploadRoster(f.context, f.coordinatorA, { kind: 'members', fileName: 'a.xlsx', file: Buffer.from('name,id\n') });
  t.same(notXlsx.ok ? null : [notXlsx.status, notXlsx.problems[0]!.code], [422, 'people.error.import_file_unreadable']);
  const wrongHeader = await uploadRoster(f.context, f.coordinatorA, { kind: 'members', fileName: 'a.xlsx', file: await rosterFile('members', [['a']], { header: ['姓名', '电话'] }) });
  t.same(wrongHeader.ok ? null : zh(wrongHeader.problems[0]!.code, wrongHeader.problems[0]!.params), '表头与模板不一致（第 2 列应为“身份证号”），请下载最新模板。');
  const elderFileAsMembers = await uploadRoster(f.context, f.coordinatorA, { kind: 'elders', fileName: 'a.xlsx', file: await rosterFile('members', [['a', 'b', 'c', 'd']]) });
  t.same(elderFileAsMembers.ok ? null : elderFileAsMembers.problems[0]!.code, 'people.error.import_header_mismatch');
  const empty = await uploadRoster(f.context, f.coordinatorA, { kind: 'members', fileName: 'a.xlsx', file: await rosterFile('members', []) });
  t.same(empty.ok ? null : empty.problems[0]!.code, 'people.error.import_empty');
  t.equal(f.db.select().from(importBatches).all().length, 0);
});

t.test('an elders file: categories by Chinese label, consent columns, sensitive consent', async (t) => {
  const f = peopleFixture();
  const file = await rosterFile('elders', [
    ['龙秀英', f.idNumber(601, '1938-01-01'), null, villages.hongqi, '独居、高龄', '', '龙大', '儿子', '13800000001', '本人', ''],
    ['石老汉', f.idNumber(602, '1945-01-01'), null, villages.hongqi, '失能，低保', '15', '石二', '女儿', '', '家属', ''],
    ['吴阿婆', f.idNumber(603, '1945-01-01'), null, villages.hongqi, '失能', '15', '', '', '', '监护人', '是'],
    ['麻公公', f.idNumber(604, '1945-01-01'), null, villages.hongqi, '富裕', '', '', '', '', '本人', ''],
    ['年轻人', f.idNumber(605, '1980-01-01'), null, villages.hongqi, '独居', '', '', '', '', '', ''],
  ]);
  const uploaded = await uploadRoster(f.context, f.countyOffice, { kind: 'elders', fileName: 'elders.xlsx', file });
  if (!uploaded.ok) return t.fail(JSON.stringify(uploaded));
  const detail = getImportBatch(f.context, f.countyOffice, uploaded.value.batchId);
  t.same(detail.ok && detail.value.errors.map((row) => [row.rowNumber, row.problems.map((p) => `${p.letter}:${p.code.replace('people.error.', '')}`)]), [
    [3, ['K:sensitive_consent_required']],
    [5, ['E:category_unknown']],
    [6, ['B:elder_too_young', 'J:consent_required']],
  ]);
  const started = startImport(f.context, f.countyOffice, uploaded.value.batchId);
  if (!started.ok) return t.fail('start');
  const done = await started.value.done;
  t.equal(done.importedRows, 2);
  const rows = f.db.select().from(elders).all();
  t.same(rows.map((e) => [e.realName, e.visitIntervalDays]).sort(), [['吴阿婆', 15], ['龙秀英', 30]].sort());
  t.same(f.db.select().from(elderCategories).all().map((c) => c.category).sort(), ['advanced_age', 'disabled', 'living_alone']);
});

t.test('10,000 rows import in chunks with progress, without holding the event loop', async (t) => {
  const f = peopleFixture();
  const rows: (string | null)[][] = [];
  const surnames = '张王李赵刘陈杨黄吴周徐孙马朱胡郭何高林罗';
  const given = '秀英明华兰芳军国平红玉梅建文志强桂珍';
  for (let index = 0; index < 10_000; index += 1) {
    const birth = new Date(Date.UTC(1940, 0, 1) + index * 86_400_000).toISOString().slice(0, 10);
    const name = surnames[index % 20]! + given[Math.floor(index / 20) % 20]! + given[Math.floor(index / 400) % 20]!;
    rows.push([name, f.idNumber(index % 1000, birth), `139${String(index).padStart(8, '0')}`, index % 2 === 0 ? villages.hongqi : villages.dongzheng]);
  }
  const file = await rosterFile('members', rows);
  const started = Date.now();
  let longestStallMs = 0;
  let last = Date.now();
  const ticker = setInterval(() => { const now = Date.now(); longestStallMs = Math.max(longestStallMs, now - last); last = now; }, 5);
  const uploaded = await uploadRoster(f.context, f.countyOffice, { kind: 'members', fileName: 'big.xlsx', file });
  const checkedAt = Date.now();
  if (!uploaded.ok) { clearInterval(ticker); return t.fail(JSON.stringify(uploaded)); }
  t.same([uploaded.value.totalRows, uploaded.value.validRows], [10_000, 10_000]);
  const run = startImport(f.context, f.countyOffice, uploaded.value.batchId);
  if (!run.ok) { clearInterval(ticker); return t.fail('start'); }
  const seen: number[] = [];
  const poll = setInterval(() => {
    const progress = getImportBatch(f.context, f.countyOffice, uploaded.value.batchId, 1, 1);
    if (progress.ok) seen.push(progress.value.processedRows);
  }, 20);
  const done = await run.value.done;
  clearInterval(poll);
  clearInterval(ticker);
  t.equal(done.importedRows, 10_000);
  t.equal(f.db.select().from(members).all().length, 10_000);
  t.ok(seen.some((value) => value > 0 && value < 10_000), 'a polling page sees intermediate progress');
  t.same(seen, [...seen].sort((a, b) => a - b), 'progress only grows');
  const cards = new Set(f.db.select({ card: members.cardNumber }).from(members).all().map((row) => row.card));
  t.equal(cards.size, 10_000, 'every member has a distinct card number');
  t.comment(`10k rows: check ${checkedAt - started} ms, import ${Date.now() - checkedAt} ms, longest event-loop stall ${longestStallMs} ms`);
});

t.test('an import cut off by a restart can be claimed again after 30 minutes, and finishes without doubles', async (t) => {
  const f = peopleFixture();
  const file = await rosterFile('members', [['向一', f.idNumber(701), null, villages.hongqi], ['向二', f.idNumber(702), null, villages.hongqi]]);
  const uploaded = await uploadRoster(f.context, f.coordinatorA, { kind: 'members', fileName: 'a.xlsx', file });
  if (!uploaded.ok) return t.fail('upload');
  // Simulate a process that claimed the batch and died.
  f.db.update(importBatches).set({ status: 'importing', startedAtMs: f.clock.ms }).run();
  const tooSoon = startImport(f.context, f.coordinatorA, uploaded.value.batchId);
  t.equal(tooSoon.ok ? 0 : tooSoon.status, 409);
  f.clock.ms += 31 * 60_000;
  const resumed = startImport(f.context, f.coordinatorA, uploaded.value.batchId);
  if (!resumed.ok) return t.fail('resume');
  const done = await resumed.value.done;
  t.same([done.status, done.importedRows], ['done', 2]);
  t.equal(f.db.select().from(members).all().length, 2);
});

t.test('a row whose person is registered in another area names nobody (issue 12 item 5)', async (t) => {
  const f = peopleFixture();
  const elsewhere = registerMember(f.context, f.coordinatorA, { realName: '红旗村成员', phone: '13900000010', idNumber: f.idNumber(510), villageCode: villages.hongqi });
  t.ok(elsewhere.ok);
  const file = await rosterFile('members', [
    ['新桥人', f.idNumber(510), '13900000011', villages.xinqiao],
    ['新桥人二', f.idNumber(511, '1961-01-01', '433122'), '13900000010', villages.xinqiao],
  ]);
  const uploaded = await uploadRoster(f.context, f.coordinatorB, { kind: 'members', fileName: '新桥村名册.xlsx', file });
  if (!uploaded.ok) return t.fail(JSON.stringify(uploaded));
  const detail = getImportBatch(f.context, f.coordinatorB, uploaded.value.batchId);
  if (!detail.ok) return t.fail('detail');
  const problems = detail.value.errors.flatMap((row) => row.problems);
  t.same(problems.map((p) => `${p.letter}:${p.code}`), ['B:people.error.import_duplicate_elsewhere', 'C:people.error.import_duplicate_elsewhere']);
  t.ok(problems.every((p) => p.params === undefined), 'no name, card or village of the other member');
  t.equal(zh('people.error.import_duplicate_elsewhere'), '系统中已有此人，请联系所在县老龄办。');
});

import ExcelJS from 'exceljs';
import t, { type Test } from 'tap';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { durationPattern, minutesOfText } from '../../helpers/duration.ts';
import { createTestApp, signedInAs, visibleText } from '../../helpers/web.ts';

/** The demo network as `npm start` seeds it, at the suite's fixed instant (2026-11-23 in Shanghai). */
async function demo(t: Test) {
  const test = await createTestApp();
  t.teardown(() => test.app.close());
  await seedDemoNetwork(test.db, testSecrets(), test.clock.now());
  return test;
}

const month = '2026-11';

/** Rows of a table (by id) as arrays of cell texts. */
function tableRows(html: string, id: string): string[][] {
  const table = new RegExp(`<table[^>]*id="${id}"[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
  return [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => visibleText(cell[1]!)));
}

t.test('item 10: the county dashboard, print page, xlsx and CSV name every flow, and opening + flows = closing', async (t) => {
  const { app, db } = await demo(t);
  const office = await signedInAs(app, 'office');
  const page = await office.get(`/reports/433123?month=${month}`);
  t.equal(page.statusCode, 200);
  const rows = tableRows(page.body, 'balance').slice(1);
  t.equal(rows[0]![0], '上月末结余');
  t.equal(rows.at(-1)![0], '本月末结余');
  const opening = rows.find((row) => row[0] === '期初余额导入');
  t.ok(opening && minutesOfText(opening[1]!) > 0, `demo opening balances are a named flow: ${opening?.[1]}`);
  // Shown in hours and minutes, the figures add up exactly (no rounding of decimal hours).
  const numbers = rows.map((row) => minutesOfText(row[1]!));
  t.notOk(numbers.some(Number.isNaN), `every figure reads as hours and minutes: ${rows.map((row) => row[1]).join(' | ')}`);
  const sum = numbers.slice(0, -1).reduce((a, b) => a + b, 0);
  t.equal(sum, numbers.at(-1), '上月末结余 + flows = 本月末结余, to the minute');
  // What the database holds: the closing balance is the sum of the county's wallets and voucher accounts.
  const held = db.$client.prepare(`SELECT sum(a.credits_posted - a.debits_posted) FROM ledger_accounts a
    LEFT JOIN members m ON a.id = 'wallet:m' || m.id LEFT JOIN elders e ON a.id = 'voucher:e' || e.id
    WHERE coalesce(m.village_code, e.village_code) LIKE '433123%'`).pluck().get() as number;
  t.equal(numbers.at(-1), held, '本月末结余 is what the ledger holds for the county');

  const print = await office.get(`/reports/433123/monthly?month=${month}`);
  t.match(visibleText(print.body), new RegExp(`积分结余变动 指标 单位 本月截至今日（2026-11） 上月末结余 小时 ${durationPattern} 期初余额导入 小时 ${durationPattern} `), 'the print page in hours and minutes');
  t.notMatch(visibleText(print.body), /小时 -?\d+\.\d/, 'no decimal hours after a 小时 unit on the print page');
  const csv = await office.get(`/reports/433123/monthly.csv?month=${month}`);
  t.match(csv.body, /积分结余变动\r\n指标,单位,本月截至今日（2026-11）\r\n上月末结余,小时,[\d.]+\r\n期初余额导入,小时,[\d.]+/);
  const xlsx = await office.request({ method: 'GET', url: `/reports/433123/monthly.xlsx?month=${month}` });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('积分结余变动')!;
  t.ok(sheet, 'a sheet for the balance');
  const values = sheet.getSheetValues().slice(2).map((row) => (row as unknown[])[3] as number);
  const flows = values.slice(0, -1).reduce((a, b) => a + b, 0);
  t.ok(Math.abs(flows - values.at(-1)!) < 0.01 * values.length, 'the sheet adds up');
});

t.test('items 11 and 12: the city dashboard shows inbound clearing and settlements by county name, on screen, print page, xlsx and CSV', async (t) => {
  const { app, db } = await demo(t);
  const admin = await signedInAs(app, 'admin');
  await admin.get('/clearing');
  const settled = await admin.post('/clearing/settlements', { from: '433123', to: '430524', amount: '2', note: '2026 年 11 月结算', idempotency_key: '6f1c2a4e-0b7d-4c1e-9a55-1d2e3f405162' });
  t.equal(settled.statusCode, 303, 'the province settles 凤凰县 -> 隆回县');
  t.equal(db.$client.prepare("SELECT amount_minutes FROM clearing_settlements WHERE from_county_code = '433123' AND to_county_code = '430524'").pluck().get(), 120);

  const city = await signedInAs(app, 'office-city');
  const page = await city.get(`/reports/430500?month=${month}`);
  t.equal(page.statusCode, 200);
  // 凤凰县 is outside 邵阳市, but its members spent 2.5 h at 隆回县's love supermarket.
  t.same(tableRows(page.body, 'dashboard-clearing').slice(1).filter((row) => row[1] === '隆回县'), [['凤凰县', '隆回县', '2 小时 30 分']], 'inbound clearing');
  t.same(tableRows(page.body, 'dashboard-settlements').slice(1), [['凤凰县', '隆回县', '2 小时']], 'the settlement');
  t.notMatch(visibleText(page.body), /跨县清算 本月没有记录/);
  // The city's ledger page agrees.
  const ledger = await city.get(`/reports/430500/ledger?month=${month}`);
  t.ok(tableRows(ledger.body, 'clearing').slice(1).some((row) => row[0] === '凤凰县' && row[1] === '隆回县' && row[2] === '2 小时 30 分'), 'ledger page: inbound clearing');
  t.same(tableRows(ledger.body, 'settlements').slice(1).map((row) => row.slice(1, 4)), [['凤凰县', '隆回县', '2 小时']], 'ledger page: the settlement');

  // The county itself sees the same (outbound), and 吉首市's office view (the province here) both ways.
  const county = await signedInAs(app, 'office');
  const own = await county.get(`/reports/433123?month=${month}`);
  t.same(tableRows(own.body, 'dashboard-settlements').slice(1), [['凤凰县', '隆回县', '2 小时']]);
  t.ok(tableRows(own.body, 'dashboard-clearing').slice(1).some((row) => row[0] === '吉首市' && row[1] === '凤凰县'), '凤凰县 sees what 吉首市 members spent at its sites');

  // Item 11: names, not codes, wherever the flows are printed.
  const print = await city.get(`/reports/430500/monthly?month=${month}`);
  // The 跨县清算 section alone (the month-end checkpoint section follows it, issue 17).
  const clearingStart = print.body.lastIndexOf('<section', print.body.indexOf('跨县清算</h2>'));
  const printed = visibleText(print.body.slice(clearingStart, print.body.indexOf('</section>', clearingStart)));
  t.match(printed, '凤凰县 隆回县 2 小时 30 分 跨县兑换');
  t.match(printed, '凤凰县 隆回县 2 小时 结算');
  t.notMatch(printed, /433123|430524/, 'no county code in the 跨县清算 section of the print page');
  const xlsx = await city.request({ method: 'GET', url: `/reports/433123/monthly.xlsx?month=${month}` });
  t.equal(xlsx.statusCode, 404, 'the city office cannot export 凤凰县 (answered like a missing region)');
  const own11 = await county.request({ method: 'GET', url: `/reports/433123/monthly.xlsx?month=${month}` });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(own11.rawPayload as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('跨县清算')!;
  const cells = sheet.getSheetValues().slice(2).map((row) => (row as unknown[]).slice(1, 3));
  t.ok(cells.length >= 3, 'redemptions both ways and the settlement');
  t.ok(cells.every((pair) => pair.every((cell) => typeof cell === 'string' && /[县市区]$/.test(cell))), `county names in 跨县清算: ${JSON.stringify(cells)}`);
  t.ok(cells.some((pair) => pair[0] === '凤凰县' && pair[1] === '隆回县'));
  t.ok(cells.some((pair) => pair[0] === '吉首市' && pair[1] === '凤凰县'));
  const csv = await county.get(`/reports/433123/monthly.csv?month=${month}`);
  t.match(csv.body, '凤凰县,吉首市,');
  t.notMatch(csv.body.slice(csv.body.indexOf('跨县清算'), csv.body.indexOf('月末账本校验点')), /4331\d\d|4305\d\d/, 'no codes in the CSV clearing section');
});

t.test('item 10b: early in a month the first dashboard is labelled 本月截至今日 beside the last full month, and the demo has this month\'s activity', async (t) => {
  const decemberFifth = Date.UTC(2026, 11, 5, 2, 0, 0); // 2026-12-05 10:00 in Shanghai
  const test = await createTestApp({ clock: () => decemberFifth });
  t.teardown(() => test.app.close());
  await seedDemoNetwork(test.db, testSecrets(), decemberFifth);
  const approvedThisMonth = test.db.$client.prepare("SELECT count(*) FROM service_records WHERE status = 'approved' AND service_date >= '2026-12-01'").pluck().get() as number;
  t.ok(approvedThisMonth > 0, `the demo carries approved service into the current month (${approvedThisMonth})`);
  t.ok((test.db.$client.prepare("SELECT count(*) FROM service_records WHERE status = 'pending'").pluck().get() as number) > 0, 'and still leaves records in the queue');

  const office = await signedInAs(test.app, 'office');
  const page = await office.get('/reports/433123');
  t.equal(page.statusCode, 200);
  const summary = page.body.slice(page.body.indexOf('summary-title'));
  const header = /<thead><tr>([\s\S]*?)<\/tr><\/thead>/.exec(summary)![1]!;
  t.match(visibleText(header), '指标 本月截至今日（2026-12） 上月（2026-11） 去年同月（2025-12）');
  t.match(visibleText(page.body), '2026-12 还没有结束：本月的数字截至今日');
  const serviceRow = [...summary.matchAll(/<tr><th scope="row">服务时长（小时）<\/th><td class="num">([^<]+)<\/td><td class="num">([^<]+)<\/td>/g)][0];
  t.ok(serviceRow && minutesOfText(serviceRow[1]!) > 0 && minutesOfText(serviceRow[2]!) > 0, `service hours this month to date and last month are not zero (${serviceRow?.[1]}, ${serviceRow?.[2]})`);
  const csv = await office.get('/reports/433123/monthly.csv');
  t.match(csv.body, '指标,单位,本月截至今日（2026-12）,上月（2026-11）');
  // A month already over is labelled as a plain month.
  const november = await office.get('/reports/433123?month=2026-11');
  t.notMatch(visibleText(november.body), '本月截至今日');
  t.match(visibleText(november.body), '本月（2026-11）');
});

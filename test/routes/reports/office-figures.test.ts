import ExcelJS from 'exceljs';
import t, { type Test } from 'tap';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
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
  t.ok(opening && Number(opening[1]) > 0, `demo opening balances are a named flow: ${opening?.[1]} h`);
  const numbers = rows.map((row) => Math.round(Number(row[1]) * 100));
  const sum = numbers.slice(0, -1).reduce((a, b) => a + b, 0);
  t.ok(Math.abs(sum - numbers.at(-1)!) <= numbers.length, `上月末结余 + flows = 本月末结余 (${sum / 100} vs ${numbers.at(-1)! / 100}, rounding only)`);
  // What the database holds: the closing balance is the sum of the county's wallets and voucher accounts.
  const held = db.$client.prepare(`SELECT sum(a.credits_posted - a.debits_posted) FROM ledger_accounts a
    LEFT JOIN members m ON a.id = 'wallet:m' || m.id LEFT JOIN elders e ON a.id = 'voucher:e' || e.id
    WHERE coalesce(m.village_code, e.village_code) LIKE '433123%'`).pluck().get() as number;
  t.equal(rows.at(-1)![1], String(Math.round((held / 60) * 100) / 100), '本月末结余 is what the ledger holds for the county');

  const print = await office.get(`/reports/433123/monthly?month=${month}`);
  t.match(visibleText(print.body), /积分结余变动 指标 单位 本月（2026-11） 上月末结余 小时 [\d.]+ 期初余额导入 小时 [\d.]+/);
  const csv = await office.get(`/reports/433123/monthly.csv?month=${month}`);
  t.match(csv.body, /积分结余变动\r\n指标,单位,本月（2026-11）\r\n上月末结余,小时,[\d.]+\r\n期初余额导入,小时,[\d.]+/);
  const xlsx = await office.request({ method: 'GET', url: `/reports/433123/monthly.xlsx?month=${month}` });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('积分结余变动')!;
  t.ok(sheet, 'a sheet for the balance');
  const values = sheet.getSheetValues().slice(2).map((row) => (row as unknown[])[3] as number);
  const flows = values.slice(0, -1).reduce((a, b) => a + b, 0);
  t.ok(Math.abs(flows - values.at(-1)!) < 0.01 * values.length, 'the sheet adds up');
});

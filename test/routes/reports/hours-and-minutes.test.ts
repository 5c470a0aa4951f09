import t from 'tap';
import { randomUUID } from 'node:crypto';
import { minutesOfText } from '../../helpers/duration.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, scalar } from '../hours/helpers.ts';

/**
 * Issue 14 item 3 (one way to show time): every page and print page shows
 * time as 小时 + 分 through src/lib/duration.ts, never as decimal hours.
 * Spreadsheets keep a numeric hours column under a 小时 header (checked in
 * office-figures.test.ts).
 */

/** Cells of one table (by id), each row an array of cell texts. */
function tableRows(html: string, id: string): string[][] {
  const table = new RegExp(`<table[^>]*id="${id}"[\\s\\S]*?</table>`).exec(html)?.[0] ?? '';
  return [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => visibleText(cell[1]!)));
}

/** A 90-minute visit logged by the demo volunteer on 2026-11-22 and approved. */
async function ninetyMinutes(testApp: Awaited<ReturnType<typeof createHoursApp>>) {
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const logged = await volunteer.post('/hours', {
    idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '2026-11-22', start_time: '05:00', end_time: '06:30', village_code: '433123101001',
  });
  const id = Number(/records\/(\d+)/.exec(logged.headers.location as string)![1]);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.post(`/hours/records/${id}/approve`, {});
  return scalar(testApp, 'SELECT member_id FROM users WHERE phone = ?', '13800000001');
}

t.test('the volunteer roster report shows service, credit and balance in 小时 + 分', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const memberId = await ninetyMinutes(testApp);
  const office = await signedInAs(testApp.app, 'office');
  const page = await office.get('/reports/433123/roster?from=2026-11&to=2026-11');
  t.equal(page.statusCode, 200);
  const rows = tableRows(page.body, 'roster').slice(1);
  t.ok(rows.length > 0, 'volunteers are listed');
  // Columns: volunteer number, name, village, …; service, credit and balance are the 7th to 9th.
  const times = rows.flatMap((row) => row.slice(6, 9));
  t.same(times.filter((cell) => Number.isNaN(minutesOfText(cell))), [], 'every time cell reads as hours and minutes');
  t.notOk(times.some((cell) => /\d\.\d/.test(cell)), 'no decimal hours');
  // The volunteer's row: what the database holds, to the minute.
  const name = scalar<string>(testApp, 'SELECT real_name FROM members WHERE id = ?', memberId);
  const row = rows.find((cells) => cells[1] === `${name[0]}*${name.at(-1)}`)!;
  t.ok(row, 'the volunteer is on the roster');
  const served = scalar(testApp, "SELECT sum(duration_minutes) FROM service_records WHERE volunteer_member_id = ? AND status = 'approved' AND service_date BETWEEN '2026-11-01' AND '2026-11-30'", memberId);
  t.equal(minutesOfText(row[6]!), served, `service this month: ${row[6]}`);
  const balance = scalar(testApp, 'SELECT credits_posted - debits_posted FROM ledger_accounts WHERE id = ?', `wallet:m${memberId}`);
  t.equal(minutesOfText(row[8]!), balance, `balance: ${row[8]}`);
  t.ok(times.some((cell) => / \d+ 分$/.test(cell)), 'a figure with minutes is shown as such (the 90-minute visit)');
});

t.test('the service standard shows the daily maximum in 小时 + 分, and the refusal says it the same way', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  // A daily maximum that is not whole hours (set by an operator in the settings table).
  testApp.db.$client.prepare("INSERT INTO settings (key, value, updated_at_ms) VALUES ('hours.daily_max_minutes', '90', 0) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run();
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const standard = visibleText((await volunteer.get('/hours/standard')).body);
  t.match(standard, '每人每天最多登记（小时） 1 小时 30 分');
  t.notMatch(standard, '1.5', 'no decimal hours');
  await volunteer.get('/hours/new');
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const before = scalar(testApp, 'SELECT count(*) FROM service_records');
  const refused = await volunteer.post('/hours', {
    idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '2026-11-22', start_time: '05:00', end_time: '06:45', village_code: '433123101001',
  });
  t.equal(refused.statusCode, 422);
  t.match(visibleText(refused.body), '每人每天最多登记 1 小时 30 分，这一天已经登记了 0 分钟。');
  t.notMatch(visibleText(refused.body), '1.5 小时');
  t.equal(scalar(testApp, 'SELECT count(*) FROM service_records'), before, 'nothing written');
});

t.test('dashboard, ledger page and transparency page show time in 小时 + 分; the chart labels too', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  await ninetyMinutes(testApp);
  const office = await signedInAs(testApp.app, 'office');
  const dashboard = await office.get('/reports/433123?month=2026-11');
  const summaryHtml = dashboard.body.slice(dashboard.body.indexOf('id="summary-title"'));
  const summary = tableRows(summaryHtml.replace('<table class="figures">', '<table id="summary">'), 'summary').slice(1).find((row) => row[0] === '服务时长（小时）')!;
  t.ok(summary, 'the summary has a service time row');
  t.same(summary.slice(1).map((cell) => Number.isNaN(minutesOfText(cell))), [false, false, false], `service time this month, last month, last year: ${summary.slice(1).join(' | ')}`);
  const balance = tableRows(dashboard.body, 'balance').slice(1);
  t.ok(balance.length > 1 && balance.every((row) => !Number.isNaN(minutesOfText(row[1]!))), 'the month-end figures in hours and minutes');
  const chart = /<svg class="chart" id="chart-trend"[\s\S]*?<\/svg>/.exec(dashboard.body)?.[0] ?? '';
  const values = /<g font-size="13">([\s\S]*?)<\/g>/.exec(chart)?.[1] ?? '';
  const labels = [...values.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]!);
  t.ok(labels.length > 0 && labels.every((label) => !Number.isNaN(minutesOfText(label))), `trend chart values: ${labels.join(' | ')}`);
  const ledger = await office.get('/reports/433123/ledger?month=2026-11');
  const ledgerCells = [...ledger.body.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((match) => match[1]!);
  t.ok(ledgerCells.length > 0 && ledgerCells.every((cell) => !Number.isNaN(minutesOfText(cell))), `ledger page: ${ledgerCells.slice(0, 6).join(' | ')}`);
  const transparency = await testApp.app.inject({ url: '/transparency' });
  const publicCells = [...transparency.body.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((match) => match[1]!).filter((cell) => !/^\d+$/.test(cell));
  t.ok(publicCells.length > 0 && publicCells.every((cell) => !Number.isNaN(minutesOfText(cell))), `transparency page: ${publicCells.slice(0, 6).join(' | ')}`);
});

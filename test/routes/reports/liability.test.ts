import ExcelJS from 'exceljs';
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { translator } from '../../../src/i18n/index.ts';
import { createNetworkApp, listeningAs, signedInAs, visibleText, type TestApp } from '../../helpers/web.ts';

/** Issue 20 through HTTP: the liability page, the fund entries and their refusals, the dashboard, the exports and /transparency. */
const zh = translator('zh-CN');

async function networkApp(t: Test): Promise<TestApp> {
  const test = await createNetworkApp();
  t.teardown(() => test.app.close());
  return test;
}

const fundState = (test: TestApp) => ({
  entries: test.db.$client.prepare('SELECT count(*) FROM fund_entries').pluck().get(),
  transfers: test.db.$client.prepare('SELECT count(*) FROM ledger_transfers').pluck().get(),
  audit: test.db.$client.prepare("SELECT count(*) FROM audit_log WHERE action LIKE 'fund.%'").pluck().get(),
  network: test.db.$client.prepare("SELECT credits_posted - debits_posted FROM ledger_accounts WHERE id = 'fund:network'").pluck().get(),
});

t.test('the demo network has a fund; the city office reads liability in its scope, another county answers like a missing one', async (t) => {
  const test = await networkApp(t);
  t.equal(fundState(test).network, 24_880_000, 'demo: ¥200,000 + ¥50,000 - ¥1,200');
  const city = await signedInAs(test.app, 'office-city');
  const start = await city.get('/reports/liability');
  t.equal(start.statusCode, 303);
  t.equal(start.headers.location, '/reports/430500/liability');
  const page = await city.get('/reports/430500/liability?month=2026-11');
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  t.match(text, '邵阳市 · 负债与保障基金');
  t.match(text, '按持有人年龄段（兑换年龄 60 岁）');
  t.match(text, '隆回县');
  t.match(text, 'R_y = round(q × e_y × H_{y−1})', 'the projection formula is on the page');
  const outside = await city.get('/reports/433123/liability');
  const missing = await city.get('/reports/431199/liability');
  t.equal(outside.statusCode, 404, 'a county of another city');
  t.equal(missing.statusCode, 404);
  t.equal(visibleText(outside.body).replace(/\d+/g, ''), visibleText(missing.body).replace(/\d+/g, ''), 'the same page as a missing region');
  const volunteer = await signedInAs(test.app, 'volunteer');
  t.equal((await volunteer.get('/reports/430500/liability')).statusCode, 403);
});

t.test('fund entries: refusals name what is wrong in Chinese and write nothing; scope is enforced', async (t) => {
  const test = await networkApp(t);
  const admin = await signedInAs(test.app, 'admin');
  await admin.get('/reports/fund');
  const before = fundState(test);
  const cases: [Record<string, string>, number, string][] = [
    [{ scope: 'network', kind: 'contribution', amount: '-100', source: 'fiscal' }, 422, zh('liability.error.amount_negative')],
    [{ scope: 'network', kind: 'contribution', amount: '10.005', source: 'fiscal' }, 422, zh('liability.error.amount_fraction')],
    [{ scope: 'network', kind: 'contribution', amount: '0', source: 'fiscal' }, 422, zh('liability.error.amount_zero')],
    [{ scope: 'network', kind: 'contribution', amount: '一百', source: 'fiscal' }, 422, zh('liability.error.amount_invalid')],
    // A comma that does not group thousands is a slip, never deleted: 30,50 is not ¥3,050.
    [{ scope: 'network', kind: 'contribution', amount: '30,50', source: 'fiscal' }, 422, zh('liability.error.amount_comma')],
    [{ scope: 'network', kind: 'contribution', amount: '1000，50', source: 'fiscal' }, 422, zh('liability.error.amount_comma')],
    [{ scope: 'network', kind: 'contribution', amount: '1,5', source: 'fiscal' }, 422, zh('liability.error.amount_comma')],
    [{ scope: 'network', kind: 'contribution', amount: '10,00,000', source: 'fiscal' }, 422, zh('liability.error.amount_comma')],
    [{ scope: 'network', kind: 'contribution', amount: '100', source: 'lottery' }, 422, zh('liability.error.source_invalid')],
    [{ scope: 'network', kind: 'payout', amount: '100', note: '' }, 422, zh('liability.error.payout_note_required')],
    [{ scope: 'network', kind: 'payout', amount: '248800.01', note: '超额' }, 409, zh('liability.error.exceeds_balance', { balance: '248,800.00' })],
  ];
  for (const [form, status, message] of cases) {
    const answer = await admin.post('/reports/fund/entries', form);
    t.equal(answer.statusCode, status, `${JSON.stringify(form)}: ${status}`);
    t.match(visibleText(answer.body), message, message);
  }
  t.same(fundState(test), before, 'nothing written by any refusal');
  const office = await signedInAs(test.app, 'office');
  await office.get('/reports/fund');
  t.equal((await office.post('/reports/fund/entries', { scope: 'network', kind: 'contribution', amount: '1', source: 'fiscal' })).statusCode, 404, 'a county office does not keep the network fund');
  t.equal((await office.post('/reports/fund/entries', { scope: '433101', kind: 'contribution', amount: '1', source: 'fiscal' })).statusCode, 404, 'nor another county\'s');
  t.same(fundState(test), before);
  const saved = await office.post('/reports/fund/entries', { scope: '433123', kind: 'contribution', amount: '1,000.50', source: 'charity', note: '县慈善会' });
  t.equal(saved.statusCode, 303);
  t.equal(test.db.$client.prepare("SELECT credits_posted - debits_posted FROM ledger_accounts WHERE id = 'fund:433123'").pluck().get(), 3_000_000 + 100_050);
  t.same(test.db.$client.prepare('SELECT amount_fen AS fen, source, note FROM fund_entries ORDER BY id DESC LIMIT 1').get(), { fen: 100_050, source: 'charity', note: '县慈善会' });
  t.match(visibleText((await office.get('/reports/fund?saved=entry')).body), '县慈善会');
});

t.test('valuation rates: only the top office, never for a past date', async (t) => {
  const test = await networkApp(t);
  const admin = await signedInAs(test.app, 'admin');
  await admin.get('/reports/fund');
  const past = await admin.post('/reports/fund/rates', { effective_from: '2026-11-22', yuan_per_hour: '35' });
  t.equal(past.statusCode, 422);
  t.match(visibleText(past.body), zh('liability.error.date_not_future', { today: '2026-11-23' }));
  const today = await admin.post('/reports/fund/rates', { effective_from: '2026-11-23', yuan_per_hour: '35' });
  t.equal(today.statusCode, 422, 'not for today either');
  t.match(visibleText(today.body), zh('liability.error.date_not_future', { today: '2026-11-23' }));
  for (const missing of ['2027-02-29', '2027-02-30', '2027-04-31', '2027-13-01', '2027-1-5']) {
    const refused = await admin.post('/reports/fund/rates', { effective_from: missing, yuan_per_hour: '35' });
    t.equal(refused.statusCode, 422, `${missing} is not a day`);
    t.match(visibleText(refused.body), zh('liability.error.date_invalid'), `${missing}: asked for a real date`);
  }
  t.equal(test.db.$client.prepare('SELECT count(*) FROM fund_valuation_rates').pluck().get(), 1, 'no rate written for a day that does not exist');
  const ok = await admin.post('/reports/fund/rates', { effective_from: '2027-01-01', yuan_per_hour: '35' });
  t.equal(ok.statusCode, 303);
  const twice = await admin.post('/reports/fund/rates', { effective_from: '2027-01-01', yuan_per_hour: '36' });
  t.equal(twice.statusCode, 409, 'one rate per date');
  t.match(visibleText(twice.body), zh('liability.error.date_taken', { date: '2027-01-01' }));
  t.match(visibleText((await admin.get('/reports/fund')).body), '2027-01-01 · ¥35.00/h · 即将生效');
  const office = await signedInAs(test.app, 'office');
  await office.get('/reports/fund');
  t.equal((await office.post('/reports/fund/rates', { effective_from: '2027-02-01', yuan_per_hour: '40' })).statusCode, 403);
  t.equal(test.db.$client.prepare('SELECT count(*) FROM fund_valuation_rates').pluck().get(), 2);
});

t.test('parallel payouts through a real server never take the fund below zero', async (t) => {
  const test = await listeningAs('admin', () => createNetworkApp());
  t.teardown(() => test.app.close());
  await test.client.get('/reports/fund');
  // ¥248,800 in the fund: four payouts of ¥50,000 fit, the fifth would not.
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => test.client.post('/reports/fund/entries', { scope: 'network', kind: 'payout', amount: '50000', note: `兑付 ${i}` })));
  t.equal(answers.filter((answer) => answer.status === 303).length, 4, 'four paid');
  t.equal(answers.filter((answer) => answer.status === 409).length, 6, 'six refused');
  t.equal(fundState(test).network, 4_880_000);
  t.equal(test.db.$client.prepare("SELECT count(*) FROM fund_entries WHERE kind = 'payout'").pluck().get(), 1 + 4, 'the demo payout and four more; refused ones left no row');
  t.ok(verifyLedger(test.db.$client).ok, 'the ledger verifies on both commodities');
});

t.test('a contribution sent six times at once under one form key is recorded once; the key with another amount is refused', async (t) => {
  const test = await listeningAs('admin', () => createNetworkApp());
  t.teardown(() => test.app.close());
  await test.client.get('/reports/fund');
  const before = fundState(test);
  const form = { scope: 'network', kind: 'contribution', amount: '1000', source: 'charity', note: '重复提交', idempotency_key: randomUUID() };
  const answers = await Promise.all(Array.from({ length: 6 }, () => test.client.post('/reports/fund/entries', form)));
  t.same(answers.map((answer) => answer.status), [303, 303, 303, 303, 303, 303], 'every tap answers as the first did');
  t.equal(fundState(test).entries, (before.entries as number) + 1, 'one entry');
  t.equal(fundState(test).network, (before.network as number) + 100_000, 'booked once');
  const reused = await test.client.post('/reports/fund/entries', { ...form, amount: '2000' });
  t.equal(reused.status, 409);
  t.match(visibleText(reused.body), zh('common.error.idempotency_conflict'));
  t.equal(fundState(test).entries, (before.entries as number) + 1, 'nothing more written');
});

t.test('the dashboard, the monthly report (print, xlsx, CSV) and /transparency carry the figures', async (t) => {
  const test = await networkApp(t);
  const admin = await signedInAs(test.app, 'admin');
  const dashboard = await admin.get('/reports/430000?month=2026-11');
  t.equal(dashboard.statusCode, 200);
  const text = visibleText(dashboard.body);
  t.match(text, zh('liability.figure.coverage'));
  t.match(text, zh('liability.figure.redemptionRate'));
  t.match(dashboard.body, /href="\/reports\/430000\/liability\?month=2026-11"/);
  const print = await admin.get('/reports/430000/monthly?month=2026-11');
  t.match(visibleText(print.body), '未来 5 年预测');
  const csv = await admin.get('/reports/430000/monthly.csv?month=2026-11');
  t.match(csv.body, '各县兑换率与覆盖率（兑换率目标 20%）');
  t.match(csv.body, '保障基金（元）');
  const xlsx = await admin.get('/reports/430000/monthly.xlsx?month=2026-11');
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const names = workbook.worksheets.map((sheet) => sheet.name);
  t.ok(names.some((name) => name.startsWith('负债与覆盖率')), `a liability sheet among ${names.join(', ')}`);
  const pub = await test.app.inject({ method: 'GET', url: '/transparency' });
  t.equal(pub.statusCode, 200);
  const publicText = visibleText(pub.body);
  t.match(publicText, '网络负债与保障基金');
  t.match(pub.body, /id="public-fund">278,800.00</, 'the network fund ¥248,800 and 凤凰\'s own ¥30,000');
  t.match(pub.body, /id="public-coverage">\d+(\.\d)?</, 'coverage shown (a rate of ¥30/h is in force)');
  t.notMatch(publicText, /1[3-9]\d{9}/, 'no phone number');
});

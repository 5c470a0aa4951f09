import t from 'tap';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { key, redemptionApp, tableCounts } from './helpers.ts';

/** The matrix as { 'from>to': cell text }. */
function matrixCells(html: string): Record<string, string> {
  const table = /<table id="settlement-matrix">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  const columns = [...(/<thead>([\s\S]*?)<\/thead>/.exec(table)?.[1] ?? '').matchAll(/<th scope="col">([^<]+)/g)].slice(1).map((match) => match[1]!.trim());
  const cells: Record<string, string> = {};
  for (const row of table.matchAll(/<tr><th scope="row">([^<]+)[\s\S]*?<\/tr>/g)) {
    const tds = [...row[0].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((match) => visibleText(match[1]!));
    tds.forEach((text, index) => { cells[`${row[1]!.trim()}>${columns[index]}`] = text; });
  }
  return cells;
}

t.test('settlement matrix: positions in scope, 结算 only where the actor may settle, counties picked from lists, who settles the rest', async (t) => {
  const { app, db } = await redemptionApp();
  t.teardown(() => app.close());

  // 邵阳市 holds 隆回县 (owed) but not 凤凰县 (owes): it sees the pair, and who settles it; no form it could never use.
  const city = await signedInAs(app, 'office-city');
  const cityPage = await city.get('/clearing');
  t.equal(cityPage.statusCode, 200);
  t.same(matrixCells(cityPage.body), { '凤凰县>隆回县': '最多 2 小时 30 分 由湖南省老龄办结算' });
  t.notMatch(cityPage.body, 'action="/clearing/settlements"', 'no settlement form for the city office');
  t.match(visibleText(cityPage.body), '不同市（州）的两个县，由省老龄办结算');

  // 凤凰县's office sees both of its pairs, each with the office that settles it.
  const county = await signedInAs(app, 'office');
  const countyCells = matrixCells((await county.get('/clearing')).body);
  t.equal(countyCells['凤凰县>隆回县'], '最多 2 小时 30 分 由湖南省老龄办结算');
  t.match(countyCells['凤凰县>吉首市'], /由湘西.*老龄办结算$/);

  // The province settles any pair: "结算" fills in the pair and the most it may move, counties are chosen from lists.
  const admin = await signedInAs(app, 'admin');
  const adminPage = await admin.get('/clearing');
  const href = '/clearing?from=433123&amp;to=430524&amp;amount_hours=2&amp;amount_minutes=30#settle-title';
  t.match(adminPage.body, `href="${href}"`);
  t.match(matrixCells(adminPage.body)['凤凰县>隆回县'], /^最多 2 小时 30 分 结算$/);
  const filled = await admin.get(href.replace(/&amp;/g, '&').replace(/#.*/, ''));
  t.match(filled.body, /<select id="from" name="from">[\s\S]*<option value="433123" selected>凤凰县<\/option>[\s\S]*<\/select>/);
  t.match(filled.body, /<select id="to" name="to">[\s\S]*<option value="430524" selected>隆回县<\/option>[\s\S]*<\/select>/);
  t.match(filled.body, /id="amount-hours" name="amount_hours"[^>]*value="2"/, 'the most it may move, in hours and minutes');
  t.match(filled.body, /id="amount-minutes" name="amount_minutes"[^>]*value="30"/);
  t.notMatch(filled.body, /<input id="(from|to)"/, 'no county code to type');
  const before = tableCounts(db);
  const settled = await admin.post('/clearing/settlements', { from: '433123', to: '430524', amount_hours: '2', amount_minutes: '30', note: '11 月结算', idempotency_key: key() });
  t.equal(settled.statusCode, 303);
  t.equal(db.$client.prepare("SELECT amount_minutes FROM clearing_settlements WHERE from_county_code = '433123' AND to_county_code = '430524'").pluck().get(), 150);
  t.equal(tableCounts(db).clearing_settlements, before.clearing_settlements! + 1);
  const afterCells = matrixCells((await admin.get('/clearing')).body);
  t.notOk(afterCells['凤凰县>隆回县'], '隆回县 is settled: its column is gone');
  t.match(afterCells['凤凰县>吉首市'], /^最多 10 分钟 结算$/);

  // The city office still cannot settle by posting the form by hand.
  await city.get('/clearing');
  const forged = await city.post('/clearing/settlements', { from: '433123', to: '433101', amount: '0.1', note: '试', idempotency_key: key() });
  t.equal(forged.statusCode, 403);
  t.ok(verifyLedger(db.$client).ok);
});

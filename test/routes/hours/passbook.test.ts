import t from 'tap';
import { randomUUID } from 'node:crypto';
import { accountIds, accountInputs, ensureAccounts, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { TransferFlags } from '../../../src/ledger/index.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, scalar } from './helpers.ts';
import { queryPlan } from '../../helpers/query-plans.ts';
import { prepareStatements } from '../../../src/ledger/statements.ts';
import { shanghaiDateOf, shanghaiTimeOf } from '../../../src/domain/hours/time.ts';

t.test('the passbook names a redemption and a gift by what they are, with the held amount', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const otherId = scalar(testApp, 'SELECT id FROM members WHERE id <> ? ORDER BY id LIMIT 1', memberId);
  const ledger = ledgerFor(testApp.db.$client, testApp.clock.now);
  const wallet = accountIds.wallet(memberId);
  ensureAccounts(ledger, [accountInputs.site(9001), accountInputs.wallet(otherId)]);
  t.same(ledger.createTransfers([
    { id: 'test-gift', debitAccountId: wallet, creditAccountId: accountIds.wallet(otherId), amount: 15, code: 'gift', refType: 'gift', refId: '1' },
    { id: 'test-rdm-hold', debitAccountId: wallet, creditAccountId: accountIds.site(9001), amount: 25, code: 'redemption', flags: TransferFlags.pending, refType: 'redemption', refId: '1' },
  ]), ['ok', 'ok']);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const text = visibleText((await volunteer.get('/passbook')).body);
  t.match(text, /兑换（待确认密码） 收支： 待扣除 -25 分钟/, 'the held redemption: no posted change, 25 minutes held to go out, said once');
  t.match(text, /赠与亲属 收支： -15 分钟/);
  t.notMatch(text, /登记服务（待审核）[^\n]*-25/);
});

/** The passbook's change cell for one line, as text: the line whose 摘要 starts with `label`. */
function changeOf(html: string, label: string): string[] {
  const rows = html.split('<tr>').slice(1).filter((row) => visibleText(row.replace(/<span class="cell-label">[^<]*<\/span>/g, '')).includes(label));
  return rows.map((row) => visibleText(/<td class="amount">([\s\S]*?)<\/td>/.exec(row)?.[1] ?? '').replace('收支：', '').trim());
}

t.test('issue 14 item 5: a pending visit reads 待审核 +1 小时 30 分 once; its approval reads 已通过 with one number', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const logged = await volunteer.post('/hours', {
    idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '2026-11-22', start_time: '05:00', end_time: '06:30', village_code: '433123101001',
  });
  t.equal(logged.statusCode, 303);
  const id = Number(/records\/(\d+)/.exec(logged.headers.location as string)![1]);
  const pending = (await volunteer.get('/passbook')).body;
  t.notMatch(visibleText(pending), '待定变动', 'no separate pending column');
  t.same(changeOf(pending, '登记服务（待审核）').slice(0, 1), ['待审核 +1 小时 30 分'], 'the pending visit: one amount, said to await review');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  t.equal((await coordinator.post(`/hours/records/${id}/approve`, {})).statusCode, 303);
  t.equal(scalar(testApp, 'SELECT status FROM service_records WHERE id = ?', id), 'approved');
  const approved = (await volunteer.get('/passbook')).body;
  const [approval] = changeOf(approved, '服务审核通过入账');
  t.equal(approval, '已通过 +1 小时 30 分', 'the approval: 已通过 and the amount credited, no second number');
  t.notMatch(approval ?? '', /-/, 'nothing reads as taken away');
});

t.test('issue 14 item 5: plain words for the pool, corrections and cross-county settlement, each with one line of explanation', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const ledger = ledgerFor(testApp.db.$client, testApp.clock.now);
  const wallet = accountIds.wallet(memberId);
  ensureAccounts(ledger, [accountInputs.wallet(memberId)]);
  const pool = scalar<string>(testApp, "SELECT id FROM ledger_accounts WHERE id LIKE 'pool:%' ORDER BY id LIMIT 1");
  t.ok(pool, 'a county pool exists');
  t.same(ledger.createTransfers([
    { id: 'test-donation', debitAccountId: wallet, creditAccountId: pool, amount: 30, code: 'donation', refType: 'gift', refId: '9' },
  ]), ['ok']);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const text = visibleText((await volunteer.get('/passbook')).body);
  t.match(text, '捐给公益时间池');
  t.match(text, '公益时间池：本县大家捐出的时间，用来帮助有困难的老人。');
  t.notMatch(text, /公益池|冲正|通存通兑清算/, 'no jargon');
  t.notMatch(text, '跨县兑换结算：', 'a term is explained only where it appears');
});

/** The 日期 cell of every row of a passbook page, in the order shown. */
function whenCells(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<td class="when">([\s\S]*?)<\/td>/g)].map((match) => visibleText(match[1]!).replace('日期：', '').trim());
}

t.test('issue 16: paging the passbook back with "older" shows every transfer of the wallet exactly once, and a deep page reads the account indexes', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const wallet = accountIds.wallet(memberId);
  const county = scalar<string>(testApp, 'SELECT substr(village_code, 1, 6) FROM members WHERE id = ?', memberId);
  // 130 credits a minute apart, after the demo's own transfers: each has its own 时间 on the page.
  const startMs = testApp.clock.now() + 3_600_000;
  for (let i = 0; i < 130; i += 1) {
    const ledger = ledgerFor(testApp.db.$client, () => startMs + i * 60_000);
    t.same(ledger.createTransfers([{ id: `test-paging-${i}`, debitAccountId: accountIds.issuance(county), creditAccountId: wallet, amount: 1 + i, code: 'service_credit' }]), ['ok']);
  }
  testApp.clock.advance(startMs + 200 * 60_000 - testApp.clock.now());
  const onWallet = scalar(testApp, 'SELECT count(*) FROM ledger_transfers WHERE debit_account_id = ? OR credit_account_id = ?', wallet, wallet);
  t.ok(onWallet > 130);

  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const seen: string[] = [];
  let url: string | null = '/passbook';
  let pages = 0;
  while (url) {
    const response = await volunteer.get(url);
    t.equal(response.statusCode, 200);
    const rows = whenCells(response.body);
    t.ok(rows.length > 0 && rows.length <= 20, `page ${pages + 1} shows 1 to 20 lines`);
    seen.push(...rows);
    pages += 1;
    const older = /href="\/passbook\?before=(\d+)"/.exec(response.body)?.[1];
    url = older ? `/passbook?before=${older}` : null;
  }
  t.equal(seen.length, onWallet, 'as many lines over all pages as the wallet has transfers in the database');
  t.equal(pages, Math.ceil(onWallet / 20));
  const ours = Array.from({ length: 130 }, (_, i) => `${shanghaiDateOf(startMs + i * 60_000)} ${shanghaiTimeOf(startMs + i * 60_000)}`);
  for (const when of ours) t.equal(seen.filter((cell) => cell === when).length, 1, `the transfer at ${when} is shown once`);
  t.same(seen.slice(0, 130), [...ours].reverse(), 'newest first');

  // A page before `before`: its sequence numbers come from the two account indexes, read backwards from there
  // (the ledger prepares its history statement once; this is its text).
  const plan = queryPlan(testApp.db.$client, prepareStatements(testApp.db.$client).historyPage.source.replace(/@\w+/g, '?'));
  t.match(plan, /SEARCH ledger_transfers USING COVERING INDEX ledger_transfers_debit_seq \(debit_account_id=\? AND seq<\?\)/);
  t.match(plan, /SEARCH ledger_transfers USING COVERING INDEX ledger_transfers_credit_seq \(credit_account_id=\? AND seq<\?\)/);
  t.notMatch(plan, /SCAN ledger_transfers/, 'no walk over the transfers table');
});

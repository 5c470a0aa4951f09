import t from 'tap';
import { accountIds, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, scalar } from './helpers.ts';

/**
 * Issue 14 item 1: the printed statement is paged like a bank passbook, on the
 * server: 20 lines a page, each page with the holder block (name masked) and
 * the heading row, 承前页 at the top, 过次页 at the foot, 第 N 页 / 共 M 页.
 */

/** Each printed page's section, in order. */
function printPages(html: string): string[] {
  return html.split('<section class="print-page"').slice(1).map((part) => part.slice(0, part.indexOf('</section>')));
}

/** The balance text of a 承前页 / 过次页 row in one page. */
function forwardBalance(page: string, which: 'brought-forward' | 'carried-forward'): string {
  const row = new RegExp(`<tr class="forward ${which}">([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? '';
  return visibleText(/<td class="amount balance">([\s\S]*?)<\/td>/.exec(row)?.[1] ?? '').replace('余额：', '').trim();
}

/** The wallet's posted balance summed from the transfers table before an instant: pending holds and voids move nothing posted. */
function postedBefore(testApp: Awaited<ReturnType<typeof createHoursApp>>, wallet: string, beforeMs: number): number {
  return scalar(testApp, `SELECT coalesce(sum(CASE WHEN credit_account_id = @wallet THEN amount ELSE -amount END), 0) FROM ledger_transfers
    WHERE (credit_account_id = @wallet OR debit_account_id = @wallet) AND timestamp_ms < @beforeMs AND (flags & 10) = 0`, { wallet, beforeMs });
}

t.test('a statement of 47 lines prints as 3 pages that carry the balance from page to page', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const wallet = accountIds.wallet(memberId);
  const ledger = ledgerFor(testApp.db.$client, testApp.clock.now);
  // 1 December 2026 in Shanghai, 09:00 onwards: 47 transfers a few minutes apart, in and out.
  testApp.clock.nowMs = Date.UTC(2026, 10, 30, 16 + 9, 0, 0);
  const periodStartMs = Date.UTC(2026, 10, 30, 16, 0, 0);
  for (let i = 0; i < 47; i++) {
    testApp.clock.advance(5 * 60_000);
    const incoming = i % 3 !== 2;
    const transfer = incoming
      ? { id: `print-${i}`, debitAccountId: 'issuance:433123', creditAccountId: wallet, amount: 30 + i, code: 'opening' as const }
      : { id: `print-${i}`, debitAccountId: wallet, creditAccountId: 'issuance:433123', amount: 20, code: 'redemption' as const };
    t.same(ledger.createTransfers([transfer]), ['ok']);
  }
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const response = await volunteer.get('/passbook/statement?from=2026-12-01&to=2026-12-01');
  t.equal(response.statusCode, 200);
  const pages = printPages(response.body);
  t.equal(pages.length, 3, '47 lines at 20 a page: 3 printed pages');
  const lineCounts = pages.map((page) => (page.match(/<td class="when">/g) ?? []).length);
  t.same(lineCounts, [20, 20, 7]);
  const realName = scalar<string>(testApp, 'SELECT real_name FROM members WHERE id = ?', memberId);
  const card = scalar<string>(testApp, 'SELECT card_number FROM members WHERE id = ?', memberId);
  pages.forEach((page, index) => {
    const text = visibleText(page);
    t.match(text, `第 ${index + 1} 页 / 共 3 页`, `page ${index + 1} is numbered`);
    t.match(text, `成员：${realName[0]}*${realName.at(-1)}（卡号 ${card}）`, `page ${index + 1} repeats the holder block, name masked`);
    t.notMatch(text, realName, `page ${index + 1} never shows the whole name`);
    t.match(page, /<thead>[\s\S]*日期[\s\S]*摘要[\s\S]*收支[\s\S]*余额[\s\S]*<\/thead>/, `page ${index + 1} repeats the heading row`);
    t.match(text, '承前页');
    t.match(text, '过次页');
    if (index > 0) t.equal(forwardBalance(page, 'brought-forward'), forwardBalance(pages[index - 1]!, 'carried-forward'), `page ${index + 1} brings forward what page ${index} carried`);
  });
  const opening = visibleText(/<dd id="opening">([^<]*)</.exec(response.body)![1]!);
  const closing = visibleText(/<dd id="closing">([^<]*)</.exec(response.body)![1]!);
  t.equal(forwardBalance(pages[0]!, 'brought-forward'), opening, 'the first 承前页 is the opening balance');
  t.equal(forwardBalance(pages.at(-1)!, 'carried-forward'), closing, 'the last 过次页 is the closing balance');
  // And both agree with the database, summed independently of the ledger code.
  const openingMinutes = postedBefore(testApp, wallet, periodStartMs);
  const closingMinutes = scalar(testApp, 'SELECT credits_posted - debits_posted FROM ledger_accounts WHERE id = ?', wallet);
  t.equal(closingMinutes - openingMinutes, [...Array(47).keys()].reduce((sum, i) => sum + (i % 3 !== 2 ? 30 + i : -20), 0), 'the 47 transfers moved the balance');
  const format = (minutes: number) => `${Math.floor(minutes / 60)} 小时${minutes % 60 ? ` ${minutes % 60} 分` : ''}`;
  t.equal(opening, format(openingMinutes), 'opening balance = the database before 1 December');
  t.equal(closing, format(closingMinutes), 'closing balance = the wallet in the database');
  t.match(response.body, /<link rel="stylesheet" href="\/assets\/hours\.[0-9a-f]{12}\.css">/, 'the print styles are linked');
});

t.test('a statement with no transactions prints one page that says so', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const response = await volunteer.get('/passbook/statement?from=2020-01-01&to=2020-01-31');
  const pages = printPages(response.body);
  t.equal(pages.length, 1, 'one page');
  const text = visibleText(pages[0]!);
  t.match(text, '这段时间没有交易。');
  t.match(text, '第 1 页 / 共 1 页');
  t.equal(forwardBalance(pages[0]!, 'brought-forward'), '0 分钟');
  t.equal(forwardBalance(pages[0]!, 'carried-forward'), '0 分钟');
  t.equal((pages[0]!.match(/<td class="when">/g) ?? []).length, 0, 'no lines');
});

t.test('print CSS breaks after each statement page', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const page = await volunteer.get('/passbook/statement?from=2026-10-01&to=2026-10-31');
  const href = /href="(\/assets\/hours\.[0-9a-f]{12}\.css)"/.exec(page.body)![1]!;
  const css = (await volunteer.get(href)).body;
  t.match(css, /@media print \{[\s\S]*\.print-page \{ break-after: page;/);
});

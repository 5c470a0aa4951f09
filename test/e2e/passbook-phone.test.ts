import t from 'tap';
import type { Page } from 'playwright-core';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { accountIds, ledgerFor } from '../../src/domain/bookkeeping/accounts.ts';
import { browserSuite, phonePage, signInThroughForm } from '../helpers/browser.ts';

/**
 * Issue 14 item 1: the passbook and the statement on a phone. At 320, 360 and
 * 390 px, in normal and elder mode: no table cell is narrower than 4
 * characters (a column shrunk to one character per line is unreadable), the
 * page never scrolls sideways, the statement form comes first, and a page
 * holds at most 20 lines.
 */
const suite = browserSuite({
  seed: (server) => {
    seedHours(server.db, server.app.secrets, server.clock.now());
  },
});
if (suite) {
  /** Cells narrower than 4 characters of their own font size, and the sideways overflow of the page. */
  async function measure(page: Page): Promise<{ narrowCells: string[]; sideways: number }> {
    return page.evaluate(() => {
      const narrowCells: string[] = [];
      for (const cell of document.querySelectorAll('main td, main th')) {
        const style = getComputedStyle(cell);
        if (cell.getClientRects().length === 0 || style.visibility === 'hidden') continue; // not rendered (a header row hidden on phones)
        const width = cell.getBoundingClientRect().width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const minimum = 4 * parseFloat(style.fontSize);
        if (width < minimum) narrowCells.push(`${cell.tagName.toLowerCase()} "${(cell.textContent ?? '').trim().slice(0, 12)}" ${width.toFixed(0)}px < ${minimum}px`);
      }
      return { narrowCells, sideways: document.documentElement.scrollWidth - document.documentElement.clientWidth };
    });
  }

  // Printed, a statement of 47 lines is 3 sheets: one per page the server made (break-after: page), none split.
  t.test('a paged statement prints one sheet per page', async (t) => {
    const memberId = suite.server.db.$client.prepare("SELECT member_id FROM users WHERE phone = '13800000001'").pluck().get() as number;
    const ledger = ledgerFor(suite.server.db.$client, suite.server.clock.now);
    const start = suite.server.clock.nowMs;
    suite.server.clock.nowMs = Date.UTC(2026, 10, 30, 17, 0, 0); // 2026-12-01 01:00 in Shanghai
    for (let i = 0; i < 47; i++) {
      suite.server.clock.advance(10 * 60_000);
      t.same(ledger.createTransfers([{ id: `print-e2e-${i}`, debitAccountId: 'issuance:433123', creditAccountId: accountIds.wallet(memberId), amount: 15 + i, code: 'opening' }]), ['ok']);
    }
    suite.server.clock.nowMs = start;
    for (const elder of [false, true]) {
      const context = await suite.browser.newContext({ locale: 'zh-CN' });
      if (elder) await context.addCookies([{ name: 'sh_elder', value: '1', url: suite.server.baseUrl }]);
      const page = await context.newPage();
      await signInThroughForm(page, suite.server.baseUrl, 'volunteer');
      await page.goto(`${suite.server.baseUrl}/passbook/statement?from=2026-12-01&to=2026-12-01`);
      t.equal(await page.locator('section.print-page').count(), 3, 'three pages made by the server');
      await page.setViewportSize({ width: 718, height: 1000 }); // A4's printable width
      await page.emulateMedia({ media: 'print' });
      t.comment(`printed section heights: ${JSON.stringify(await page.evaluate(() => [...document.querySelectorAll('section.print-page')].map((e) => Math.round(e.getBoundingClientRect().height))))} px`);
      const pdf = (await page.pdf({ format: 'A4', printBackground: true })).toString('latin1');
      const sheets = (pdf.match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
      t.equal(sheets, 3, `printed on ${sheets} A4 sheets (${elder ? 'elder' : 'normal'} mode)`);
      await context.close();
    }
  });

  for (const elder of [false, true]) {
    t.test(`passbook and statement on a phone (${elder ? 'elder mode' : 'normal mode'})`, async (t) => {
      const { context, page, errors } = await phonePage(suite, 'volunteer', { elder });
      for (const path of ['/passbook', '/passbook/statement?from=2026-09-01&to=2026-11-23']) {
        for (const width of [320, 360, 390]) {
          const label = `${path} at ${width}px (${elder ? 'elder' : 'normal'})`;
          await page.setViewportSize({ width, height: 800 });
          await page.goto(`${suite.server.baseUrl}${path}`);
          await page.getByRole('heading', { level: 1 }).waitFor();
          const lines = await page.locator('main table.lines tbody tr').count();
          t.ok(lines > 0, `${label}: lines are shown`);
          const { narrowCells, sideways } = await measure(page);
          t.same(narrowCells, [], `${label}: no cell narrower than 4 characters`);
          t.equal(sideways, 0, `${label}: no sideways scroll`);
          if (path === '/passbook') {
            t.ok(lines <= 20, `${label}: at most 20 lines on a page (${lines})`);
            const formTop = (await page.locator('main form[action="/passbook/statement"]').boundingBox())!.y;
            const tableTop = (await page.locator('main table.lines').boundingBox())!.y;
            t.ok(formTop < tableTop, `${label}: the statement form is above the lines`);
            const height = await page.evaluate(() => document.documentElement.scrollHeight);
            t.ok(height < (elder ? 12000 : 9000), `${label}: a page of 20 lines is ${height}px tall`);
            t.comment(`${label}: ${height}px tall`);
            if (width === 360 && !elder && process.env.SCREENSHOTS) await page.screenshot({ path: 'docs/screens/passbook-360.png' });
          }
        }
      }
      // A wide screen keeps the table with its header row.
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${suite.server.baseUrl}/passbook`);
      t.ok(await page.locator('main table.lines thead th').first().isVisible(), 'wide screens show the table header');
      t.same(errors, [], 'no console or CSP errors');
      await context.close();
    });
  }
}

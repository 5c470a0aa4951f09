import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Page } from 'playwright-core';
import type { Role } from '../../src/domain/access/authorize.ts';
import { actorOf } from '../../src/domain/auth/users.ts';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { seedRedemption } from '../../src/domain/demo/redemption.ts';
import { seedDemoNetwork } from '../../src/domain/demo/network.ts';
import { logService } from '../../src/domain/hours/log.ts';
import { sidewaysScroll } from '../helpers/readable.ts';
import { browserSuite, axeViolations, navigationLink, signInThroughForm, startServer } from '../helpers/browser.ts';

/**
 * Staff pages on a county office's PC (1440 px): lists are tables that use the
 * width, report tables keep names on one line, and the header folds a staff
 * member's many entries into menus (人员 / 服务 / 兑换 / 报表) that open without
 * JavaScript, so no role sees more than seven top entries.
 */
const maximumTopEntries = 7;

/** Cells narrower than four characters of their own font, and the width of <main>. */
async function measure(page: Page, selector: string) {
  return page.evaluate((selector) => {
    const narrow: string[] = [];
    const cells = [...document.querySelectorAll(`${selector} th, ${selector} td`)];
    for (const cell of cells) {
      const box = cell.getBoundingClientRect();
      if (box.width === 0) continue;
      if (box.width < 4 * parseFloat(getComputedStyle(cell).fontSize)) narrow.push(`${cell.textContent?.trim().slice(0, 12)} ${Math.round(box.width)}px`);
    }
    return { narrow, cells: cells.length, mainWidth: Math.round(document.querySelector('main')!.getBoundingClientRect().width) };
  }, selector);
}

const suite = browserSuite({
  skipName: 'wide screens',
  seed: async (server) => {
    seedHours(server.db, server.app.secrets, server.clock.now());
    // Partner sites, redemptions and voucher grants (after the hours, as the demo network seeds them).
    await seedRedemption(server.db, server.app.secrets, server.clock.now());
  },
});
if (suite) {
  const desktop = async (role: Role | 'office-city', options: { elder?: boolean; javaScript?: boolean } = {}) => {
    const context = await suite.browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', javaScriptEnabled: options.javaScript ?? true });
    if (options.elder) await context.addCookies([{ name: 'sh_elder', value: '1', url: suite.server.baseUrl }]);
    const page = await context.newPage();
    await signInThroughForm(page, suite.server.baseUrl, role);
    return { page, close: () => context.close() };
  };

  t.test('every role sees at most seven top entries; staff menus open without JavaScript', async (t) => {
    for (const role of ['volunteer', 'coordinator', 'clerk', 'office', 'office-city', 'admin'] as const) {
      const { page, close } = await desktop(role);
      const top = await page.evaluate(() => [...document.querySelectorAll('nav .nav > li')]
        .filter((item) => !item.querySelector('form'))
        .map((item) => (item.querySelector(':scope > details > summary') ?? item.querySelector(':scope > a'))?.textContent?.trim() ?? ''));
      const links = await page.getByRole('navigation', { name: '主导航' }).getByRole('link').count();
      t.ok(top.length <= maximumTopEntries, `${role}: ${top.length} top entries (${top.join(' ')}), ${links} links in all`);
      await close();
    }
    const { page, close } = await desktop('coordinator', { javaScript: false });
    const members = await navigationLink(page, '成员');
    t.ok(await members.isVisible(), 'the 人员 menu opened by a click, with JavaScript off');
    await members.click();
    await page.getByRole('heading', { level: 1, name: '成员' }).waitFor();
    t.match(page.url(), /\/members$/);
    await close();
  });

  for (const elder of [false, true]) {
    t.test(`lists are tables that use the width at 1440 px (${elder ? 'elder' : 'normal'} mode)`, async (t) => {
      const { page, close } = await desktop('coordinator', { elder });
      for (const [path, table] of [['/members', '#member-list'], ['/elders', '#elder-list']] as const) {
        await page.goto(`${suite.server.baseUrl}${path}`);
        t.ok(await page.locator(`${table} thead`).isVisible(), `${path}: a table with column headers`);
        const rows = await page.locator(`${table} tbody tr`).count();
        t.ok(rows >= 3, `${path}: ${rows} rows`);
        const measured = await measure(page, table);
        t.ok(measured.mainWidth >= 1200, `${path}: the page uses the width (${measured.mainWidth}px)`);
        t.same(measured.narrow, [], `${path}: no cell narrower than four characters`);
        t.same(await axeViolations(page), [], `${path}: axe`);
      }

      await page.goto(`${suite.server.baseUrl}/hours/queue`);
      const queue = page.locator('table#queue');
      t.ok(await queue.locator('thead').isVisible(), '/hours/queue: a table with column headers');
      t.same(await queue.locator('thead th[scope=col]').allTextContents().then((names) => names.map((name) => name.trim())),
        ['志愿者', '服务日期', '服务类型', '时长', '老人 · 地点', '登记方式 · 备注', '提交时间 ▲', '操作'], '/hours/queue: the columns, sorted by 提交时间');
      t.ok((await queue.locator('tbody tr').count()) >= 2, '/hours/queue: records waiting');
      t.ok(await queue.locator('tbody input[type=checkbox]').first().isVisible(), '/hours/queue: checkboxes to approve several');
      const measured = await measure(page, 'table#queue');
      t.ok(measured.mainWidth >= 1200, `/hours/queue: the page uses the width (${measured.mainWidth}px)`);
      t.same(measured.narrow, [], '/hours/queue: no cell narrower than four characters');
      const lineHeight = await page.evaluate(() => parseFloat(getComputedStyle(document.body).lineHeight));
      const heights = await queue.locator('tbody tr').evaluateAll((rows) => rows.map((row) => Math.round(row.getBoundingClientRect().height)));
      t.equal(await sidewaysScroll(page), 0, '/hours/queue: nothing scrolls sideways');
      t.ok(heights.every((height) => height <= 5 * lineHeight), `/hours/queue: each record is one row (a wrapped hint at most), not a stack of lines (${heights.join(', ')}px, line ${lineHeight}px)`);
      t.same(await axeViolations(page), [], '/hours/queue: axe');
      await close();
    });
  }

  /** The record ids of the queue's rows, in the order shown. */
  async function shownIds(page: Page): Promise<number[]> {
    const hrefs = await page.locator('table#queue tbody tr td.actions a').evaluateAll((links) => links.map((link) => link.getAttribute('href') ?? ''));
    return hrefs.map((href) => Number(/records\/(\d+)/.exec(href)![1]));
  }

  t.test('the queue at 1440 px: a header click sorts (without JavaScript too), aria-sort follows; approve-many approves exactly the two ticked', async (t) => {
    const minutesOf = (id: number) => suite.server.db.$client.prepare('SELECT duration_minutes FROM service_records WHERE id = ?').pluck().get(id) as number;
    // Two more visits of the demo volunteer (20 and 100 minutes), so there are records to tick and durations to order.
    const volunteer = actorOf(suite.server.db, suite.server.db.$client.prepare("SELECT id FROM users WHERE phone = '13800000001'").pluck().get() as number);
    const elderId = suite.server.db.$client.prepare("SELECT id FROM elders WHERE real_name = '龙玉兰'").pluck().get() as number;
    for (const [startTime, endTime] of [['08:00', '08:20'], ['09:00', '10:40']] as const) {
      const logged = logService({ db: suite.server.db, now: suite.server.clock.now }, volunteer, { idempotencyKey: randomUUID(), serviceTypeCode: 'visit', elderId, date: '2026-11-22', startTime, endTime });
      t.ok(logged.ok, `a visit ${startTime}–${endTime} waits for review`);
    }
    const byMinutes = (ids: number[], sign: 1 | -1) => [...ids].sort((a, b) => sign * (minutesOf(a) - minutesOf(b) || a - b));
    for (const javaScript of [false, true]) {
      const { page, close } = await desktop('coordinator', { javaScript });
      const how = javaScript ? 'with JavaScript' : 'without JavaScript';
      await page.goto(`${suite.server.baseUrl}/hours/queue`);
      const before = await shownIds(page);
      t.ok(new Set(before.map(minutesOf)).size >= 2, `${how}: records of different durations (${before.map(minutesOf).join(', ')} min)`);
      const header = page.locator('table#queue thead th', { hasText: '时长' });
      t.equal(await header.getAttribute('aria-sort'), null, `${how}: 时长 not sorted yet`);
      await header.getByRole('link').click();
      await page.waitForURL(/sort=minutes&dir=asc/);
      t.equal(await header.getAttribute('aria-sort'), 'ascending', `${how}: aria-sort on 时长`);
      t.match(await header.textContent(), '▲', `${how}: a visible arrow`);
      t.equal(await page.locator('table#queue thead th[aria-sort]').count(), 1, `${how}: one sorted column`);
      t.same(await shownIds(page), byMinutes(before, 1), `${how}: shortest first, as the database orders them`);
      await header.getByRole('link').click();
      await page.waitForURL(/sort=minutes&dir=desc/);
      t.equal(await header.getAttribute('aria-sort'), 'descending', `${how}: a second click turns it round`);
      t.match(await header.textContent(), '▼');
      t.same(await shownIds(page), byMinutes(before, -1), `${how}: longest first`);
      if (!javaScript && process.env.SCREENSHOTS) await page.screenshot({ path: 'docs/screens/queue-1440.png' });
      if (javaScript) {
        const boxes = page.locator('table#queue tbody input[type=checkbox]');
        t.ok((await boxes.count()) >= 2, 'at least two records to tick');
        const picked = [Number(await boxes.nth(0).getAttribute('value')), Number(await boxes.nth(1).getAttribute('value'))];
        const pending = suite.server.db.$client.prepare("SELECT id FROM service_records WHERE status = 'pending' ORDER BY id").pluck().all() as number[];
        await boxes.nth(0).check();
        await boxes.nth(1).check();
        await page.getByRole('button', { name: '通过所选记录' }).click();
        await page.getByText('已通过 2 条。').waitFor();
        t.match(page.url(), /sort=minutes&dir=desc/, 'back on the sorted list');
        t.equal(await header.getAttribute('aria-sort'), 'descending', 'still sorted by 时长 after approving');
        const approvedNow = suite.server.db.$client.prepare(`SELECT id FROM service_records WHERE status = 'approved' AND id IN (${pending.join(',')}) ORDER BY id`).pluck().all();
        t.same(approvedNow, [...picked].sort((a, b) => a - b), 'exactly the two ticked records are approved');
        t.notOk((await shownIds(page)).some((id) => picked.includes(id)), 'and they left the queue');
      }
      await close();
    }
  });

  for (const elder of [false, true]) {
    t.test(`an office's lists are tables at 1440 px: voucher grants and accounts (${elder ? 'elder' : 'normal'} mode)`, async (t) => {
      const { page, close } = await desktop('office', { elder });
      await page.goto(`${suite.server.baseUrl}/vouchers`);
      const grants = page.locator('table#grant-history');
      t.same((await grants.locator('thead th[scope=col]').allTextContents()).map((name) => name.trim()), ['发放时间', '地区', '老人（类别）', '人数 × 每人', '资金来源', '发放事由'], '/vouchers: column headers');
      const grantRows = await grants.locator('tbody tr').count();
      const granted = suite.server.db.$client.prepare("SELECT count(*) FROM voucher_grants g JOIN regions r ON r.code = g.region_code WHERE r.path LIKE '/430000/433100/433123/%'").pluck().get() as number;
      t.ok(grantRows >= 1 && grantRows === Math.min(granted, 50), `/vouchers: one row per grant in the county (${grantRows} of ${granted})`);
      await page.goto(`${suite.server.baseUrl}/accounts`);
      const accounts = page.locator('table#account-list');
      t.same((await accounts.locator('thead th[scope=col]').allTextContents()).map((name) => name.trim()), ['姓名', '电话', '身份与范围'], '/accounts: column headers');
      t.ok((await accounts.locator('tbody tr').count()) >= 2, '/accounts: a row per account');
      for (const [path, table] of [['/vouchers', 'table#grant-history'], ['/accounts', 'table#account-list']] as const) {
        await page.goto(`${suite.server.baseUrl}${path}`);
        const measured = await measure(page, table);
        t.ok(measured.mainWidth >= 1200, `${path}: the page uses the width (${measured.mainWidth}px)`);
        t.same(measured.narrow, [], `${path}: no cell narrower than four characters`);
        t.equal(await sidewaysScroll(page), 0, `${path}: nothing scrolls sideways`);
        t.same(await axeViolations(page), [], `${path}: axe`);
      }
      await close();
    });
  }

  t.test('report tables keep region names on one line at 1440 px', async (t) => {
    const { page, close } = await desktop('office-city');
    await page.goto(`${suite.server.baseUrl}/reports/430500`);
    const measured = await measure(page, 'table.figures');
    t.ok(measured.cells > 20, `${measured.cells} cells`);
    t.ok(measured.mainWidth >= 1200, `the dashboard uses the width (${measured.mainWidth}px)`);
    t.same(measured.narrow, [], 'no cell narrower than four characters');
    const wrapped = await page.evaluate(() => [...document.querySelectorAll('table.figures tbody th[scope=row]')]
      .filter((cell) => cell.getBoundingClientRect().height > 2.2 * parseFloat(getComputedStyle(cell).lineHeight))
      .map((cell) => cell.textContent?.trim()));
    t.same(wrapped, [], 'no row name wraps');
    await close();
  });

  // Issue 14 item 10 ("Done when"): the month-end figures (上月末 + flows = 本月末) on a county dashboard at 1440 px.
  // SCREENSHOTS=1 writes docs/screens/month-end-1440.png, cropped to the table's section.
  t.test('the month-end figures on a county dashboard at 1440 px add up, on one line each', async (t) => {
    // The demo network as `npm start` seeds it (redemptions, vouchers, gifts, opening balances), on its own server.
    const demo = await startServer();
    t.teardown(() => demo.app.close());
    await seedDemoNetwork(demo.db, demo.app.secrets, demo.clock.now());
    const context = await suite.browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    await signInThroughForm(page, demo.baseUrl, 'office');
    const close = () => context.close();
    await page.goto(`${demo.baseUrl}/reports/433123?month=2026-11`);
    const section = page.locator('section[aria-labelledby="balance-title"]');
    await section.waitFor();
    const rows = await page.locator('#balance tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent!.trim())));
    t.ok(rows.length >= 3, `上月末结余, the flows, 本月末结余 (${rows.length} rows)`);
    t.equal(rows[0]![0], '上月末结余');
    t.equal(rows.at(-1)![0], '本月末结余');
    const minutes = rows.map(([, text]) => {
      const match = /^(-?)(?:(\d+) 小时(?: (\d+) 分)?|(\d+) 分钟)$/.exec(text ?? '');
      if (!match) return Number.NaN;
      const total = match[4] !== undefined ? Number(match[4]) : Number(match[2]) * 60 + Number(match[3] ?? 0);
      return match[1] === '-' ? -total : total;
    });
    t.notOk(minutes.some(Number.isNaN), `every figure in hours and minutes: ${rows.map((row) => row[1]).join(' | ')}`);
    t.equal(minutes.slice(0, -1).reduce((sum, value) => sum + value, 0), minutes.at(-1), '上月末结余 + flows = 本月末结余, as shown');
    const heights = await page.locator('#balance tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height));
    const lineHeight = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('#balance td')!).lineHeight));
    t.ok(heights.every((height) => height < 2.2 * lineHeight), `no row wraps (${heights.map(Math.round).join(', ')}px)`);
    if (process.env.SCREENSHOTS) await section.screenshot({ path: 'docs/screens/month-end-1440.png' });
    await close();
  });

  t.test('on a phone the lists are cards and nothing scrolls sideways', async (t) => {
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 800 }, locale: 'zh-CN' });
    const page = await context.newPage();
    await signInThroughForm(page, suite.server.baseUrl, 'coordinator');
    for (const path of ['/members', '/elders', '/hours/queue']) {
      await page.goto(`${suite.server.baseUrl}${path}`);
      await page.setViewportSize({ width: 320, height: 700 });
      t.equal(await sidewaysScroll(page), 0, `${path}: no sideways scroll at 320px`);
      await page.setViewportSize({ width: 390, height: 800 });
    }
    await context.close();
  });
}

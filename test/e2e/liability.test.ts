import ExcelJS from 'exceljs';
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { updateTargets } from '../../src/domain/reports/targets.ts';
import { liabilityReport } from '../../src/domain/reports/liability.ts';
import { refreshReports } from '../../src/domain/reports/refresh.ts';
import { regionTree } from '../../src/domain/reports/regions-cache.ts';
import { monthOfMs } from '../../src/domain/reports/months.ts';
import { browserSuite, listenLocally, phonePage, axeViolations, signInThroughForm, watchForErrors, navigationLink, newPhoneContext, type LiveServer } from '../helpers/browser.ts';
import { createNetworkApp } from '../helpers/web.ts';
import { sidewaysScroll } from '../helpers/readable.ts';

/**
 * Issue 20 in the browser: the office of 邵阳市 reads what the network owes,
 * the fund's coverage and the 易存难兑 indicator on its dashboard, opens the
 * liability page, and downloads the monthly Excel, whose liability sheet the
 * test opens and reads. The liability and fund pages are axe-clean in normal
 * and elder mode, in Chinese and in English.
 */
const suite = browserSuite<LiveServer>({
  skipName: 'liability in the browser',
  start: async () => {
    const test = await createNetworkApp({ signInAttemptsPerAddress: 1000 });
    return { ...test, baseUrl: await listenLocally(test.app) };
  },
  // A target of 99.9%: every county that issued credits redeems less, so the indicator shows.
  seed: (server) => {
    updateTargets(server.db.$client, { redemption_rate_permille: '99.9' }, 1, server.clock.now());
  },
});
if (suite) {
  t.test('the city office reads liability, coverage and the 易存难兑 indicator and downloads the xlsx', async (t) => {
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await signInThroughForm(page, suite.server.baseUrl, 'office-city');
    await (await navigationLink(page, '报表')).click();
    await page.waitForURL(/\/reports\/430500$/);
    const sqlite = suite.server.db.$client;
    refreshReports(sqlite, suite.server.clock.now());
    const month = monthOfMs(suite.server.clock.now());
    const expected = liabilityReport(sqlite, regionTree(sqlite).get('430500')!, month, { careAgeYears: 60 });
    t.ok(expected.outstandingMinutes > 0, 'the city owes its members something');
    const section = page.getByRole('region', { name: '负债与覆盖率' }).or(page.locator('#liability'));
    t.equal(await page.locator('#liability-coverage').innerText(), String(expected.coveragePermille! / 10), 'coverage on the dashboard');
    t.match(await page.locator('#liability-rate').innerText(), '目标');
    t.match(await page.locator('#dashboard-below-target').innerText(), '隆回县', '隆回县 is flagged 易存难兑');
    t.ok(await section.first().isVisible());

    await page.getByRole('link', { name: '负债与保障基金（易存难兑指标）' }).first().click();
    await page.getByRole('heading', { level: 1, name: '邵阳市 · 负债与保障基金' }).waitFor();
    const counties = page.getByRole('table').filter({ hasText: '易存难兑' });
    t.match(await counties.getByRole('row').filter({ hasText: '隆回县' }).innerText(), '低于目标');
    t.ok(await page.getByText('R_y = round(q × e_y × H_{y−1})', { exact: false }).isVisible(), 'the projection formula is stated');

    await page.goto(`${suite.server.baseUrl}/reports/430500?month=${month}`);
    const downloadPromise = page.waitForEvent('download');
    await page.getByRole('link', { name: '下载月报 Excel' }).click();
    const download = await downloadPromise;
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await readFile((await download.path())!)) as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('负债与覆盖率')!;
    const cells = new Map<string, unknown>();
    sheet.eachRow((row) => cells.set(String(row.getCell(1).value), row.getCell(2).value));
    t.equal(cells.get('指标'), '数值');
    t.equal(cells.get('未兑换时间（成员账户余额）'), Math.round((expected.outstandingMinutes / 60) * 100) / 100, 'outstanding hours');
    t.equal(cells.get('覆盖率（%）'), expected.coveragePermille! / 10, 'coverage');
    t.equal(cells.get('保障基金（元）'), expected.fundFen / 100, 'the fund behind the city, in yuan');
    t.equal(cells.get('兑换率目标（%）'), 99.9);
    const countySheet = workbook.worksheets.find((candidate) => candidate.name.startsWith('各县兑换率与覆盖率'))!;
    const longhui = countySheet.getRows(2, countySheet.rowCount - 1)!.find((row) => row.getCell(1).value === '隆回县')!;
    t.equal(longhui.getCell(4).value, '低于目标', 'the indicator in the sheet');
    t.same(errors, [], 'no console errors (CSP included)');
    await context.close();
  });

  for (const [elder, locale] of [[false, 'zh-CN'], [true, 'zh-CN'], [false, 'en']] as const) {
    t.test(`liability and fund pages are axe-clean (${elder ? 'elder' : 'normal'} mode, ${locale})`, async (t) => {
      // Sign in through the Chinese form, then switch the language by cookie (as test/e2e/accessibility.test.ts does).
      const english = async (context: Awaited<ReturnType<typeof phonePage>>['context']) => {
        if (locale === 'en') await context.addCookies([{ name: 'sh_lang', value: 'en', url: suite.server.baseUrl }]);
      };
      const { context, page } = await phonePage(suite as never, 'office-city', { elder });
      await english(context);
      for (const path of ['/reports/430500', '/reports/430500/liability', '/reports/430524/liability', '/reports/fund', '/reports/430500/monthly']) {
        await page.goto(`${suite.server.baseUrl}${path}`);
        t.equal(await page.locator('html').getAttribute('lang'), locale, `${path}: language`);
        t.same(await axeViolations(page), [], `${path}: axe`);
        await page.setViewportSize({ width: 320, height: 700 });
        t.equal(await sidewaysScroll(page), 0, `${path}: no sideways scroll at 320px`);
        await page.setViewportSize({ width: 390, height: 800 });
      }
      await context.close();
      const { context: adminContext, page: adminPage } = await phonePage(suite as never, 'admin', { elder });
      await english(adminContext);
      await adminPage.goto(`${suite.server.baseUrl}/reports/fund`);
      await adminPage.getByRole('button', { name: locale === 'en' ? 'Record' : '记录' }).click();
      await adminPage.waitForLoadState();
      t.same(await axeViolations(adminPage), [], '/reports/fund with refusals: axe');
      await adminContext.close();
      const publicContext = await newPhoneContext(suite.browser, { baseUrl: suite.server.baseUrl, elder });
      await english(publicContext);
      const publicPage = await publicContext.newPage();
      await publicPage.goto(`${suite.server.baseUrl}/transparency`);
      t.match(await publicPage.locator('#network-liability').innerText(), locale === 'en' ? 'Coverage' : '覆盖率');
      t.same(await axeViolations(publicPage), [], '/transparency: axe');
      await publicContext.close();
    });
  }
}

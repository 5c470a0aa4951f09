import ExcelJS from 'exceljs';
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { seedBig } from '../../src/domain/demo/big.ts';
import { Ledger } from '../../src/ledger/index.ts';
import { sidewaysScroll } from '../helpers/readable.ts';
import { browserSuite, phonePage, axeViolations, newPhoneContext, signInThroughForm, watchForErrors, checkNoSecretsInUrls, navigationLink } from '../helpers/browser.ts';

/**
 * An office of 邵阳市 opens its reports, drills from the city to a village
 * through the tables' links, comes back by the breadcrumb, downloads the
 * monthly Excel and the test opens it. Every reports page is axe-clean in
 * normal and elder mode, and nothing scrolls sideways at 320px.
 */
const suite = browserSuite({
  skipName: 'reports in the browser',
  seed: (server) => {
    seedBig(server.db, { members: 150, months: 13, nowMs: server.clock.now(), seed: 11 });
    new Ledger(server.db.$client).checkpoint(server.clock.now());
  },
});
if (suite) {
  t.test('a city office drills from city to village and downloads the monthly Excel', async (t) => {
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await signInThroughForm(page, suite.server.baseUrl, 'office-city');
    await (await navigationLink(page, '报表')).click();
    await page.waitForURL(/\/reports\/430500$/);
    await page.getByRole('heading', { level: 1, name: '邵阳市 工作报表' }).waitFor();
    t.ok(await page.getByText('特殊困难老年人月探访率', { exact: true }).isVisible(), 'targets at a glance');
    await page.getByRole('link', { name: '隆回县', exact: true }).first().click();
    await page.getByRole('heading', { level: 1, name: '隆回县 工作报表' }).waitFor();
    await page.getByRole('link', { name: '隆回县第1镇', exact: true }).first().click();
    await page.getByRole('heading', { level: 1, name: '隆回县第1镇 工作报表' }).waitFor();
    await page.getByRole('link', { name: '隆回县第1镇1村', exact: true }).first().click();
    await page.getByRole('heading', { level: 1, name: '隆回县第1镇1村 工作报表' }).waitFor();
    const crumbs = await page.getByRole('navigation', { name: '区域层级' }).innerText();
    t.match(crumbs, /邵阳市[\s\S]*隆回县[\s\S]*隆回县第1镇[\s\S]*隆回县第1镇1村/, 'breadcrumb shows the way down');
    await page.getByRole('navigation', { name: '区域层级' }).getByRole('link', { name: '邵阳市' }).click();
    await page.getByRole('heading', { level: 1, name: '邵阳市 工作报表' }).waitFor();

    const downloadPromise = page.waitForEvent('download');
    await page.getByRole('link', { name: '下载月报 Excel' }).click();
    const download = await downloadPromise;
    t.match(download.suggestedFilename(), /\.xlsx$/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await readFile((await download.path())!)) as unknown as ArrayBuffer);
    const summary = workbook.getWorksheet('概况')!;
    t.equal(summary.getRow(1).getCell(1).value, '指标');
    t.equal(summary.getRow(2).getCell(1).value, '注册志愿者');
    t.equal(typeof summary.getRow(2).getCell(3).value, 'number');
    t.ok((summary.getRow(2).getCell(3).value as number) > 0, 'the city has registered volunteers');
    t.ok(workbook.getWorksheet('下级区域')!.rowCount >= 13, 'one row per county of the city');
    t.same(errors, [], 'no console errors (CSP included)');
    await context.close();
  });

  const paths = ['/reports/430500', '/reports/430524?month=2026-10', '/reports/430524/monthly?month=2026-10', '/reports/430524/visits', '/reports/430524/teams', '/reports/430524/roster', '/reports/430524/ledger?month=2026-10', '/hours/standard'];
  for (const elder of [false, true]) {
    t.test(`reports pages are axe-clean (${elder ? 'elder' : 'normal'} mode)`, async (t) => {
      const { context, page } = await phonePage(suite, 'office-city', { elder });
      for (const path of paths) {
        await page.setViewportSize({ width: 390, height: 800 });
        await page.goto(`${suite.server.baseUrl}${path}`);
        // The WCAG rules and landmark-unique (a best-practice rule: landmarks are named apart).
        t.same(await axeViolations(page), [], `${path}: axe`);
        await page.setViewportSize({ width: 320, height: 700 });
        t.equal(await sidewaysScroll(page), 0, `${path}: no sideways scroll at 320px`);
      }
      await context.close();
      const publicContext = await newPhoneContext(suite.browser, { baseUrl: suite.server.baseUrl, elder });
      const publicPage = await publicContext.newPage();
      await publicPage.goto(`${suite.server.baseUrl}/transparency`);
      t.same(await axeViolations(publicPage), [], '/transparency: axe, landmarks included');
      await publicContext.close();
      const { context: adminContext, page: adminPage } = await phonePage(suite, 'admin', { elder });
      await adminPage.goto(`${suite.server.baseUrl}/reports/targets`);
      t.same(await axeViolations(adminPage), [], '/reports/targets: axe');
      await adminContext.close();
    });
  }
  checkNoSecretsInUrls();
}

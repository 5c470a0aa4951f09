import t from 'tap';
import type { Page } from 'playwright-core';
import type { Role } from '../../src/domain/access/authorize.ts';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { sidewaysScroll, smallTargets, smallText } from '../helpers/readable.ts';
import { axeViolations, browserSuite, checkNoSecretsInUrls, phonePage } from '../helpers/browser.ts';
import { bringTo, wangMemberId } from '../routes/stars/helpers.ts';

/**
 * The star journey of issue 18 in a real Chromium: 王秀英, half an hour
 * short of 100 verified hours, logs one more visit; the coordinator approves
 * it; the county office puts her first star on notice; /notices shows it to
 * a signed-out visitor, who files an objection; the office dismisses it; the
 * clock passes the 5 working days; the star is on her home, her own page and
 * her printed card. Then axe on the new pages, normal and elder mode.
 */
const suite = browserSuite({
  skipName: 'star level journeys',
  seed: (server) => {
    seedHours(server.db, server.app.secrets, server.clock.now());
    bringTo(server, wangMemberId(server), 100 * 60 - 30);
  },
});
if (suite) {
  const scalar = (sql: string, ...parameters: unknown[]) => suite.server.db.$client.prepare(sql).pluck().get(...parameters);
  const phone = async (role: Role | 'office-city' | null, elder = false, english = false): Promise<{ page: Page; close: () => Promise<void>; errors: string[] }> => {
    const { context, page, errors } = await phonePage(suite, role, { elder });
    // Signed in through the Chinese form, then the language switched by cookie (as test/e2e/accessibility.test.ts does).
    if (english) await context.addCookies([{ name: 'sh_lang', value: 'en', url: suite.server.baseUrl }]);
    return { page, errors, close: () => context.close() };
  };

  t.test('100 hours: proposal, public notice, objection dismissed, star awarded after 5 working days and shown to her', async (t) => {
    const base = suite.server.baseUrl;
    const volunteer = await phone('volunteer');
    await volunteer.page.goto(`${base}/hours/new`);
    await volunteer.page.getByLabel('服务类型').selectOption('visit');
    await volunteer.page.getByLabel('查找服务对象').fill('杨');
    await volunteer.page.getByRole('radio', { name: /杨老汉/ }).check();
    await volunteer.page.getByLabel('服务日期').fill('2026-11-22');
    await volunteer.page.getByLabel('开始时间').fill('06:00');
    await volunteer.page.getByLabel('结束时间').fill('07:00');
    await volunteer.page.getByRole('button', { name: '保存' }).click();
    await volunteer.page.getByText('已保存，等待审核。').waitFor();
    const recordId = Number(/records\/(\d+)/.exec(volunteer.page.url())![1]);
    await volunteer.close();

    const coordinator = await phone('coordinator');
    await coordinator.page.goto(`${base}/hours/records/${recordId}`);
    await coordinator.page.getByRole('button', { name: '通过', exact: true }).click();
    await coordinator.page.getByText('已通过，时间已入账。').waitFor();
    await coordinator.close();
    t.equal(scalar("SELECT status FROM star_awards WHERE star = 1"), 'proposed', 'the approval proposed her first star');

    const office = await phone('office');
    await office.page.goto(`${base}/stars`);
    const card = office.page.locator('li.card', { hasText: '王秀英 · 一星志愿者' });
    await card.getByRole('button', { name: '发布公示' }).click();
    await office.page.getByText('公示已发布。').waitFor();
    t.match(await office.page.locator('li.card', { hasText: '王秀英' }).textContent(), '公示期：2026-11-24 至 2026-11-30（5 个工作日）');

    const visitor = await phone(null);
    await visitor.page.goto(`${base}/notices`);
    const notice = visitor.page.locator('li.card', { hasText: '王*英 · 一星志愿者' });
    t.match(await notice.textContent(), '老家寨村');
    await notice.getByText('对此公示提出异议').click();
    await notice.getByLabel('异议理由（必填）').fill('她有几次服务是和别人一起的');
    await notice.getByRole('button', { name: '提交异议' }).click();
    await visitor.page.getByText('联系电话（必填）').first().waitFor();
    await visitor.page.getByText('请填写联系电话。').first().waitFor();
    const again = visitor.page.locator('li.card', { hasText: '王*英' });
    await again.getByLabel('联系电话（必填）').fill('13912345678');
    await again.getByRole('button', { name: '提交异议' }).click();
    await visitor.page.getByText('异议已收到，授予机关会尽快核实。').waitFor();
    t.same(visitor.errors.filter((error) => !/status of 422/.test(error)), [], 'no console or CSP errors for the visitor');
    await visitor.close();

    await office.page.goto(`${base}/stars`);
    const objection = office.page.locator('li[id^="objection-"]');
    t.match(await objection.textContent(), '联系电话：139****5678');
    // To call the objector back, the office shows the full number: once, by POST, audited.
    await objection.getByRole('button', { name: '显示完整号码' }).click();
    await office.page.getByText('完整号码：13912345678（仅这一次显示，查看已记录）').waitFor();
    t.notMatch(office.page.url(), '13912345678', 'never in the URL');
    t.same(await axeViolations(office.page), [], 'the page with the full number passes axe');
    t.equal(suite.server.db.$client.prepare("SELECT count(*) FROM audit_log WHERE action = 'stars.objection_phone_reveal'").pluck().get(), 1, 'the reveal is audited');
    await objection.getByLabel('异议不成立，继续公示').check();
    await objection.getByLabel('处理说明（必填）').fill('已与组织方核实，服务时长属实');
    await objection.getByRole('button', { name: '提交处理结果' }).click();
    await office.page.getByText('异议不成立，公示继续。').waitFor();
    await office.close();

    suite.server.clock.nowMs = Date.parse('2026-12-01T09:00:00+08:00');
    t.equal(await suite.server.app.jobs.run('stars'), 1, 'after the fifth working day the job awards the star');

    const her = await phone('volunteer');
    t.match(await her.page.locator('#star-level').textContent(), '一星志愿者', 'on her home page');
    await her.page.goto(`${base}/members/me`);
    t.match(await her.page.locator('#member-star').textContent(), '一星志愿者', 'on her own page');
    await her.close();
    const countyOffice = await phone('office');
    await countyOffice.page.goto(`${base}/members/${wangMemberId(suite.server)}/card`);
    t.match(await countyOffice.page.locator('.member-card').textContent(), '一星志愿者', 'on her printed card');
    await countyOffice.close();
  });

  const pages: { name: string; role: Role | null; path: string }[] = [
    { name: 'public notices', role: null, path: '/notices' },
    { name: 'star office', role: 'office', path: '/stars' },
    { name: 'star policy (top office)', role: 'admin', path: '/stars/policy' },
    { name: 'home with a star', role: 'volunteer', path: '/' },
  ];
  for (const { elder, english } of [{ elder: false, english: false }, { elder: true, english: false }, { elder: false, english: true }]) {
    t.test(`accessibility of the star pages (${elder ? 'elder mode' : 'normal mode'}${english ? ', English' : ''})`, async (t) => {
      // A notice in progress, with an open objection, so every part of the pages is there.
      suite.server.db.$client.prepare("UPDATE star_awards SET status = 'on_notice', notice_end_date = '2026-12-31' WHERE star = 1").run();
      suite.server.db.$client.prepare("UPDATE star_objections SET status = 'open'").run();
      for (const check of pages) {
        const label = `${check.name} (${elder ? 'elder' : 'normal'}${english ? ', English' : ''})`;
        const { page, close } = await phone(check.role, elder, english);
        await page.goto(`${suite.server.baseUrl}${check.path}`);
        t.equal(await page.locator('html').getAttribute('lang'), english ? 'en' : 'zh-CN', `${label}: language`);
        // The objection form of a notice is folded in a <details>: open it, so axe sees the form too.
        if (check.path === '/notices') await page.locator('details summary').first().click();
        t.same(await axeViolations(page), [], `${label}: axe finds no violations`);
        t.same((await smallText(page, elder ? 24 : 18, 'main')).found, [], `${label}: text is at least ${elder ? 24 : 18}px`);
        if (elder) t.same((await smallTargets(page, { within: 'main' })).found, [], `${label}: controls are at least 60x60px`);
        await page.setViewportSize({ width: 320, height: 700 });
        t.equal(await sidewaysScroll(page), 0, `${label}: no horizontal scroll at 320px`);
        await close();
      }
    });
  }

  checkNoSecretsInUrls();
}

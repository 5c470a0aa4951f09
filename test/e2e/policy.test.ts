import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { seedRedemption } from '../../src/domain/demo/redemption.ts';
import { sidewaysScroll, smallTargets, smallText } from '../helpers/readable.ts';
import { setPolicyRules } from '../helpers/policy.ts';
import { actorWithRoles } from '../helpers/actor.ts';
import { registerElder } from '../../src/domain/people/elders/register.ts';
import { makeIdNumber } from '../../src/lib/idcard.ts';
import { browserSuite, phonePage, axeViolations, navigationLink, checkNoSecretsInUrls } from '../helpers/browser.ts';

/**
 * Issue 20 in a real Chromium: the administrator opens the policy page from the
 * navigation, publishes a version from a future date and sees it as upcoming;
 * a date that is not in the future is refused on the page. The page (with an
 * upcoming version, and with a refusal) passes axe in normal and elder mode,
 * in Chinese and in English.
 */
const suite = browserSuite({ seed: (server) => seedRedemption(server.db, server.app.secrets, server.clock.now()) });
if (suite) {
  const scalar = (sql: string, ...parameters: unknown[]) => suite.server.db.$client.prepare(sql).pluck().get(...parameters);

  t.test('the administrator publishes a policy version from next month and sees it as upcoming', async (t) => {
    const { context, page, errors } = await phonePage(suite, 'admin');
    await (await navigationLink(page, '兑换政策')).click();
    await page.getByRole('heading', { level: 1, name: '兑换政策（按生效日期分版本）' }).waitFor();
    t.match(await page.locator('#policy-current h2').textContent() ?? '', '现行版本：第 1 版（2000-01-01 起生效）');
    t.match(await page.locator('#policy-upcoming').textContent() ?? '', '没有即将生效的版本。');

    await page.getByLabel('生效日期（年-月-日）').fill('2026-11-23');
    await page.getByLabel('可用时间兑换照护服务的年龄（岁）').fill('65');
    await page.getByRole('button', { name: '发布新版本' }).click();
    await page.getByText('生效日期必须晚于今天（2026-11-23）').first().waitFor();
    t.equal(scalar('SELECT count(*) FROM policy_versions'), 1, 'the refused form wrote nothing');

    await page.getByLabel('生效日期（年-月-日）').fill('2026-12-01');
    await page.getByLabel('特殊困难老人可兑换照护服务的年龄（岁，留空为不设）').fill('60');
    await page.getByLabel('说明（例如文件名）').fill('2026 年新规');
    await page.getByRole('button', { name: '发布新版本' }).click();
    await page.getByText('新版本已发布，到生效日期才开始执行。').waitFor();
    const upcoming = await page.locator('#policy-upcoming').textContent() ?? '';
    t.match(upcoming, '第 2 版，2026-12-01 起生效');
    t.match(upcoming, '2026 年新规');
    t.match(await page.locator('#policy-current h2').textContent() ?? '', '第 1 版', 'version 1 stays in force until the date');
    t.match(await page.locator('#policy-history').textContent() ?? '', '即将生效');
    const rules = JSON.parse(String(scalar("SELECT rules FROM policy_versions WHERE effective_date = '2026-12-01'"))) as { careAgeYears: number; careAgeRegisteredYears: number };
    t.same([rules.careAgeYears, rules.careAgeRegisteredYears], [65, 60]);
    t.same(errors.filter((error) => !error.includes('status of 422')), [], 'no console or CSP errors (besides the refused form)');
    await context.close();
  });

  type Asserts = Pick<Test, 'same' | 'equal'>;
  async function check(t: Asserts, page: Page, label: string, elder: boolean) {
    t.same(await axeViolations(page), [], `${label}: axe finds no violations`);
    t.same((await smallText(page, elder ? 24 : 18)).found, [], `${label}: text is at least ${elder ? 24 : 18}px`);
    if (elder) t.same((await smallTargets(page, { summary: true })).found, [], `${label}: every control is at least 60x60px`);
    await page.setViewportSize({ width: 320, height: 700 });
    t.equal(await sidewaysScroll(page), 0, `${label}: no horizontal scroll at 320px`);
    await page.setViewportSize({ width: 390, height: 800 });
  }

  for (const [locale, elder] of [['zh-CN', false], ['zh-CN', true], ['en', false]] as const) {
    t.test(`the policy page passes axe (${locale}, ${elder ? 'elder' : 'normal'} mode)`, async (t) => {
      // Signed in through the Chinese form, then switched to English by the language cookie (as the footer's form sets it).
      const { context, page } = await phonePage(suite, 'admin', { elder });
      if (locale === 'en') await context.addCookies([{ name: 'sh_lang', value: 'en', url: suite.server.baseUrl }]);
      const label = `${locale} ${elder ? 'elder' : 'normal'}`;
      await page.goto(`${suite.server.baseUrl}/policy`);
      await page.getByRole('heading', { level: 1, name: locale === 'en' ? 'Redemption policy (dated versions)' : '兑换政策（按生效日期分版本）' }).waitFor();
      await check(t, page, `policy page (${label})`, elder);
      await page.locator('#effective_date').fill('2020-01-01');
      await page.locator('form[action="/policy/versions"] button[type="submit"]').click();
      await page.getByRole('alert').first().waitFor();
      await check(t, page, `refused publication (${label})`, elder);
      await context.close();
    });
  }

  t.test('the counter page with the priority list for short stock passes axe (normal and elder mode)', async (t) => {
    // The rule in force today, set in place on version 1 (a published version applies only from tomorrow).
    setPolicyRules(suite.server.db, { priorityStockThreshold: 3 });
    t.teardown(() => setPolicyRules(suite.server.db, { priorityStockThreshold: null }));
    // An empty-nest elder aged 86 of the site's village, whom the clerk puts on the eggs' reservation list below.
    const db = suite.server.db;
    const adminId = Number(scalar("SELECT id FROM users WHERE phone = '13800000006'"));
    const registered = registerElder({ db, keys: suite.server.app.secrets, now: suite.server.clock.now }, actorWithRoles(db, { userId: adminId, roles: [{ role: 'admin', regionCode: '430000' }] }), {
      realName: '钱高龄', idNumber: makeIdNumber('430524', '1940-02-01', 901), villageCode: '430524101001', memberId: null, categories: ['empty_nest'],
      familyContactName: null, familyContactRelation: null, familyContactPhone: null, consent: { givenBy: 'self', method: 'written' }, sensitiveConsent: null,
    });
    t.ok(registered.ok, 'the elder is registered');
    for (const elder of [false, true]) {
      const { context, page } = await phonePage(suite, 'clerk', { elder });
      await page.goto(`${suite.server.baseUrl}/counter/1`);
      await page.getByRole('heading', { level: 2, name: '库存紧张：优先留给 80 岁以上空巢老人' }).waitFor();
      t.match(await page.locator('#priority-list').textContent() ?? '', '鸡蛋 10 个：剩 3 件');
      if (!elder) {
        await page.getByLabel('预留的物品').selectOption({ label: '鸡蛋 10 个' });
        await page.getByRole('button', { name: '加入预留名单' }).click();
        await page.locator('ol.reservation-list').waitFor();
        t.match(await page.locator('#priority-list').textContent() ?? '', '钱*龄（86 岁）', 'the clerk sees the elder on the list');
        t.equal(scalar("SELECT count(*) FROM stock_reservations WHERE status = 'waiting'"), 1, 'the reservation is stored');
      }
      await check(t, page, `counter with priority list (${elder ? 'elder' : 'normal'})`, elder);
      await context.close();
    }
  });

  checkNoSecretsInUrls();
}

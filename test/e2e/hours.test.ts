import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import type { Role } from '../../src/domain/access/authorize.ts';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { measureFields } from '../helpers/fields.ts';
import { sidewaysScroll, smallTargets, smallText } from '../helpers/readable.ts';
import { browserSuite, phonePage, axeViolations, newPhoneContext, signInThroughForm, watchForErrors, checkNoSecretsInUrls, navigationLink } from '../helpers/browser.ts';

/**
 * Browser journeys for service hours on a phone-sized screen, and an
 * accessibility sweep of every hours page (normal and elder mode): axe finds
 * nothing, text >= 18px (24px elder), elder controls >= 60x60px, no sideways
 * scroll at 320px.
 */

const suite = browserSuite({
  seed: (server) => {
    seedHours(server.db, server.app.secrets, server.clock.now());
  },
});
if (suite) {
  const scalar = (sql: string, ...parameters: unknown[]) => suite.server.db.$client.prepare(sql).pluck().get(...parameters);

  const phone = async (role: Role, elder = false): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> => {
    const { context, page, errors } = await phonePage(suite, role, { elder });
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    return { page, errors, close: () => context.close() };
  };

  t.test('a volunteer logs a visit on a phone, a coordinator approves it, the balance and passbook show it', async (t) => {
    const volunteer = await phone('volunteer');
    const { page } = volunteer;
    await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '我的时间' }).click();
    await page.getByRole('heading', { level: 1, name: '我的服务时间' }).waitFor();
    const availableBefore = await page.locator('#balance-available').textContent();
    await page.getByRole('link', { name: '登记服务时间' }).click();
    await page.getByRole('heading', { level: 1, name: '登记服务时间' }).waitFor();
    await page.getByLabel('服务类型').selectOption('visit');
    // With JavaScript the choices appear while typing; without it the find button does the same (route tests).
    await page.getByLabel('查找服务对象').fill('杨');
    await page.getByRole('radio', { name: /杨老汉/ }).check();
    await page.getByLabel('服务日期').fill('2026-11-22');
    await page.getByLabel('开始时间').fill('06:00');
    await page.getByLabel('结束时间').fill('07:00');
    await page.getByLabel('备注（可不填）').fill('帮老人挑水');
    await page.getByRole('button', { name: '保存' }).dblclick(); // a double tap
    await page.getByText('已保存，等待审核。').waitFor();
    t.match(page.url(), /\/hours\/records\/\d+\?logged=pending$/);
    const recordId = Number(/records\/(\d+)/.exec(page.url())![1]);
    t.equal(scalar('SELECT status FROM service_records WHERE id = ?', recordId), 'pending');
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '帮老人挑水'"), 1, 'one record after a double tap');
    // The back button brings a fresh, empty form (a new key): saving it as it is writes nothing.
    for (let step = 0; step < 3 && !new URL(page.url()).pathname.endsWith('/hours/new'); step += 1) {
      await page.goBack();
      await page.waitForTimeout(300);
    }
    await page.getByRole('heading', { level: 1, name: '登记服务时间' }).waitFor();
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText('没有保存，请按下面的提示修改。').waitFor();
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '帮老人挑水'"), 1, 'still one record after resubmitting');

    const coordinator = await phone('coordinator');
    await (await navigationLink(coordinator.page, '审核')).click();
    await coordinator.page.getByRole('heading', { level: 1, name: '待审核的服务记录' }).waitFor();
    const item = coordinator.page.locator('#queue tbody tr').filter({ hasText: '帮老人挑水' });
    await item.getByRole('button', { name: '通过' }).click();
    await coordinator.page.getByText('已通过 1 条。').waitFor();
    t.equal(scalar('SELECT status FROM service_records WHERE id = ?', recordId), 'approved');

    await page.goto(`${suite.server.baseUrl}/hours`);
    const availableAfter = await page.locator('#balance-available').textContent();
    t.not(availableAfter, availableBefore, 'the available balance changed');
    await page.getByRole('link', { name: '查看存折' }).click();
    await page.getByRole('heading', { level: 1, name: '存折' }).waitFor();
    const firstRow = await page.locator('#passbook tbody tr').first().textContent();
    t.match(firstRow ?? '', '服务审核通过入账');
    t.match(firstRow ?? '', '+1 小时');
    t.same(volunteer.errors.filter((e) => !e.includes('status of 422')), [], 'no console or CSP errors for the volunteer (besides the refused empty form)');
    t.same(coordinator.errors, [], 'no console or CSP errors for the coordinator');
    await volunteer.close();
    await coordinator.close();
  });

  t.test('a rejection shows its reason to the volunteer', async (t) => {
    const coordinator = await phone('coordinator');
    const recordId = scalar("SELECT id FROM service_records WHERE status = 'pending' AND volunteer_member_id = (SELECT member_id FROM users WHERE phone = '13800000001') ORDER BY id LIMIT 1");
    t.ok(recordId, 'the seed left a pending record of the volunteer');
    await coordinator.page.goto(`${suite.server.baseUrl}/hours/records/${recordId}`);
    await coordinator.page.getByRole('button', { name: '不通过' }).click();
    await coordinator.page.getByText('请写明原因。').waitFor();
    await coordinator.page.getByLabel('不通过的原因（志愿者会看到）').fill('老人说那天是上午来的，请核对时间');
    await coordinator.page.getByRole('button', { name: '不通过' }).click();
    await coordinator.page.getByText('已标记为不通过。').waitFor();
    const volunteer = await phone('volunteer');
    await volunteer.page.goto(`${suite.server.baseUrl}/hours`);
    await volunteer.page.getByText('未通过原因：老人说那天是上午来的，请核对时间').waitFor();
    t.pass('the volunteer reads the reason on the hours page');
    t.same(coordinator.errors.filter((e) => !e.includes('status of 422')), [], 'no errors besides the refused empty reason');
    await coordinator.close();
    await volunteer.close();
  });

  t.test('activity sign-in by QR URL', async (t) => {
    const activityId = scalar("SELECT id FROM team_activities WHERE theme = '银龄健康操与防诈骗讲座'");
    const coordinator = await phone('coordinator');
    await coordinator.page.goto(`${suite.server.baseUrl}/activities/${activityId}/sign-in`);
    await coordinator.page.getByRole('button', { name: '开始签到' }).click();
    await coordinator.page.getByRole('img', { name: '签到二维码' }).waitFor();
    const url = await coordinator.page.locator('#qr-code a.url').getAttribute('href');
    t.match(url ?? '', /\/activities\/check-in\/\d+\/[A-Za-z0-9_-]{10}$/);

    // The volunteer's phone opens the scanned URL before signing in.
    const context = await newPhoneContext(suite.browser, { baseUrl: suite.server.baseUrl });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await page.goto(url!);
    await page.getByLabel('手机号码').fill('13800000001');
    await page.getByLabel('密码').fill('yinling2026');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('button', { name: '确认签到' }).click();
    await page.getByText(/签到成功/).waitFor();
    await coordinator.page.reload();
    await coordinator.page.locator('#attendance').getByText('王秀英').waitFor();
    t.pass('the coordinator sees the attendee');
    // An old code stops working.
    suite.server.clock.advance(3 * 60_000);
    await page.goto(url!);
    await page.getByText('二维码已过期，请重新扫描屏幕上的最新二维码。').waitFor();
    t.pass('the old code is refused');
    t.same(errors.filter((e) => !e.includes('410')), [], 'no console errors besides the refused code');
    await context.close();
    await coordinator.close();
  });

  const pages: { name: string; role: Role; path: () => string; prepare?: (page: Page) => Promise<void> }[] = [
    { name: 'hours home', role: 'volunteer', path: () => '/hours' },
    { name: 'log form', role: 'volunteer', path: () => '/hours/new' },
    {
      name: 'log form with errors', role: 'volunteer', path: () => '/hours/new',
      prepare: async (page) => {
        await page.getByLabel('开始时间').fill('10:00');
        await page.getByLabel('结束时间').fill('09:00');
        await page.getByRole('button', { name: '保存' }).click();
        await page.getByText('没有保存，请按下面的提示修改。').waitFor();
      },
    },
    { name: 'record', role: 'volunteer', path: () => `/hours/records/${scalar("SELECT id FROM service_records WHERE status = 'rejected' AND volunteer_member_id = (SELECT member_id FROM users WHERE phone = '13800000001') LIMIT 1")}` },
    { name: 'passbook', role: 'volunteer', path: () => '/passbook' },
    { name: 'statement', role: 'volunteer', path: () => '/passbook/statement?from=2026-10-01&to=2026-11-23' },
    { name: 'standard (read)', role: 'volunteer', path: () => '/hours/standard' },
    { name: 'queue', role: 'coordinator', path: () => '/hours/queue' },
    { name: 'log for a member', role: 'coordinator', path: () => '/hours/new?member_query=%E9%BA%BB' },
    { name: 'record to review', role: 'coordinator', path: () => `/hours/records/${scalar("SELECT id FROM service_records WHERE status = 'pending' AND entered_by_user_id <> (SELECT id FROM users WHERE phone = '13800000002') LIMIT 1")}` },
    { name: 'coverage', role: 'coordinator', path: () => '/coverage' },
    { name: 'elder services', role: 'coordinator', path: () => `/coverage/elders/${scalar("SELECT id FROM elders WHERE real_name = '龙玉兰'")}` },
    { name: 'activities', role: 'coordinator', path: () => '/activities' },
    { name: 'sign-in screen', role: 'coordinator', path: () => `/activities/${scalar("SELECT id FROM team_activities WHERE theme = '银龄健康操与防诈骗讲座'")}/sign-in` },
    { name: 'standard and policy (top office)', role: 'admin', path: () => '/hours/standard' },
  ];

  for (const elder of [false, true]) {
    t.test(`accessibility of the hours pages (${elder ? 'elder mode' : 'normal mode'})`, async (t) => {
      for (const role of [...new Set(pages.map((check) => check.role))]) {
        const { page, close } = await phone(role, elder);
        for (const check of pages.filter((candidate) => candidate.role === role)) {
          const label = `${check.name} (${elder ? 'elder' : 'normal'})`;
          await page.setViewportSize({ width: 390, height: 800 });
          const path = check.path();
          await page.goto(`${suite.server.baseUrl}${path}`);
          t.equal(new URL(page.url()).pathname, path.split('?')[0], `${label}: the page itself`);
          if (check.prepare) await check.prepare(page);
          t.same(await axeViolations(page), [], `${label}: axe finds no violations`);
          t.same((await smallText(page, elder ? 24 : 18, 'main')).found, [], `${label}: text is at least ${elder ? 24 : 18}px`);
          const fields = await measureFields(page, elder);
          t.same(fields.found, [], `${label}: ${fields.checked} fields (${fields.types.join(', ')}) are big enough`);
          if (elder) {
            t.same((await smallTargets(page, { within: 'main' })).found, [], `${label}: controls are at least 60x60px`);
          }
          await page.setViewportSize({ width: 320, height: 700 });
          t.equal(await sidewaysScroll(page), 0, `${label}: no horizontal scroll at 320px`);
        }
        await close();
      }
    });
  }
  t.test('the find button after typing the elder\'s PIN sends only the query: no PIN or CSRF token in the address bar (JS on and off)', async (t) => {
    for (const javaScriptEnabled of [true, false]) {
      const context = await suite.browser.newContext({ javaScriptEnabled, viewport: { width: 390, height: 800 }, locale: 'zh-CN' });
      const page = await context.newPage();
      await signInThroughForm(page, suite.server.baseUrl, 'volunteer');
      await page.goto(`${suite.server.baseUrl}/hours/new`);
      await page.getByLabel('老人确认密码（可不填）').fill('258036');
      await page.getByLabel('查找服务对象').fill('杨');
      const [search] = await Promise.all([
        page.waitForRequest((request) => request.url().includes('/hours/new?')),
        page.getByRole('button', { name: '查找', exact: true }).click(),
      ]);
      await page.getByRole('radio', { name: /杨老汉/ }).waitFor();
      t.equal(new URL(search.url()).search, `?recipient_query=${encodeURIComponent('杨')}`, `JS ${javaScriptEnabled ? 'on' : 'off'}: the search sends only its query`);
      t.notMatch(page.url(), /pin|csrf|258036/i, 'nor is anything secret in the address bar');
      await context.close();
    }
  });
  checkNoSecretsInUrls();
}

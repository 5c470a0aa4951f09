import t from 'tap';
import { browserSuite, phonePage, signInThroughForm, checkNoSecretsInUrls, navigationLink } from '../helpers/browser.ts';

const suite = browserSuite();
if (suite) {
  const navigationByRole = {
    volunteer: ['首页', '我的账户'],
    coordinator: ['首页', '地区', '我的账户'],
    clerk: ['首页', '我的账户'],
    office: ['首页', '地区', '操作记录', '我的账户'],
    'office-city': ['首页', '地区', '操作记录', '我的账户'],
    admin: ['首页', '地区', '操作记录', '我的账户'],
  } as const;

  t.test('each demo role signs in and sees its navigation', async (t) => {
    for (const [role, expected] of Object.entries(navigationByRole)) {
      const { context, page, errors } = await phonePage(suite, role as keyof typeof navigationByRole);
      await page.getByRole('heading', { level: 1, name: /您好/ }).waitFor();
      // Staff entries sit in folded menus (<details>): count the links inside them too.
      const links = await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { includeHidden: true }).allTextContents();
      // Core entries only: features add entries of their own.
      const core = ['首页', '地区', '操作记录', '我的账户'];
      t.same(links.map((text) => text.trim()).filter((text) => core.includes(text)), expected, `${role}: navigation`);
      t.ok(await page.getByRole('button', { name: '退出登录' }).isVisible(), `${role}: sign-out button`);
      t.same(errors, [], `${role}: no console or CSP errors`);
      await context.close();
    }
  });

  t.test('navigation with htmx boost, then a region added through the form', async (t) => {
    const { context, page, errors } = await phonePage(suite, 'admin');
    await page.getByRole('heading', { name: /您好/ }).waitFor();
    t.equal(await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx), 'object', 'htmx is loaded');
    await (await navigationLink(page, '地区')).click();
    await page.getByRole('heading', { level: 1, name: '湖南省' }).waitFor();
    await page.getByRole('link', { name: '邵阳市' }).click();
    await page.getByRole('link', { name: '隆回县' }).click();
    await page.getByRole('heading', { level: 1, name: '隆回县' }).waitFor();
    t.match(page.url(), /\/regions\/430524$/);
    await page.getByLabel('区划代码').fill('430524103');
    await page.getByLabel('中文名称').fill('荷田乡');
    await page.getByRole('button', { name: '添加' }).click();
    await page.getByText('已添加地区 430524103。').waitFor();
    t.ok(await page.getByRole('link', { name: '荷田乡' }).isVisible());
    await page.getByLabel('区划代码').fill('430524103');
    await page.getByLabel('中文名称').fill('重复');
    await page.getByRole('button', { name: '添加' }).click();
    await page.getByText('这个区划代码已经登记过了。').waitFor();
    t.equal(await page.getByLabel('区划代码').getAttribute('aria-invalid'), 'true');
    await page.goBack();
    t.same(errors.filter((error) => !/status of 422/.test(error)), [], 'no console or CSP errors');
    await context.close();
  });

  t.test('a wrong password shows a clear message', async (t) => {
    const { context, page } = await phonePage(suite, 'volunteer', { password: 'wrong-password' });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    t.equal((await alert.textContent())?.trim(), '手机号码或密码不正确，请检查后再试。');
    t.match(page.url(), /\/sign-in$/);
    t.equal(await page.getByLabel('手机号码').inputValue(), '13800000001', 'the phone stays filled in');
    t.equal(await page.getByLabel('密码').inputValue(), '', 'the password does not');
    await context.close();
  });

  t.test('switch to English and back, turn on elder mode, sign out', async (t) => {
    const { context, page, errors } = await phonePage(suite, 'office');
    await page.getByRole('heading', { name: /您好/ }).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hello, 田建国' }).waitFor();
    t.equal(await page.locator('html').getAttribute('lang'), 'en');
    t.ok(await (await navigationLink(page, 'Activity log', { navigation: 'Main navigation' })).isVisible());
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { level: 1, name: '田建国，您好' }).waitFor();
    t.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');

    const normalSize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    // Issue 14 item 6: the switch is in the header (first thing on a phone) as well as in the footer.
    t.equal(await page.getByRole('button', { name: '长辈模式' }).count(), 2, 'two switches: header and footer');
    await page.getByRole('banner').getByRole('button', { name: '长辈模式' }).click();
    await page.waitForFunction(() => document.documentElement.classList.contains('elder'));
    const elderSize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    t.ok(normalSize >= 18, `normal text ${normalSize}px`);
    t.ok(elderSize >= 24, `elder text ${elderSize}px`);
    for (const pressed of await page.getByRole('button', { name: '长辈模式' }).all()) t.equal(await pressed.getAttribute('aria-pressed'), 'true');
    await (await navigationLink(page, '操作记录')).click();
    await page.getByRole('heading', { level: 1, name: '操作记录' }).waitFor();
    t.ok(await page.evaluate(() => document.documentElement.classList.contains('elder')), 'elder mode stays on');

    await page.getByRole('button', { name: '退出登录' }).click();
    await page.getByText('您已退出登录。').waitFor();
    await page.goto(`${suite.server.baseUrl}/audit`);
    await page.getByRole('heading', { level: 1, name: '登录' }).waitFor();
    t.match(page.url(), /\/sign-in\?next=%2Faudit/);
    t.same(errors, [], 'no console or CSP errors');
    await context.close();
  });

  t.test('works with JavaScript off: sign in and add a village with plain form posts', async (t) => {
    const context = await suite.browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 800 }, locale: 'zh-CN' });
    const page = await context.newPage();
    await signInThroughForm(page, suite.server.baseUrl, 'admin');
    await page.getByRole('heading', { name: /您好/ }).waitFor();
    await page.goto(`${suite.server.baseUrl}/regions/433123102`);
    await page.getByLabel('区划代码').fill('433123102002');
    await page.getByLabel('中文名称').fill('拉毫村');
    await page.getByLabel('农村').check();
    await page.getByRole('button', { name: '添加' }).click();
    await page.getByText('已添加地区 433123102002。').waitFor();
    t.ok(await page.getByRole('link', { name: '拉毫村' }).isVisible());
    await context.close();
  });
  checkNoSecretsInUrls();
}

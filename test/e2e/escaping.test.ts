import t, { type Test } from 'tap';
import type { BrowserContext, Page } from 'playwright-core';
import { makeIdNumber } from '../../src/lib/idcard.ts';
import { browserSuite, listenLocally, signInThroughForm, checkNoSecretsInUrls } from '../helpers/browser.ts';
import { matrixApp } from '../routes/access-matrix.ts';

/**
 * No script from user input runs in a real browser (issue 8, with the fuzz
 * test). Script payloads go in through three real forms (a member's name, the
 * reason a record is not approved, a partner site's name) and every page that
 * then shows them is checked: window.__pwned stays undefined, no element or
 * handler came from the payload, and the payload is on the page as text.
 * The contexts bypass the CSP on purpose: our CSP would block inline scripts
 * anyway, so the test checks the escaping itself, not the safety net.
 */
const tagPayload = '<script>window.__pwned=1</script>';
const breakoutPayload = '"><img src=x onerror=window.__pwned=1>';
const attributePayload = '" onfocus="__pwned=true'; // short, no digits: names allow 30 characters and no digits

const suite = browserSuite({
  skipName: 'script payloads stay text in the browser',
  start: async () => {
    const built = await matrixApp();
    return { ...built, baseUrl: await listenLocally(built.app) };
  },
});
if (suite) {
  const signedIn = async (role: 'coordinator' | 'volunteer' | null): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await suite.browser.newContext({ bypassCSP: true, locale: 'zh-CN' });
    const page = await context.newPage();
    if (role) await signInThroughForm(page, suite.server.baseUrl, role);
    return { context, page };
  };

  /** Types into the field with that label; returns what the field holds (maxlength may cut it). */
  async function typed(page: Page, label: string, text: string): Promise<string> {
    const field = page.getByLabel(label);
    await field.fill(text);
    return field.inputValue();
  }

  /** The page shows `text` as text, and nothing of it became markup or ran. */
  async function inert(t: Test, page: Page, text: string, where: string): Promise<void> {
    await page.waitForLoadState('load');
    t.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined, `${where}: no payload ran`);
    const injected = await page.evaluate(() => document.querySelectorAll('script:not([src]), img[onerror], [onfocus], [onload]:not(body)').length);
    t.equal(injected, 0, `${where}: no element or handler from the payload`);
    const shown = await page.evaluate((needle) => {
      const values = [...document.querySelectorAll('input, textarea')].map((element) => (element as HTMLInputElement).value);
      return document.body.innerText.includes(needle) || values.includes(needle);
    }, text);
    t.ok(shown, `${where}: the payload is on the page as text`);
  }

  t.test('a member name', async (t) => {
    const { context, page } = await signedIn('coordinator');
    // A name with < > is refused: the form shows it again, escaped.
    await page.goto(`${suite.server.baseUrl}/members/new`);
    // The field keeps at most 30 characters (maxlength): check what was really sent.
    const refused = await typed(page, '姓名', tagPayload);
    await page.getByLabel('身份证号').fill(makeIdNumber('433123', '1961-04-02', 951));
    await page.getByLabel('所在村/社区').selectOption('433123101001');
    await page.getByRole('button', { name: '登记并发卡' }).click();
    await page.getByRole('alert').first().waitFor();
    await inert(t, page, refused, 'refused registration form');
    // Quotes are allowed in names: registered, then shown on the member's page and in the list.
    const name = await typed(page, '姓名', `龙${attributePayload}`);
    t.equal(name, `龙${attributePayload}`, 'the whole name fits the field');
    await page.getByLabel('身份证号').fill(makeIdNumber('433123', '1961-04-02', 952));
    await page.getByRole('button', { name: '登记并发卡' }).click();
    await page.waitForURL(/\/members\/\d+\?registered=1/);
    await inert(t, page, name, 'member page');
    await page.goto(`${suite.server.baseUrl}/members?q=${encodeURIComponent('龙')}`);
    await inert(t, page, name, 'member list');
    await context.close();
  });

  t.test('the reason a record is not approved', async (t) => {
    const recordId = suite.server.fixtures.record.home; // the demo volunteer's own pending record
    const coordinator = await signedIn('coordinator');
    await coordinator.page.goto(`${suite.server.baseUrl}/hours/records/${recordId}`);
    const reason = await typed(coordinator.page, '不通过的原因（志愿者会看到）', `时间不对${breakoutPayload}`);
    await coordinator.page.getByRole('button', { name: '不通过' }).click();
    await coordinator.page.waitForURL(/done=rejected/);
    await inert(t, coordinator.page, reason, 'record page (coordinator)');
    await coordinator.context.close();
    t.equal(suite.server.db.$client.prepare(`SELECT status FROM service_records WHERE id = ?`).pluck().get(recordId), 'rejected', 'the record was rejected with the reason');
    const volunteer = await signedIn('volunteer');
    await volunteer.page.goto(`${suite.server.baseUrl}/hours/records/${recordId}`);
    await inert(t, volunteer.page, reason, 'record page (volunteer)');
    await volunteer.context.close();
  });

  t.test('a partner site name', async (t) => {
    const { context, page } = await signedIn('coordinator');
    const fill = async (wanted: string) => {
      await page.goto(`${suite.server.baseUrl}/sites/new`);
      const name = await typed(page, '站点名称', wanted);
      await page.getByLabel('所在村（社区）代码').fill('433123101001');
      await page.getByLabel('详细地址').fill('老家寨村村部');
      await page.getByLabel('开放时间').fill('每天 8:00-18:00');
      await page.getByRole('button', { name: '登记站点' }).click();
      await page.waitForLoadState('load');
      return name;
    };
    const refused = await fill(`互助站${breakoutPayload}`);
    await page.getByRole('alert').first().waitFor();
    await inert(t, page, refused, 'refused site form');
    const name = await fill(`互助站${attributePayload}`);
    await page.waitForURL(/\/sites\/\d+\/manage/);
    await inert(t, page, name, 'site catalogue page');
    await context.close();
    const visitor = await signedIn(null);
    await visitor.page.goto(`${suite.server.baseUrl}/sites`);
    await inert(t, visitor.page, name, 'public site list');
    await visitor.context.close();
  });
  checkNoSecretsInUrls();
}

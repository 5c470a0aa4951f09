import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import type { Role } from '../../src/domain/access/authorize.ts';
import { seedRedemption } from '../../src/domain/demo/redemption.ts';
import { measureFields } from '../helpers/fields.ts';
import { sidewaysScroll, smallTargets, smallText } from '../helpers/readable.ts';
import { browserSuite, axeViolations, newPhoneContext, signInThroughForm, checkNoSecretsInUrls } from '../helpers/browser.ts';

/**
 * Every page we build, signed out and as each role, in normal and elder mode:
 * axe (WCAG 2.0/2.1/2.2 A and AA) finds nothing, text is at least 18px (24px
 * in elder mode), elder-mode controls are at least 60x60px, and nothing
 * scrolls sideways at 320px.
 */

interface PageCheck {
  name: string;
  role: Role | null;
  /** Browser language; Chinese unless given. */
  locale?: 'en';
  path: string;
  /** Something to do on the page before checking, such as submitting an empty form. */
  prepare?: (page: Page) => Promise<void>;
}

const pages: PageCheck[] = [
  { name: 'sign-in', role: null, path: '/sign-in' },
  {
    name: 'sign-in with an error',
    role: null,
    path: '/sign-in',
    prepare: async (page) => {
      await page.getByRole('button', { name: '登录' }).click();
      await page.getByRole('alert').waitFor();
    },
  },
  { name: '404', role: null, path: '/no-such-page' },
  { name: 'volunteer home', role: 'volunteer', path: '/' },
  { name: 'account', role: 'volunteer', path: '/account' },
  { name: 'password change', role: 'volunteer', path: '/account/password' },
  { name: 'clerk home', role: 'clerk', path: '/' },
  { name: 'coordinator township', role: 'coordinator', path: '/regions/433123101' },
  { name: '403', role: 'coordinator', path: '/audit' },
  { name: 'office home', role: 'office', path: '/' },
  { name: 'office village', role: 'office', path: '/regions/433123101001' },
  { name: 'audit log', role: 'office', path: '/audit' },
  { name: 'office accounts', role: 'office', path: '/accounts' },
  {
    name: 'office new account with errors',
    role: 'office',
    path: '/accounts/new',
    prepare: async (page) => {
      await page.getByRole('button', { name: '新建账户' }).click();
      await page.getByRole('alert').waitFor();
    },
  },
  {
    name: 'office account page',
    role: 'office',
    path: '/accounts',
    prepare: async (page) => {
      await page.locator('.card-title a').first().click();
      await page.getByRole('heading', { name: '授予身份' }).waitFor();
    },
  },
  { name: 'service station counter with the elder search', role: 'coordinator', path: '/counter/2' },
  {
    name: 'service station counter, elder search refused',
    role: 'coordinator',
    path: '/counter/2',
    prepare: async (page) => {
      await page.getByRole('button', { name: '查找老人' }).click();
      await page.getByText('请输入老人的姓名（与档案一致）。').waitFor();
    },
  },
  { name: 'site page with item, clerk and site forms', role: 'office', path: '/sites/2/manage' },
  { name: 'site page as its clerk', role: 'clerk', path: '/sites/1/manage' },
  { name: 'admin province', role: 'admin', path: '/regions/430000' },
  { name: 'admin county with form', role: 'admin', path: '/regions/433123' },
  { name: 'sign-in in English', role: null, locale: 'en', path: '/sign-in' },
  { name: 'office audit log in English', role: 'office', locale: 'en', path: '/audit' },
  { name: 'admin county in English', role: 'admin', locale: 'en', path: '/regions/433123' },
  {
    name: 'admin village form with errors',
    role: 'admin',
    path: '/regions/433123101',
    prepare: async (page) => {
      await page.getByRole('button', { name: '添加' }).click();
      await page.getByText('没有添加，请按下面的提示修改。').waitFor();
    },
  },
];

const suite = browserSuite({
  seed: async (server) => {
    // Partner sites for the counter and site pages (site 1: a 隆回县 love supermarket with the demo clerk; site 2: a 凤凰县 service station).
    await seedRedemption(server.db, server.app.secrets, server.clock.now());
  },
});
if (suite) {
  for (const elder of [false, true]) {
    t.test(elder ? 'elder mode' : 'normal mode', async (t) => {
      const groups = [...new Set(pages.map((check) => `${check.role ?? ''}|${check.locale ?? 'zh-CN'}`))];
      for (const group of groups) {
        const [roleName, locale] = group.split('|') as [string, string];
        const role = roleName === '' ? null : (roleName as Role);
        const context = await newPhoneContext(suite.browser, { baseUrl: suite.server.baseUrl, elder });
        const page = await context.newPage();
        if (role) {
          // Sign in through the Chinese form, then switch the language by cookie.
          await signInThroughForm(page, suite.server.baseUrl, role);
        }
        if (locale === 'en') await context.addCookies([{ name: 'sh_lang', value: 'en', url: suite.server.baseUrl }]);
        for (const check of pages.filter((candidate) => candidate.role === role && (candidate.locale ?? 'zh-CN') === locale)) {
          const label = `${check.name} (${elder ? 'elder' : 'normal'})`;
          await page.setViewportSize({ width: 390, height: 800 });
          await page.goto(`${suite.server.baseUrl}${check.path}`);
          t.equal(new URL(page.url()).pathname, check.path, `${label}: the page itself, not a redirect`);
          t.equal(await page.locator('html').getAttribute('lang'), check.locale ?? 'zh-CN', `${label}: language`);
          if (check.prepare) await check.prepare(page);

          const violations = await axeViolations(page);
          t.same(violations, [], `${label}: axe finds no violations`);

          const textCheck = await smallText(page, elder ? 24 : 18);
          t.ok(textCheck.checked >= 5, `${label}: ${textCheck.checked} text elements measured`);
          t.same(textCheck.found, [], `${label}: text is at least ${elder ? 24 : 18}px`);

          // Fields of every input type (date, time, month, search, file...): the text check above sees no text in them.
          const fields = await measureFields(page, elder);
          t.same(fields.found, [], `${label}: ${fields.checked} fields (${fields.types.join(', ')}) are big enough`);

          if (elder) {
            const targetCheck = await smallTargets(page);
            t.ok(targetCheck.checked >= 3, `${label}: ${targetCheck.checked} controls measured`);
            t.same(targetCheck.found, [], `${label}: every control is at least 60x60px`);
          }

          await page.setViewportSize({ width: 320, height: 700 });
          t.equal(await sidewaysScroll(page), 0, `${label}: no horizontal scroll at 320px`);
        }
        await context.close();
      }
    });
  }
  checkNoSecretsInUrls();
}

import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import t from 'tap';
import type { Role } from '../../src/domain/access/authorize.ts';
import { demoRedemptionPin } from '../../src/domain/demo/redemption.ts';
import { demoPassword } from '../../src/domain/demo/seed.ts';
import { createTestApp, demoPhone, type TestApp } from './web.ts';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A reason to skip browser tests, or false when Chromium is there. */
export function browserSkipReason(): string | false {
  return existsSync(chromiumPath)
    ? false
    : `Chromium not found at ${chromiumPath}: install Debian's chromium and fonts-noto-cjk (apt-get install chromium fonts-noto-cjk) to run the browser tests`;
}

/**
 * Debian's Chromium, never a downloaded one. Playwright gives each launch a
 * fresh temporary profile (its own --user-data-dir) and adds --headless.
 */
export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // Every context (browser.newPage makes one too) records the URLs it requests, for checkNoSecretsInUrls.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...options: Parameters<Browser['newContext']>) => {
    const context = await newContext(...options);
    context.on('request', (request) => seenUrls.push({ where: 'browser', method: request.method(), url: request.url() }));
    return context;
  };
  return browser;
}

/** Every URL a browser of this test file requested, and every URL a watched server received. */
const seenUrls: { where: 'browser' | 'server'; method: string; url: string }[] = [];

/** Records every URL the app's HTTP server receives (what a proxy's access log would keep). */
export function watchServerUrls(app: FastifyInstance): void {
  app.server.on('request', (request: { method?: string; url?: string }) => seenUrls.push({ where: 'server', method: request.method ?? '?', url: request.url ?? '' }));
}

const secretParameterName = /pin|password|passwd|csrf/i;

/**
 * Why a URL carries a secret, or null: a query parameter named like a PIN,
 * password or CSRF token, or the demo password or demo PIN anywhere in it.
 */
export function secretInUrl(url: string): string | null {
  if (!/^(https?:|\/)/.test(url)) return null;
  const parsed = new URL(url, 'http://127.0.0.1');
  for (const name of parsed.searchParams.keys()) if (secretParameterName.test(name)) return `query parameter ${name}`;
  const raw = parsed.pathname + parsed.search + parsed.hash;
  let text = raw;
  try {
    text = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    // A malformed escape: look at the URL as it is.
  }
  if (text.includes(demoPassword)) return 'the demo password';
  if (new RegExp(`(^|\\D)${demoRedemptionPin}(\\D|$)`).test(text)) return 'the demo PIN';
  return null;
}

/**
 * Adds, as the last test of the file, the check that no URL a browser requested
 * or a watched server received carried a PIN, password or CSRF token (call it
 * after the file's journeys: tap runs them in order).
 */
export function checkNoSecretsInUrls(): void {
  t.test('no PIN, password or CSRF token in any URL the browsers requested or the server received', async (t) => {
    t.ok(seenUrls.some((seen) => seen.where === 'browser'), `the journeys' requests were recorded (${seenUrls.length} URLs)`);
    const leaks = seenUrls.flatMap((seen) => {
      const why = secretInUrl(seen.url);
      return why ? [`${seen.where} ${seen.method} ${seen.url}: ${why}`] : [];
    });
    t.same(leaks, [], 'no secret in a URL');
  });
}

export interface LiveServer extends TestApp {
  baseUrl: string;
}

/** Listens on 127.0.0.1 with a random port, records the URLs the server receives (watchServerUrls), answers the base URL. */
export async function listenLocally(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  watchServerUrls(app);
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

/** The app on 127.0.0.1 with a random port, on an in-memory database with the demo seeded. */
export async function startServer(): Promise<LiveServer> {
  const testApp = await createTestApp({ signInAttemptsPerAddress: 1000 });
  return { ...testApp, baseUrl: await listenLocally(testApp.app) };
}

/** A browser test file's Chromium and server, set once tap has run the file's `before`. */
export interface BrowserSuite<Server extends { app: FastifyInstance } = LiveServer> {
  browser: Browser;
  server: Server;
}

/**
 * The set-up every browser test file shares: without Chromium, one skipped test
 * named `skipName` and null; otherwise Chromium and a server (startServer(), or
 * `start`) launched in parallel before the file's tests, `seed` run on the
 * server, and both closed after them.
 */
export function browserSuite<Server extends { app: FastifyInstance } = LiveServer>(
  options: { skipName?: string; start?: () => Promise<Server>; seed?: (server: Server) => unknown } = {},
): BrowserSuite<Server> | null {
  const skip = browserSkipReason();
  if (skip) {
    t.test(options.skipName ?? 'browser tests', { skip }, async () => {});
    return null;
  }
  const suite = {} as BrowserSuite<Server>;
  const start = options.start ?? (startServer as unknown as () => Promise<Server>);
  t.before(async () => {
    [suite.browser, suite.server] = await Promise.all([launchBrowser(), start()]);
    await options.seed?.(suite.server);
  });
  t.teardown(async () => {
    await suite.browser?.close();
    await suite.server?.app.close();
  });
  return suite;
}

/**
 * A phone-sized page (elder mode if asked) signed in through the form as `role`
 * (with `password`, the demo one unless given) or signed out, with its console
 * and page errors collected.
 */
export async function phonePage(
  suite: BrowserSuite,
  role: Role | 'office-city' | null,
  options: { elder?: boolean; locale?: string; password?: string } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await newPhoneContext(suite.browser, { baseUrl: suite.server.baseUrl, elder: options.elder, locale: options.locale });
  const page = await context.newPage();
  const errors = watchForErrors(page);
  if (role) await signInThroughForm(page, suite.server.baseUrl, role, options.password);
  return { context, page, errors };
}

/**
 * Signs in through the form, as a person would: fields found by their labels.
 * With the demo password it waits until the browser has left the sign-in page.
 */
export async function signInThroughForm(page: Page, baseUrl: string, role: Role | 'office-city', password = demoPassword): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel('手机号码').fill(demoPhone(role));
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  if (password === demoPassword) await page.waitForURL((url) => url.pathname !== '/sign-in');
}

/**
 * A link of the main navigation, as a person reaches it: when it sits in one
 * of the staff menus (a <details>), the menu is opened first.
 */
export async function navigationLink(page: Page, name: string, options: { navigation?: string; exact?: boolean } = {}) {
  const navigation = page.getByRole('navigation', { name: options.navigation ?? '主导航' });
  const link = navigation.getByRole('link', { name, exact: options.exact ?? true });
  // The filter's locator is matched inside each <details> (so it starts from the page), hidden links included.
  const menu = navigation.locator('details').filter({ has: page.getByRole('link', { name, exact: options.exact ?? true, includeHidden: true }) });
  if ((await menu.count()) > 0 && !(await menu.first().evaluate((details) => (details as HTMLDetailsElement).open))) {
    await menu.first().locator('summary').click();
  }
  return link;
}

/** Collects console errors and page errors (CSP violations show up here). */
export function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

export async function newPhoneContext(browser: Browser, options: { elder?: boolean; baseUrl: string; locale?: string }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 390, height: 800 }, locale: options.locale ?? 'zh-CN' });
  if (options.elder) await context.addCookies([{ name: 'sh_elder', value: '1', url: options.baseUrl }]);
  return context;
}

/** The WCAG 2.0/2.1/2.2 A and AA rules every browser sweep runs. */
export const axeTags = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'];
/**
 * Best-practice rules outside the WCAG tags that the sweeps run as well:
 * landmark-unique (two regions or navigations with the same name cannot be told
 * apart by a screen reader's landmark list).
 */
export const axeExtraRules = ['landmark-unique'];

/**
 * What axe finds on the page as it is now, one line per rule ("rule: targets"),
 * with the WCAG tags and the extra rules in one run. The page must come from
 * browser.newContext() (axe refuses browser.newPage()).
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .options({ runOnly: { type: 'tag', values: axeTags }, rules: Object.fromEntries(axeExtraRules.map((rule) => [rule, { enabled: true }])) })
    .analyze();
  return results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

export type { FastifyInstance };

/**
 * Polls an async check in the page until it returns something truthy (every 200 ms, up to `timeoutMs`), and
 * returns that. page.waitForFunction does not await a promise: an async predicate is truthy at once.
 */
export async function untilInPage<T, Arg extends string | number | boolean | null>(page: Page, check: (arg: Arg) => Promise<T>, arg: Arg, timeoutMs = 15_000): Promise<T> {
  for (let waited = 0; ; waited += 200) {
    const value = await page.evaluate(check as (arg: unknown) => Promise<T>, arg);
    if (value) return value;
    if (waited >= timeoutMs) throw new Error(`untilInPage: still false after ${timeoutMs} ms`);
    await page.waitForTimeout(200);
  }
}

/**
 * Waits until the service worker controls the page and keeps the volunteer's three pages (docs/OFFLINE.md).
 * A slow machine gets 40 s; if they are still not kept, the error says what the worker had kept by then.
 */
export async function untilPagesKept(page: Page): Promise<void> {
  await page.evaluate(() => navigator.serviceWorker.ready);
  const kept = () => page.evaluate(async () => ({
    controlled: Boolean(navigator.serviceWorker.controller),
    kept: (await (await caches.open('silver-hours-pages-v1')).keys()).map((request) => new URL(request.url).pathname),
  }));
  try {
    await untilInPage(page, async () => {
      if (!navigator.serviceWorker.controller) return false;
      const paths = (await (await caches.open('silver-hours-pages-v1')).keys()).map((request) => new URL(request.url).pathname);
      return ['/hours', '/passbook', '/hours/new'].every((path) => paths.includes(path));
    }, null, 40_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}; by then: ${JSON.stringify(await kept())}`);
  }
}

/** A volunteer signed in on a phone, online, whose three pages the worker keeps (docs/OFFLINE.md). */
export async function volunteerOnline(suite: BrowserSuite): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const opened = await phonePage(suite, 'volunteer');
  await opened.page.goto(`${suite.server.baseUrl}/hours`);
  await untilPagesKept(opened.page);
  return opened;
}

/** Fills the logging form as a volunteer would (a visit to 龙玉兰 of the demo) and taps 保存. */
export async function fillVisit(page: Page, note: string, date: string, start: string, end: string): Promise<void> {
  await page.getByLabel('服务类型').selectOption('visit');
  await page.getByRole('radio', { name: /龙玉兰/ }).check();
  await page.getByLabel('服务日期').fill(date);
  await page.getByLabel('开始时间').fill(start);
  await page.getByLabel('结束时间').fill(end);
  await page.getByLabel('备注（可不填）').fill(note);
  await page.getByRole('button', { name: '保存' }).click();
}

import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Role } from '../../src/domain/access/authorize.ts';
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
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
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
}

export interface LiveServer extends TestApp {
  baseUrl: string;
}

/** The app on 127.0.0.1 with a random port, on an in-memory database with the demo seeded. */
export async function startServer(): Promise<LiveServer> {
  const testApp = await createTestApp({ signInAttemptsPerAddress: 1000 });
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  const address = testApp.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { ...testApp, baseUrl: `http://127.0.0.1:${address.port}` };
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

export type { FastifyInstance };

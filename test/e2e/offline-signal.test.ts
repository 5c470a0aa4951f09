import t from 'tap';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Page } from 'playwright-core';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { addDays, shanghaiDateOf } from '../../src/domain/hours/time.ts';
import { formatDateTime } from '../../src/lib/time.ts';
import { currentAssetUrls } from '../../src/plugins/assets.ts';
import { axeViolations, browserSuite, phonePage, signInThroughForm, startServer, untilInPage, untilPagesKept, volunteerOnline, fillVisit, type LiveServer } from '../helpers/browser.ts';

/**
 * Offline logging when the signal is weak rather than gone, and what the worker and
 * the outbox do after the world changed (docs/OFFLINE.md), in a real Chromium:
 * - a server that neither answers nor fails (requests held, then let go): the kept
 *   page shows with 离线 after the worker's 4 s, the late answer refreshes the copy;
 *   the form sent then times out into the outbox and arrives exactly once;
 * - a new worker (a deploy) deletes cached assets not of the current build;
 * - an upload refused 403 for the account (not a stale token) shows its reason and
 *   stops waiting; a signed-out upload (401) waits with 请重新登录.
 */

type Listener = (request: IncomingMessage, response: ServerResponse) => void;

/** The server's requests that match are held until released: a signal that neither answers nor fails. */
class WeakSignal {
  private matches: ((request: IncomingMessage) => boolean) | null = null;
  private held: (() => void)[] = [];
  heldCount = 0;
  /** Every request the server received, as "METHOD /path". */
  readonly seen: string[] = [];
  constructor(server: LiveServer) {
    const http = server.app.server;
    const listeners = http.listeners('request') as Listener[];
    http.removeAllListeners('request');
    http.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const run = () => listeners.forEach((listener) => listener.call(http, request, response));
      this.seen.push(`${request.method} ${(request.url ?? '').split('?')[0]}`);
      if (this.matches?.(request)) {
        this.heldCount += 1;
        this.held.push(run);
      } else run();
    });
  }
  hold(method: string, path: string): void {
    this.matches = (request) => request.method === method && (request.url ?? '').split('?')[0] === path;
  }
  release(): void {
    this.matches = null;
    for (const run of this.held.splice(0)) run();
  }
}

let signal: WeakSignal;
const suite = browserSuite({
  start: async () => {
    const server = await startServer();
    signal = new WeakSignal(server);
    return server;
  },
  seed: (server) => {
    seedHours(server.db, server.app.secrets, server.clock.now());
  },
});
if (suite) {
  const scalar = (sql: string, ...parameters: unknown[]) => suite.server.db.$client.prepare(sql).pluck().get(...parameters);
  const run = (sql: string, ...parameters: unknown[]) => suite.server.db.$client.prepare(sql).run(...parameters);
  const today = () => shanghaiDateOf(suite.server.clock.now());
  const url = (path: string) => `${suite.server.baseUrl}${path}`;
  const volunteerId = () => scalar("SELECT id FROM users WHERE phone = '13800000001'");

  const keptUpdatedAt = (page: Page) => page.evaluate(async () => {
    const copy = await (await caches.open('silver-hours-pages-v1')).match('/hours/new');
    return /<time datetime="([^"]+)"/.exec((await copy?.text()) ?? '')?.[1] ?? null;
  });
  const count = (note: string) => scalar('SELECT count(*) FROM service_records WHERE note = ?', note);

  /** Taps 立即上传 while it shows, until the entry is saved (it may be saved without a tap). */
  const uploadUntilSaved = async (page: Page) => {
    const saved = page.locator('#outbox-list li.outbox-saved');
    const upload = page.getByRole('button', { name: '立即上传' });
    for (let tries = 0; (await saved.count()) === 0; tries += 1) {
      if (tries > 20) throw new Error('the entry was never saved');
      if (await upload.isVisible()) await upload.click({ timeout: 2_000 }).catch(() => {}); // it may hide as the upload ends
      await saved.waitFor({ timeout: 2_000 }).catch(() => {});
    }
  };

  t.test('a weak signal: the kept form after 4 s with 离线, the late answer refreshes it, the form sent then arrives once', async (t) => {
    const { context, page } = await volunteerOnline(suite);
    const keptAt = await keptUpdatedAt(page);
    suite.server.clock.advance(60_000);
    signal.hold('GET', '/hours/new');
    const started = Date.now();
    await page.goto(url('/hours/new'));
    await t.resolveMatch(page.locator('#offline-banner').textContent(), /离线.*更新于/s, 'the kept form, marked 离线');
    t.ok(await page.locator('#offline-banner').isVisible(), 'its 离线 line shows');
    const waitedMs = Date.now() - started;
    t.ok(waitedMs >= 3500, `the copy answered after the worker's time-out (${waitedMs} ms), not before and not never`);
    t.ok(signal.heldCount >= 1, 'the server had the request and did not answer');

    signal.release();
    await untilInPage(page, (before) => caches.open('silver-hours-pages-v1').then((cache) => cache.match('/hours/new'))
      .then((copy) => copy?.text()).then((html) => !!html && !html.includes(`datetime="${before}"`)), keptAt);
    t.not(await keptUpdatedAt(page), keptAt, 'the late answer replaced the copy');

    signal.hold('POST', '/hours');
    await fillVisit(page, '信号很弱', addDays(today(), -1), '08:00', '09:00');
    await page.getByRole('heading', { name: '已保存在手机上，有信号时会自动上传' }).waitFor({ timeout: 15_000 });
    // The immediate upload of the kept entry meets the same weak signal: it gives up and the entry waits.
    await page.waitForFunction(() => document.querySelector('#outbox-status')?.textContent === '' && document.querySelector('#outbox-list li.outbox-pending'), undefined, { timeout: 20_000 });
    await t.resolveMatch(page.locator('#outbox-list').textContent(), '等待上传', 'still waiting, not lost');
    t.equal(count('信号很弱'), 0, 'nothing written while the server held the posts');
    t.ok(signal.heldCount >= 3, 'the form post and its upload both reached the server');
    signal.release();
    // Once released, a held upload may still be answered and save the entry by itself (the worker's Background
    // Sync upload waits longer than the page's 8 s); otherwise she taps 立即上传, as the page asks.
    await uploadUntilSaved(page);
    t.equal(count('信号很弱'), 1, 'one record, whatever became of the held posts');
    t.same(await axeViolations(page), [], 'axe: the uploaded entry');
    await context.close();
  });

  t.test('a new worker (a deploy) deletes cached assets that are not of the current build', async (t) => {
    const { context, page } = await volunteerOnline(suite);
    await page.evaluate(async () => {
      const cache = await caches.open('silver-hours-assets-v1');
      await cache.put('/assets/app.000000000000.css', new Response('body{}', { headers: { 'Content-Type': 'text/css' } }));
      await cache.put('/assets/old-script.js', new Response('', { headers: { 'Content-Type': 'text/javascript' } }));
    });
    const before = await page.evaluate(async () => (await (await caches.open('silver-hours-assets-v1')).keys()).map((request) => new URL(request.url).pathname));
    t.ok(before.includes('/assets/app.000000000000.css'), 'an asset of an earlier build is in the cache');
    // The next deploy's worker: another script URL for the same scope installs and activates a new worker.
    await page.evaluate(async () => {
      await navigator.serviceWorker.register('/sw.js?deploy=2', { type: 'module', scope: '/' });
    });
    const state = await untilInPage(page, async () => {
      const active = (await navigator.serviceWorker.getRegistration('/'))?.active;
      const keys = (await (await caches.open('silver-hours-assets-v1')).keys()).map((request) => new URL(request.url).pathname);
      return active?.scriptURL.endsWith('?deploy=2') && !keys.includes('/assets/app.000000000000.css') ? 'pruned' : false;
    }, null);
    t.equal(state, 'pruned', 'the new worker is active and the asset of the earlier build is gone');
    const after = await page.evaluate(async () => (await (await caches.open('silver-hours-assets-v1')).keys()).map((request) => new URL(request.url).pathname));
    const current = new Set(currentAssetUrls());
    t.same(after.filter((path) => !current.has(path)), [], 'only names of the current build are left');
    t.ok(after.includes('/assets/outbox.js') && after.some((path) => /^\/assets\/app\.[0-9a-f]{12}\.css$/.test(path)), `the current ones stay (${after.length})`);
    await context.close();
  });

  t.test('an upload refused for the account shows why and stops waiting; signed out, it waits with 请重新登录', async (t) => {
    const { context, page } = await volunteerOnline(suite);
    await context.setOffline(true);
    await page.goto(url('/hours/new'));
    await fillVisit(page, '角色已变', addDays(today(), -1), '11:00', '12:00');
    await page.locator('#outbox-list li.outbox-pending').waitFor();
    t.teardown(() => run("UPDATE user_roles SET role = 'volunteer' WHERE user_id = ? AND role = 'clerk'", volunteerId()));
    run("UPDATE user_roles SET role = 'clerk' WHERE user_id = ? AND role = 'volunteer'", volunteerId());
    await context.setOffline(false);
    const forbidden = page.locator('#outbox-list li.outbox-forbidden');
    await forbidden.waitFor();
    await t.resolveMatch(forbidden.textContent(), /没有保存：您的账号没有关联成员档案，不能登记或签到。/, 'the reason, in Chinese');
    t.ok(await page.locator('#outbox-upload').isHidden(), 'nothing left waiting: no 立即上传');
    t.same(await axeViolations(page), [], 'axe: the entry refused for the account');
    t.equal(count('角色已变'), 0);
    await forbidden.getByRole('button', { name: '知道了' }).click();
    await forbidden.waitFor({ state: 'detached' });
    run("UPDATE user_roles SET role = 'volunteer' WHERE user_id = ? AND role = 'clerk'", volunteerId());

    await context.setOffline(true);
    await page.goto(url('/hours/new'));
    await fillVisit(page, '账号停用', addDays(today(), -1), '13:00', '14:00');
    await page.locator('#outbox-list li.outbox-pending').waitFor();
    run("UPDATE users SET status = 'disabled' WHERE id = ?", volunteerId());
    await context.setOffline(false);
    const signIn = page.locator('#outbox-list li.outbox-sign-in');
    await signIn.waitFor();
    await t.resolveMatch(signIn.getByRole('link', { name: '请重新登录，登录后自动上传' }).getAttribute('href'), '/sign-in');
    t.ok(await page.locator('#outbox-upload').isVisible(), 'still waiting: 立即上传 stays');
    t.same(await axeViolations(page), [], 'axe: the entry waiting for her to sign in again');
    t.equal(count('账号停用'), 0);
    run("UPDATE users SET status = 'active' WHERE id = ?", volunteerId());
    await signInThroughForm(page, suite.server.baseUrl, 'volunteer');
    await page.goto(url('/hours'));
    await page.locator('#outbox-list li.outbox-saved').waitFor();
    t.equal(count('账号停用'), 1, 'uploaded once after signing in again');
    await context.close();
  });

  t.test('a role changed between the token and the upload: the upload\'s own 403 is read as a refusal, not as a stale token', async (t) => {
    const { context, page } = await volunteerOnline(suite);
    await context.setOffline(true);
    await page.goto(url('/hours/new'));
    await fillVisit(page, '上传时角色变', addDays(today(), -1), '16:00', '17:00');
    await page.locator('#outbox-list li.outbox-pending').waitFor();
    const heldBefore = signal.heldCount;
    signal.hold('POST', '/hours');
    await context.setOffline(false);
    for (let waited = 0; signal.heldCount === heldBefore; waited += 100) {
      if (waited > 10_000) throw new Error('the upload never reached the server');
      await page.waitForTimeout(100);
    }
    t.teardown(() => run("UPDATE user_roles SET role = 'volunteer' WHERE user_id = ? AND role = 'clerk'", volunteerId()));
    run("UPDATE user_roles SET role = 'clerk' WHERE user_id = ? AND role = 'volunteer'", volunteerId());
    // What the page itself asks for from now on (the worker's Background Sync may upload on its own: not the page's uploader).
    const asked: string[] = [];
    context.on('request', (request) => asked.push(`${request.serviceWorker() ? 'worker' : 'page'} ${request.method()} ${new URL(request.url()).pathname}`));
    signal.release();
    const forbidden = page.locator('#outbox-list li.outbox-forbidden');
    await forbidden.waitFor();
    await t.resolveMatch(forbidden.textContent(), /没有保存：您的账号没有关联成员档案，不能登记或签到。/);
    t.notOk(asked.includes('page GET /hours/new'), `no fresh token fetched: the 403 was not taken for a stale token (asked since: ${asked.join(', ') || 'nothing'})`);
    t.equal(count('上传时角色变'), 0, 'nothing written');
    run("UPDATE user_roles SET role = 'volunteer' WHERE user_id = ? AND role = 'clerk'", volunteerId());
    await context.close();
  });

  /** The kept copy's 离线 line offline, and whether its time reads as the server's clock wrote it, in this language. */
  const offlineLine = async (page: Page, locale: 'zh-CN' | 'en') => {
    const time = page.locator('#offline-banner time');
    const written = formatDateTime(Date.parse(String(await time.getAttribute('datetime'))), locale);
    return { text: (await page.locator('#offline-banner').textContent())?.replace(/\s+/g, ' ').trim(), sameTime: (await time.textContent()) === written, visible: await time.isVisible() };
  };

  /** Waits until every kept copy is in this language; if they never are, says what the page and each copy were. */
  const untilCopiesIn = async (page: Page, lang: string) => {
    const languages = () => page.evaluate(async () => {
      const cache = await caches.open('silver-hours-pages-v1');
      const copies = await Promise.all(['/hours', '/passbook', '/hours/new'].map(async (path) => /<html lang="([\w-]+)"/.exec((await (await cache.match(path))?.text()) ?? '')?.[1] ?? 'none'));
      return { page: document.documentElement.lang, pageOffline: !document.querySelector('#offline-banner')?.hasAttribute('hidden'), online: navigator.onLine, copies };
    });
    try {
      await untilInPage(page, async (want) => {
        const cache = await caches.open('silver-hours-pages-v1');
        const texts = await Promise.all(['/hours', '/passbook', '/hours/new'].map(async (path) => (await cache.match(path))?.text()));
        return texts.every((text) => /<html lang="([\w-]+)"/.exec(text ?? '')?.[1] === want);
      }, lang);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the page and the copies: ${JSON.stringify(await languages())}`);
    }
  };

  t.test('elder mode, in both languages: the kept copy says when it was updated; the outbox states added here, axe-clean', async (t) => {
    const { context, page } = await phonePage(suite, 'volunteer', { elder: true });
    await page.goto(url('/hours'));
    await untilPagesKept(page);
    await context.setOffline(true);
    await page.goto(url('/hours/new'));
    const zh = await offlineLine(page, 'zh-CN');
    t.match(zh.text, /^离线 手机上保存的页面，更新于 \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}$/, `zh: ${zh.text}`);
    t.ok(zh.sameTime && zh.visible, 'zh: the time shown is the time the copy was made');
    t.same(await axeViolations(page), [], 'axe: elder mode, zh, the kept copy');

    await context.setOffline(false);
    await context.addCookies([{ name: 'sh_lang', value: 'en', url: suite.server.baseUrl }]);
    await page.goto(url('/hours/new'));
    // The page opened online in English: the worker refreshes every kept copy into English, not only this page's.
    await untilCopiesIn(page, 'en');
    await context.setOffline(true);
    await page.goto(url('/hours/new'));
    const en = await offlineLine(page, 'en');
    t.match(en.text, /^Offline the copy kept on this phone, updated \d{2}\/\d{2}\/\d{4},? \d{2}:\d{2}$/, `en: ${en.text}`);
    t.ok(en.sameTime && en.visible, 'en: the time shown is the time the copy was made');

    const logInEnglish = async (note: string) => {
      await page.locator('#service_type').selectOption('visit');
      await page.locator('input[name="elder_id"]').first().check();
      await page.locator('#date').fill(addDays(today(), -2));
      await page.locator('#start_time').fill('15:00');
      await page.locator('#end_time').fill('16:00');
      await page.locator('#note').fill(note);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.locator('#outbox-list li.outbox-pending').waitFor();
    };
    await logInEnglish('elder mode refused');
    run("UPDATE user_roles SET role = 'clerk' WHERE user_id = ? AND role = 'volunteer'", volunteerId());
    t.teardown(() => run("UPDATE user_roles SET role = 'volunteer' WHERE user_id = ? AND role = 'clerk'", volunteerId()));
    await context.setOffline(false);
    const forbidden = page.locator('#outbox-list li.outbox-forbidden');
    await forbidden.waitFor();
    await t.resolveMatch(forbidden.textContent(), /Not saved:\s*Your sign-in is not linked to a member record, so you cannot log hours or sign in\./);
    t.same(await axeViolations(page), [], 'axe: elder mode, en, refused for the account');
    t.equal(count('elder mode refused'), 0, 'nothing written');
    run("UPDATE user_roles SET role = 'volunteer' WHERE user_id = ? AND role = 'clerk'", volunteerId());
    await forbidden.getByRole('button', { name: 'OK', exact: true }).click();

    await context.setOffline(true);
    await page.goto(url('/hours/new'));
    await logInEnglish('elder mode signed out');
    run("UPDATE users SET status = 'disabled' WHERE id = ?", volunteerId());
    t.teardown(() => run("UPDATE users SET status = 'active' WHERE id = ?", volunteerId()));
    await context.setOffline(false);
    await page.locator('#outbox-list li.outbox-sign-in').getByRole('link', { name: 'Sign in again and it will be uploaded' }).waitFor();
    t.same(await axeViolations(page), [], 'axe: elder mode, en, waiting for sign-in');
    t.equal(count('elder mode signed out'), 0, 'nothing written');
    await context.close();
  });
}

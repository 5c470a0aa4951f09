import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { addSecondVolunteer } from '../routes/hours/helpers.ts';
import { addDays, shanghaiDateOf } from '../../src/domain/hours/time.ts';
import { demoPassword } from '../../src/domain/demo/seed.ts';
import { axeViolations, browserSuite, chromiumPath, phonePage, signInThroughForm, untilInPage, untilPagesKept, volunteerOnline, fillVisit, watchForErrors } from '../helpers/browser.ts';

/**
 * Offline logging (issue 19, docs/OFFLINE.md) in a real Chromium: the service
 * worker keeps the volunteer's own pages, the logging form sent offline goes to
 * the phone's outbox and arrives exactly once when the network returns, a lost
 * answer and its retry make one record, a refused upload shows its reason, and
 * the app is installable (manifest, icons, a worker controlling the page).
 */

const suite = browserSuite({
  seed: (server) => {
    seedHours(server.db, server.app.secrets, server.clock.now());
    addSecondVolunteer(server.db);
  },
});
if (suite) {
  const scalar = (sql: string, ...parameters: unknown[]) => suite.server.db.$client.prepare(sql).pluck().get(...parameters);
  const today = () => shanghaiDateOf(suite.server.clock.now());
  const url = (path: string) => `${suite.server.baseUrl}${path}`;


  t.test('two visits logged offline survive closing the page and arrive exactly once when the network returns', async (t) => {
    const { context, page } = await volunteerOnline(suite);
    await context.setOffline(true);
    await page.goto(url('/hours/new'));
    await page.getByRole('heading', { level: 1, name: '登记服务时间' }).waitFor();
    await t.resolveMatch(page.locator('#offline-banner').textContent(), /离线.*更新于/s, 'the kept form says it is offline and when it was updated');
    const phoneToday = await page.evaluate(() => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()));
    t.same(await page.locator('#date').evaluate((input: HTMLInputElement) => [input.value, input.max]), [phoneToday, phoneToday], 'the kept form dates today, not the day it was kept');
    const date = addDays(today(), -1);
    await fillVisit(page, '离线探访一', date, '08:00', '09:00');
    await page.getByRole('heading', { name: '已保存在手机上，有信号时会自动上传' }).waitFor();
    await fillVisit(page, '离线探访二', date, '10:00', '10:30');
    await page.locator('#outbox-list li').nth(1).waitFor();
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note LIKE '离线探访%'"), 0, 'nothing reached the server yet');
    await page.close();

    const reopened = await context.newPage();
    const errors = watchForErrors(reopened);
    await reopened.goto(url('/hours'));
    await reopened.locator('#outbox-list li').nth(1).waitFor();
    await t.resolveMatch(reopened.locator('#outbox-list').textContent(), /等待上传[\s\S]*等待上传/, 'both wait on the reopened page');
    t.same(await axeViolations(reopened), [], 'axe: the offline home with its outbox');
    await context.setOffline(false);
    await reopened.locator('#outbox-list li.outbox-saved').nth(1).waitFor();
    await t.resolveMatch(reopened.locator('#outbox-list').textContent(), /已上传，等待审核[\s\S]*已上传，等待审核/);
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '离线探访一'"), 1, 'the first arrived once');
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '离线探访二'"), 1, 'the second arrived once');
    t.same(scalar("SELECT service_date || ' ' || status FROM service_records WHERE note = '离线探访一'"), `${date} pending`, 'the date she entered, pending review');
    // Another upload (a reload, the button) sends nothing again.
    await reopened.reload();
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note LIKE '离线探访%'"), 2);
    t.same(errors.filter((error) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|htmx/.test(error)), []);
    await context.close();
  });

  t.test('a shared phone: an entry kept offline by one volunteer is never uploaded under another\'s session, and arrives once under hers', async (t) => {
    const { context, page } = await volunteerOnline(suite);
    await context.setOffline(true);
    await page.goto(url('/hours/new'));
    await fillVisit(page, '共用手机', addDays(today(), -1), '07:00', '07:30');
    await page.getByRole('heading', { name: '已保存在手机上，有信号时会自动上传' }).waitFor();
    // Her session is replaced by another volunteer's (signed in on this phone; her sign-out failed to clear), her page still open.
    const hers = await context.cookies();
    const other = await phonePage(suite, null);
    await other.page.goto(url('/sign-in'));
    await other.page.getByLabel('手机号码').fill('13800000098');
    await other.page.getByLabel('密码').fill(demoPassword);
    await other.page.getByRole('button', { name: '登录' }).click();
    await other.page.waitForURL((address) => address.pathname !== '/sign-in');
    const theirs = await other.context.cookies();
    await other.context.close();
    await context.clearCookies();
    await context.addCookies(theirs);
    await context.setOffline(false);
    const waiting = page.locator('#outbox-list li.outbox-other-user');
    await waiting.waitFor();
    await t.resolveMatch(waiting.textContent(), /没有上传：现在登录的不是保存这条记录的账号/, 'her page says why it was not sent');
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '共用手机'"), 0, 'nothing uploaded under the other session');
    // The other volunteer's own pages: her entry is only counted, and stays on the phone.
    await page.goto(url('/hours'));
    const others = page.locator('#outbox-others');
    await others.waitFor();
    await t.resolveMatch(others.textContent(), /这部手机上还有 1 条别的账号离线保存的记录/);
    t.equal(await page.locator('#outbox-list li').count(), 0, 'none of her entries is listed in detail');
    t.same(await axeViolations(page), [], 'axe: the other account\'s outbox notice');
    await page.reload();
    await others.waitFor();
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '共用手机'"), 0, 'still nothing after another page load');
    // Back as her: it arrives once, as hers.
    await context.clearCookies();
    await context.addCookies(hers);
    await page.goto(url('/hours'));
    await page.locator('#outbox-list li.outbox-saved').waitFor();
    await page.reload();
    await page.locator('#outbox-list li.outbox-saved').waitFor();
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '共用手机'"), 1, 'one record');
    t.equal(scalar("SELECT u.phone FROM service_records r JOIN users u ON u.member_id = r.volunteer_member_id WHERE r.note = '共用手机'"), '13800000001', 'hers');
    await context.close();
  });

  t.test('a lost answer and the retried upload make one record', async (t) => {
    // Without the worker: Playwright's routing does not reliably see requests of a page a worker controls,
    // and keeping a form whose answer was lost is the page's work (static/offline.js), not the worker's.
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 800 }, locale: 'zh-CN', serviceWorkers: 'block' });
    const page = await context.newPage();
    await signInThroughForm(page, suite.server.baseUrl, 'volunteer');
    await page.goto(url('/hours/new'));
    let processed = 0;
    // The server saves the record, then the answer is lost on the way back (twice: the form and the first upload).
    await page.route('**/hours', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await route.fetch();
      processed += 1;
      return route.abort('connectionreset');
    });
    await fillVisit(page, '答复丢失', addDays(today(), -2), '14:00', '15:00');
    await page.getByRole('heading', { name: '已保存在手机上，有信号时会自动上传' }).waitFor();
    await page.waitForFunction(() => !document.querySelector('#outbox-status')?.textContent);
    t.ok(processed >= 1, `the server processed the post ${processed} times`);
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '答复丢失'"), 1, 'the server kept it once');
    await page.unroute('**/hours');
    await page.getByRole('button', { name: '立即上传' }).click();
    await page.locator('#outbox-list li.outbox-saved').waitFor();
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '答复丢失'"), 1, 'still one record after the upload');
    await context.close();
  });

  t.test('a record older than the back-dating window is refused when it arrives, with the reason and a way to correct it', async (t) => {
    const { context, page } = await volunteerOnline(suite);
    await context.setOffline(true);
    await page.goto(url('/hours/new'));
    await fillVisit(page, '太久以前', addDays(today(), -40), '08:00', '09:00');
    await page.getByRole('heading', { name: '已保存在手机上，有信号时会自动上传' }).waitFor();
    await context.setOffline(false);
    const refused = page.locator('#outbox-list li.outbox-refused');
    await refused.waitFor();
    await t.resolveMatch(refused.textContent(), /没有保存：只能登记最近 30 天内的服务/);
    const correct = await refused.getByRole('link', { name: '去修改' }).getAttribute('href');
    t.match(correct, /^\/hours\/new\?.*date=/);
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '太久以前'"), 0, 'nothing written');
    t.same(await axeViolations(page), [], 'axe: the refused entry');
    await page.getByRole('link', { name: '去修改' }).click();
    await t.resolveMatch(page.getByLabel('备注（可不填）').inputValue(), '太久以前', 'the correction form has what she entered');
    await context.close();
  });

  t.test('elder mode in English: the offline copy and the outbox read in English, axe finds nothing', async (t) => {
    const { context, page } = await phonePage(suite, 'volunteer', { elder: true });
    await context.addCookies([{ name: 'sh_lang', value: 'en', url: suite.server.baseUrl }]);
    await page.goto(url('/hours'));
    await untilPagesKept(page);
    await context.setOffline(true);
    await page.goto(url('/hours/new'));
    await t.resolveMatch(page.locator('#offline-banner').textContent(), /Offline.*updated/s);
    await page.locator('#service_type').selectOption('visit');
    await page.locator('input[name="elder_id"]').nth(1).check();
    await page.locator('#date').fill(addDays(today(), -3));
    await page.locator('#start_time').fill('08:00');
    await page.locator('#end_time').fill('09:00');
    await page.locator('#note').fill('elder mode entry');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Saved on the phone; it will be uploaded when there is a signal' }).waitFor();
    await t.resolveMatch(page.locator('#outbox-list').textContent(), 'Waiting to upload');
    t.same(await axeViolations(page), [], 'axe: elder mode, English, offline, one entry waiting');
    await context.setOffline(false);
    await page.locator('#outbox-list li.outbox-saved').waitFor();
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = 'elder mode entry'"), 1);
    await context.close();
  });

  t.test('without JavaScript the form posts as before and nothing is kept on the phone', async (t) => {
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 800 }, locale: 'zh-CN', javaScriptEnabled: false });
    const page = await context.newPage();
    await signInThroughForm(page, suite.server.baseUrl, 'volunteer');
    await page.goto(url('/hours/new'));
    t.equal(await page.locator('#outbox').isVisible(), false, 'no outbox');
    t.equal(await page.locator('#offline-banner').isVisible(), false, 'no 离线 line online');
    await fillVisit(page, '没有脚本', addDays(today(), -4), '08:00', '09:00');
    await page.getByText('已保存，等待审核。').waitFor();
    t.equal(scalar("SELECT count(*) FROM service_records WHERE note = '没有脚本'"), 1);
    t.equal(context.serviceWorkers().length, 0, 'no worker registered');
    await context.close();
  });

  t.test('installable: the manifest, its icons, and a service worker that controls the page', async (t) => {
    const { context, page } = await volunteerOnline(suite);
    const manifest = await page.evaluate(async () => (await fetch(document.querySelector<HTMLLinkElement>('link[rel="manifest"]')!.href)).json());
    t.match(manifest, { name: '银龄时光', short_name: '银龄时光', display: 'standalone', start_url: '/hours', scope: '/', theme_color: '#0d5c53', background_color: '#fffdf8' });
    for (const [size, purpose] of [[192, 'any'], [512, 'any'], [192, 'maskable'], [512, 'maskable']] as const) {
      const icon = manifest.icons.find((candidate: { sizes: string; purpose: string }) => candidate.sizes === `${size}x${size}` && candidate.purpose === purpose);
      const loaded = await page.evaluate(async (src: string) => {
        const image = new Image();
        image.src = src;
        await image.decode();
        return [image.naturalWidth, image.naturalHeight];
      }, icon.src);
      t.same(loaded, [size, size], `the ${purpose} icon of ${size} px loads`);
    }
    t.ok(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL.endsWith('/sw.js')), 'the worker controls the page');
    await context.close();
  });

  t.test('Chromium finds nothing that stops installing (a profile on disk: an incognito one never installs)', async (t) => {
    const profile = await mkdtemp(join(tmpdir(), 'silver-hours-install-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath, headless: true, viewport: { width: 390, height: 800 }, locale: 'zh-CN',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    t.teardown(() => rm(profile, { recursive: true, force: true }));
    try {
      const page = await context.newPage();
      await signInThroughForm(page, suite.server.baseUrl, 'volunteer');
      await page.goto(url('/hours'));
      await untilPagesKept(page);
      const devtools = await context.newCDPSession(page);
      const installability = await devtools.send('Page.getInstallabilityErrors');
      t.same(installability.installabilityErrors, [], 'no installability errors');
      const manifest = await devtools.send('Page.getAppManifest');
      t.same(manifest.errors, [], 'Chromium parses the manifest without errors');
    } finally {
      await context.close();
    }
  });

  t.test('sign-out forgets the kept pages; a staff member\'s pages are never kept', async (t) => {
    const { page, context } = await volunteerOnline(suite);
    await page.getByRole('button', { name: '退出' }).click();
    await page.waitForURL(/sign-in/);
    await untilInPage(page, async () => (await (await caches.open('silver-hours-pages-v1')).keys()).length === 0, null, 10_000);
    await context.close();

    // A session that ended without 退出 (its cookie gone): the sign-in page the phone lands on forgets the copies.
    const ended = await volunteerOnline(suite);
    await ended.context.clearCookies();
    await ended.page.goto(url('/passbook'));
    await ended.page.waitForURL(/sign-in/);
    await untilInPage(ended.page, async () => (await (await caches.open('silver-hours-pages-v1')).keys()).length === 0, null, 10_000);
    t.pass('the session ended: no copy is left on the phone');
    await ended.context.close();
    const coordinator = await phonePage(suite, 'coordinator');
    await coordinator.page.goto(url('/hours/new'));
    await coordinator.page.evaluate(() => navigator.serviceWorker.ready);
    await coordinator.page.goto(url('/hours/new'));
    const kept = await coordinator.page.evaluate(async () => (await (await caches.open('silver-hours-pages-v1')).keys()).length);
    t.equal(kept, 0, 'nothing of the coordinator is kept');
    await coordinator.context.close();
  });
}

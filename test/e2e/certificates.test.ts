import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { tinyPng } from '../routes/records/helpers.ts';
import { createHoursApp } from '../routes/hours/helpers.ts';
import { axeViolations, browserSuite, checkNoSecretsInUrls, listenLocally, newPhoneContext, signInThroughForm, watchForErrors, type LiveServer } from '../helpers/browser.ts';

/**
 * Issue 18, certificates: the volunteer asks for one, the county office uploads its seal and
 * issues it, the printed page shows the QR code, a signed-out browser opening its address sees
 * 有效; after the office revokes it, 已撤销. axe on every new page, normal and elder mode.
 */
const suite = browserSuite({
  skipName: 'the certificate journey in the browser',
  start: async (): Promise<LiveServer> => {
    const testApp = await createHoursApp({ signInAttemptsPerAddress: 1000 });
    return { ...testApp, baseUrl: await listenLocally(testApp.app) };
  },
});

async function axeClean(t: Test, page: Page, label: string): Promise<void> {
  t.same(await axeViolations(page), [], `${label}: axe finds no violations`);
}

if (suite) {
  const state: { certificatePath: string; verifyUrl: string } = { certificatePath: '', verifyUrl: '' };

  t.test('request, seal, issue, print with the QR code, verify signed out: 有效; revoke: 已撤销', { timeout: 120_000 }, async (t) => {
    const base = suite.server.baseUrl;
    const volunteerContext = await newPhoneContext(suite.browser, { baseUrl: base });
    const volunteer = await volunteerContext.newPage();
    const errors = watchForErrors(volunteer);
    await signInThroughForm(volunteer, base, 'volunteer');
    await volunteer.goto(`${base}/hours`);
    await volunteer.getByRole('link', { name: '志愿服务记录证明：申请、查看和打印' }).click();
    await axeClean(t, volunteer, 'volunteer /certificates');
    await volunteer.getByRole('link', { name: '申请志愿服务记录证明' }).click();
    await axeClean(t, volunteer, '/certificates/new');
    await volunteer.getByLabel('全部时间').check();
    await volunteer.getByRole('button', { name: '提交申请' }).click();
    await volunteer.getByText('申请已提交').waitFor();
    t.ok(await volunteer.getByText('待出具').isVisible(), 'the request waits');

    const officeContext = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const office = await officeContext.newPage();
    await signInThroughForm(office, base, 'office');
    await office.goto(`${base}/certificates`);
    await axeClean(t, office, 'office /certificates');
    await office.getByLabel(/印章图片/).setInputFiles({ name: 'seal.png', mimeType: 'image/png', buffer: tinyPng });
    await office.getByRole('button', { name: '上传印章' }).click();
    await office.getByText('印章已上传。').waitFor();
    await office.getByRole('button', { name: '出具证明' }).first().click();
    await office.waitForURL(/\/certificates\/\d+$/);
    state.certificatePath = new URL(office.url()).pathname;
    await axeClean(t, office, 'certificate page');
    await office.emulateMedia({ media: 'print' });
    t.ok(await office.locator('.certificate-qr svg').isVisible(), 'the printed page shows the QR code');
    t.ok(await office.locator('img.certificate-seal').isVisible(), 'and the seal');
    t.notOk(await office.getByRole('button', { name: '撤销证明' }).isVisible(), 'the revoke form does not print');
    await office.emulateMedia({ media: 'screen' });
    const verifyText = await office.locator('.certificate-url').innerText();
    state.verifyUrl = verifyText.slice(verifyText.indexOf('http')).trim();
    t.match(state.verifyUrl, /\/verify\/ZM433123\d{12}[\dX]$/);

    const strangerContext = await suite.browser.newContext({ viewport: { width: 390, height: 800 }, locale: 'zh-CN' });
    const stranger = await strangerContext.newPage();
    await stranger.goto(state.verifyUrl);
    t.equal(await stranger.locator('#verify-state').innerText(), '有效');
    t.match(await stranger.locator('main').innerText(), '王*英');
    await axeClean(t, stranger, '/verify (valid)');

    await office.getByLabel('撤销原因').fill('服务记录有误，已冲正');
    await office.getByRole('button', { name: '撤销证明' }).click();
    await office.getByText('证明已撤销。').waitFor();
    await stranger.reload();
    t.equal(await stranger.locator('#verify-state').innerText(), '已撤销');
    t.match(await stranger.locator('#revoked-reason').innerText(), '服务记录有误，已冲正');
    await axeClean(t, stranger, '/verify (revoked)');
    await office.goto(`${base}/records/export`);
    await axeClean(t, office, '/records/export');
    t.same(errors, [], 'no console errors');
    await Promise.all([volunteerContext.close(), officeContext.close(), strangerContext.close()]);
  });

  t.test('the new pages in elder mode and in English: axe finds nothing', { timeout: 120_000 }, async (t) => {
    const base = suite.server.baseUrl;
    for (const [elder, locale] of [[true, 'zh-CN'], [false, 'en'], [true, 'en']] as const) {
      const mode = `${elder ? 'elder' : 'normal'}, ${locale}`;
      const officeContext = await newPhoneContext(suite.browser, { baseUrl: base, elder });
      const office = await officeContext.newPage();
      await signInThroughForm(office, base, 'office');
      if (locale === 'en') await officeContext.addCookies([{ name: 'sh_lang', value: 'en', url: base }]);
      for (const path of ['/certificates', state.certificatePath, '/records/export']) {
        await office.goto(`${base}${path}`);
        await axeClean(t, office, `${path} (${mode})`);
      }
      const volunteerContext = await newPhoneContext(suite.browser, { baseUrl: base, elder });
      const volunteer = await volunteerContext.newPage();
      await signInThroughForm(volunteer, base, 'volunteer');
      if (locale === 'en') await volunteerContext.addCookies([{ name: 'sh_lang', value: 'en', url: base }]);
      await volunteer.goto(`${base}/certificates/new`);
      await volunteer.getByRole('button').filter({ hasText: locale === 'en' ? 'Send request' : '提交申请' }).click();
      await axeClean(t, volunteer, `/certificates/new after a refused request (${mode})`);
      const strangerContext = await newPhoneContext(suite.browser, { baseUrl: base, elder });
      if (locale === 'en') await strangerContext.addCookies([{ name: 'sh_lang', value: 'en', url: base }]);
      const stranger = await strangerContext.newPage();
      await stranger.goto(state.verifyUrl);
      await axeClean(t, stranger, `/verify (${mode})`);
      await stranger.goto(`${base}/verify/ZM000000000000000000`);
      await axeClean(t, stranger, `/verify unknown (${mode})`);
      await Promise.all([officeContext.close(), volunteerContext.close(), strangerContext.close()]);
    }
  });
  checkNoSecretsInUrls();
}

import t from 'tap';
import type { Browser } from 'playwright-core';
import type { Role } from '../../src/domain/access/authorize.ts';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { browserSkipReason, launchBrowser, newPhoneContext, signInThroughForm, startServer, watchForErrors, type LiveServer } from '../helpers/browser.ts';
import { measureFields } from '../helpers/fields.ts';

/**
 * Issue 14 item 2: date, time, month, search and file fields are styled like
 * every other field: text >= 18px (24px in elder mode), >= 24px tall, and
 * >= 60px targets in elder mode. The pages below hold every input type the
 * app uses.
 */
const pages: { role: Role; path: string; expect: string[] }[] = [
  { role: 'volunteer', path: '/hours/new', expect: ['date', 'time', 'select', 'textarea', 'password'] },
  { role: 'volunteer', path: '/passbook', expect: ['date'] },
  { role: 'volunteer', path: '/gifts', expect: ['radio', 'text', 'password'] },
  { role: 'coordinator', path: '/members', expect: ['search'] },
  { role: 'office', path: '/reports/433123', expect: ['month'] },
  { role: 'office', path: '/import', expect: ['file'] },
];

const skip = browserSkipReason();
if (skip) {
  t.test('browser tests', { skip }, async () => {});
} else {
  let browser: Browser;
  let server: LiveServer;
  t.before(async () => {
    [browser, server] = await Promise.all([launchBrowser(), startServer()]);
    seedHours(server.db, server.app.secrets, server.clock.now());
  });
  t.teardown(async () => {
    await browser?.close();
    await server?.app.close();
  });

  for (const elder of [false, true]) {
    t.test(`every input type is sized for people (${elder ? 'elder mode' : 'normal mode'})`, async (t) => {
      for (const role of [...new Set(pages.map((check) => check.role))]) {
        const context = await newPhoneContext(browser, { baseUrl: server.baseUrl, elder });
        const page = await context.newPage();
        const errors = watchForErrors(page);
        await signInThroughForm(page, server.baseUrl, role);
        for (const check of pages.filter((candidate) => candidate.role === role)) {
          const label = `${check.path} (${elder ? 'elder' : 'normal'})`;
          await page.goto(`${server.baseUrl}${check.path}`);
          t.equal(new URL(page.url()).pathname, check.path, `${label}: the page itself`);
          const measured = await measureFields(page, elder);
          for (const type of check.expect) t.ok(measured.types.includes(type), `${label}: a ${type} field is measured (${measured.types.join(', ')})`);
          t.same(measured.found, [], `${label}: ${measured.checked} fields, none too small`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          t.equal(overflow, 0, `${label}: no sideways scroll at 390px`);
        }
        t.same(errors, [], `${role}: no console errors`);
        await context.close();
      }
    });
  }
}

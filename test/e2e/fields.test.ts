import t from 'tap';
import { demoRedemptionPin } from '../../src/domain/demo/redemption.ts';
import type { Role } from '../../src/domain/access/authorize.ts';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { setMemberPin } from '../../src/domain/people/members/pin.ts';
import { sidewaysScroll } from '../helpers/readable.ts';
import { browserSuite, phonePage } from '../helpers/browser.ts';
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

const suite = browserSuite({
  seed: (server) => {
    seedHours(server.db, server.app.secrets, server.clock.now());
  },
});
if (suite) {
  t.test('issue 14 item 6: after a wrong elder PIN the cursor is back in the PIN box, not on the page body', async (t) => {
    const scalar = (sql: string, ...parameters: unknown[]) => suite.server.db.$client.prepare(sql).pluck().get(...parameters) as number;
    const elderMemberId = scalar("SELECT member_id FROM elders WHERE real_name = '龙玉兰'");
    const adminId = scalar("SELECT id FROM users WHERE phone = '13800000006'");
    // The elder chooses her own PIN (a PIN set by staff may not confirm a service: issue 12).
    const set = await setMemberPin({ db: suite.server.db, keys: suite.server.app.secrets, now: suite.server.clock.now }, { userId: adminId, memberId: elderMemberId, grants: [] }, elderMemberId, '285714', { currentPin: demoRedemptionPin });
    t.ok(set.ok, 'the elder has a PIN');
    const { context, page } = await phonePage(suite, 'volunteer');
    await page.goto(`${suite.server.baseUrl}/hours/new`);
    await page.getByLabel('服务类型').selectOption('visit');
    await page.getByLabel('查找服务对象').fill('龙');
    await page.getByRole('radio', { name: /龙玉兰/ }).check();
    await page.getByLabel('服务日期').fill('2026-11-22');
    await page.getByLabel('开始时间').fill('06:00');
    await page.getByLabel('结束时间').fill('07:00');
    const records = scalar('SELECT count(*) FROM service_records');
    await page.getByLabel('老人确认密码（可不填）').fill('909192');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByText(/密码不对/).first().waitFor();
    t.equal(await page.evaluate(() => document.activeElement?.id), 'elder_pin', 'the PIN box has the focus');
    t.equal(scalar('SELECT count(*) FROM service_records'), records, 'nothing written');
    await context.close();
  });

  for (const elder of [false, true]) {
    t.test(`every input type is sized for people (${elder ? 'elder mode' : 'normal mode'})`, async (t) => {
      for (const role of [...new Set(pages.map((check) => check.role))]) {
        const { context, page, errors } = await phonePage(suite, role, { elder });
        for (const check of pages.filter((candidate) => candidate.role === role)) {
          const label = `${check.path} (${elder ? 'elder' : 'normal'})`;
          await page.goto(`${suite.server.baseUrl}${check.path}`);
          t.equal(new URL(page.url()).pathname, check.path, `${label}: the page itself`);
          const measured = await measureFields(page, elder);
          for (const type of check.expect) t.ok(measured.types.includes(type), `${label}: a ${type} field is measured (${measured.types.join(', ')})`);
          t.same(measured.found, [], `${label}: ${measured.checked} fields, none too small`);
          t.equal(await sidewaysScroll(page), 0, `${label}: no sideways scroll at 390px`);
        }
        t.same(errors, [], `${role}: no console errors`);
        await context.close();
      }
    });
  }
}

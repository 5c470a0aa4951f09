import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import type { Role } from '../../src/domain/access/authorize.ts';
import { demoRedemptionPin, seedRedemption } from '../../src/domain/demo/redemption.ts';
import { openCardToken } from '../../src/domain/people/members/card.ts';
import { translator } from '../../src/i18n/index.ts';
import { durationText } from '../../src/lib/duration.ts';
import { verifyLedger } from '../../src/ledger/index.ts';
import { sidewaysScroll, smallTargets, smallText } from '../helpers/readable.ts';
import { browserSuite, phonePage, axeViolations, type LiveServer, checkNoSecretsInUrls } from '../helpers/browser.ts';

/**
 * Issue 6 in a real Chromium: a clerk opens a member's card URL, builds a
 * basket, the member confirms with a PIN and the receipt shows the new
 * balance; a gift between relatives; an elder's voucher spent at a service
 * station. Then every new page in normal and elder mode: axe finds nothing,
 * text >= 18px (24px elder), elder controls >= 60x60px, no sideways scroll at 320px.
 */

function memberCard(server: LiveServer, name: string) {
  const row = server.db.$client.prepare('SELECT id, card_number AS cardNumber, card_token_ciphertext AS ciphertext FROM members WHERE real_name = ? ORDER BY id LIMIT 1').get(name) as { id: number; cardNumber: string; ciphertext: string };
  return { id: row.id, cardNumber: row.cardNumber, token: openCardToken(server.app.secrets, row.ciphertext) };
}

function walletMinutes(server: LiveServer, accountId: string): number {
  return (server.db.$client.prepare('SELECT credits_posted - debits_posted - debits_pending AS n FROM ledger_accounts WHERE id = ?').get(accountId) as { n: number }).n;
}

const suite = browserSuite({ seed: (server) => seedRedemption(server.db, server.app.secrets, server.clock.now()) });
if (suite) {
  t.test('a clerk opens a 凤凰县 member\'s card URL in 隆回县, builds a basket, the member confirms with the PIN, the receipt shows the new balance', async (t) => {
    const { context, page, errors } = await phonePage(suite, 'clerk');
    const card = memberCard(suite.server, '龙秀英');
    const before = walletMinutes(suite.server, `wallet:m${card.id}`);
    await page.goto(`${suite.server.baseUrl}/counter/scan/${card.token}`);
    await page.getByText('龙秀英').first().waitFor();
    await page.getByLabel(/^大米 5 千克 数量/).fill('1');
    await page.getByLabel(/^食用油 1.8 升 数量/).fill('1');
    await page.getByRole('button', { name: '确定，请会员输入密码' }).click();
    await page.getByText('已为会员预留 3 小时 30 分').waitFor();
    await page.getByLabel('兑换密码（会员本人输入）').fill('123450');
    await page.getByRole('button', { name: '确认兑换' }).click();
    await page.getByText('密码不对，还可以再试 4 次。').waitFor();
    await page.getByLabel('兑换密码（会员本人输入）').fill(demoRedemptionPin);
    await page.getByRole('button', { name: '确认兑换' }).click();
    await page.getByRole('heading', { name: '兑换凭证' }).waitFor();
    const receipt = await page.locator('article.receipt').innerText();
    const after = before - 210;
    t.match(receipt, '旺溪村爱心超市');
    t.match(receipt, '大米 5 千克 × 1');
    t.match(receipt, '3 小时 30 分');
    t.match(receipt, durationText(translator('zh-CN'), after), 'the balance after is on the receipt');
    t.match(receipt, '跨县兑换');
    t.equal(walletMinutes(suite.server, `wallet:m${card.id}`), after);
    t.ok(verifyLedger(suite.server.db.$client).ok);
    t.same(errors.filter((e) => !/status of 4\d\d/.test(e)), [], 'no console errors (refusals answer 4xx on purpose)');
    await context.close();
  });

  t.test('a volunteer gives credits to her registered father', async (t) => {
    const { context, page, errors } = await phonePage(suite, 'volunteer');
    const father = memberCard(suite.server, '刘德顺');
    const before = walletMinutes(suite.server, `wallet:m${father.id}`);
    await page.goto(`${suite.server.baseUrl}/gifts`);
    await page.getByText('刘德顺（父母与子女 · 父女）').waitFor();
    await page.getByRole('radio', { name: '刘德顺（父母与子女 · 父女）' }).check(); // picked from her registered relatives, no card number
    await page.getByLabel('小时', { exact: true }).fill('2');
    await page.getByLabel('转出人兑换密码').fill(demoRedemptionPin);
    await page.getByRole('button', { name: '确认转出' }).click();
    await page.getByText('已转出 2 小时。').waitFor();
    t.equal(walletMinutes(suite.server, `wallet:m${father.id}`), before + 120);
    t.same(errors, []);
    await context.close();
  });

  t.test('an elder\'s voucher is spent at the service station', async (t) => {
    const { context, page, errors } = await phonePage(suite, 'coordinator');
    const elder = memberCard(suite.server, '刘德顺');
    // The card's QR code is scanned: the member is present, so the voucher balance is shown (a typed number shows no balance).
    await page.goto(`${suite.server.baseUrl}/counter/scan/${elder.token}?site=2`);
    await page.getByText('消费券余额').waitFor();
    await page.getByLabel(/^理发 数量/).fill('1');
    await page.getByLabel('消费券').check();
    await page.getByRole('button', { name: '确定，请会员输入密码' }).click();
    await page.getByLabel('兑换密码（会员本人输入）').fill(demoRedemptionPin);
    await page.getByRole('button', { name: '确认兑换' }).click();
    await page.getByRole('heading', { name: '兑换凭证' }).waitFor();
    const receipt = await page.locator('article.receipt').innerText();
    t.match(receipt, '老家寨村互助服务站');
    t.match(receipt, '消费券');
    t.match(receipt, '3 小时', 'voucher 6 h − 1.5 h bath − 1 h held for a request − 0.5 h haircut');
    t.same(errors, []);
    await context.close();
  });

  interface PageCheck { name: string; role: Role | null; path: string | (() => string) }
  const pages: PageCheck[] = [
    { name: 'public site list', role: null, path: '/sites' },
    { name: 'counter', role: 'clerk', path: '/counter/1' },
    { name: 'basket', role: 'clerk', path: () => `/counter/scan/${memberCard(suite.server, '罗春兰').token}` },
    { name: 'receipt', role: 'clerk', path: () => `/counter/1/baskets/${(suite.server.db.$client.prepare("SELECT id FROM redemptions WHERE site_id = 1 AND status = 'confirmed' ORDER BY id DESC").get() as { id: number }).id}` },
    { name: 'catalogue and stock', role: 'clerk', path: '/sites/1/manage' },
    { name: 'gifts', role: 'volunteer', path: '/gifts' },
    { name: 'requests', role: 'volunteer', path: '/requests' },
    { name: 'register a site', role: 'coordinator', path: '/sites/new' },
    { name: 'requests (coordinator)', role: 'coordinator', path: '/requests' },
    { name: 'vouchers', role: 'office', path: '/vouchers' },
    { name: 'clearing', role: 'admin', path: '/clearing' },
  ];

  type Asserts = Pick<Test, 'same' | 'equal'>;
  async function check(t: Asserts, page: Page, label: string, elder: boolean) {
    const violations = await axeViolations(page);
    t.same(violations, [], `${label}: axe finds no violations`);
    t.same((await smallText(page, elder ? 24 : 18)).found, [], `${label}: text is at least ${elder ? 24 : 18}px`);
    if (elder) {
      t.same((await smallTargets(page, { summary: true })).found, [], `${label}: every control is at least 60x60px`);
    }
    await page.setViewportSize({ width: 320, height: 700 });
    t.equal(await sidewaysScroll(page), 0, `${label}: no horizontal scroll at 320px`);
    await page.setViewportSize({ width: 390, height: 800 });
  }

  for (const elder of [false, true]) {
    t.test(`every redemption page passes axe (${elder ? 'elder' : 'normal'} mode)`, async (t) => {
      for (const role of [...new Set(pages.map((p) => p.role))]) {
        const { context, page, errors } = await phonePage(suite, role, { elder });
        for (const entry of pages.filter((p) => p.role === role)) {
          const path = typeof entry.path === 'function' ? entry.path() : entry.path;
          await page.goto(`${suite.server.baseUrl}${path}`);
          await check(t, page, `${entry.name} (${elder ? 'elder' : 'normal'})`, elder);
        }
        if (role === 'clerk') {
          // A held basket, and a refusal shown on the basket page.
          await page.goto(`${suite.server.baseUrl}/counter/scan/${memberCard(suite.server, '罗春兰').token}`);
          await page.getByLabel(/^大米 5 千克 数量/).fill('20');
          await page.getByRole('button', { name: '确定，请会员输入密码' }).click();
          await page.getByRole('alert').waitFor();
          await check(t, page, `basket refusal (${elder ? 'elder' : 'normal'})`, elder);
          await page.getByLabel(/^大米 5 千克 数量/).fill('');
          await page.getByLabel(/^毛巾 数量/).fill('1');
          await page.getByRole('button', { name: '确定，请会员输入密码' }).click();
          await page.getByLabel('兑换密码（会员本人输入）').waitFor();
          await check(t, page, `held basket (${elder ? 'elder' : 'normal'})`, elder);
          await page.getByRole('button', { name: '取消这单' }).click();
          await page.getByText('这单已取消').waitFor();
        }
        t.same(errors.filter((e) => !/status of 4\d\d/.test(e)), [], `${role ?? 'anonymous'}: no console errors (refusals answer 4xx on purpose)`);
        await context.close();
      }
    });
  }
  checkNoSecretsInUrls();
}

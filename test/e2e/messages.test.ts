import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { seedHours } from '../../src/domain/demo/hours.ts';
import { demoRedemptionPin, seedRedemption } from '../../src/domain/demo/redemption.ts';
import { httpTransport } from '../../src/domain/messages/transports.ts';
import { openCardToken } from '../../src/domain/people/members/card.ts';
import { sidewaysScroll, smallTargets, smallText } from '../helpers/readable.ts';
import { axeViolations, browserSuite, checkNoSecretsInUrls, listenLocally, phonePage, signInThroughForm, type LiveServer } from '../helpers/browser.ts';
import { startFakeGateway, type FakeGateway } from '../helpers/fake-sms-gateway.ts';
import { createTestApp, signedInAs } from '../helpers/web.ts';
import { logVisit } from '../routes/hours/helpers.ts';

/**
 * Issue 19 (messages) in a real Chromium: a coordinator rejects a volunteer's
 * record with a reason; the volunteer's next page shows the unread count and
 * 消息 shows the reason; the local fake gateway receives exactly one SMS for
 * it; a redemption at the counter sends the member a receipt SMS. Then the
 * new pages pass axe in normal and elder mode.
 */
const gatewayKey = 'e2e-gateway-key';
let gateway: FakeGateway;

async function start(): Promise<LiveServer> {
  gateway = await startFakeGateway(gatewayKey);
  const testApp = await createTestApp({ signInAttemptsPerAddress: 1000, smsTransport: httpTransport({ url: gateway.url, key: gatewayKey }) });
  seedHours(testApp.db, testApp.app.secrets, testApp.clock.now());
  await seedRedemption(testApp.db, testApp.app.secrets, testApp.clock.now());
  // The seeds approve records through the real review: start from an empty inbox and outbox.
  testApp.db.$client.exec('DELETE FROM sms_outbox; DELETE FROM messages;');
  return { ...testApp, baseUrl: await listenLocally(testApp.app) };
}

const suite = browserSuite({ start });
t.teardown(() => gateway?.close());

function memberRow(server: LiveServer, name: string) {
  return server.db.$client.prepare('SELECT id, phone, card_token_ciphertext AS ciphertext FROM members WHERE real_name = ? ORDER BY id LIMIT 1').get(name) as { id: number; phone: string; ciphertext: string };
}

function chooseSms(server: LiveServer, memberId: number): void {
  server.db.$client.prepare("INSERT INTO member_message_choices (member_id, channel, changed_at_ms) VALUES (?, 'sms', ?) ON CONFLICT DO UPDATE SET channel = 'sms'").run(memberId, server.clock.now());
}

if (suite) {
  t.test('a rejected record: the volunteer sees the unread count and the reason in 消息; the gateway receives exactly one SMS', async (t) => {
    const server = suite.server;
    const volunteerHttp = await signedInAs(server.app, 'volunteer');
    const recordId = await logVisit(server, volunteerHttp);
    const volunteerMember = memberRow(server, '王秀英');
    chooseSms(server, volunteerMember.id);

    const coordinator = await phonePage(suite, 'coordinator');
    await coordinator.page.goto(`${server.baseUrl}/hours/records/${recordId}`);
    await coordinator.page.getByLabel('不通过的原因（志愿者会看到）').fill('老人说这天没有人来过');
    await coordinator.page.getByRole('button', { name: '不通过', exact: true }).click();
    await coordinator.page.waitForURL((url) => !url.pathname.endsWith(`/records/${recordId}/reject`));
    t.equal(server.db.$client.prepare('SELECT status FROM service_records WHERE id = ?').pluck().get(recordId), 'rejected');
    await coordinator.context.close();

    t.equal(await server.app.jobs.run('sendSms'), 1, 'the SMS job sends one');
    t.equal(await server.app.jobs.run('sendSms'), 0, 'and nothing more');
    t.equal(gateway.delivered.size, 1, 'the gateway received exactly one SMS');
    const [sms] = [...gateway.delivered.values()];
    t.equal(sms?.phone, volunteerMember.phone);
    t.equal(sms?.text, '【银龄时光】您2026-11-22的服务记录未通过，原因：老人说这天没有人来过。');

    const { context, page, errors } = await phonePage(suite, 'volunteer');
    const link = page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: /^消息/ });
    t.equal((await link.innerText()).replace(/\s+/g, ' ').trim(), '消息 (1 条未读)', 'the next page shows the unread count');
    await link.click();
    await page.getByRole('heading', { level: 1, name: '消息' }).waitFor();
    t.match(await page.locator('main').innerText(), '您 2026-11-22 的服务记录没有通过审核。原因：老人说这天没有人来过。');
    const unreadMessages = () => server.db.$client.prepare('SELECT count(*) FROM messages WHERE recipient_member_id = ? AND read_at_ms IS NULL').pluck().get(volunteerMember.id);
    t.equal(unreadMessages(), 1, 'opening the page (a GET) marks nothing read');
    await page.goto(`${server.baseUrl}/`);
    t.equal((await link.innerText()).replace(/\s+/g, ' ').trim(), '消息 (1 条未读)', 'still counted after opening the inbox');
    await link.click();
    await t.resolveMatch(page.locator('li.message.unread').first().innerText(), /^新/, 'shown highlighted as new');
    // htmx (the boosted form): the page and its header are swapped in; the header count falls.
    await page.getByRole('button', { name: '标为已读' }).first().click();
    await page.locator('li.message.unread').waitFor({ state: 'detached' });
    t.equal((await link.innerText()).trim(), '消息', 'the header count fell once she marked it read');
    t.equal(unreadMessages(), 0, 'marked read in the database');
    t.same(errors, [], 'no console or CSP errors');
    await context.close();
  });

  t.test('without JavaScript: 全部标为已读 posts, comes back to the inbox, and the header count falls', async (t) => {
    const server = suite.server;
    const member = memberRow(server, '王秀英');
    server.db.$client.prepare("UPDATE messages SET read_at_ms = NULL WHERE recipient_member_id = ?").run(member.id);
    const context = await suite.browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN', viewport: { width: 390, height: 800 } });
    const page = await context.newPage();
    await signInThroughForm(page, server.baseUrl, 'volunteer');
    await page.goto(`${server.baseUrl}/messages`);
    t.match(await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: /^消息/ }).innerText(), /条未读/);
    await page.getByRole('button', { name: '全部标为已读' }).click();
    await page.waitForURL(`${server.baseUrl}/messages`);
    t.equal((await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: /^消息/ }).innerText()).trim(), '消息', 'no unread count');
    t.equal(await page.locator('li.message.unread').count(), 0);
    t.equal(server.db.$client.prepare('SELECT count(*) FROM messages WHERE recipient_member_id = ? AND read_at_ms IS NULL').pluck().get(member.id), 0);
    await context.close();
  });

  t.test('a redemption at the counter sends the member a receipt SMS', async (t) => {
    const server = suite.server;
    const member = memberRow(server, '龙秀英');
    chooseSms(server, member.id);
    const before = gateway.delivered.size;
    const { context, page } = await phonePage(suite, 'clerk');
    await page.goto(`${server.baseUrl}/counter/scan/${openCardToken(server.app.secrets, member.ciphertext)}`);
    await page.getByLabel(/^大米 5 千克 数量/).fill('1');
    await page.getByRole('button', { name: '确定，请会员输入密码' }).click();
    await page.getByLabel('兑换密码（会员本人输入）').fill(demoRedemptionPin);
    await page.getByRole('button', { name: '确认兑换' }).click();
    await page.getByRole('heading', { name: '兑换凭证' }).waitFor();
    await context.close();
    t.equal(await server.app.jobs.run('sendSms'), 1);
    t.equal(gateway.delivered.size, before + 1, 'one more SMS');
    const receipt = [...gateway.delivered.values()].at(-1);
    t.equal(receipt?.phone, member.phone);
    t.match(receipt?.text ?? '', /^【银龄时光】您在旺溪村爱心超市兑换大米 5 千克，用去.+，余额.+。$/);
    t.same(server.db.$client.prepare('SELECT status FROM sms_outbox ORDER BY id').pluck().all(), ['sent', 'sent']);
  });

  async function check(t: Test, page: Page, label: string, elder: boolean) {
    t.same(await axeViolations(page), [], `${label}: axe finds no violations`);
    t.same((await smallText(page, elder ? 24 : 18)).found, [], `${label}: text is at least ${elder ? 24 : 18}px`);
    if (elder) t.same((await smallTargets(page, { summary: true })).found, [], `${label}: every control is at least 60x60px`);
    await page.setViewportSize({ width: 320, height: 700 });
    t.equal(await sidewaysScroll(page), 0, `${label}: no horizontal scroll at 320px`);
    await page.setViewportSize({ width: 390, height: 800 });
  }

  const pages = [
    { name: 'inbox', role: 'volunteer', path: () => '/messages' },
    { name: 'own channel', role: 'volunteer', path: () => '/messages/choice' },
    { name: 'member channel', role: 'coordinator', path: () => `/messages/choice/${memberRow(suite.server, '石秀兰').id}` },
    { name: 'SMS templates', role: 'admin', path: () => '/messages/templates' },
  ] as const;

  for (const elder of [false, true]) {
    t.test(`the messages pages pass axe (${elder ? 'elder' : 'normal'} mode)`, async (t) => {
      for (const role of [...new Set(pages.map((entry) => entry.role))]) {
        const { context, page, errors } = await phonePage(suite, role, { elder });
        for (const entry of pages.filter((candidate) => candidate.role === role)) {
          await page.goto(`${suite.server.baseUrl}${entry.path()}`);
          await check(t, page, `${entry.name} (${elder ? 'elder' : 'normal'})`, elder);
        }
        if (role === 'admin') {
          await page.getByLabel('短信签名').fill('银龄时光');
          await page.getByRole('button', { name: '保存' }).first().click();
          await page.getByRole('alert').waitFor();
          await check(t, page, `template refusal (${elder ? 'elder' : 'normal'})`, elder);
        }
        t.same(errors.filter((error) => !/status of 4\d\d/.test(error)), [], `${role}: no console errors`);
        await context.close();
      }
    });
  }
  checkNoSecretsInUrls();
}

import t from 'tap';
import type { AddressInfo } from 'node:net';
import { phoneRevealsPerUserPerHour } from '../../../src/domain/stars/objections.ts';
import { HttpSession } from '../../helpers/server-process.ts';
import { TestBrowser, demoPhone, signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, scalar, starOnNotice } from './helpers.ts';

/**
 * Issue 18: the office sees objectors' phones masked; resolving an objection
 * it may ask for the full number (POST), shown once in the answer, never in a
 * URL, audited with who and when (never the number), limited per user per
 * hour, counted atomically (parallel requests through a listening server).
 */
const fullPhone = '13912345678';

async function objectionFiled() {
  const testApp = await createHoursApp();
  const { awardId, office } = await starOnNotice(testApp);
  const visitor = new TestBrowser(testApp.app);
  await visitor.get('/notices');
  const filed = await visitor.post(`/notices/${awardId}/objections`, { reason: '他没有去过那户人家', phone: fullPhone });
  if (filed.statusCode !== 303) throw new Error(`objection: ${filed.statusCode}`);
  const objectionId = scalar<number>(testApp, 'SELECT id FROM star_objections WHERE award_id = ?', awardId);
  return { testApp, awardId, office, objectionId };
}

const reveals = (testApp: Awaited<ReturnType<typeof createHoursApp>>) => scalar<number>(testApp, "SELECT count(*) FROM audit_log WHERE action = 'stars.objection_phone_reveal'");

t.test('the office shows the full number once, by POST, audited; the page and the audit never keep it', async (t) => {
  const { testApp, office, objectionId } = await objectionFiled();
  t.teardown(() => testApp.app.close());
  const page = await office.get('/stars');
  t.match(visibleText(page.body), '联系电话：139****5678');
  t.notMatch(page.body, fullPhone, 'masked on the page');
  t.match(visibleText(page.body), '显示完整号码');
  t.notMatch(page.body, /\/phone\?|phone=/, 'the form carries nothing in a URL');

  const shown = await office.post(`/stars/objections/${objectionId}/phone`, {});
  t.equal(shown.statusCode, 200, 'answered in place, no redirect that could carry it');
  t.match(visibleText(shown.body), `完整号码：${fullPhone}（仅这一次显示，查看已记录）`);
  t.equal(shown.headers['cache-control'], 'no-store');
  t.equal(reveals(testApp), 1);
  const entry = testApp.db.$client.prepare("SELECT actor_user_id AS actor, at_ms AS at, object_type AS type, object_id AS id, detail FROM audit_log WHERE action = 'stars.objection_phone_reveal'").get() as { actor: number; at: number; type: string; id: string; detail: string };
  t.equal(entry.actor, scalar<number>(testApp, "SELECT id FROM users WHERE phone = '13800000004'"), 'who');
  t.equal(entry.at, testApp.clock.now(), 'when');
  t.same([entry.type, entry.id], ['star_objection', String(objectionId)]);
  t.notMatch(entry.detail ?? '', fullPhone, 'the audit never holds the number');
  t.notMatch(visibleText((await office.get('/stars')).body), fullPhone, 'the next page shows it masked again');

  const volunteer = await signedInAs(testApp.app, 'volunteer');
  t.equal((await volunteer.post(`/stars/objections/${objectionId}/phone`, {})).statusCode, 403, 'only the office');
  const other = await signedInAs(testApp.app, 'office-city');
  t.equal((await other.post(`/stars/objections/${objectionId}/phone`, {})).statusCode, 404, 'an office of another region: not found');
  t.equal(reveals(testApp), 1, 'refusals record nothing');

  await office.get('/stars');
  t.equal((await office.post(`/stars/objections/${objectionId}/resolve`, { decision: 'dismissed', resolution: '已电话核实，服务属实' })).statusCode, 303);
  const resolved = await office.post(`/stars/objections/${objectionId}/phone`, {});
  t.equal(resolved.statusCode, 409);
  t.match(visibleText(resolved.body), '这条异议已经处理过了。');
  t.notMatch(resolved.body, fullPhone);
  t.equal(reveals(testApp), 1);
});

t.test(`at most ${phoneRevealsPerUserPerHour} full numbers an hour per user, also in parallel`, async (t) => {
  const { testApp, objectionId } = await objectionFiled();
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => testApp.app.close());
  const base = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`;
  const session = await HttpSession.signIn(base, demoPhone('office'));
  await session.page('/stars');
  const answers = await Promise.all(Array.from({ length: phoneRevealsPerUserPerHour + 5 }, async () => {
    const response = await session.fetch(`/stars/objections/${objectionId}/phone`, { form: {} });
    return { status: response.status, text: visibleText(await response.text()) };
  }));
  const statuses = answers.map((answer) => answer.status).sort();
  t.same(statuses, [...Array(phoneRevealsPerUserPerHour).fill(200), ...Array(5).fill(429)], `${phoneRevealsPerUserPerHour} shown, the rest refused`);
  const refused = answers.filter((answer) => answer.status === 429);
  t.ok(refused.every((answer) => answer.text.includes(`每人每小时最多查看 ${phoneRevealsPerUserPerHour} 个完整号码，请稍后再试。`) && !answer.text.includes(fullPhone)), 'each refusal says why, without the number');
  t.equal(reveals(testApp), phoneRevealsPerUserPerHour, 'the audit holds exactly the limit');
  testApp.clock.advance(3_600_000 + 1);
  t.equal((await session.fetch(`/stars/objections/${objectionId}/phone`, { form: {} })).status, 200, 'an hour later the office may look again');
});

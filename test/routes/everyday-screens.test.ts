import t from 'tap';
import { demoRedemptionPin } from '../../src/domain/demo/redemption.ts';
import { randomUUID } from 'node:crypto';
import { setMemberPin } from '../../src/domain/people/members/pin.ts';
import { makeIdNumber } from '../../src/lib/idcard.ts';
import { count, createTestApp, signedInAs, TestBrowser, visibleText, type TestApp } from '../helpers/web.ts';
import { createHoursApp, scalar } from './hours/helpers.ts';

/** Issue 14 item 6: the everyday screens of a volunteer and a newcomer. */

t.test('home: a 登记服务时间 tile for whoever logs their own service; 长辈模式 in the header as well as the footer', async (t) => {
  const { app } = await createTestApp();
  t.teardown(() => app.close());
  const volunteer = await signedInAs(app, 'volunteer');
  const home = (await volunteer.get('/')).body;
  const tiles = /<ul class="tiles">([\s\S]*?)<\/ul>/.exec(home)?.[1] ?? '';
  t.match(tiles, /<a class="tile" href="\/hours\/new">登记服务时间<\/a>/, 'one tap to the log form');
  t.ok(tiles.indexOf('/hours/new') < tiles.indexOf('href="/hours"'), 'first among the tiles');
  const clerk = await signedInAs(app, 'clerk');
  t.notMatch((await clerk.get('/')).body, 'href="/hours/new"', 'not for a clerk, who logs nothing');
  const header = /<header[\s\S]*?<\/header>/.exec(home)?.[0] ?? '';
  t.match(header, /action="\/preferences\/elder-mode"[\s\S]*?长辈模式/, 'the switch is in the header');
  t.equal(home.match(/action="\/preferences\/elder-mode"/g)?.length, 2, 'and still in the footer');
});

async function elderWithPin(testApp: TestApp, pin: string): Promise<number> {
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const memberId = scalar(testApp, 'SELECT member_id FROM elders WHERE id = ?', elderId);
  const admin = scalar(testApp, "SELECT user_id FROM user_roles WHERE role = 'admin' LIMIT 1");
  // The elder chooses her own PIN (a PIN set by staff may not confirm a service), replacing the demo one.
  const set = await setMemberPin({ db: testApp.db, keys: testApp.app.secrets, now: testApp.clock.now }, { userId: admin, memberId, grants: [] }, memberId, pin, { currentPin: demoRedemptionPin });
  if (!set.ok) throw new Error(JSON.stringify(set));
  return elderId;
}

t.test('a record confirmed by the elder\'s PIN says so (not 卡号); a wrong PIN puts the cursor back in the PIN box', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const pin = '285714';
  const elderId = await elderWithPin(testApp, pin);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await volunteer.get('/hours/new');
  const visit = (elderPin: string) => ({ idempotency_key: randomUUID(), service_type: 'visit', elder_id: String(elderId), date: '2026-11-22', start_time: '05:00', end_time: '06:00', village_code: '433123101001', elder_pin: elderPin });
  const records = count(testApp.db, 'service_records');
  const wrong = await volunteer.post('/hours', visit('909192'));
  t.equal(wrong.statusCode, 422);
  t.match(visibleText(wrong.body), '密码不对');
  t.match(wrong.body, /<input id="elder_pin"[^>]*autofocus/, 'the PIN box takes the focus');
  t.equal((wrong.body.match(/autofocus/g) ?? []).length, 1, 'and only the PIN box');
  t.equal(count(testApp.db, 'service_records'), records, 'nothing written');
  const saved = await volunteer.post('/hours', visit(pin));
  t.equal(saved.statusCode, 303);
  const page = visibleText((await volunteer.get(saved.headers.location as string)).body);
  t.match(page, '已保存，老人已输入密码确认，时间已入账。');
  t.notMatch(page, '卡号已确认');
  const id = Number(/records\/(\d+)/.exec(saved.headers.location as string)![1]);
  t.equal(scalar(testApp, 'SELECT status FROM service_records WHERE id = ?', id), 'approved');
});

t.test('/join keeps a mistyped ID number and the consent tick; nothing is written', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const visitor = new TestBrowser(app);
  const form = await visitor.get('/join');
  const key = /name="idempotency_key" value="([^"]+)"/.exec(form.body)![1]!;
  const good = makeIdNumber('433123', '1957-07-07', 42);
  const badCheck = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
  const before = count(db, 'members');
  const refused = await visitor.post('/join', { idempotency_key: key, real_name: '吴秀英', phone: '13612341234', id_number: badCheck, village_code: '433123101001', consent: 'yes' });
  t.equal(refused.statusCode, 422);
  t.match(visibleText(refused.body), '身份证号校验位不对');
  t.match(refused.body, new RegExp(`id="id_number"[^>]*value="${badCheck}"`), 'the number typed stays');
  t.match(refused.body, /<input id="id_number" name="id_number" autofocus/, 'with the cursor in it');
  t.match(refused.body, /<input type="checkbox" id="consent" name="consent" value="yes" checked/, 'the consent tick stays');
  t.equal(count(db, 'members'), before, 'nothing written');
  const fresh = await visitor.get('/join');
  t.notMatch(fresh.body, /id="consent"[^>]*checked/, 'a fresh form is not ticked for the person');
});

t.test('/elders/new keeps a mistyped ID number too', async (t) => {
  const { app, db } = await createTestApp();
  t.teardown(() => app.close());
  const coordinator = await signedInAs(app, 'coordinator');
  const form = await coordinator.get('/elders/new');
  const key = /name="idempotency_key" value="([^"]+)"/.exec(form.body)![1]!;
  const good = makeIdNumber('433123', '1940-02-02', 31);
  const badCheck = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
  const before = count(db, 'elders');
  const refused = await coordinator.post('/elders', { idempotency_key: key, real_name: '龙老太', id_number: badCheck, village_code: '433123101001', visit_interval_days: '30' });
  t.equal(refused.statusCode, 422);
  t.match(visibleText(refused.body), '校验位');
  t.match(refused.body, new RegExp(`value="${badCheck}"`), 'the number typed stays');
  t.equal(count(db, 'elders'), before);
});

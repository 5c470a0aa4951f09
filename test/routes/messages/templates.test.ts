import t, { type Test } from 'tap';
import { writeTransaction } from '../../../src/domain/kernel/transaction.ts';
import { notify } from '../../../src/domain/messages/notify.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, scalar } from '../hours/helpers.ts';

async function setup(t: Test) {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const admin = await signedInAs(testApp.app, 'admin');
  await admin.get('/messages/templates');
  const stored = () => testApp.db.$client.prepare('SELECT kind, body FROM sms_templates ORDER BY kind').all();
  return { testApp, admin, stored };
}

t.test('the top office sees every template with its longest length; other roles get 403', async (t) => {
  const { testApp, admin } = await setup(t);
  const page = await admin.get('/messages/templates');
  t.equal(page.statusCode, 200);
  const text = visibleText(page.body);
  t.match(text, '【银龄时光】');
  t.match(text, '兑换小票');
  t.match(text, '可用的填空：{siteName} {items} {totalMinutes} {balanceAfterMinutes}');
  for (const role of ['volunteer', 'coordinator', 'office', 'clerk'] as const) {
    const other = await signedInAs(testApp.app, role);
    t.equal((await other.get('/messages/templates')).statusCode, 403, `${role}: 403`);
    t.equal((await other.post('/messages/templates/record_rejected', { body: '短' })).statusCode, 403);
  }
});

t.test('refusals: too long to fit two SMS segments, an unknown blank, a bad signature, a signature that makes a template too long; nothing written', async (t) => {
  const { admin, stored } = await setup(t);
  const tooLong = await admin.post('/messages/templates/record_rejected', { body: `您的服务记录未通过，原因：{reason}。${'请尽快联系您所在村的协管员核对这次服务的时间和内容，'.repeat(5)}` });
  t.equal(tooLong.statusCode, 422);
  t.match(visibleText(tooLong.body), /模板太长：填满后最长 \d+ 个字，超过了 2 段短信（134 个字）。请删短一些。/);
  t.match(tooLong.body, 'aria-invalid="true"');
  const unknown = await admin.post('/messages/templates/record_rejected', { body: '您的记录未通过：{phone}' });
  t.equal(unknown.statusCode, 422);
  t.match(visibleText(unknown.body), '模板里的填空 {phone} 不认识。可用的填空：{serviceDate} {reason}');
  const shape = await admin.post('/messages/templates/signature', { body: '银龄时光' });
  t.equal(shape.statusCode, 422);
  t.match(visibleText(shape.body), '签名要用【】括起来，里面 2 到 8 个字。');
  // A template just under the limit, then a longer signature that would push it over.
  const near = `{siteName}{items}{totalMinutes}{balanceAfterMinutes}${'字'.repeat(134 - 6 - 60)}`;
  t.equal((await admin.post('/messages/templates/redemption_receipt', { body: near })).statusCode, 303, 'exactly at the limit is fine');
  const longer = await admin.post('/messages/templates/signature', { body: '【银龄时光互助会】' });
  t.equal(longer.statusCode, 422);
  t.match(visibleText(longer.body), '会超过长度上限');
  const unknownKind = await admin.post('/messages/templates/no_such_kind', { body: '你好' });
  t.equal(unknownKind.statusCode, 404);
  t.same(stored(), [{ kind: 'redemption_receipt', body: near }], 'only the template that fits was stored');
  const english = await admin.post('/messages/templates/signature', { body: 'x' }, { headers: { cookie: `${admin.cookieHeader()}; sh_lang=en` } });
  t.match(visibleText(english.body), 'The signature goes in 【】 brackets');
});

t.test('a saved template and signature shape the next SMS; a blank template goes back to the default', async (t) => {
  const { testApp, admin, stored } = await setup(t);
  t.equal((await admin.post('/messages/templates/signature', { body: '【凤凰时间银行】' })).statusCode, 303);
  const saved = await admin.post('/messages/templates/credits_gift', { body: '{giverName}送您{amountMinutes}。' });
  t.equal(saved.headers.location, '/messages/templates?saved=credits_gift#template-credits_gift');
  testApp.db.$client.exec("INSERT INTO member_message_choices (member_id, channel, changed_at_ms) VALUES (5, 'sms', 0)");
  const send = () => writeTransaction(testApp.db, () => notify({ db: testApp.db, now: testApp.clock.now }, { kind: 'credits_gift', to: { memberId: 5 }, params: { giverName: '一个名字特别特别长的亲人啊', amountMinutes: 90 } }));
  send();
  t.equal(scalar(testApp, 'SELECT text FROM sms_outbox ORDER BY id DESC LIMIT 1'), '【凤凰时间银行】一个名字特别特别长…送您1 小时 30 分。', 'a value longer than its limit is cut');
  await admin.post('/messages/templates/credits_gift', { body: '  ' });
  send();
  t.equal(scalar(testApp, 'SELECT text FROM sms_outbox ORDER BY id DESC LIMIT 1'), '【凤凰时间银行】一个名字特别特别长…赠送您1 小时 30 分，已存入存折。');
  t.same(stored(), [{ kind: 'signature', body: '【凤凰时间银行】' }]);
  t.equal(scalar(testApp, "SELECT count(*) FROM audit_log WHERE action = 'messages.template'"), 3);
});

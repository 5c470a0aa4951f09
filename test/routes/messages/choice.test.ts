import t, { type Test } from 'tap';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, scalar } from '../hours/helpers.ts';

// Demo members after the hours seed: 1 石秀兰 (老家寨村, in the coordinator's township, phone), 2 麻金花 (in scope, no phone),
// 3 吴国庆 (another township of the same county), 4 罗小梅 (another county), 5 王秀英 (the demo volunteer herself).
const inScope = 1;
const withoutPhone = 2;
const otherTownship = 3;
const otherCounty = 4;

async function setup(t: Test) {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const choices = () => testApp.db.$client.prepare('SELECT member_id AS memberId, channel, changed_by_user_id AS byUser FROM member_message_choices ORDER BY member_id').all();
  const audits = () => scalar(testApp, "SELECT count(*) FROM audit_log WHERE action = 'messages.channel'");
  return { testApp, choices, audits };
}

t.test('the member chooses for herself: SMS too, then inbox only; the page shows her phone masked', async (t) => {
  const { testApp, choices, audits } = await setup(t);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const page = await volunteer.get('/messages/choice');
  t.equal(page.statusCode, 200);
  t.match(visibleText(page.body), '138****0001');
  t.notMatch(page.body, '13800000001', 'the phone only masked');
  const saved = await volunteer.post('/messages/choice', { channel: 'sms' });
  t.equal(saved.headers.location, '/messages/choice?saved=1');
  t.match(visibleText((await volunteer.get('/messages/choice?saved=1')).body), '已保存。');
  t.same(choices(), [{ memberId: 5, channel: 'sms', byUser: 1 }]);
  await volunteer.post('/messages/choice', { channel: 'inbox' });
  t.same(choices(), [{ memberId: 5, channel: 'inbox', byUser: 1 }]);
  t.equal(audits(), 2, 'each change audited');
});

t.test('refusals: a bad value, SMS without a phone, members out of scope answer like missing ones, other roles get 403; nothing is written', async (t) => {
  const { testApp, choices, audits } = await setup(t);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get(`/messages/choice/${inScope}`);

  const bad = await coordinator.post(`/messages/choice/${inScope}`, { channel: 'fax' });
  t.equal(bad.statusCode, 422);
  t.match(visibleText(bad.body), '请选择一种接收方式。');
  const noPhone = await coordinator.post(`/messages/choice/${withoutPhone}`, { channel: 'sms' });
  t.equal(noPhone.statusCode, 422);
  t.match(visibleText(noPhone.body), '这位成员没有登记手机号，不能选短信。');

  const missing = await coordinator.get('/messages/choice/999999');
  t.equal(missing.statusCode, 404);
  for (const away of [otherTownship, otherCounty]) {
    const shown = await coordinator.get(`/messages/choice/${away}`);
    t.equal(shown.statusCode, 404, `member ${away}: out of scope is a 404`);
    t.equal(visibleText(shown.body), visibleText(missing.body), 'word for word the page of a missing member');
    t.notMatch(shown.body, away === otherCounty ? '罗小梅' : '吴国庆', 'the name is not shown');
    const posted = await coordinator.post(`/messages/choice/${away}`, { channel: 'inbox' });
    t.equal(posted.statusCode, 404);
  }
  const english = await coordinator.get('/messages/choice/999999', { cookie: `${coordinator.cookieHeader()}; sh_lang=en` });
  t.match(visibleText(english.body), 'No such member.');

  const volunteer = await signedInAs(testApp.app, 'volunteer');
  for (const url of [`/messages/choice/${inScope}`, '/messages/choice/999999', '/messages/choice/abc']) {
    t.equal((await volunteer.get(url)).statusCode, 403, `a volunteer asking ${url}: the same 403 whatever the address holds`);
  }
  t.equal((await volunteer.post(`/messages/choice/${inScope}`, { channel: 'sms' })).statusCode, 403);
  const office = await signedInAs(testApp.app, 'office');
  t.equal((await office.get(`/messages/choice/${inScope}`)).statusCode, 403, 'offices do not set members\' channels');
  const officeOwn = await office.get('/messages/choice');
  t.equal(officeOwn.statusCode, 404, 'staff without a member record have no channel of their own');
  t.match(visibleText(officeOwn.body), '找不到这位成员。');
  t.same(choices(), [], 'nothing written');
  t.equal(audits(), 0);
});

t.test('a coordinator sets SMS for a member in scope without a smartphone', async (t) => {
  const { testApp, choices } = await setup(t);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  const memberPage = await coordinator.get(`/members/${inScope}`);
  t.match(memberPage.body, `href="/messages/choice/${inScope}"`, 'the member\'s page links to it');
  const page = await coordinator.get(`/messages/choice/${inScope}`);
  t.match(visibleText(page.body), '石秀兰 的消息接收方式');
  t.match(visibleText(page.body), '139****0021');
  t.notMatch(page.body, '13900000021');
  const saved = await coordinator.post(`/messages/choice/${inScope}`, { channel: 'sms' });
  t.equal(saved.statusCode, 303);
  t.equal(saved.headers.location, `/messages/choice/${inScope}?saved=1`);
  t.same(choices(), [{ memberId: inScope, channel: 'sms', byUser: 2 }]);
});

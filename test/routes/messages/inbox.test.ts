import t from 'tap';
import { writeTransaction } from '../../../src/domain/kernel/transaction.ts';
import { notify } from '../../../src/domain/messages/notify.ts';
import { inboxPageSize } from '../../../src/domain/messages/inbox.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { scalar, withPendingVisit } from '../hours/helpers.ts';

const volunteerMemberId = 5;

/** The hours seed approves records through the real review, so the demo volunteers start with messages; these tests start from none. */
async function pendingVisitWithEmptyInbox(t: Parameters<typeof withPendingVisit>[0]) {
  const setup = await withPendingVisit(t);
  setup.testApp.db.$client.exec('DELETE FROM sms_outbox; DELETE FROM messages;');
  return setup;
}

t.test('a rejected record: the volunteer sees the unread count on her next page, 消息 shows the reason in plain words, 标为已读 (a POST) marks it read', async (t) => {
  const { testApp, volunteer, id } = await pendingVisitWithEmptyInbox(t);
  const before = await volunteer.get('/');
  t.notMatch(visibleText(before.body), '条未读', 'no unread count before anything happened');
  t.equal((await volunteer.post('/messages/choice', { channel: 'sms' })).statusCode, 303, 'she chose SMS too');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get(`/hours/records/${id}`);
  const rejected = await coordinator.post(`/hours/records/${id}/reject`, { reason: '老人说这天没有人来过' });
  t.equal(rejected.statusCode, 303);

  t.same(testApp.db.$client.prepare('SELECT recipient_member_id AS memberId, kind, read_at_ms AS readAt FROM messages').all(),
    [{ memberId: volunteerMemberId, kind: 'record_rejected', readAt: null }], 'one message, to the volunteer, unread');
  const sms = testApp.db.$client.prepare('SELECT member_id AS memberId, text, status FROM sms_outbox').all() as { memberId: number; text: string; status: string }[];
  t.equal(sms.length, 1, 'one SMS waiting in the outbox');
  t.equal(sms[0]?.text, '【银龄时光】您2026-11-22的服务记录未通过，原因：老人说这天没有人来过。');
  t.notMatch(JSON.stringify(sms), '13800000001', 'the outbox holds no phone');

  const next = await volunteer.get('/hours');
  t.match(visibleText(next.body), '消息 (1 条未读)', 'the header shows the unread count');
  const inbox = await volunteer.get('/messages');
  t.equal(inbox.statusCode, 200);
  t.match(inbox.body, /<link rel="stylesheet" href="\/assets\/messages\.[0-9a-f]+\.css">/, 'the inbox brings its own stylesheet (app.css stays small)');
  const text = visibleText(inbox.body);
  t.match(text, '新 记录未通过');
  t.match(text, '您 2026-11-22 的服务记录没有通过审核。原因：老人说这天没有人来过。如有疑问，请联系协管员。');
  // Opening the page (a GET: also a link prefetcher, the offline worker) writes nothing; reading is her POST.
  t.equal(scalar(testApp, 'SELECT read_at_ms FROM messages'), null, 'opening the inbox left it unread');
  t.match(visibleText((await volunteer.get('/messages')).body), '新 记录未通过', 'still new on the second visit');
  t.match(visibleText((await volunteer.get('/')).body), '消息 (1 条未读)', 'the header still counts it');
  const messageId = scalar(testApp, 'SELECT id FROM messages');
  t.match(inbox.body, `action="/messages/${messageId}/read"`, 'a 标为已读 form for it');
  t.match(visibleText(inbox.body), '全部标为已读');
  const marked = await volunteer.post(`/messages/${messageId}/read`, {});
  t.equal(marked.statusCode, 303);
  t.equal(marked.headers.location, `/messages#message-${messageId}`, 'back to the message');
  t.equal(scalar(testApp, 'SELECT read_at_ms FROM messages'), testApp.clock.now(), 'marked read at the time of the POST');
  const after = await volunteer.get('/');
  t.notMatch(visibleText(after.body), '条未读', 'no unread count once read');
  t.notMatch(visibleText((await volunteer.get('/messages')).body), '新 记录未通过', 'shown as read the second time');

  const english = await volunteer.get('/messages', { cookie: `${volunteer.cookieHeader()}; sh_lang=en` });
  t.match(visibleText(english.body), 'Your service record of 2026-11-22 was not approved. Reason: 老人说这天没有人来过.', 'rendered in the reader\'s language');
  t.notMatch(visibleText((await coordinator.get('/messages')).body), '老人说这天没有人来过', 'nobody else sees it');
});

t.test('an approved record tells the volunteer what went into her passbook; a member who chose inbox only gets no SMS', async (t) => {
  const { testApp, id } = await pendingVisitWithEmptyInbox(t);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  await coordinator.get(`/hours/records/${id}`);
  t.equal((await coordinator.post(`/hours/records/${id}/approve`, {})).statusCode, 303);
  t.same(testApp.db.$client.prepare('SELECT kind, params_json AS params FROM messages').all(),
    [{ kind: 'record_approved', params: JSON.stringify({ recordId: id, serviceDate: '2026-11-22', creditMinutes: scalar(testApp, 'SELECT credit_minutes FROM service_records WHERE id = ?', id) }) }]);
  t.equal(scalar(testApp, 'SELECT count(*) FROM sms_outbox'), 0, 'inbox only by default: no SMS');
});

t.test('paging: 20 a page, newest first, an older link; no page marks anything, 全部标为已读 marks them all', async (t) => {
  const { testApp, volunteer } = await pendingVisitWithEmptyInbox(t);
  writeTransaction(testApp.db, () => {
    for (let index = 1; index <= inboxPageSize + 5; index += 1) {
      notify({ db: testApp.db, now: testApp.clock.now }, { kind: 'credits_gift', to: { memberId: volunteerMemberId }, params: { giverName: `亲人${index}`, amountMinutes: index } });
    }
  });
  const first = await volunteer.get('/hours');
  t.match(visibleText(first.body), '(25 条未读)');
  const page = await volunteer.get('/messages');
  const shown = [...page.body.matchAll(/亲人(\d+) 赠送给您/g)].map((match) => Number(match[1]));
  t.same(shown, Array.from({ length: 20 }, (_value, index) => 25 - index), 'the newest twenty');
  const older = /href="(\/messages\?before=\d+)"/.exec(page.body)?.[1];
  t.ok(older, 'a link to older messages');
  t.equal(scalar(testApp, 'SELECT count(*) FROM messages WHERE read_at_ms IS NULL'), 25, 'reading the page marks nothing');
  const second = await volunteer.get(older ?? '');
  t.same([...second.body.matchAll(/亲人(\d+) 赠送给您/g)].map((match) => Number(match[1])), [5, 4, 3, 2, 1]);
  t.notMatch(second.body, /href="\/messages\?before=/, 'the last page has no older link');
  t.equal(scalar(testApp, 'SELECT count(*) FROM messages WHERE read_at_ms IS NULL'), 25);
  const before = older?.split('=')[1] ?? '';
  const all = await volunteer.post('/messages/read-all', { before });
  t.equal(all.statusCode, 303);
  t.equal(all.headers.location, `/messages?before=${before}`, 'back to the page it was on');
  t.equal(scalar(testApp, 'SELECT count(*) FROM messages WHERE read_at_ms IS NULL'), 0, 'all marked read');
  t.notMatch(visibleText((await volunteer.get('/hours')).body), '条未读', 'the header count is gone');
  t.equal((await volunteer.get('/messages?before=abc')).statusCode, 400, 'a malformed page id is refused');
});

t.test('the inbox needs a sign-in', async (t) => {
  const { testApp } = await pendingVisitWithEmptyInbox(t);
  const response = await testApp.app.inject({ url: '/messages' });
  t.equal(response.statusCode, 303);
});

t.test('more than 99 unread reads 99+ (the count stops at 100, whatever the backlog)', async (t) => {
  const { testApp, volunteer } = await pendingVisitWithEmptyInbox(t);
  writeTransaction(testApp.db, () => {
    for (let index = 1; index <= 150; index += 1) {
      notify({ db: testApp.db, now: testApp.clock.now }, { kind: 'credits_gift', to: { memberId: volunteerMemberId }, params: { giverName: '亲人', amountMinutes: index } });
    }
  });
  t.match(visibleText((await volunteer.get('/hours')).body), '消息 (99+ 条未读)');
  t.equal(scalar(testApp, 'SELECT count(*) FROM messages WHERE read_at_ms IS NULL'), 150);
});

t.test('marking read: only one\'s own messages, only by a POST with its CSRF token; refusals change nothing', async (t) => {
  const { testApp, volunteer } = await pendingVisitWithEmptyInbox(t);
  const coordinatorUserId = scalar(testApp, "SELECT id FROM users WHERE phone = '13800000002'");
  writeTransaction(testApp.db, () => {
    notify({ db: testApp.db, now: testApp.clock.now }, { kind: 'credits_gift', to: { memberId: volunteerMemberId }, params: { giverName: '亲人', amountMinutes: 30 } });
    notify({ db: testApp.db, now: testApp.clock.now }, { kind: 'review_overdue', to: { userId: coordinatorUserId }, params: { count: 3, days: 7 } });
  });
  const hers = scalar(testApp, 'SELECT id FROM messages WHERE recipient_member_id = ?', volunteerMemberId);
  const theirs = scalar(testApp, 'SELECT id FROM messages WHERE recipient_user_id = ?', coordinatorUserId);
  await volunteer.get('/messages');
  const unread = () => scalar(testApp, 'SELECT count(*) FROM messages WHERE read_at_ms IS NULL');
  const other = await volunteer.post(`/messages/${theirs}/read`, {});
  t.equal(other.statusCode, 404, 'someone else\'s message is answered like a missing one');
  t.match(visibleText(other.body), '找不到这条消息。');
  t.equal((await volunteer.post('/messages/999999/read', {})).statusCode, 404);
  t.equal((await volunteer.post(`/messages/${hers}/read`, {}, { csrf: false })).statusCode, 403, 'no CSRF token: refused');
  t.equal(unread(), 2, 'nothing marked');
  t.equal((await volunteer.post('/messages/read-all', {})).statusCode, 303);
  t.equal(scalar(testApp, 'SELECT read_at_ms IS NULL FROM messages WHERE id = ?', theirs), 1, 'all means all of hers: the coordinator\'s stays unread');
  t.equal(scalar(testApp, 'SELECT read_at_ms IS NULL FROM messages WHERE id = ?', hers), 0);
});

import t from 'tap';
import type { AddressInfo } from 'node:net';
import { HttpSession } from '../../helpers/server-process.ts';
import { demoPhone, signedInAs } from '../../helpers/web.ts';
import { createHoursApp, logVisit, scalar } from '../hours/helpers.ts';

t.test('through a real listening server: approves and rejects of one record at once write one message and one SMS, for the decision that won', async (t) => {
  const testApp = await createHoursApp({ groupCommit: true });
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => testApp.app.close());
  testApp.db.$client.exec("DELETE FROM sms_outbox; DELETE FROM messages; INSERT INTO member_message_choices (member_id, channel, changed_at_ms) VALUES (5, 'sms', 0)");
  const base = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`;
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const id = await logVisit(testApp, volunteer);
  const coordinator = await HttpSession.signIn(base, demoPhone('coordinator'));
  const office = await HttpSession.signIn(base, demoPhone('office'));
  await coordinator.page(`/hours/records/${id}`);
  await office.page(`/hours/records/${id}`);
  const answers = await Promise.all([
    ...Array.from({ length: 3 }, () => coordinator.fetch(`/hours/records/${id}/approve`, { form: { return_to: '/hours/queue' } })),
    ...Array.from({ length: 3 }, () => office.fetch(`/hours/records/${id}/reject`, { form: { reason: '时间对不上' } })),
  ]);
  t.ok(answers.some((answer) => answer.status === 303), 'one decision went through');
  const status = scalar<string>(testApp, 'SELECT status FROM service_records WHERE id = ?', id);
  const kinds = testApp.db.$client.prepare('SELECT kind FROM messages WHERE recipient_member_id = 5').pluck().all();
  t.same(kinds, [status === 'approved' ? 'record_approved' : 'record_rejected'], `one message, for the decision that won (${status})`);
  t.equal(scalar(testApp, 'SELECT count(*) FROM sms_outbox'), 1, 'one SMS queued');
});

import t from 'tap';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, logVisit, scalar } from '../../routes/hours/helpers.ts';

const dayMs = 86_400_000;

t.test('records waiting for review more than 3 days: the coordinators in scope are told once a Shanghai day', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  testApp.db.$client.exec('DELETE FROM sms_outbox; DELETE FROM messages;');
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  await logVisit(testApp, volunteer);
  testApp.clock.advance(4 * dayMs);
  const waiting = scalar(testApp, `SELECT count(*) FROM service_records s JOIN regions r ON r.code = s.village_code
    WHERE s.status = 'pending' AND s.created_at_ms <= ? AND r.path LIKE '%/433123101/%'`, testApp.clock.now() - 3 * dayMs);
  t.ok(waiting >= 1, `${waiting} records waiting in the coordinator's township`);
  t.ok(await testApp.app.jobs.run('remindReviews') >= 1);
  const reminders = () => testApp.db.$client.prepare("SELECT recipient_user_id AS userId, params_json AS params FROM messages WHERE kind = 'review_overdue' ORDER BY id").all() as { userId: number; params: string }[];
  const toCoordinator = reminders().filter((row) => row.userId === 2);
  t.same(toCoordinator.map((row) => JSON.parse(row.params)), [{ count: waiting, days: 3 }], 'the coordinator (user 2) is told how many');
  t.notOk(reminders().some((row) => row.userId === 4 || row.userId === 1), 'offices and volunteers are not coordinators');
  t.equal(await testApp.app.jobs.run('remindReviews'), 0, 'again the same day: nothing new');
  testApp.clock.advance(dayMs);
  t.ok(await testApp.app.jobs.run('remindReviews') >= 1, 'the next day: told again');
  t.equal(reminders().filter((row) => row.userId === 2).length, 2);
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  t.match(visibleText((await coordinator.get('/messages')).body), `有 ${waiting} 条服务记录等待审核已超过 3 天，请尽快审核。`);
});

t.test('elders due a visit: the coordinators in scope are told once a week', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  testApp.db.$client.exec('DELETE FROM sms_outbox; DELETE FROM messages;');
  testApp.clock.advance(42 * dayMs); // Monday 2027-01-04, 10:00 in Shanghai
  t.ok(await testApp.app.jobs.run('remindVisits') >= 1);
  const toCoordinator = () => testApp.db.$client.prepare("SELECT params_json FROM messages WHERE kind = 'elders_overdue' AND recipient_user_id = 2").pluck().all() as string[];
  t.equal(toCoordinator().length, 1);
  const count = (JSON.parse(toCoordinator()[0] ?? '{}') as { count: number }).count;
  t.ok(count >= 1, `${count} elders due`);
  testApp.clock.advance(2 * dayMs);
  t.equal(await testApp.app.jobs.run('remindVisits'), 0, 'the same week: nothing new');
  testApp.clock.advance(7 * dayMs);
  await testApp.app.jobs.run('remindVisits');
  t.equal(toCoordinator().length, 2, 'the next week: told again');
  const coordinator = await signedInAs(testApp.app, 'coordinator');
  t.match(visibleText((await coordinator.get('/messages')).body), `本周有 ${count} 位登记老人到了该探访的时候，请安排探访。`);
});

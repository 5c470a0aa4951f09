import t from 'tap';
import { randomUUID } from 'node:crypto';
import { logService } from '../../../src/domain/hours/log.ts';
import { actorOf } from '../../../src/domain/auth/users.ts';
import { createHoursApp, scalar } from './helpers.ts';

t.test('a listening server expires unreviewed records past the policy window on its own', async (t) => {
  // The timers run only when the app is built with them (src/jobs), as server.ts builds it.
  const testApp = await createHoursApp({ jobs: {} });
  t.teardown(() => testApp.app.close());
  const context = { db: testApp.db, now: testApp.clock.now };
  const volunteerUserId = scalar(testApp, "SELECT id FROM users WHERE phone = '13800000001'");
  const elderId = scalar(testApp, "SELECT id FROM elders WHERE real_name = '龙玉兰'");
  const logged = logService(context, actorOf(testApp.db, volunteerUserId), {
    idempotencyKey: randomUUID(), serviceTypeCode: 'visit', elderId, date: '2026-11-22', startTime: '05:00', endTime: '06:00',
  });
  t.ok(logged.ok);
  const id = logged.ok ? logged.value.record.id : 0;
  testApp.clock.advance(31 * 86_400_000);
  await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  t.equal(scalar(testApp, 'SELECT status FROM service_records WHERE id = ?', id), 'expired');
  t.equal(scalar(testApp, 'SELECT code FROM ledger_transfers WHERE id = ?', `svc-expire:${id}`), 'expiry');
  t.equal(scalar(testApp, "SELECT count(*) FROM service_records WHERE status = 'pending'"), 0, 'the seed\'s week-old records are past 30 days too now');
});

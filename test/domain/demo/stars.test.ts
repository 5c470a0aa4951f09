import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { actorOf } from '../../../src/domain/auth/users.ts';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { logService } from '../../../src/domain/hours/log.ts';
import { approveRecord } from '../../../src/domain/hours/review.ts';
import { publicNotices } from '../../../src/domain/stars/notices.ts';
import { serviceMinutesOf } from '../../../src/domain/stars/hours.ts';
import { instants } from '../../helpers/clock.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';

t.test('the demo network: two volunteers with stars, one notice in progress, one volunteer a record short of 100 hours', async (t) => {
  const db = openDatabase(':memory:');
  const nowMs = instants.suiteDefault;
  await seedDemoNetwork(db, testSecrets(), nowMs);
  const stars = db.$client.prepare(`SELECT m.real_name AS name, a.star, a.status FROM star_awards a JOIN members m ON m.id = a.member_id ORDER BY a.id`).all();
  t.same(stars, [
    { name: '杨春花', star: 1, status: 'awarded' }, { name: '杨春花', star: 2, status: 'awarded' },
    { name: '龙金香', star: 1, status: 'awarded' }, { name: '田秀梅', star: 1, status: 'on_notice' },
  ]);
  t.same(publicNotices(db).map((notice) => notice.maskedName), ['田*梅'], 'one notice in progress, name masked');
  const wu = db.$client.prepare("SELECT id FROM members WHERE real_name = '吴桂英'").pluck().get() as number;
  t.equal(serviceMinutesOf(db, wu), 99 * 60, '吴桂英: 99 verified hours');

  // README: the coordinator logs an hour for her, the county office approves it, her first star is proposed.
  const userId = (phone: string) => db.$client.prepare('SELECT id FROM users WHERE phone = ?').pluck().get(phone) as number;
  const context = { db, now: () => nowMs };
  const logged = logService(context, actorOf(db, userId('13800000002')), {
    idempotencyKey: '00000000-5b00-4000-8000-000000000001', volunteerMemberId: wu, serviceTypeCode: 'mutual_aid', villageCode: '433123101002',
    date: '2026-11-22', startTime: '09:00', durationMinutes: 60, note: null,
  });
  if (!logged.ok) return t.fail(JSON.stringify(logged.problems));
  t.ok(approveRecord(context, actorOf(db, userId('13800000004')), logged.value.record.id).ok);
  t.same(db.$client.prepare('SELECT star, status, awarding_region_code AS region FROM star_awards WHERE member_id = ?').all(wu), [{ star: 1, status: 'proposed', region: '433123' }]);
});

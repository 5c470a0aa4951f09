import t from 'tap';
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../../src/db/client.ts';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { membersDueStars } from '../../../src/domain/stars/hours.ts';
import { defaultStarPolicy } from '../../../src/domain/stars/policy.ts';
import { proposeAllDueStars } from '../../../src/domain/stars/proposals.ts';
import { instants } from '../../helpers/clock.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';

/**
 * The stars job's scan lists only members who are due a star (no row for a
 * star their hours reach, or one withdrawn for want of hours), so it opens a
 * write for them alone, not for every member above 100 hours.
 */
t.test('the scan lists exactly the members due a star, and after the job proposes them, nobody', async (t) => {
  const db = openDatabase(':memory:');
  const nowMs = instants.suiteDefault;
  await seedDemoNetwork(db, testSecrets(), nowMs);
  const idOf = (name: string) => db.$client.prepare('SELECT id FROM members WHERE real_name = ?').pluck().get(name) as number;
  const [yang, wu] = [idOf('杨春花'), idOf('吴桂英')];
  const minutesOf = (memberId: number) => db.$client.prepare("SELECT sum(duration_minutes) FROM service_records WHERE volunteer_member_id = ? AND status = 'approved'").pluck().get(memberId) as number;
  const above100 = db.$client.prepare("SELECT count(*) FROM (SELECT 1 FROM service_records WHERE status = 'approved' GROUP BY volunteer_member_id HAVING sum(duration_minutes) >= 6000)").pluck().get() as number;
  t.ok(above100 >= 3, `${above100} members above 100 hours`);
  t.same(membersDueStars(db, defaultStarPolicy.levels), [], 'every member above a threshold already has the star proposed, on notice or awarded');
  t.same(membersDueStars(db, [{ star: 1, minHours: 50 }]), [{ memberId: wu, minutes: 99 * 60 }], 'a lower threshold: 吴桂英 (99 hours) is due; those with a star-1 row are not');

  db.$client.prepare("UPDATE star_awards SET status = 'withdrawn', withdrawn_reason = NULL, withdrawn_at_ms = ? WHERE member_id = ? AND star = 2").run(nowMs, yang);
  t.same(membersDueStars(db, defaultStarPolicy.levels), [{ memberId: yang, minutes: minutesOf(yang) }], 'a star withdrawn for want of hours is due again');
  db.$client.prepare("UPDATE star_awards SET withdrawn_reason = '异议成立' WHERE member_id = ? AND star = 2").run(yang);
  t.same(membersDueStars(db, defaultStarPolicy.levels), [], 'one withdrawn on an upheld objection is not');

  // An hour approved without the approval's own proposal (as one confirmed on the spot by the elder's card is): 吴桂英 reaches 100 hours.
  db.$client.prepare(`INSERT INTO service_records (idempotency_key, volunteer_member_id, service_type_id, service_type_code, village_code, county_code, service_date, start_at_ms, end_at_ms,
      duration_minutes, credit_minutes, source, status, hold_transfer_id, created_at_ms)
    SELECT ?, ?, id, code, '433123101002', '433123', '2026-11-22', ?, ?, 60, 60, 'coordinator', 'approved', ?, ? FROM service_types WHERE code = 'mutual_aid' ORDER BY id DESC LIMIT 1`)
    .run(randomUUID(), wu, nowMs - 7_200_000, nowMs - 3_600_000, `test-hold-${randomUUID()}`, nowMs);
  t.same(membersDueStars(db, defaultStarPolicy.levels), [{ memberId: wu, minutes: 100 * 60 }]);
  db.$client.prepare("UPDATE members SET status = 'suspended' WHERE id = ?").run(wu);
  t.same(membersDueStars(db, defaultStarPolicy.levels), [], 'a suspended member is not proposed, so not listed');
  db.$client.prepare("UPDATE members SET status = 'active' WHERE id = ?").run(wu);
  t.equal(proposeAllDueStars({ db, now: () => nowMs }), 1, 'the job proposes her first star');
  t.same(db.$client.prepare('SELECT star, status FROM star_awards WHERE member_id = ?').all(wu), [{ star: 1, status: 'proposed' }]);
  t.same(membersDueStars(db, defaultStarPolicy.levels), [], 'and then nobody is due');
  t.equal(proposeAllDueStars({ db, now: () => nowMs }), 0);
});

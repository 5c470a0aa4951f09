import t from 'tap';
import { checkIn, checkInPath, closeSignIn, codeAt, isCodeCurrent, openSignIn } from '../../../src/domain/hours/activities.ts';
import { approveMany } from '../../../src/domain/hours/review.ts';
import { verificationQueue } from '../../../src/domain/hours/queue.ts';
import { walletBalance } from '../../../src/domain/hours/passbook.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { hoursFixture } from './fixture.ts';

t.test('the code changes every minute; the previous minute\'s code still works, older ones do not', async (t) => {
  const session = { id: 1, secret: 'secret' };
  const at = Date.UTC(2026, 10, 23, 2, 0, 30);
  const code = codeAt(session, at);
  t.match(code, /^[A-Za-z0-9_-]{10}$/);
  t.equal(codeAt(session, at + 20_000), code, 'same minute, same code');
  t.not(codeAt(session, at + 60_000), code, 'next minute, new code');
  t.ok(isCodeCurrent(session, code, at + 60_000), 'just after the change it is still accepted');
  t.notOk(isCodeCurrent(session, code, at + 120_000), 'two minutes later it is refused');
  t.notOk(isCodeCurrent({ id: 2, secret: 'secret' }, code, at), 'another session\'s code is refused');
  t.match(checkInPath(session, at), new RegExp(`^/activities/check-in/1/${code}$`));
});

t.test('sign in, sign out, close: attendance becomes pending records approved in one action', async (t) => {
  const f = hoursFixture();
  const opened = openSignIn(f.context, f.coordinator, f.activityId, 'culture_sport');
  t.ok(opened.ok);
  if (!opened.ok) return;
  const session = opened.value;
  const again = openSignIn(f.context, f.coordinator, f.activityId, 'culture_sport');
  t.ok(again.ok && again.value.id === session.id, 'opening twice shows the same session');
  t.equal(openSignIn(f.context, f.otherCoordinator, f.activityId, 'culture_sport').ok, false, 'out of scope');

  const signedIn = checkIn(f.context, f.volunteer, session.id, codeAt(session, f.clock.ms));
  t.ok(signedIn.ok && signedIn.value.action === 'signed_in');
  f.clock.ms += 95 * 60_000;
  const stale = checkIn(f.context, f.volunteer, session.id, codeAt(session, f.clock.ms - 3 * 60_000));
  t.ok(!stale.ok && stale.status === 410 && stale.problems[0]!.code === 'hours.error.code_expired', 'an old code is refused');
  const signedOut = checkIn(f.context, f.volunteer, session.id, codeAt(session, f.clock.ms));
  t.ok(signedOut.ok && signedOut.value.action === 'signed_out');
  const third = checkIn(f.context, f.volunteer, session.id, codeAt(session, f.clock.ms));
  t.ok(!third.ok && third.problems[0]!.code === 'hours.error.already_signed_out');
  const staffOnly = checkIn(f.context, f.coordinator, session.id, codeAt(session, f.clock.ms));
  t.ok(!staffOnly.ok && staffOnly.problems[0]!.code === 'hours.error.not_a_member');

  f.clock.ms += 10 * 60_000;
  const closed = closeSignIn(f.context, f.coordinator, f.activityId);
  t.ok(closed.ok);
  if (!closed.ok) return;
  t.equal(closed.value.recordIds.length, 1);
  const record = f.db.$client.prepare('SELECT * FROM service_records WHERE id = ?').get(closed.value.recordIds[0]) as Record<string, unknown>;
  t.equal(record.status, 'pending');
  t.equal(record.source, 'activity');
  t.equal(record.duration_minutes, 95, 'signed duration');
  t.equal(record.activity_id, f.activityId);
  t.equal(record.service_type_code, 'culture_sport');
  const late = checkIn(f.context, f.volunteer, session.id, codeAt(session, f.clock.ms));
  t.ok(!late.ok && late.problems[0]!.code === 'hours.error.activity_closed');
  const queue = verificationQueue(f.context, f.coordinator, { activityId: f.activityId });
  t.same(queue.map((item) => item.id), closed.value.recordIds);
  const approved = approveMany(f.context, f.coordinator, queue.map((item) => item.id));
  t.ok(approved.ok && approved.value.approved.length === 1, 'the coordinator who ran it approves in one action');
  t.equal(walletBalance(f.context, f.volunteerMemberId).posted, 95);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('someone who forgets to sign out is counted to the close, capped at the type maximum', async (t) => {
  const f = hoursFixture();
  const opened = openSignIn(f.context, f.coordinator, f.activityId, 'culture_sport');
  if (!opened.ok) return t.fail('open');
  t.ok(checkIn(f.context, f.volunteer, opened.value.id, codeAt(opened.value, f.clock.ms)).ok);
  f.clock.ms += 5 * 3600_000;
  const closed = closeSignIn(f.context, f.coordinator, f.activityId);
  t.ok(closed.ok);
  const minutes = f.db.$client.prepare('SELECT duration_minutes FROM service_records').pluck().get();
  t.equal(minutes, 240, 'culture_sport allows 240 minutes');
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('tickets: a fresh scan gives ten minutes to sign in; forged or stale tickets are refused', async (t) => {
  const { isTicketValid, ticketFor, checkInWithTicket } = await import('../../../src/domain/hours/activities.ts');
  const f = hoursFixture();
  const opened = openSignIn(f.context, f.coordinator, f.activityId, 'culture_sport');
  if (!opened.ok) return t.fail('open');
  const session = opened.value;
  const ticket = ticketFor(session, f.clock.ms);
  t.ok(isTicketValid(session, ticket, f.clock.ms + 9 * 60_000));
  t.notOk(isTicketValid(session, ticket, f.clock.ms + 11 * 60_000), 'expired after ten minutes');
  t.notOk(isTicketValid({ id: session.id, secret: 'other' }, ticket, f.clock.ms), 'another secret');
  t.notOk(isTicketValid(session, ticket.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), f.clock.ms), 'tampered');
  t.notOk(isTicketValid(session, `${Math.floor(f.clock.ms / 60_000) + 5}.${'a'.repeat(16)}`, f.clock.ms), 'from the future');
  f.clock.ms += 5 * 60_000; // the code on the screen moved on; the ticket still works
  const first = checkInWithTicket(f.context, f.volunteer, session.id, ticket, 'in');
  t.ok(first.ok && first.value.action === 'signed_in');
  const repeat = checkInWithTicket(f.context, f.volunteer, session.id, ticket, 'in');
  t.ok(repeat.ok && repeat.value.action === 'signed_in', 'a repeated sign-in changes nothing');
  t.equal(f.db.$client.prepare('SELECT count(*) FROM activity_attendance WHERE signed_out_at_ms IS NULL').pluck().get(), 1);
  const out = checkInWithTicket(f.context, f.volunteer, session.id, ticket, 'out');
  t.ok(out.ok && out.value.action === 'signed_out');
  const outAgain = checkInWithTicket(f.context, f.volunteer, session.id, ticket, 'out');
  t.ok(outAgain.ok && outAgain.value.atMs === (out.ok ? out.value.atMs : 0), 'a repeated sign-out keeps the first time');
  f.clock.ms += 6 * 60_000;
  const stale = checkInWithTicket(f.context, f.volunteer, session.id, ticket, 'in');
  t.ok(!stale.ok && stale.problems[0]!.code === 'hours.error.code_expired');
});

t.test('closing applies the logging rules per attendee: an overlap or the daily maximum is skipped and listed, nothing half-written', async (t) => {
  const { logService } = await import('../../../src/domain/hours/log.ts');
  const { updatePolicy } = await import('../../../src/domain/hours/policy.ts');
  // Overlap: the volunteer also logged 10:30-11:00 by hand during the activity.
  const f = hoursFixture();
  const opened = openSignIn(f.context, f.coordinator, f.activityId, 'culture_sport');
  if (!opened.ok) return t.fail('open');
  t.ok(checkIn(f.context, f.volunteer, opened.value.id, codeAt(opened.value, f.clock.ms)).ok);
  f.clock.ms += 2 * 3600_000;
  const byHand = logService(f.context, f.volunteer, f.visit({ date: '2026-11-23', startTime: '10:30', endTime: '11:00' }));
  t.ok(byHand.ok);
  const transfers = f.db.$client.prepare('SELECT count(*) FROM ledger_transfers').pluck().get();
  const closed = closeSignIn(f.context, f.coordinator, f.activityId);
  t.ok(closed.ok);
  if (!closed.ok) return;
  t.same(closed.value.recordIds, []);
  t.same(closed.value.skipped, [{ memberId: f.volunteerMemberId, reason: 'overlapping', problem: { code: 'hours.error.overlapping', params: { date: '2026-11-23' } } }]);
  t.equal(f.db.$client.prepare('SELECT count(*) FROM ledger_transfers').pluck().get(), transfers, 'no hold for the skipped attendee');
  t.equal(f.db.$client.prepare('SELECT count(*) FROM service_records').pluck().get(), 1);
  t.equal(f.db.$client.prepare('SELECT record_id FROM activity_attendance').pluck().get(), null, 'the attendance stays without a record');
  t.ok(verifyLedger(f.db.$client).ok);

  // Daily maximum: 1 hour a day, and an hour already logged that morning.
  const g = hoursFixture();
  t.ok(updatePolicy(g.context, g.admin, { backdateDays: '30', dailyMaxHours: '1', unreviewedExpiryDays: '30', autoApproveCardConfirmed: true }).ok);
  t.ok(logService(g.context, g.volunteer, g.visit({ date: '2026-11-23', startTime: '08:00', endTime: '09:00' })).ok);
  const session = openSignIn(g.context, g.coordinator, g.activityId, 'culture_sport');
  if (!session.ok) return t.fail('open');
  t.ok(checkIn(g.context, g.volunteer, session.value.id, codeAt(session.value, g.clock.ms)).ok);
  g.clock.ms += 30 * 60_000;
  const closedG = closeSignIn(g.context, g.coordinator, g.activityId);
  t.ok(closedG.ok && closedG.value.recordIds.length === 0);
  t.same(closedG.ok && closedG.value.skipped.map((s) => [s.reason, s.problem.params]), [['over_daily_max', { max: 60, already: 60 }]]);
  t.ok(verifyLedger(g.db.$client).ok);
});

t.test('a team above county level: opening needs the village where the activity happens; closing then works', async (t) => {
  const { teamActivities, teams } = await import('../../../src/db/schema/people.ts');
  const { villages, startMs } = await import('./fixture.ts');
  const f = hoursFixture();
  const team = f.db.insert(teams).values({ name: '湘西州银龄讲师团', sponsorUnit: '湘西州老龄委', sponsorKind: 'county_committee', regionCode: '433100', createdAtMs: startMs, updatedAtMs: startMs }).returning({ id: teams.id }).get();
  const activity = f.db.insert(teamActivities).values({ teamId: team.id, activityDate: '2026-11-23', place: '老家寨村文化广场', theme: '防诈骗讲座', createdAtMs: startMs }).returning({ id: teamActivities.id }).get();
  const countyOffice = f.countyOffice; // 凤凰县: not over a city team
  t.equal(openSignIn(f.context, countyOffice, activity.id, 'culture_sport').ok, false);
  const noVillage = openSignIn(f.context, f.admin, activity.id, 'culture_sport');
  t.ok(!noVillage.ok && noVillage.status === 422 && noVillage.problems[0]!.code === 'hours.error.activity_village_required' && noVillage.problems[0]!.field === 'village');
  const notVillage = openSignIn(f.context, f.admin, activity.id, 'culture_sport', '433123101');
  t.ok(!notVillage.ok && notVillage.problems[0]!.code === 'hours.error.activity_village_invalid', 'a township is not a village');
  t.equal(f.db.$client.prepare('SELECT count(*) FROM activity_sessions').pluck().get(), 0, 'nothing opened');
  const opened = openSignIn(f.context, f.admin, activity.id, 'culture_sport', villages.laojiazhai);
  if (!opened.ok) return t.fail(JSON.stringify(opened));
  t.equal(opened.value.villageCode, villages.laojiazhai);
  t.ok(checkIn(f.context, f.volunteer, opened.value.id, codeAt(opened.value, f.clock.ms)).ok);
  f.clock.ms += 60 * 60_000;
  const closed = closeSignIn(f.context, f.admin, activity.id);
  t.ok(closed.ok && closed.value.recordIds.length === 1, 'no more village_unknown');
  t.equal(f.db.$client.prepare('SELECT county_code FROM service_records').pluck().get(), '433123');
  t.ok(verifyLedger(f.db.$client).ok);

  // A team of a township still defaults to its own area; a village outside it is refused.
  const g = hoursFixture();
  const outside = openSignIn(g.context, g.coordinator, g.activityId, 'culture_sport', villages.xinqiao);
  t.ok(!outside.ok && outside.problems[0]!.code === 'hours.error.activity_village_invalid');
  const defaulted = openSignIn(g.context, g.coordinator, g.activityId, 'culture_sport');
  t.ok(defaulted.ok && defaulted.value.villageCode === '433123101');
});

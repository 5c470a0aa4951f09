import t from 'tap';
import type { Test } from 'tap';
import { logService } from '../../../src/domain/hours/log.ts';
import { approveRecord } from '../../../src/domain/hours/review.ts';
import { updatePolicy } from '../../../src/domain/hours/policy.ts';
import { walletBalance } from '../../../src/domain/hours/passbook.ts';
import { publishVersion } from '../../../src/domain/hours/standard.ts';
import { firstStandardTypes } from '../../../src/domain/hours/first-standard.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { count, hoursFixture, type HoursFixture } from './fixture.ts';

function nothingWritten(t: Test, f: HoursFixture, before: { records: number; transfers: number }) {
  t.equal(count(f.db, 'service_records'), before.records, 'no record written');
  t.equal(count(f.db, 'ledger_transfers'), before.transfers, 'no transfer written');
}

function snapshot(f: HoursFixture) {
  return { records: count(f.db, 'service_records'), transfers: count(f.db, 'ledger_transfers') };
}

t.test('a volunteer logs a visit: pending record and a pending transfer issuance(county) -> wallet', async (t) => {
  const f = hoursFixture();
  const outcome = logService(f.context, f.volunteer, f.visit());
  t.ok(outcome.ok);
  if (!outcome.ok) return;
  const record = outcome.value.record;
  t.equal(record.status, 'pending');
  t.equal(record.durationMinutes, 60);
  t.equal(record.creditMinutes, 60);
  t.equal(record.countyCode, '433123');
  t.equal(record.villageCode, '433123101001', 'the village is the recipient\'s');
  t.equal(record.serviceDate, '2026-11-22');
  t.equal(record.source, 'self');
  t.equal(record.enteredByUserId, f.volunteer.userId);
  t.equal(record.startAtMs, Date.UTC(2026, 10, 22, 1, 0), '09:00 Shanghai is 01:00 UTC');
  const transfer = f.db.$client.prepare('SELECT * FROM ledger_transfers WHERE id = ?').get(record.holdTransferId) as Record<string, unknown>;
  t.equal(transfer.debit_account_id, 'issuance:433123');
  t.equal(transfer.credit_account_id, `wallet:m${f.volunteerMemberId}`);
  t.equal(transfer.amount, 60);
  t.equal(transfer.code, 'service_credit');
  t.same(walletBalance(f.context, f.volunteerMemberId), { posted: 0, available: 0, pendingIn: 60, pendingOut: 0 });
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('duration instead of end time; credit = floor(minutes x coefficient)', async (t) => {
  const f = hoursFixture();
  const outcome = logService(f.context, f.volunteer, f.visit({ endTime: '', durationMinutes: '45' }));
  t.ok(outcome.ok && outcome.value.record.durationMinutes === 45 && outcome.value.record.creditMinutes === 45);
  // A later version with coefficient 1.5 for visits applies to services on or after its date only.
  const types = firstStandardTypes.map((type) => ({
    code: type.code, nameZh: type.nameZh, nameEn: type.nameEn, category: type.category, coefficient: type.code === 'visit' ? '1.333' : '1.0',
    maxMinutes: String(type.maxMinutes), recipientRequired: type.recipientRequired, active: true,
  }));
  const published = publishVersion(f.context, f.admin, { effectiveDate: '2026-11-24', types });
  t.ok(published.ok);
  f.clock.ms += 2 * 86_400_000; // 2026-11-25
  const later = logService(f.context, f.volunteer, f.visit({ date: '2026-11-24', startTime: '09:00', endTime: '09:07' }));
  t.ok(later.ok && later.value.record.creditMinutes === 9, 'floor(7 x 1.333) = 9');
  const earlier = logService(f.context, f.volunteer, f.visit({ date: '2026-11-21', startTime: '09:00', endTime: '09:07' }));
  t.ok(earlier.ok && earlier.value.record.creditMinutes === 7, 'the version in force on the service date: 1.0');
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('replaying the same idempotency key: one record, one transfer', async (t) => {
  const f = hoursFixture();
  const input = f.visit();
  const first = logService(f.context, f.volunteer, input);
  const before = snapshot(f);
  const second = logService(f.context, f.volunteer, input);
  const third = logService(f.context, f.volunteer, { ...input, endTime: '11:00' });
  t.ok(first.ok && second.ok);
  if (!first.ok || !second.ok) return;
  t.equal(second.value.record.id, first.value.record.id);
  t.equal(second.value.replayed, true);
  t.ok(!third.ok && third.status === 409 && third.problems[0]!.code === 'common.error.idempotency_conflict', 'a changed form with the old key is refused');
  nothingWritten(t, f, before);
  t.equal(count(f.db, 'service_records'), 1);
  t.equal(count(f.db, 'ledger_transfers'), 1);
  const stranger = logService(f.context, f.coordinator, { ...input, volunteerMemberId: f.villagerMemberId });
  t.equal(stranger.ok, false, 'another user cannot replay someone else\'s key');
  t.ok(verifyLedger(f.db.$client).ok);
});

const refusals: [string, (f: HoursFixture) => Parameters<typeof logService>[2], string][] = [
  ['end before start', (f) => f.visit({ startTime: '10:00', endTime: '09:30' }), 'hours.error.end_before_start'],
  ['end equal to start', (f) => f.visit({ startTime: '10:00', endTime: '10:00' }), 'hours.error.end_before_start'],
  ['longer than the type allows', (f) => f.visit({ startTime: '08:00', endTime: '10:01' }), 'hours.error.too_long_for_type'],
  ['in the future', (f) => f.visit({ date: '2026-11-23', startTime: '09:30', endTime: '10:30' }), 'hours.error.in_future'],
  ['a future date', (f) => f.visit({ date: '2026-11-24' }), 'hours.error.in_future'],
  ['older than the policy window', (f) => f.visit({ date: '2026-10-23' }), 'hours.error.older_than_window'],
  ['the volunteer as their own recipient', (f) => f.visit({ elderId: f.selfElderId }), 'hours.error.own_recipient'],
  ['a recipient outside the network', (f) => f.visit({ elderId: 99999 }), 'hours.error.recipient_outside_network'],
  ['a type that needs a recipient, without one', (f) => f.visit({ elderId: null }), 'hours.error.recipient_required'],
  ['an unknown type', (f) => f.visit({ serviceTypeCode: 'space_walk' }), 'hours.error.type_unknown'],
  ['a bad date', (f) => f.visit({ date: '2026-02-30' }), 'hours.error.date_invalid'],
  ['a bad start time', (f) => f.visit({ startTime: '25:00' }), 'hours.error.start_invalid'],
  ['neither end nor duration', (f) => f.visit({ endTime: '', durationMinutes: '' }), 'hours.error.end_or_duration_required'],
  ['a note too long', (f) => f.visit({ note: '长'.repeat(201) }), 'hours.error.note_too_long'],
];

for (const [name, input, code] of refusals) {
  t.test(`refused, nothing written: ${name}`, async (t) => {
    const f = hoursFixture();
    const before = snapshot(f);
    const outcome = logService(f.context, f.volunteer, input(f));
    t.equal(outcome.ok, false);
    if (outcome.ok) return;
    t.equal(outcome.status, 422);
    t.ok(outcome.problems.some((problem) => problem.code === code), `${code} in ${JSON.stringify(outcome.problems)}`);
    nothingWritten(t, f, before);
    t.ok(verifyLedger(f.db.$client).ok);
  });
}

t.test('the back-dating window is the policy\'s: exactly 30 days back is allowed, 31 is not', async (t) => {
  const f = hoursFixture();
  t.ok(logService(f.context, f.volunteer, f.visit({ date: '2026-10-24' })).ok);
  const outcome = logService(f.context, f.volunteer, f.visit({ date: '2026-10-23' }));
  t.ok(!outcome.ok && outcome.problems[0]!.code === 'hours.error.older_than_window');
  t.ok(updatePolicy(f.context, f.admin, { backdateDays: '60', dailyMaxHours: '16', unreviewedExpiryDays: '30', autoApproveCardConfirmed: true }).ok);
  t.ok(logService(f.context, f.volunteer, f.visit({ date: '2026-10-23' })).ok, 'after widening the window');
});

t.test('refused: overlapping another record of the same volunteer', async (t) => {
  const f = hoursFixture();
  t.ok(logService(f.context, f.volunteer, f.visit()).ok);
  const before = snapshot(f);
  const outcome = logService(f.context, f.volunteer, f.visit({ elderId: f.elder2Id, startTime: '09:30', endTime: '10:30' }));
  t.ok(!outcome.ok && outcome.problems[0]!.code === 'hours.error.overlapping');
  nothingWritten(t, f, before);
  t.ok(logService(f.context, f.volunteer, f.visit({ elderId: f.elder2Id, startTime: '10:00', endTime: '11:00' })).ok, 'back to back is fine');
});

t.test('refused: more than the daily maximum', async (t) => {
  const f = hoursFixture();
  t.ok(updatePolicy(f.context, f.admin, { backdateDays: '30', dailyMaxHours: '3', unreviewedExpiryDays: '30', autoApproveCardConfirmed: true }).ok);
  t.ok(logService(f.context, f.volunteer, f.visit({ startTime: '06:00', endTime: '08:00' })).ok);
  const before = snapshot(f);
  const outcome = logService(f.context, f.volunteer, f.visit({ startTime: '09:00', endTime: '10:01' }));
  t.ok(!outcome.ok && outcome.problems[0]!.code === 'hours.error.over_daily_max', JSON.stringify(!outcome.ok && outcome.problems));
  nothingWritten(t, f, before);
  t.ok(logService(f.context, f.volunteer, f.visit({ startTime: '09:00', endTime: '10:00' })).ok, 'exactly the maximum is fine');
});

t.test('refused: an inactive type', async (t) => {
  const f = hoursFixture();
  const types = firstStandardTypes.map((type) => ({
    code: type.code, nameZh: type.nameZh, nameEn: type.nameEn, category: type.category, coefficient: '1', maxMinutes: String(type.maxMinutes),
    recipientRequired: type.recipientRequired, active: type.code !== 'bathing',
  }));
  t.ok(publishVersion(f.context, f.admin, { effectiveDate: '2026-11-24', types }).ok);
  f.clock.ms += 86_400_000 * 2;
  const before = snapshot(f);
  const outcome = logService(f.context, f.volunteer, f.visit({ serviceTypeCode: 'bathing', date: '2026-11-24' }));
  t.ok(!outcome.ok && outcome.problems[0]!.code === 'hours.error.type_inactive');
  nothingWritten(t, f, before);
  t.ok(logService(f.context, f.volunteer, f.visit({ serviceTypeCode: 'bathing', date: '2026-11-23' })).ok, 'still active in the version in force the day before');
});

t.test('a type without a recipient uses the chosen village; an unknown village is refused', async (t) => {
  const f = hoursFixture();
  const outcome = logService(f.context, f.volunteer, f.visit({ serviceTypeCode: 'health_talk', elderId: null, villageCode: '433123101002' }));
  t.ok(outcome.ok && outcome.value.record.villageCode === '433123101002' && outcome.value.record.elderId === null);
  const bad = logService(f.context, f.volunteer, f.visit({ serviceTypeCode: 'health_talk', elderId: null, villageCode: '999999999999', startTime: '13:00', endTime: '14:00' }));
  t.ok(!bad.ok && bad.problems[0]!.code === 'hours.error.village_unknown');
});

t.test('a coordinator logs for a member without a phone: the record shows who entered it', async (t) => {
  const f = hoursFixture();
  const outcome = logService(f.context, f.coordinator, f.visit({ volunteerMemberId: f.villagerMemberId }));
  t.ok(outcome.ok);
  if (!outcome.ok) return;
  t.equal(outcome.value.record.volunteerMemberId, f.villagerMemberId);
  t.equal(outcome.value.record.enteredByUserId, f.coordinator.userId);
  t.equal(outcome.value.record.source, 'coordinator');
  const out = logService(f.context, f.otherCoordinator, f.visit({ volunteerMemberId: f.villagerMemberId }));
  // A member outside the scope is answered exactly like an id nobody holds (issue 12 item 7).
  t.ok(!out.ok && out.status === 422 && out.problems[0]!.code === 'hours.error.volunteer_unknown');
  t.same(out, logService(f.context, f.otherCoordinator, f.visit({ volunteerMemberId: 987654 })));
  const volunteerTries = logService(f.context, f.volunteer, f.visit({ volunteerMemberId: f.villagerMemberId }));
  t.ok(!volunteerTries.ok && volunteerTries.status === 403, 'a volunteer may not log for anybody else, whoever it is');
  t.same(volunteerTries, logService(f.context, f.volunteer, f.visit({ volunteerMemberId: 987654 })));
  const missing = logService(f.context, f.coordinator, f.visit());
  t.ok(!missing.ok && missing.problems[0]!.code === 'hours.error.volunteer_required');
  // The coordinator cannot approve what they entered; a colleague can.
  const own = approveRecord(f.context, f.coordinator, outcome.value.record.id);
  t.ok(!own.ok && own.problems[0]!.code === 'hours.error.own_record');
  t.ok(approveRecord(f.context, f.coordinator2, outcome.value.record.id).ok);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('a card number is no confirmation: the sync path never auto-approves', async (t) => {
  const f = hoursFixture();
  const outcome = logService(f.context, f.volunteer, { ...f.visit(), elderCardNumber: f.elderCardNumber } as never);
  t.ok(outcome.ok && outcome.value.record.status === 'pending' && !outcome.value.record.confirmedByCard);
  const withPin = logService(f.context, f.volunteer, f.visit({ startTime: '14:00', endTime: '15:00', elderPin: '285714' }));
  t.ok(withPin.ok && withPin.value.record.status === 'pending', 'a PIN only counts when logServiceWithPin checked it');
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('a user without a member record cannot log for themself', async (t) => {
  const f = hoursFixture();
  const outcome = logService(f.context, f.countyOffice, f.visit());
  t.ok(!outcome.ok && outcome.problems[0]!.code === 'hours.error.volunteer_required');
});

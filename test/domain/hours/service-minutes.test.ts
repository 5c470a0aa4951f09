import t from 'tap';
import { randomUUID } from 'node:crypto';
import { acceptRequest, confirmRequest, postRequest } from '../../../src/domain/redemption/requests.ts';
import { grantVouchers } from '../../../src/domain/redemption/vouchers.ts';
import { places, redemptionFixture } from '../redemption/fixture.ts';
import { seedFirstStandard } from '../../../src/domain/hours/first-standard.ts';
import { logService } from '../../../src/domain/hours/log.ts';
import { approveRecord, rejectRecord, reverseRecord } from '../../../src/domain/hours/review.ts';
import { verifiedServiceMinutes } from '../../../src/domain/hours/service-minutes.ts';
import { walletBalance } from '../../../src/domain/hours/passbook.ts';
import { accountIds, accountInputs, ensureAccounts, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { hoursFixture, type HoursFixture } from './fixture.ts';

function logged(f: HoursFixture, overrides = {}) {
  const outcome = logService(f.context, f.volunteer, f.visit(overrides));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
  return outcome.value.record;
}

function approved(f: HoursFixture, overrides = {}) {
  const record = logged(f, overrides);
  if (!approveRecord(f.context, f.coordinator, record.id).ok) throw new Error('approve');
  return record;
}

t.test('counts minutes served in approved records only: not credits, not pending, rejected or reversed', async (t) => {
  const f = hoursFixture();
  // Bathing earns 1.5 credits a minute here, so credit and service minutes differ.
  f.db.$client.prepare("UPDATE service_types SET coefficient_milli = 1500 WHERE code = 'bathing'").run();
  approved(f, { date: '2026-11-20', startTime: '09:00', endTime: '10:00' });
  approved(f, { serviceTypeCode: 'bathing', date: '2026-11-21', startTime: '09:00', endTime: '10:30' });
  logged(f, { date: '2026-11-22', startTime: '14:00', endTime: '14:45' });
  const rejected = logged(f, { date: '2026-11-19', startTime: '09:00', endTime: '11:00' });
  rejectRecord(f.context, f.coordinator, rejected.id, '重复登记');
  const reversed = approved(f, { date: '2026-11-18', startTime: '09:00', endTime: '09:40' });

  const before = verifiedServiceMinutes(f.db, f.volunteerMemberId);
  t.equal(before.totalMinutes, 60 + 90 + 40, 'the three approved records, in minutes served');
  t.equal(walletBalance(f.context, f.volunteerMemberId).posted, 60 + 135 + 40, 'the wallet holds the credits (bathing at 1.5)');

  t.ok(reverseRecord(f.context, f.countyOffice, reversed.id, '服务对象不在家').ok);
  const after = verifiedServiceMinutes(f.db, f.volunteerMemberId);
  t.equal(after.totalMinutes, 150, 'a reversed record leaves the count');
  t.equal(after.records, 2);
  t.same(after.byServiceType.map((row) => [row.code, row.nameZh, row.minutes, row.records]), [['bathing', '助浴', 90, 1], ['visit', '探访关爱', 60, 1]]);
  t.same(after.byUnit.map((row) => [row.kind, row.key, row.nameZh, row.minutes]), [['office', 'office:433123', '凤凰县老龄办', 150]]);
  t.equal(verifiedServiceMinutes(f.db, f.villagerMemberId).totalMinutes, 0, 'another member has none');

  // Giving credits away moves the wallet, never the record of service.
  const ledger = ledgerFor(f.db.$client, f.context.now);
  ensureAccounts(ledger, [accountInputs.wallet(f.villagerMemberId)]);
  t.same(ledger.createTransfers([{ id: 'test-gift', debitAccountId: accountIds.wallet(f.volunteerMemberId), creditAccountId: accountIds.wallet(f.villagerMemberId), amount: 100, code: 'gift', refType: 'gift', refId: '1' }]), ['ok']);
  t.equal(walletBalance(f.context, f.volunteerMemberId).posted, 135 + 60 - 100, 'the wallet went down');
  t.equal(verifiedServiceMinutes(f.db, f.volunteerMemberId).totalMinutes, 150, 'the service minutes did not');
  t.equal(verifiedServiceMinutes(f.db, f.villagerMemberId).totalMinutes, 0, 'and the receiver gained no service');
});

t.test('a period bounds the service start; a team activity is its own organising unit', async (t) => {
  const f = hoursFixture();
  const first = approved(f, { date: '2026-11-20', startTime: '09:00', endTime: '10:00' });
  approved(f, { date: '2026-11-21', startTime: '09:00', endTime: '09:30' });
  f.db.$client.prepare("UPDATE service_records SET activity_id = ?, source = 'activity' WHERE id = ?").run(f.activityId, first.id);
  const all = verifiedServiceMinutes(f.db, f.volunteerMemberId);
  t.same(all.byUnit.map((row) => [row.kind, row.key, row.nameZh, row.minutes]), [
    ['team', `team:${f.teamId}`, '山江银龄服务队', 60], ['office', 'office:433123', '凤凰县老龄办', 30],
  ]);
  // 2026-11-21 00:00 Shanghai is 2026-11-20 16:00 UTC.
  const from21 = Date.UTC(2026, 10, 20, 16, 0);
  t.equal(verifiedServiceMinutes(f.db, f.volunteerMemberId, { fromMs: from21 }).totalMinutes, 30);
  t.equal(verifiedServiceMinutes(f.db, f.volunteerMemberId, { toMs: from21 }).totalMinutes, 60, 'the upper bound is exclusive');
  t.equal(verifiedServiceMinutes(f.db, f.volunteerMemberId, { fromMs: from21, toMs: from21 }).totalMinutes, 0);
  t.throws(() => verifiedServiceMinutes(f.db, f.volunteerMemberId, { fromMs: 1.5 }));
});

t.test('a completed service request is paid, not verified service: its offered minutes never count (two members paying each other would buy certificate and star hours)', async (t) => {
  const f = redemptionFixture();
  seedFirstStandard(f.db, '2026-01-01', f.clock.ms, f.coordinator.userId);
  const elder = f.addElder('吴爷爷', places.fenghuangVillage, ['semi_disabled']);
  if (!grantVouchers(f.context, f.fenghuangOffice, { source: 'issuance', regionCode: places.fenghuangVillage, elderId: elder, amountPerElderMinutes: 600, reason: '助浴券', idempotencyKey: randomUUID() }).ok) throw new Error('vouchers');
  const volunteer = await f.addMember('杨志愿', places.fenghuangVillage2, { birthDate: '1962-05-05' });
  const posted = postRequest(f.context, f.coordinator, { elderId: elder, payer: 'voucher', serviceCategory: 'cleaning', description: '打扫', scheduledFor: '2026-11-25', place: '家中',
    offeredMinutes: 45, idempotencyKey: randomUUID(), actorMemberId: null });
  if (!posted.ok) throw new Error(JSON.stringify(posted));
  t.ok(acceptRequest(f.context, f.coordinator, posted.value.id, volunteer.memberId, null).ok);
  t.equal(verifiedServiceMinutes(f.db, volunteer.memberId).totalMinutes, 0, 'accepted, not yet done');
  t.ok(confirmRequest(f.context, f.coordinator, posted.value.id, null).ok);
  t.equal(f.db.$client.prepare("SELECT count(*) FROM service_records WHERE volunteer_member_id = ? AND status = 'completed'").pluck().get(volunteer.memberId), 1, 'the request has its record');
  const counted = verifiedServiceMinutes(f.db, volunteer.memberId);
  t.equal(counted.totalMinutes, 0, 'confirmed and paid, but its 45 offered minutes are not verified service time');
  t.same(counted.byServiceType, []);
});

import t from 'tap';
import { logService } from '../../../src/domain/hours/log.ts';
import { approveMany, approveRecord, expireUnreviewed, rejectRecord, reverseRecord } from '../../../src/domain/hours/review.ts';
import { defaultQueueOrder, parseQueueOrder, verificationQueue } from '../../../src/domain/hours/queue.ts';
import { updatePolicy } from '../../../src/domain/hours/policy.ts';
import { walletBalance } from '../../../src/domain/hours/passbook.ts';
import { accountIds, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { count, hoursFixture, type HoursFixture } from './fixture.ts';

function logVisit(f: HoursFixture, overrides = {}) {
  const outcome = logService(f.context, f.volunteer, f.visit(overrides));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
  return outcome.value.record;
}

t.test('approve posts the pending transfer; a second approve changes nothing', async (t) => {
  const f = hoursFixture();
  const record = logVisit(f);
  const approved = approveRecord(f.context, f.coordinator, record.id);
  t.ok(approved.ok && approved.value.status === 'approved');
  t.same(walletBalance(f.context, f.volunteerMemberId), { posted: 60, available: 60, pendingIn: 0, pendingOut: 0 });
  const ledger = ledgerFor(f.db.$client, f.context.now);
  const issuance = ledger.account(accountIds.issuance('433123'))!;
  t.equal(issuance.debitsPosted, 60, 'the county issuance account minted 60 minutes');
  const again = approveRecord(f.context, f.coordinator2, record.id);
  t.ok(!again.ok && again.status === 409 && again.problems[0]!.code === 'hours.error.record_already_approved');
  t.equal(count(f.db, 'ledger_transfers'), 2, 'hold + post');
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('reject voids the pending transfer and keeps the reason; a reason is required', async (t) => {
  const f = hoursFixture();
  const record = logVisit(f);
  const noReason = rejectRecord(f.context, f.coordinator, record.id, '  ');
  t.ok(!noReason.ok && noReason.problems[0]!.code === 'hours.error.reason_required');
  t.equal(count(f.db, 'ledger_transfers'), 1);
  const rejected = rejectRecord(f.context, f.coordinator, record.id, '时间与签到记录不符');
  t.ok(rejected.ok);
  const row = f.db.$client.prepare('SELECT status, rejection_reason, reviewed_by_user_id FROM service_records WHERE id = ?').get(record.id) as Record<string, unknown>;
  t.same(row, { status: 'rejected', rejection_reason: '时间与签到记录不符', reviewed_by_user_id: f.coordinator.userId });
  t.same(walletBalance(f.context, f.volunteerMemberId), { posted: 0, available: 0, pendingIn: 0, pendingOut: 0 });
  t.notOk(approveRecord(f.context, f.coordinator, record.id).ok, 'a rejected record cannot be approved');
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('nobody verifies their own record; out of scope is refused', async (t) => {
  const f = hoursFixture();
  const record = logVisit(f);
  const out = approveRecord(f.context, f.otherCoordinator, record.id);
  t.ok(!out.ok && out.status === 404 && out.problems[0]!.code === 'hours.error.record_not_found');
  const volunteerTries = approveRecord(f.context, f.volunteer, record.id);
  // Without a reviewer's role: the 403 page, before the record is looked up (issue 15).
  t.ok(!volunteerTries.ok && volunteerTries.status === 403 && volunteerTries.problems[0]!.code === 'errors.forbidden.message');
  t.notOk(verificationQueue(f.context, f.otherCoordinator).some((item) => item.id === record.id), 'not in the other county\'s queue');
  t.equal(count(f.db, 'ledger_transfers'), 1);
});

t.test('the queue: scoped, oldest first, filters by village, type and volunteer', async (t) => {
  const f = hoursFixture();
  const a = logVisit(f, { startTime: '08:00', endTime: '09:00' });
  f.clock.ms += 60_000;
  const b = logVisit(f, { serviceTypeCode: 'health_talk', elderId: null, villageCode: '433123101002', startTime: '13:00', endTime: '14:00' });
  f.clock.ms += 60_000;
  const c = logService(f.context, f.coordinator, f.visit({ volunteerMemberId: f.villagerMemberId })).ok;
  t.ok(c);
  const queue = verificationQueue(f.context, f.coordinator2);
  t.same(queue.map((item) => item.id), [a.id, b.id, 3]);
  t.same(verificationQueue(f.context, f.coordinator2, { villageCode: '433123101002' }).map((item) => item.id), [b.id]);
  t.same(verificationQueue(f.context, f.coordinator2, { serviceTypeCode: 'visit' }).map((item) => item.id), [a.id, 3]);
  t.same(verificationQueue(f.context, f.coordinator2, { volunteerMemberId: f.villagerMemberId }).map((item) => item.id), [3]);
  const mine = verificationQueue(f.context, f.coordinator).find((item) => item.id === 3)!;
  t.equal(mine.own, true, 'shown to the coordinator who entered it, marked as their own');
  t.equal(mine.enteredByName, '龙德福');
  t.same(verificationQueue(f.context, f.otherCoordinator), []);
});

t.test('the queue in the order asked for: only allow-listed columns, the record id breaks ties', async (t) => {
  t.same(parseQueueOrder('minutes', 'desc'), { sort: 'minutes', direction: 'desc' });
  t.same(parseQueueOrder('date', 'sideways'), { sort: 'date', direction: 'asc' }, 'an unknown direction: ascending');
  for (const bad of ['id', 'duration_minutes', 'minutes desc', "minutes'--", '__proto__', 'toString', '', undefined, ['minutes'], 7]) {
    t.same(parseQueueOrder(bad, 'desc'), defaultQueueOrder, `${JSON.stringify(bad)}: the default order`);
  }
  const f = hoursFixture();
  const a = logVisit(f, { startTime: '08:00', endTime: '09:30' }); // 90 minutes
  f.clock.ms += 60_000;
  const b = logVisit(f, { startTime: '10:00', endTime: '10:30' }); // 30 minutes
  f.clock.ms += 60_000;
  const c = logVisit(f, { startTime: '11:00', endTime: '11:30' }); // 30 minutes, logged last
  const ids = (order: Parameters<typeof parseQueueOrder>) => verificationQueue(f.context, f.coordinator2, { order: parseQueueOrder(...order) }).map((item) => item.id);
  t.same(ids(['minutes', 'asc']), [b.id, c.id, a.id], 'shortest first; equal durations by id');
  t.same(ids(['minutes', 'desc']), [a.id, c.id, b.id], 'longest first; the exact reverse');
  t.same(ids(['submitted', 'desc']), [c.id, b.id, a.id]);
  t.same(ids(['date', 'asc']), [a.id, b.id, c.id], 'same day: by start time');
  t.same(ids(['no such column', 'desc']), [a.id, b.id, c.id], 'unknown: oldest submitted first');
});

t.test('approve many: the allowed ones in one go, the others listed with why', async (t) => {
  const f = hoursFixture();
  const a = logVisit(f, { startTime: '08:00', endTime: '09:00' });
  const b = logVisit(f, { startTime: '10:00', endTime: '11:00' });
  const own = logService(f.context, f.coordinator, f.visit({ volunteerMemberId: f.villagerMemberId }));
  t.ok(own.ok);
  const ownId = own.ok ? own.value.record.id : 0;
  const result = approveMany(f.context, f.coordinator, [a.id, b.id, ownId, 999]);
  t.ok(result.ok);
  if (!result.ok) return;
  t.same(result.value.approved, [a.id, b.id]);
  t.same(result.value.skipped.map((s) => [s.id, s.problem.code]), [[ownId, 'hours.error.own_record'], [999, 'hours.error.record_not_found']]);
  t.same(walletBalance(f.context, f.volunteerMemberId).posted, 120);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('expiry: unreviewed records older than the policy window are voided with code expiry', async (t) => {
  const f = hoursFixture();
  const old = logVisit(f, { startTime: '08:00', endTime: '09:00' });
  f.clock.ms += 10 * 86_400_000;
  const young = logVisit(f, { date: '2026-12-02', startTime: '08:00', endTime: '09:00' });
  f.clock.ms += 20 * 86_400_000; // old is 30 days old, young 20
  t.same(expireUnreviewed(f.context), [old.id]);
  t.same(expireUnreviewed(f.context), [], 'a second sweep finds nothing');
  const transfer = f.db.$client.prepare("SELECT code, flags FROM ledger_transfers WHERE id = ?").get(`svc-expire:${old.id}`) as { code: string; flags: number };
  t.equal(transfer.code, 'expiry');
  const statuses = f.db.$client.prepare('SELECT id, status FROM service_records ORDER BY id').all();
  t.same(statuses, [{ id: old.id, status: 'expired' }, { id: young.id, status: 'pending' }]);
  t.same(walletBalance(f.context, f.volunteerMemberId), { posted: 0, available: 0, pendingIn: 60, pendingOut: 0 });
  t.notOk(approveRecord(f.context, f.coordinator, old.id).ok, 'an expired record cannot be approved');
  // Shortening the policy applies to records already waiting.
  t.ok(updatePolicy(f.context, f.admin, { backdateDays: '30', dailyMaxHours: '16', unreviewedExpiryDays: '7', autoApproveCardConfirmed: true }).ok);
  t.same(expireUnreviewed(f.context), [young.id]);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('reversal: a correcting transfer wallet -> issuance with a reason; refused when already spent', async (t) => {
  const f = hoursFixture();
  const record = logVisit(f);
  t.ok(approveRecord(f.context, f.coordinator, record.id).ok);
  const pending = logVisit(f, { startTime: '13:00', endTime: '14:00' });
  const notApproved = reverseRecord(f.context, f.coordinator, pending.id, '录错了');
  t.ok(!notApproved.ok && notApproved.problems[0]!.code === 'hours.error.record_already_pending');
  const noReason = reverseRecord(f.context, f.coordinator, record.id, '');
  t.ok(!noReason.ok && noReason.problems[0]!.code === 'hours.error.reason_required');
  const reversed = reverseRecord(f.context, f.coordinator, record.id, '重复登记，与第 2 条相同');
  t.ok(reversed.ok);
  const transfer = f.db.$client.prepare('SELECT debit_account_id, credit_account_id, amount, code, flags FROM ledger_transfers WHERE id = ?').get(`svc-reverse:${record.id}`);
  t.same(transfer, { debit_account_id: `wallet:m${f.volunteerMemberId}`, credit_account_id: 'issuance:433123', amount: 60, code: 'correction', flags: 0 });
  t.equal(walletBalance(f.context, f.volunteerMemberId).posted, 0);
  const row = f.db.$client.prepare('SELECT status, reversal_reason FROM service_records WHERE id = ?').get(record.id);
  t.same(row, { status: 'reversed', reversal_reason: '重复登记，与第 2 条相同' });
  const twice = reverseRecord(f.context, f.coordinator, record.id, 'again');
  t.ok(!twice.ok && twice.problems[0]!.code === 'hours.error.record_already_reversed');

  // Spent credit: the volunteer gave 30 of 60 minutes away.
  const second = logVisit(f, { startTime: '16:00', endTime: '17:00' });
  t.ok(approveRecord(f.context, f.coordinator, second.id).ok);
  const ledger = ledgerFor(f.db.$client, f.context.now);
  ledger.createAccounts([{ id: 'wallet:m9999', kind: 'wallet', ownerRef: 'member:9999', flags: 2 }]);
  t.same(ledger.createTransfers([{ id: 'gift-test', debitAccountId: `wallet:m${f.volunteerMemberId}`, creditAccountId: 'wallet:m9999', amount: 30, code: 'gift' }]), ['ok']);
  const before = count(f.db, 'ledger_transfers');
  const spent = reverseRecord(f.context, f.coordinator, second.id, '错误');
  t.ok(!spent.ok && spent.problems[0]!.code === 'hours.error.reversal_exceeds_available');
  t.same(!spent.ok && spent.problems[0]!.params, { available: 30, needed: 60 });
  t.equal(count(f.db, 'ledger_transfers'), before, 'nothing written');
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('the queue pages: a true total, offsets, and filter options from every pending record in scope', async (t) => {
  const { queueFilterOptions, queueTotal } = await import('../../../src/domain/hours/queue.ts');
  const f = hoursFixture();
  const a = logVisit(f, { startTime: '08:00', endTime: '09:00' });
  f.clock.ms += 60_000;
  const b = logVisit(f, { serviceTypeCode: 'health_talk', elderId: null, villageCode: '433123101002', startTime: '13:00', endTime: '14:00' });
  f.clock.ms += 60_000;
  t.ok(logService(f.context, f.coordinator, f.visit({ volunteerMemberId: f.villagerMemberId, startTime: '15:00', endTime: '16:00' })).ok);
  t.equal(queueTotal(f.context, f.coordinator2), 3);
  t.equal(queueTotal(f.context, f.coordinator2, { villageCode: '433123101002' }), 1);
  t.equal(queueTotal(f.context, f.otherCoordinator), 0, 'scoped');
  t.same(verificationQueue(f.context, f.coordinator2, { limit: 2 }).map((item) => item.id), [a.id, b.id]);
  t.same(verificationQueue(f.context, f.coordinator2, { limit: 2, offset: 2 }).map((item) => item.id), [3]);
  const options = queueFilterOptions(f.context, f.coordinator2);
  t.same(options.villages.map((v) => v.code), ['433123101001', '433123101002']);
  t.same(options.volunteers.map((v) => v.name).sort(), ['王秀英', '石老三'].sort());
  t.same(queueFilterOptions(f.context, f.otherCoordinator), { villages: [], volunteers: [] });
});

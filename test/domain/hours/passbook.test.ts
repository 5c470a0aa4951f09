import t from 'tap';
import { logService } from '../../../src/domain/hours/log.ts';
import { approveRecord, rejectRecord, reverseRecord } from '../../../src/domain/hours/review.ts';
import { hoursHome, passbookPage, statement } from '../../../src/domain/hours/passbook.ts';
import { visitCoverage, elderServices } from '../../../src/domain/hours/coverage.ts';
import { addDays, daysBetween, monthBounds, shanghaiDateOf, shanghaiMonthOf, shanghaiToUtcMs } from '../../../src/domain/hours/time.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { hoursFixture, type HoursFixture } from './fixture.ts';

function logVisit(f: HoursFixture, overrides = {}) {
  const outcome = logService(f.context, f.volunteer, f.visit(overrides));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
  return outcome.value.record;
}

t.test('Asia/Shanghai months and dates', async (t) => {
  t.equal(shanghaiMonthOf(Date.parse('2026-01-31T17:30:00Z')), '2026-02', '17:30Z on 31 January is 01:30 on 1 February in Shanghai');
  t.equal(shanghaiMonthOf(Date.parse('2026-01-31T15:59:00Z')), '2026-01');
  t.equal(shanghaiDateOf(Date.parse('2026-12-31T16:00:00Z')), '2027-01-01');
  t.equal(shanghaiToUtcMs('2026-02-01', '01:30'), Date.parse('2026-01-31T17:30:00Z'));
  t.same(monthBounds('2028-02'), { first: '2028-02-01', last: '2028-02-29' });
  t.equal(addDays('2026-03-01', -1), '2026-02-28');
  t.equal(daysBetween('2026-01-31', '2026-03-01'), 29);
});

t.test('a service at 01:30 Shanghai on 1 February counts in February', async (t) => {
  const f = hoursFixture();
  f.clock.ms = Date.parse('2026-02-01T02:00:00Z'); // 10:00 on 1 February in Shanghai
  const record = logVisit(f, { date: '2026-02-01', startTime: '01:30', endTime: '02:30' });
  t.equal(record.startAtMs, Date.parse('2026-01-31T17:30:00Z'));
  t.equal(record.serviceDate, '2026-02-01');
  const home = hoursHome(f.context, f.volunteerMemberId);
  t.equal(home.month, '2026-02');
  t.equal(home.monthPendingMinutes, 60);
  const coverage = visitCoverage(f.context, f.coordinator);
  t.ok(coverage.ok && coverage.value.visitedThisMonth === 1);
  f.clock.ms = Date.parse('2026-01-31T15:00:00Z'); // 23:00 on 31 January
  const january = visitCoverage(f.context, f.coordinator);
  t.ok(january.ok && january.value.month === '2026-01' && january.value.visitedThisMonth === 0, 'not in January');
});

t.test('volunteer home: balance available and pending, this month, recent records with status and reason', async (t) => {
  const f = hoursFixture();
  const a = logVisit(f, { startTime: '08:00', endTime: '09:00' });
  const b = logVisit(f, { startTime: '10:00', endTime: '10:30' });
  logVisit(f, { startTime: '14:00', endTime: '14:45' });
  t.ok(approveRecord(f.context, f.coordinator, a.id).ok);
  t.ok(rejectRecord(f.context, f.coordinator, b.id, '没有签字').ok);
  const home = hoursHome(f.context, f.volunteerMemberId);
  t.same(home.balance, { posted: 60, available: 60, pendingIn: 45, pendingOut: 0 });
  t.equal(home.monthApprovedMinutes, 60);
  t.equal(home.monthPendingMinutes, 45);
  t.same(home.recent.map((r) => r.status), ['pending', 'rejected', 'approved']);
  t.equal(home.recent[1]!.rejectionReason, '没有签字');
});

t.test('passbook: newest first, running balance, paged; statement for a date range', async (t) => {
  const f = hoursFixture();
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(logVisit(f, { startTime: `0${i + 1}:00`, endTime: `0${i + 1}:30` }).id);
    f.clock.ms += 60_000;
  }
  for (const id of ids) {
    t.ok(approveRecord(f.context, f.coordinator, id).ok);
    f.clock.ms += 60_000;
  }
  f.clock.ms += 2 * 86_400_000;
  t.ok(reverseRecord(f.context, f.coordinator, ids[0]!, '重复').ok);
  const first = passbookPage(f.context, f.volunteerMemberId, { pageSize: 4 });
  t.equal(first.lines.length, 4);
  t.same(first.lines.map((l) => l.kind), ['correction', 'post', 'post', 'post']);
  t.same(first.lines.map((l) => l.balanceAfter), [120, 150, 120, 90]);
  t.same(first.lines.map((l) => l.postedChange), [-30, 30, 30, 30]);
  t.equal(first.lines[0]!.description?.typeNameZh, '探访关爱');
  const seqs = first.lines.map((l) => l.seq);
  t.same([...seqs].sort((a, b) => b - a), seqs, 'newest first');
  t.ok(first.nextBeforeSeq !== null);
  const second = passbookPage(f.context, f.volunteerMemberId, { pageSize: 4, beforeSeq: first.nextBeforeSeq! });
  t.same(second.lines.map((l) => l.kind), ['post', 'post', 'hold', 'hold']);
  t.same(second.lines.map((l) => l.balanceAfter), [60, 30, 0, 0]);
  t.same(second.lines.map((l) => l.pendingChange), [-30, -30, 30, 30]);
  const all: number[] = [];
  let before: number | undefined;
  for (;;) {
    const page = passbookPage(f.context, f.volunteerMemberId, { pageSize: 4, ...(before ? { beforeSeq: before } : {}) });
    all.push(...page.lines.map((l) => l.seq));
    if (page.nextBeforeSeq === null) break;
    before = page.nextBeforeSeq;
  }
  t.equal(all.length, 11, '5 holds, 5 posts, 1 correction');

  const today = shanghaiDateOf(f.clock.ms);
  const whole = statement(f.context, f.volunteerMemberId, '2026-11-01', today);
  t.equal(whole.openingBalance, 0);
  t.equal(whole.closingBalance, 120);
  t.equal(whole.totalIn, 150);
  t.equal(whole.totalOut, 30);
  t.equal(whole.lines[0]!.kind, 'hold', 'statement reads oldest first');
  const lastDay = statement(f.context, f.volunteerMemberId, today, today);
  t.equal(lastDay.openingBalance, 150);
  t.equal(lastDay.closingBalance, 120);
  t.equal(lastDay.lines.length, 1);
  const empty = statement(f.context, f.volunteerMemberId, '2026-10-01', '2026-10-31');
  t.same([empty.openingBalance, empty.closingBalance, empty.lines.length], [0, 0, 0]);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('visit coverage: elders in scope, last visit, most overdue first, month rate; elder page lists services', async (t) => {
  const f = hoursFixture();
  // Registered on 2026-11-23; move to 2027-01-10 so everyone is overdue unless visited.
  f.clock.ms = Date.parse('2027-01-10T02:00:00Z');
  const visited = logService(f.context, f.volunteer, f.visit({ date: '2027-01-05' }));
  t.ok(visited.ok);
  const coverage = visitCoverage(f.context, f.coordinator);
  t.ok(coverage.ok);
  if (!coverage.ok) return;
  t.equal(coverage.value.month, '2027-01');
  t.equal(coverage.value.registered, 3);
  t.equal(coverage.value.visitedThisMonth, 1);
  t.equal(coverage.value.ratePercent, 33);
  const first = coverage.value.rows[0]!;
  t.equal(first.lastVisitDate, null, 'never visited comes first');
  t.equal(first.overdueDays, 48, 'never visited: due from the day of registration (issue 14 item 9), not registration + interval');
  const visitedRow = coverage.value.rows.find((row) => row.elderId === f.elderId)!;
  t.equal(visitedRow.lastVisitDate, '2027-01-05');
  t.equal(visitedRow.overdueDays, 5 - 30);
  t.equal(coverage.value.rows.at(-1)!.elderId, f.elderId, 'least overdue last');
  const out = visitCoverage(f.context, f.otherCoordinator);
  t.ok(out.ok && out.value.registered === 0);
  t.equal(visitCoverage(f.context, f.volunteer).ok, false, 'volunteers do not see coverage');

  const page = elderServices(f.context, f.coordinator, f.elderId);
  t.ok(page.ok && page.value.services.length === 1 && page.value.services[0]!.volunteerName === '王秀英');
  const forbidden = elderServices(f.context, f.otherCoordinator, f.elderId);
  t.ok(!forbidden.ok && forbidden.status === 404, 'an elder outside the scope reads as missing');
});

t.test('the passbook labels by transfer code: a redemption and a gift are not service records', async (t) => {
  const { TransferFlags } = await import('../../../src/ledger/index.ts');
  const { accountIds, accountInputs, ensureAccounts, ledgerFor } = await import('../../../src/domain/bookkeeping/accounts.ts');
  const f = hoursFixture();
  const record = logVisit(f);
  t.ok(approveRecord(f.context, f.coordinator, record.id).ok);
  const ledger = ledgerFor(f.db.$client, f.context.now);
  const wallet = accountIds.wallet(f.volunteerMemberId);
  ensureAccounts(ledger, [accountInputs.site(1), accountInputs.wallet(f.elderMemberId)]);
  // A redemption basket held (refId 1: the same number as the service record, which must not be borrowed), then confirmed.
  t.same(ledger.createTransfers([
    { id: 'rdm:1:hold:1', debitAccountId: wallet, creditAccountId: accountIds.site(1), amount: 20, code: 'redemption', flags: TransferFlags.pending, refType: 'redemption', refId: String(record.id) },
  ]), ['ok']);
  let page = passbookPage(f.context, f.volunteerMemberId);
  t.same(page.lines[0], { ...page.lines[0], label: 'hours.passbook.label.redemption.hold', postedChange: 0, pendingChange: -20, description: null }, 'the held redemption shows its outgoing pending amount');
  t.same(ledger.createTransfers([{ id: 'rdm:1:post:1', pendingId: 'rdm:1:hold:1', code: 'redemption', flags: TransferFlags.postPending }]), ['ok']);
  t.same(ledger.createTransfers([
    { id: 'gift:1:1', debitAccountId: wallet, creditAccountId: accountIds.wallet(f.elderMemberId), amount: 10, code: 'gift', refType: 'gift', refId: '1' },
  ]), ['ok']);
  page = passbookPage(f.context, f.volunteerMemberId);
  t.same(page.lines.map((l) => [l.label, l.postedChange, l.pendingChange]), [
    ['hours.passbook.label.gift.out', -10, 0],
    ['hours.passbook.label.redemption.post', -20, 20],
    ['hours.passbook.label.redemption.hold', 0, -20],
    ['hours.passbook.label.service_credit.post', 60, -60],
    ['hours.passbook.label.service_credit.hold', 0, 60],
  ]);
  t.same(page.lines.map((l) => l.description === null), [true, true, true, false, false], 'only service transfers carry a service description');
  const received = passbookPage(f.context, f.elderMemberId);
  t.equal(received.lines[0]!.label, 'hours.passbook.label.gift.in', 'the receiver reads a gift received');
  t.ok(verifyLedger(f.db.$client).ok);
});

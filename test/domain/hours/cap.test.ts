import t from 'tap';
import { logService } from '../../../src/domain/hours/log.ts';
import { walletBalance } from '../../../src/domain/hours/passbook.ts';
import { approveMany, approveRecord, creditSplitOf, reverseRecord } from '../../../src/domain/hours/review.ts';
import { accountIds, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { setPolicyRules } from '../../helpers/policy.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { count, hoursFixture, startMs, type HoursFixture } from './fixture.ts';

/** The network balance cap (redemption policy) applies to service credits too. */
function setCap(f: HoursFixture, capMinutes: number, capMode: 'refuse' | 'divert') {
  setPolicyRules(f.db, { balanceCapMinutes: capMinutes, capMode });
}

function logVisit(f: HoursFixture, startTime: string, endTime: string) {
  const outcome = logService(f.context, f.volunteer, f.visit({ startTime, endTime }));
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
  return outcome.value.record;
}

function poolBalance(f: HoursFixture, county = '433123'): number {
  const pool = ledgerFor(f.db.$client, f.context.now).account(accountIds.pool(county));
  return pool ? pool.creditsPosted - pool.debitsPosted : 0;
}

t.test('refuse mode: an approval that would pass the cap is refused, names the room left, writes nothing', async (t) => {
  const f = hoursFixture();
  setCap(f, 120, 'refuse');
  const first = logVisit(f, '08:00', '09:00');
  const second = logVisit(f, '10:00', '11:30');
  t.ok(approveRecord(f.context, f.coordinator, first.id).ok, 'the first 60 minutes fit under a 120-minute cap');
  const transfers = count(f.db, 'ledger_transfers');
  const refused = approveRecord(f.context, f.coordinator, second.id);
  t.ok(!refused.ok);
  if (!refused.ok) {
    t.equal(refused.status, 409);
    t.same(refused.problems[0], { code: 'hours.error.over_balance_cap', params: { cap: 120, roomMinutes: 60, credit: 90, version: 1 } });
  }
  t.equal(count(f.db, 'ledger_transfers'), transfers, 'nothing written');
  t.equal((f.db.$client.prepare('SELECT status FROM service_records WHERE id = ?').get(second.id) as { status: string }).status, 'pending');
  t.same(walletBalance(f.context, f.volunteerMemberId), { posted: 60, available: 60, pendingIn: 90, pendingOut: 0 });
  const many = approveMany(f.context, f.coordinator, [second.id]);
  t.ok(many.ok && many.value.approved.length === 0 && many.value.skipped[0]!.problem.code === 'hours.error.over_balance_cap', 'approve many lists it as skipped');
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('refuse mode: records waiting for review do not block each other (the base is the posted balance)', async (t) => {
  const f = hoursFixture();
  setCap(f, 100, 'refuse');
  const a = logVisit(f, '08:00', '09:00');
  const b = logVisit(f, '10:00', '11:00');
  t.ok(approveRecord(f.context, f.coordinator, a.id).ok, 'a fits although b is pending too');
  t.notOk(approveRecord(f.context, f.coordinator, b.id).ok, 'b would pass the cap');
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('divert mode: only the room up to the cap is posted, the rest goes to the pool', async (t) => {
  const f = hoursFixture();
  setCap(f, 120, 'divert');
  const first = logVisit(f, '08:00', '09:00');
  const second = logVisit(f, '10:00', '11:30');
  t.ok(approveRecord(f.context, f.coordinator, first.id).ok);
  const approved = approveRecord(f.context, f.coordinator, second.id);
  t.ok(approved.ok && approved.value.status === 'approved');
  t.same(walletBalance(f.context, f.volunteerMemberId), { posted: 120, available: 120, pendingIn: 0, pendingOut: 0 });
  t.equal(poolBalance(f), 30, 'the 30 minutes above the cap went to the volunteer\'s county pool');
  const ledger = ledgerFor(f.db.$client, f.context.now);
  const post = ledger.transfer(`svc-post:${second.id}`)!;
  t.equal(post.amount, 60, 'the ledger posted less than the hold');
  const overflow = ledger.transfer(`svc-overflow:${second.id}`)!;
  t.match(overflow, { debitAccountId: 'issuance:433123', creditAccountId: 'pool:433123', amount: 30, code: 'cap_overflow' });
  t.same(creditSplitOf(f.context, second.id), { credited: 60, diverted: 30 });
  t.equal(ledger.account(accountIds.issuance('433123'))!.debitsPosted, 150, 'the issuance minted the whole credit, no more');
  t.ok(verifyLedger(f.db.$client).ok);

  // A reversal takes back what each account received.
  const reversed = reverseRecord(f.context, f.coordinator, second.id, '重复登记');
  t.ok(reversed.ok);
  t.same(walletBalance(f.context, f.volunteerMemberId), { posted: 60, available: 60, pendingIn: 0, pendingOut: 0 });
  t.equal(poolBalance(f), 0);
  t.equal(ledger.account(accountIds.issuance('433123'))!.debitsPosted - ledger.account(accountIds.issuance('433123'))!.creditsPosted, 60);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('divert mode: a wallet already at the cap gets nothing; the hold is voided and the whole credit goes to the pool', async (t) => {
  const f = hoursFixture();
  setCap(f, 60, 'divert');
  const first = logVisit(f, '08:00', '09:00');
  const second = logVisit(f, '10:00', '11:00');
  t.ok(approveRecord(f.context, f.coordinator, first.id).ok);
  t.ok(approveRecord(f.context, f.coordinator, second.id).ok);
  t.same(walletBalance(f.context, f.volunteerMemberId), { posted: 60, available: 60, pendingIn: 0, pendingOut: 0 });
  t.equal(poolBalance(f), 60);
  const post = ledgerFor(f.db.$client, f.context.now).transfer(`svc-post:${second.id}`)!;
  t.equal(post.code, 'cap_overflow', 'the hold was voided, labelled as going over the cap');
  t.same(creditSplitOf(f.context, second.id), { credited: 0, diverted: 60 });
  t.ok(verifyLedger(f.db.$client).ok);
  t.ok(reverseRecord(f.context, f.coordinator, second.id, '重复登记').ok, 'reversal of a fully diverted record takes it back from the pool');
  t.equal(poolBalance(f), 0);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('divert mode: approve many sees the balance grow record by record', async (t) => {
  const f = hoursFixture();
  setCap(f, 100, 'divert');
  const a = logVisit(f, '08:00', '09:00');
  const b = logVisit(f, '10:00', '11:00');
  const c = logVisit(f, '12:00', '13:00');
  const many = approveMany(f.context, f.coordinator, [a.id, b.id, c.id]);
  t.ok(many.ok && many.value.approved.length === 3);
  t.same(walletBalance(f.context, f.volunteerMemberId), { posted: 100, available: 100, pendingIn: 0, pendingOut: 0 });
  t.equal(poolBalance(f), 80);
  t.same([a, b, c].map((r) => creditSplitOf(f.context, r.id)), [{ credited: 60, diverted: 0 }, { credited: 40, diverted: 20 }, { credited: 0, diverted: 60 }]);
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('no cap: approval posts the whole hold as before', async (t) => {
  const f = hoursFixture();
  setPolicyRules(f.db, { balanceCapMinutes: null, capMode: 'refuse' });
  const a = logVisit(f, '08:00', '09:00');
  t.ok(approveRecord(f.context, f.coordinator, a.id).ok);
  t.same(creditSplitOf(f.context, a.id), { credited: 60, diverted: 0 });
  t.ok(verifyLedger(f.db.$client).ok);
});

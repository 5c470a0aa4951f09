import t from 'tap';
import { TransferFlags as F, balanceOf, verifyLedger, type TransferInput } from '../../src/ledger/index.ts';
import { issuance, makeLedger, wallet } from './helpers.ts';

// A pending transfer (a hold) whose time-out has passed holds nothing: the
// ledger's spendable balance does not count it, and a debit that needs those
// credits voids it first (as an `expiry` transfer, the same one expirePending
// writes), so no caller has to sweep before it checks a balance.

const hold = (id: string, amount: number, timeoutSeconds: number): TransferInput => ({
  id, debitAccountId: 'alice', creditAccountId: 'bank', amount, code: 'redemption', flags: F.pending, timeoutSeconds,
});
const spend = (id: string, amount: number, flags = 0): TransferInput => ({ id, debitAccountId: 'alice', creditAccountId: 'bank', amount, code: 'gift', flags });

function funded() {
  const setup = makeLedger();
  setup.ledger.createAccounts([wallet('alice'), issuance('bank')]);
  t.same(setup.ledger.createTransfers([{ id: 'fund', debitAccountId: 'bank', creditAccountId: 'alice', amount: 100, code: 'service_credit' }]), ['ok']);
  t.same(setup.ledger.createTransfers([hold('h1', 80, 60)]), ['ok']);
  return setup;
}

t.test('an open hold counts until its time-out, and not from then on', async (t) => {
  const { ledger, clock } = funded();
  t.equal(ledger.availableAt('alice'), 20, 'held: 100 - 80');
  t.same(ledger.createTransfers([spend('g1', 50)]), ['exceeds_credits'], 'in time the hold still blocks');
  clock.nowMs += 59_999;
  t.equal(ledger.availableAt('alice'), 20, 'one millisecond before the time-out');
  clock.nowMs += 1;
  t.equal(ledger.availableAt('alice'), 100, 'at the time-out the hold no longer counts');
  t.equal(balanceOf(ledger.account('alice')!).available, 20, 'nothing was written by reading');
  t.equal(ledger.transfer('expire:h1'), undefined);
});

t.test('a debit that needs the credits of an overdue hold voids the hold first, in the same call', async (t) => {
  const { ledger, clock, sqlite } = funded();
  clock.nowMs += 61_000;
  t.same(ledger.createTransfers([spend('g2', 50)]), ['ok']);
  const expiry = ledger.transfer('expire:h1');
  t.equal(expiry?.code, 'expiry', 'the hold ended as an expiry, as expirePending would have ended it');
  t.equal(expiry?.pendingId, 'h1');
  const alice = ledger.account('alice')!;
  t.same([alice.debitsPending, alice.debitsPosted, alice.creditsPosted], [0, 50, 100]);
  t.equal(ledger.availableAt('alice'), 50);
  t.same(ledger.createTransfers([{ id: 'post-late', pendingId: 'h1', code: 'redemption', flags: F.postPending }]), ['pending_transfer_expired'], 'the hold cannot be posted any more');
  t.same(ledger.expirePending(clock.nowMs), [], 'nothing is left for the sweep');
  t.ok(verifyLedger(sqlite).ok, 'the hash chain and the stored totals verify');
});

t.test('inside a chain that fails the expiry rolls back with it; a single refused debit still ends the overdue hold', async (t) => {
  const { ledger, clock } = funded();
  clock.nowMs += 61_000;
  t.same(ledger.createTransfers([spend('c1', 60, F.linked), spend('c2', 60)]), ['linked_event_failed', 'exceeds_credits']);
  t.equal(ledger.transfer('expire:h1'), undefined, 'the expiry rolled back with the chain');
  t.equal(ledger.account('alice')!.debitsPending, 80);
  t.same(ledger.createTransfers([spend('g3', 120)]), ['exceeds_credits'], '120 is more than 100 with or without the hold');
  t.equal(ledger.transfer('expire:h1')?.code, 'expiry', 'a single refused debit still ends the overdue hold (the sweep would have)');
  t.equal(ledger.availableAt('alice'), 100);
});

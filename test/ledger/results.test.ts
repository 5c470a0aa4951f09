import t from 'tap';
import { TransferFlags as F, verifyLedger, balanceOf, type TransferInput } from '../../src/ledger/index.ts';
import { issuance, makeLedger, wallet } from './helpers.ts';

function setup() {
  const env = makeLedger();
  t.same(env.ledger.createAccounts([issuance('iss'), wallet('alice'), wallet('bob'),
    { id: 'cap', kind: 'control', ownerRef: 'cap', flags: 4 }]), ['ok', 'ok', 'ok', 'ok']);
  return env;
}
const transfer = (id: string, extra: Partial<TransferInput> = {}): TransferInput =>
  ({ id, debitAccountId: 'iss', creditAccountId: 'alice', amount: 60, code: 'service_credit', ...extra });

t.test('account results', async (t) => {
  const { ledger } = makeLedger();
  t.same(ledger.createAccounts([wallet('a')]), ['ok']);
  t.same(ledger.createAccounts([wallet('a')]), ['exists'], 'same id, same contents');
  t.same(ledger.createAccounts([{ ...wallet('a'), kind: 'pool' }]), ['exists_with_different_kind']);
  t.same(ledger.createAccounts([{ ...wallet('a'), ownerRef: 'other' }]), ['exists_with_different_owner_ref']);
  t.same(ledger.createAccounts([{ ...wallet('a'), flags: 0 }]), ['exists_with_different_flags']);
  t.same(ledger.createAccounts([{ ...wallet('b'), ownerRef: 'a' }]), ['owner_already_has_account_of_kind']);
  t.same(ledger.createAccounts([{ ...wallet('bad id') }]), ['id_invalid']);
  t.same(ledger.createAccounts([{ ...wallet('c'), flags: 6 }]), ['flags_are_mutually_exclusive']);
  t.same(ledger.createAccounts([{ ...wallet('c'), flags: 8 }]), ['flags_invalid']);
  t.same(ledger.createAccounts([{ ...wallet('c'), kind: 'nope' as never }]), ['kind_invalid']);
  t.same(ledger.createAccounts([{ ...wallet('c'), ownerRef: '' }]), ['owner_ref_must_not_be_empty']);
  t.equal(ledger.counts().accounts, 1, 'no rejected account was written');
});

t.test('transfer validation results write nothing', async (t) => {
  const { ledger } = setup();
  const cases: [Partial<TransferInput>, string][] = [
    [{ id: '' }, 'id_invalid'],
    [{ id: 'has space' }, 'id_invalid'],
    [{ flags: 64 }, 'flags_invalid'],
    [{ flags: F.pending | F.postPending, pendingId: 'p' }, 'flags_are_mutually_exclusive'],
    [{ flags: F.postPending | F.voidPending, pendingId: 'p' }, 'flags_are_mutually_exclusive'],
    [{ code: 'bribe' as never }, 'code_invalid'],
    [{ refId: 'a\u0000b' }, 'ref_invalid'],
    [{ amount: 0 }, 'amount_must_not_be_zero'],
    [{ amount: undefined }, 'amount_must_not_be_zero'],
    [{ amount: -5 }, 'amount_invalid'],
    [{ amount: 1.5 }, 'amount_invalid'],
    [{ debitAccountId: '' }, 'debit_account_id_must_not_be_empty'],
    [{ creditAccountId: '' }, 'credit_account_id_must_not_be_empty'],
    [{ creditAccountId: 'iss' }, 'accounts_must_be_different'],
    [{ pendingId: 'p' }, 'pending_id_must_be_empty'],
    [{ flags: F.postPending }, 'pending_id_must_not_be_empty'],
    [{ id: 'self', flags: F.voidPending, pendingId: 'self' }, 'pending_id_must_be_different'],
    [{ timeoutSeconds: 30 }, 'timeout_reserved_for_pending_transfer'],
    [{ flags: F.pending, timeoutSeconds: -1 }, 'timeout_invalid'],
    [{ flags: F.postPending, pendingId: 'p', timeoutSeconds: 5 }, 'timeout_reserved_for_pending_transfer'],
    [{ debitAccountId: 'ghost' }, 'debit_account_not_found'],
    [{ creditAccountId: 'ghost' }, 'credit_account_not_found'],
    [{ debitAccountId: 'alice', creditAccountId: 'bob' }, 'exceeds_credits'],
    [{ creditAccountId: 'cap' }, 'exceeds_debits'],
    [{ flags: F.postPending, pendingId: 'ghost' }, 'pending_transfer_not_found'],
  ];
  cases.forEach(([extra, expected], i) => {
    t.same(ledger.createTransfers([transfer(extra.id ?? `case${i}`, extra)]), [expected], expected);
  });
  t.equal(ledger.counts().transfers, 0, 'nothing written');
  t.ok(verifyLedger(ledger.sqlite).ok);
});

t.test('an id that failed on the ledger state is spent: id_already_failed', async (t) => {
  const { ledger } = setup();
  const spend: TransferInput = { id: 'spend1', debitAccountId: 'alice', creditAccountId: 'bob', amount: 30, code: 'redemption' };
  t.same(ledger.createTransfers([spend]), ['exceeds_credits']);
  t.same(ledger.createTransfers([transfer('fund', { amount: 100 })]), ['ok']);
  t.same(ledger.createTransfers([spend]), ['id_already_failed'], 'a late replay cannot succeed once credits arrive');
  t.same(ledger.createTransfers([{ ...spend, id: 'spend2' }]), ['ok'], 'a new id can');
  t.same(ledger.createTransfers([transfer('bad', { creditAccountId: 'nobody' }), transfer('bad', { creditAccountId: 'nobody' })]),
    ['credit_account_not_found', 'id_already_failed']);
  t.same(ledger.createTransfers([{ ...spend, id: 'chain1', flags: F.linked, amount: 10 }, { ...spend, id: 'chain2', amount: 1000 }]),
    ['linked_event_failed', 'exceeds_credits']);
  t.same(ledger.createTransfers([{ ...spend, id: 'chain1', flags: F.linked, amount: 10 }, { ...spend, id: 'chain2', amount: 1000 }]),
    ['linked_event_failed', 'id_already_failed'], 'the failing leg of a chain is spent even though the chain rolled back');
  t.equal(balanceOf(ledger.account('alice')!).posted, 70);
});

t.test('idempotency: exists and exists_with_different_*', async (t) => {
  const { ledger } = setup();
  t.same(ledger.createTransfers([transfer('t1', { refType: 'record', refId: '7' })]), ['ok']);
  t.same(ledger.createTransfers([transfer('t1', { refType: 'record', refId: '7' })]), ['exists']);
  t.same(ledger.createTransfers([transfer('t1', { amount: 61, refType: 'record', refId: '7' })]), ['exists_with_different_amount']);
  t.same(ledger.createTransfers([transfer('t1', { creditAccountId: 'bob', refType: 'record', refId: '7' })]), ['exists_with_different_credit_account_id']);
  t.same(ledger.createTransfers([transfer('t1', { debitAccountId: 'bob', refType: 'record', refId: '7' })]), ['exists_with_different_debit_account_id']);
  t.same(ledger.createTransfers([transfer('t1', { code: 'gift', refType: 'record', refId: '7' })]), ['exists_with_different_code']);
  t.same(ledger.createTransfers([transfer('t1', { refType: 'record', refId: '8' })]), ['exists_with_different_ref']);
  t.same(ledger.createTransfers([transfer('t1', { flags: F.pending, refType: 'record', refId: '7' })]), ['exists_with_different_flags']);
  t.same(ledger.createTransfers([transfer('p1', { flags: F.pending, timeoutSeconds: 60 })]), ['ok']);
  t.same(ledger.createTransfers([transfer('p1', { flags: F.pending, timeoutSeconds: 61 })]), ['exists_with_different_timeout']);
  t.same(ledger.createTransfers([{ id: 'v1', flags: F.voidPending, pendingId: 'p1', code: 'correction' }]), ['ok']);
  t.same(ledger.createTransfers([{ id: 'v1', flags: F.voidPending, pendingId: 't1', code: 'correction' }]), ['exists_with_different_pending_id']);
  t.equal(ledger.counts().transfers, 3);
  t.equal(balanceOf(ledger.account('alice')!).posted, 60, 'the first result stands');
});

t.test('two-phase: post, partial post, void, at most once, expiry', async (t) => {
  const { ledger, clock, sqlite } = setup();
  t.same(ledger.createTransfers([transfer('fund', { amount: 600 })]), ['ok']);
  const hold = (id: string, amount = 100, timeoutSeconds = 0): TransferInput =>
    ({ id, debitAccountId: 'alice', creditAccountId: 'bob', amount, code: 'redemption', flags: F.pending, timeoutSeconds });
  t.same(ledger.createTransfers([hold('h1'), hold('h2'), hold('h3'), hold('h4', 100, 60)]), ['ok', 'ok', 'ok', 'ok']);
  let alice = balanceOf(ledger.account('alice')!);
  t.same([alice.posted, alice.available, alice.pendingOut], [600, 200, 400], 'holds reserve the amount');
  t.same(ledger.createTransfers([hold('h5', 201)]), ['exceeds_credits'], 'a hold cannot exceed what is available');

  t.same(ledger.createTransfers([{ id: 'p1', flags: F.postPending, pendingId: 'h1', code: 'redemption' }]), ['ok']);
  t.same(ledger.createTransfers([{ id: 'p1b', flags: F.postPending, pendingId: 'h1', code: 'redemption' }]), ['pending_transfer_already_posted']);
  t.same(ledger.createTransfers([{ id: 'v1b', flags: F.voidPending, pendingId: 'h1', code: 'redemption' }]), ['pending_transfer_already_posted']);
  t.same(ledger.createTransfers([{ id: 'p2', flags: F.postPending, pendingId: 'h2', code: 'redemption', amount: 101 }]), ['exceeds_pending_transfer_amount']);
  t.same(ledger.createTransfers([{ id: 'p2', flags: F.postPending, pendingId: 'h2', code: 'redemption', amount: 40 }]), ['ok'], 'partial post');
  t.same(ledger.createTransfers([{ id: 'p2w', flags: F.postPending, pendingId: 'h2', code: 'redemption', debitAccountId: 'bob' }]),
    ['pending_transfer_has_different_debit_account_id']);
  t.same(ledger.createTransfers([{ id: 'p2x', flags: F.postPending, pendingId: 'h3', code: 'redemption', creditAccountId: 'alice' }]),
    ['pending_transfer_has_different_credit_account_id']);
  t.same(ledger.createTransfers([{ id: 'v3', flags: F.voidPending, pendingId: 'h3', code: 'redemption', amount: 99 }]), ['pending_transfer_has_different_amount']);
  t.same(ledger.createTransfers([{ id: 'v3', flags: F.voidPending, pendingId: 'h3', code: 'redemption' }]), ['ok']);
  t.same(ledger.createTransfers([{ id: 'v3b', flags: F.voidPending, pendingId: 'h3', code: 'redemption' }]), ['pending_transfer_already_voided']);
  t.same(ledger.createTransfers([{ id: 'p3', flags: F.postPending, pendingId: 'h3', code: 'redemption' }]), ['pending_transfer_already_voided']);
  t.same(ledger.createTransfers([{ id: 'np', flags: F.postPending, pendingId: 'fund', code: 'redemption' }]), ['pending_transfer_not_pending']);

  clock.nowMs += 61_000;
  t.same(ledger.createTransfers([{ id: 'p4', flags: F.postPending, pendingId: 'h4', code: 'redemption' }]), ['pending_transfer_expired'],
    'a timed-out hold cannot be posted even before the sweep');
  t.same(ledger.expirePending(), ['h4']);
  t.same(ledger.expirePending(), [], 'expiry is applied once');
  t.same(ledger.createTransfers([{ id: 'v4', flags: F.voidPending, pendingId: 'h4', code: 'redemption' }]), ['pending_transfer_expired']);
  t.equal(ledger.resolutionOf('h4')!.code, 'expiry');
  alice = balanceOf(ledger.account('alice')!);
  t.same([alice.posted, alice.available, alice.pendingOut], [600 - 100 - 40, 460, 0]);
  t.same(balanceOf(ledger.account('bob')!).posted, 140);
  t.equal(sqlite.prepare('SELECT count(*) FROM ledger_pending_open').pluck().get(), 0);
  t.ok(verifyLedger(sqlite).ok);
});

t.test('linked chains succeed or fail as a whole', async (t) => {
  const { ledger, sqlite } = setup();
  t.same(ledger.createTransfers([transfer('fund', { amount: 100 })]), ['ok']);
  const chain: TransferInput[] = [
    { id: 'c1', debitAccountId: 'alice', creditAccountId: 'bob', amount: 80, code: 'gift', flags: F.linked },
    { id: 'c2', debitAccountId: 'bob', creditAccountId: 'alice', amount: 200, code: 'gift' },
  ];
  t.same(ledger.createTransfers(chain), ['linked_event_failed', 'exceeds_credits']);
  t.equal(ledger.counts().transfers, 1, 'the failed chain left nothing');
  t.equal(balanceOf(ledger.account('alice')!).posted, 100);
  const good: TransferInput[] = [
    { ...chain[0]!, id: 'g1' },
    { ...chain[1]!, id: 'g2', amount: 30 },
    transfer('after', { amount: 5 }),
  ];
  t.same(ledger.createTransfers(good), ['ok', 'ok', 'ok'], 'a chain and an unlinked transfer after it');
  t.same(ledger.createTransfers(good), ['exists', 'exists', 'exists'], 'replaying a whole chain answers exists');
  t.same(ledger.createTransfers([{ ...good[0]! }, { ...chain[1]!, id: 'c3', amount: 1 }]), ['exists', 'linked_event_failed'],
    'a chain half made of old ids is refused whole');
  t.same(ledger.createTransfers([transfer('o1', { flags: F.linked }), transfer('o2', { flags: F.linked })]),
    ['linked_event_failed', 'linked_event_chain_open']);
  t.same(ledger.createTransfers([transfer('x1'), transfer('o3', { flags: F.linked })]), ['ok', 'linked_event_chain_open']);
  t.equal(ledger.counts().transfers, 5);
  t.ok(verifyLedger(sqlite).ok, 'rolled-back chains leave the hash chain intact');
  t.same(ledger.createAccounts([{ ...wallet('l1'), flags: 1 | 2 }, { ...wallet('l1'), ownerRef: 'x' }]),
    ['linked_event_failed', 'exists_with_different_owner_ref'], 'linked account creation fails as a whole');
  t.same(ledger.createAccounts([{ ...wallet('l1'), flags: 1 | 2 }, wallet('l2')]), ['ok', 'ok']);
  t.equal(ledger.lookupAccounts(['l1', 'l2']).length, 2);
});

t.test('history, running balances and totals at a sequence number', async (t) => {
  const { ledger } = setup();
  const inputs: TransferInput[] = [];
  for (let i = 1; i <= 120; i += 1) inputs.push(transfer(`h${i}`, { amount: i }));
  t.equal(ledger.createTransfers(inputs).filter((r) => r === 'ok').length, 120);
  t.same(ledger.createTransfers([{ id: 'spend', debitAccountId: 'alice', creditAccountId: 'bob', amount: 1000, code: 'redemption' }]), ['ok']);
  const page1 = ledger.history('alice', { limit: 50 });
  t.equal(page1.length, 50);
  t.equal(page1[0]!.transfer.id, 'spend');
  t.equal(page1[0]!.direction, 'out');
  t.equal(balanceOf(page1[0]!.after).posted, 120 * 121 / 2 - 1000);
  t.equal(balanceOf(page1[1]!.after).posted, 120 * 121 / 2);
  const page3 = ledger.history('alice', { limit: 50, beforeSeq: ledger.history('alice', { limit: 50, beforeSeq: page1[49]!.transfer.seq })[49]!.transfer.seq });
  t.equal(page3.length, 21, 'the last page holds the rest');
  t.equal(page3.at(-1)!.transfer.id, 'h1');
  t.equal(balanceOf(ledger.totalsAt('alice', 10)).posted, 55, 'balance after seq 10');
  t.equal(balanceOf(ledger.totalsAt('bob', 10)).posted, 0);
  t.equal(balanceOf(ledger.totalsAt('bob', 121)).posted, 1000);
});

t.test('checkpoints', async (t) => {
  const { ledger, sqlite } = setup();
  t.same(ledger.createTransfers([transfer('a1'), transfer('a2')]), ['ok', 'ok']);
  const checkpoint = ledger.checkpoint();
  t.equal(checkpoint.seq, 2);
  t.equal(checkpoint.hash, ledger.transfer('a2')!.hash);
  t.equal(ledger.checkpoints()[0]!.hash, checkpoint.hash);
  t.throws(() => sqlite.prepare('DELETE FROM ledger_checkpoints').run(), /insert-only/);
  t.ok(verifyLedger(sqlite).ok);
});

import t from 'tap';
import { TransferFlags as F, verifyLedger, type TransferInput } from '../../src/ledger/index.ts';
import { issuance, makeLedger, wallet } from './helpers.ts';

// `Ledger.batch` keeps the accounts read by its createTransfers calls cached
// from call to call (seed big's bulk path). It must write exactly what the same
// calls write one by one: the same results, hashes and totals, also after a
// linked chain that fails and after a call that throws.

const credit = (id: string, to: string, amount: number, flags = 0): TransferInput => ({ id, debitAccountId: 'bank', creditAccountId: to, amount, code: 'service_credit', flags });
const spend = (id: string, from: string, amount: number, flags = 0): TransferInput => ({ id, debitAccountId: from, creditAccountId: 'bank', amount, code: 'gift', flags });

const calls: TransferInput[][] = [
  [credit('h1', 'alice', 40, F.pending), credit('h2', 'bob', 30, F.pending)],
  [{ id: 'p1', pendingId: 'h1', code: 'service_credit', flags: F.postPending }, { id: 'v2', pendingId: 'h2', code: 'service_credit', flags: F.voidPending }],
  // A chain that fails on its second item: alice's credit inside it must not stay in the cache.
  [credit('c1', 'alice', 500, F.linked), spend('c2', 'bob', 1)],
  [spend('s1', 'alice', 41), spend('s2', 'alice', 40), spend('s2', 'alice', 40)],
];

function rows(sqlite: ReturnType<typeof makeLedger>['sqlite']) {
  return {
    transfers: sqlite.prepare('SELECT seq, id, hash, debit_debits_posted_after, credit_credits_posted_after FROM ledger_transfers ORDER BY seq').all(),
    accounts: sqlite.prepare('SELECT id, debits_pending, debits_posted, credits_pending, credits_posted FROM ledger_accounts ORDER BY id').all(),
  };
}

function fresh() {
  const setup = makeLedger();
  setup.ledger.createAccounts([wallet('alice'), wallet('bob'), issuance('bank')]);
  return setup;
}

t.test('a batch writes what the same calls write one by one', async (t) => {
  const alone = fresh();
  const aloneResults = calls.map((list) => alone.ledger.createTransfers(list));
  const batched = fresh();
  const batchResults = batched.ledger.batch(() => calls.map((list) => batched.ledger.createTransfers(list)));
  t.same(batchResults, aloneResults, 'the same results');
  t.same(batchResults[2], ['linked_event_failed', 'exceeds_credits'], 'the chain failed whole');
  t.same(batchResults[3], ['exceeds_credits', 'ok', 'exists'], 'alice has 40, not 540');
  t.same(rows(batched.sqlite), rows(alone.sqlite), 'the same transfers, hashes and account totals');
  t.equal(batched.ledger.account('alice')?.creditsPosted, 40);
  t.ok(verifyLedger(batched.sqlite).ok, 'the batched ledger verifies');
});

t.test('a call that throws inside a batch drops the cache: later calls see the database', async (t) => {
  const { ledger, sqlite } = fresh();
  sqlite.exec("CREATE TRIGGER boom BEFORE INSERT ON ledger_transfers WHEN NEW.id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
  const results = ledger.batch(() => {
    t.same(ledger.createTransfers([credit('c1', 'alice', 10)]), ['ok']);
    // c2 is applied in memory (alice +100), then the insert of 'boom' throws: the call rolls back.
    t.throws(() => ledger.createTransfers([credit('c2', 'alice', 100), credit('boom', 'alice', 1)]), /boom/);
    return ledger.createTransfers([spend('s1', 'alice', 50), spend('s2', 'alice', 10)]);
  });
  t.same(results, ['exceeds_credits', 'ok'], 'alice had 10, not 110');
  t.same(sqlite.prepare("SELECT credits_posted, debits_posted FROM ledger_accounts WHERE id = 'alice'").get(), { credits_posted: 10, debits_posted: 10 });
  t.same(sqlite.prepare('SELECT id FROM ledger_transfers ORDER BY seq').pluck().all(), ['c1', 's2'], 'nothing of the failed call');
  t.ok(verifyLedger(sqlite).ok);
});

t.test('a batch that throws writes nothing, and the next batch reads afresh', async (t) => {
  const { ledger, sqlite } = fresh();
  t.throws(() => ledger.batch(() => {
    t.same(ledger.createTransfers([credit('c1', 'alice', 10)]), ['ok']);
    throw new Error('stop');
  }), /stop/);
  t.equal(sqlite.prepare('SELECT count(*) FROM ledger_transfers').pluck().get(), 0, 'rolled back');
  t.same(ledger.batch(() => ledger.createTransfers([spend('s1', 'alice', 5)])), ['exceeds_credits'], 'alice has nothing');
  t.ok(verifyLedger(sqlite).ok);
});

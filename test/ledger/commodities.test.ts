import t from 'tap';
import { AccountFlags, LedgerCodes, transferHash, verifyLedger, type AccountInput } from '../../src/ledger/index.ts';
import { exportHledger } from '../../src/ledger/hledger.ts';
import { issuance, makeLedger, wallet } from './helpers.ts';
import { Writable } from 'node:stream';

/** Issue 20: a per-account ledger (commodity) code, as TigerBeetle's `ledger`: minutes (1) and fen (2) never mix. */

const fund = (id: string): AccountInput => ({ id, kind: 'fund', ownerRef: id, flags: AccountFlags.debitsMustNotExceedCredits, ledger: LedgerCodes.fen });
const source = (id: string): AccountInput => ({ id, kind: 'fund_source', ownerRef: id, ledger: LedgerCodes.fen });

function twoLedgers() {
  const env = makeLedger();
  const created = env.ledger.createAccounts([issuance('iss'), wallet('alice'), fund('fund'), source('donors')]);
  env.ledger.createTransfers([
    { id: 'm1', debitAccountId: 'iss', creditAccountId: 'alice', amount: 120, code: 'service_credit' },
    { id: 'f1', debitAccountId: 'donors', creditAccountId: 'fund', amount: 1_000_000, code: 'fund_contribution' },
  ]);
  return { ...env, created };
}

t.test('accounts carry their ledger; existing kinds default to minutes', async (t) => {
  const { ledger, created } = twoLedgers();
  t.same(created, ['ok', 'ok', 'ok', 'ok']);
  t.equal(ledger.account('alice')?.ledger, LedgerCodes.minutes);
  t.equal(ledger.account('fund')?.ledger, LedgerCodes.fen);
  t.same(ledger.createAccounts([{ ...fund('fund'), ledger: 1 }]), ['exists_with_different_ledger'], 'an account never changes commodity');
  t.same(ledger.createAccounts([{ ...wallet('bob'), ledger: 0 }]), ['ledger_invalid']);
  t.same(ledger.createAccounts([{ ...wallet('bob'), ledger: 1.5 }]), ['ledger_invalid']);
});

t.test('a transfer between accounts of different ledgers is refused and writes nothing', async (t) => {
  const { ledger, sqlite } = twoLedgers();
  const before = { transfers: ledger.counts().transfers, head: ledger.head().hash, alice: ledger.account('alice'), fund: ledger.account('fund') };
  t.same(ledger.createTransfers([{ id: 'x1', debitAccountId: 'fund', creditAccountId: 'alice', amount: 100, code: 'fund_payout' }]),
    ['accounts_must_have_the_same_ledger']);
  t.same(ledger.createTransfers([{ id: 'x2', debitAccountId: 'alice', creditAccountId: 'donors', amount: 10, code: 'correction' }]),
    ['accounts_must_have_the_same_ledger']);
  t.same(ledger.createTransfers([{ id: 'x3', debitAccountId: 'iss', creditAccountId: 'alice', amount: 10, code: 'service_credit', ledger: 2 }]),
    ['transfer_must_have_the_same_ledger_as_accounts'], 'a transfer that names a ledger must name its accounts\' ledger');
  t.same(ledger.createTransfers([{ id: 'x4', debitAccountId: 'iss', creditAccountId: 'alice', amount: 10, code: 'service_credit', ledger: -1 }]), ['ledger_invalid']);
  t.equal(ledger.counts().transfers, before.transfers, 'no transfer written');
  t.equal(ledger.head().hash, before.head, 'the chain did not move');
  t.same(ledger.account('alice'), before.alice);
  t.same(ledger.account('fund'), before.fund);
  t.equal(sqlite.prepare("SELECT count(*) FROM ledger_failed_transfers WHERE id LIKE 'x%'").pluck().get(), 0, 'the refused ids are not spent');
  t.same(ledger.createTransfers([{ id: 'x1', debitAccountId: 'iss', creditAccountId: 'alice', amount: 5, code: 'service_credit' }]), ['ok'],
    'the id may be used again for a valid transfer');
});

t.test('a linked chain with one cross-ledger leg rolls back whole', async (t) => {
  const { ledger } = twoLedgers();
  const results = ledger.createTransfers([
    { id: 'c1', debitAccountId: 'iss', creditAccountId: 'alice', amount: 10, code: 'service_credit', flags: 1 },
    { id: 'c2', debitAccountId: 'alice', creditAccountId: 'fund', amount: 10, code: 'correction' },
  ]);
  t.same(results, ['linked_event_failed', 'accounts_must_have_the_same_ledger']);
  t.equal(ledger.account('alice')?.creditsPosted, 120);
});

t.test('transfers inherit their ledger; balances and verify() are per ledger', async (t) => {
  const { ledger, sqlite } = twoLedgers();
  t.equal(ledger.transfer('m1')?.ledger, 1);
  t.equal(ledger.transfer('f1')?.ledger, 2);
  t.same(ledger.createTransfers([{ id: 'f2', debitAccountId: 'fund', creditAccountId: 'donors', amount: 250_000, code: 'fund_payout', ledger: 2 }]), ['ok']);
  const sums = sqlite.prepare('SELECT ledger, sum(credits_posted - debits_posted) AS net, sum(credits_posted) AS credits FROM ledger_accounts GROUP BY ledger ORDER BY ledger').all();
  t.same(sums, [{ ledger: 1, net: 0, credits: 120 }, { ledger: 2, net: 0, credits: 1_250_000 }], 'each ledger balances on its own');
  t.equal(ledger.account('fund')!.creditsPosted - ledger.account('fund')!.debitsPosted, 750_000);
  t.equal(ledger.account('alice')!.creditsPosted, 120);
  t.same(ledger.createTransfers([{ id: 'f3', debitAccountId: 'fund', creditAccountId: 'donors', amount: 750_001, code: 'fund_payout' }]), ['exceeds_credits'],
    'the fund never goes below zero');
  const report = verifyLedger(sqlite);
  t.ok(report.ok, report.problem ?? 'verified');
});

t.test('the hash covers the ledger code, and transfers in minutes keep the hash they had before commodities', async (t) => {
  const { ledger, sqlite } = twoLedgers();
  const m1 = ledger.transfer('m1')!;
  const { ledger: _minutes, ...withoutLedger } = m1;
  t.equal(transferHash(withoutLedger), m1.hash, 'a minutes transfer hashes as it did before issue 20');
  sqlite.exec('DROP TRIGGER ledger_transfers_no_update');
  sqlite.prepare("UPDATE ledger_transfers SET ledger = 1 WHERE id = 'f1'").run();
  sqlite.prepare("UPDATE ledger_accounts SET ledger = 1 WHERE id IN ('fund', 'donors')").run();
  const report = verifyLedger(sqlite);
  t.notOk(report.ok, 'moving fen onto the minutes ledger behind the ledger\'s back breaks the chain');
  t.equal(report.firstBadSeq, 2);
});

t.test('verify() finds a transfer whose accounts sit on another ledger, and unbalanced ledgers', async (t) => {
  const { sqlite } = twoLedgers();
  sqlite.prepare("UPDATE ledger_accounts SET ledger = 2 WHERE id = 'alice'").run();
  const report = verifyLedger(sqlite);
  t.notOk(report.ok);
  t.match(report.problem, /between ledgers/);
});

t.test('the hledger export names each transfer\'s commodity', async (t) => {
  const { sqlite } = twoLedgers();
  let text = '';
  await exportHledger(sqlite, new Writable({ write(chunk, _encoding, done) { text += String(chunk); done(); } }));
  t.match(text, /alice:posted {2}-120 MIN = -120 MIN/);
  t.match(text, /fund:posted {2}-1000000 FEN = -1000000 FEN/);
});

import t from 'tap';
import { TransferFlags as F, verifyLedger } from '../../src/ledger/index.ts';
import { issuance, makeLedger, wallet } from './helpers.ts';

function ledgerWithHistory() {
  const env = makeLedger();
  env.ledger.createAccounts([issuance('iss'), wallet('alice'), wallet('bob')]);
  for (let i = 1; i <= 20; i += 1) {
    env.ledger.createTransfers([{ id: `t${i}`, debitAccountId: 'iss', creditAccountId: i % 2 ? 'alice' : 'bob', amount: 10 * i, code: 'service_credit' }]);
  }
  env.ledger.createTransfers([{ id: 'hold', debitAccountId: 'alice', creditAccountId: 'bob', amount: 5, code: 'redemption', flags: F.pending }]);
  return env;
}

t.test('the database refuses UPDATE and DELETE on transfers', async (t) => {
  const { sqlite } = ledgerWithHistory();
  t.throws(() => sqlite.prepare('UPDATE ledger_transfers SET amount = 1 WHERE seq = 3').run(), /insert-only/);
  t.throws(() => sqlite.prepare('DELETE FROM ledger_transfers WHERE seq = 3').run(), /insert-only/);
  t.equal(sqlite.prepare('SELECT amount FROM ledger_transfers WHERE seq = 3').pluck().get(), 30, 'the row is unchanged');
  t.ok(verifyLedger(sqlite).ok);
});

t.test('CHECK constraints hold even behind the ledger\'s back', async (t) => {
  const { sqlite } = ledgerWithHistory();
  t.throws(() => sqlite.prepare("UPDATE ledger_accounts SET debits_posted = credits_posted + 1 WHERE id = 'alice'").run(), /CHECK constraint failed/,
    'a wallet never goes below zero');
  t.throws(() => sqlite.prepare(`INSERT INTO ledger_transfers SELECT 999, 'x', debit_account_id, credit_account_id, 0, code, flags, NULL,
    timeout_seconds, ref_type, ref_id, timestamp_ms, debit_debits_pending_after, debit_debits_posted_after, debit_credits_pending_after,
    debit_credits_posted_after, credit_debits_pending_after, credit_debits_posted_after, credit_credits_pending_after, credit_credits_posted_after,
    previous_hash, hash, ledger FROM ledger_transfers WHERE seq = 1`).run(), /CHECK constraint failed/, 'amount must be positive');
  t.throws(() => sqlite.prepare(`INSERT INTO ledger_transfers SELECT 999, 'x', debit_account_id, debit_account_id, 5, code, flags, NULL,
    timeout_seconds, ref_type, ref_id, timestamp_ms, debit_debits_pending_after, debit_debits_posted_after, debit_credits_pending_after,
    debit_credits_posted_after, credit_debits_pending_after, credit_debits_posted_after, credit_credits_pending_after, credit_credits_posted_after,
    previous_hash, hash, ledger FROM ledger_transfers WHERE seq = 1`).run(), /CHECK constraint failed/, 'accounts must differ');
});

t.test('tampering is named by its sequence number', async (t) => {
  const tamper = (sql: string) => {
    const env = ledgerWithHistory();
    env.sqlite.exec('DROP TRIGGER ledger_transfers_no_update');
    env.sqlite.exec(sql);
    return verifyLedger(env.sqlite);
  };
  let report = tamper("UPDATE ledger_transfers SET amount = 999 WHERE seq = 7");
  t.equal(report.ok, false);
  t.equal(report.firstBadSeq, 7, 'changed amount');
  t.match(report.problem, /hash/);

  report = tamper("UPDATE ledger_transfers SET credit_account_id = 'bob' WHERE seq = 11");
  t.equal(report.firstBadSeq, 11, 'redirected credit');

  // A forger who also recomputes the row's hash still breaks the link to the next row.
  const env = ledgerWithHistory();
  env.sqlite.exec('DROP TRIGGER ledger_transfers_no_update');
  const { transferHash } = await import('../../src/ledger/hash.ts');
  const row = env.ledger.transferAt(4)!;
  const forged = { ...row, amount: row.amount + 1 };
  env.sqlite.prepare('UPDATE ledger_transfers SET amount = ?, hash = ? WHERE seq = 4').run(forged.amount, transferHash(forged));
  report = verifyLedger(env.sqlite);
  t.equal(report.firstBadSeq, 4, 'a re-hashed row is caught by its running totals');
  env.sqlite.exec("UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = 'bob'");

  const env2 = ledgerWithHistory();
  env2.sqlite.exec("UPDATE ledger_accounts SET credits_posted = credits_posted + 5 WHERE id = 'bob'");
  report = verifyLedger(env2.sqlite);
  t.equal(report.ok, false, 'stored totals changed without a transfer');
  t.equal(report.firstBadSeq, 21, 'names the last transfer of the account');
  t.match(report.problem, /account bob/);

  const env3 = ledgerWithHistory();
  env3.ledger.checkpoint();
  env3.sqlite.exec('DROP TRIGGER ledger_transfers_no_delete');
  env3.sqlite.exec('DELETE FROM ledger_transfers WHERE seq = 21');
  env3.sqlite.exec('DELETE FROM ledger_pending_open');
  env3.sqlite.exec("UPDATE ledger_accounts SET debits_pending = 0 WHERE id = 'alice'");
  env3.sqlite.exec("UPDATE ledger_accounts SET credits_pending = 0 WHERE id = 'bob'");
  report = verifyLedger(env3.sqlite);
  t.equal(report.ok, false, 'truncating the chain contradicts the published checkpoint');
  t.equal(report.firstBadSeq, 21);
});

t.test('verify reports a clean ledger with its head', async (t) => {
  const { sqlite, ledger } = ledgerWithHistory();
  const report = verifyLedger(sqlite);
  t.same({ ok: report.ok, transfers: report.transfers, accounts: report.accounts, headSeq: report.headSeq }, { ok: true, transfers: 21, accounts: 3, headSeq: 21 });
  t.equal(report.headHash, ledger.head().hash);
});

t.test('on a file database the hash chain is walked on a worker thread, and still names the tampered transfer', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { openDatabase } = await import('../../src/db/client.ts');
  const { Ledger } = await import('../../src/ledger/index.ts');
  const directory = mkdtempSync(join(tmpdir(), 'silver-verify-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const db = openDatabase(join(directory, 'ledger.db'));
  const ledger = new Ledger(db.$client);
  ledger.createAccounts([issuance('iss'), wallet('alice')]);
  ledger.createTransfers(Array.from({ length: 300 }, (_, i) => ({ id: `t${i + 1}`, debitAccountId: 'iss', creditAccountId: 'alice', amount: 1 + (i % 7), code: 'service_credit' as const })));
  const walks: string[] = [];
  const clean = verifyLedger(db.$client, { parallelFrom: 1, onChainWalk: (where) => walks.push(where) });
  t.same(walks, ['worker'], 'the chain was walked on a worker thread');
  t.ok(clean.ok, 'a clean ledger verifies');
  t.equal(clean.transfers, 300);

  db.$client.exec('DROP TRIGGER ledger_transfers_no_update');
  db.$client.exec(`UPDATE ledger_transfers SET ref_id = 'changed' WHERE seq = 123`);
  walks.length = 0;
  const bad = verifyLedger(db.$client, { parallelFrom: 1, onChainWalk: (where) => walks.push(where) });
  t.same(walks, ['worker']);
  t.equal(bad.ok, false);
  t.equal(bad.firstBadSeq, 123, 'the worker names the altered transfer');
  t.match(bad.problem, /hash/);
  const inThread = verifyLedger(db.$client, { parallelFrom: Number.MAX_SAFE_INTEGER, onChainWalk: (where) => walks.push(where) });
  t.equal(walks.at(-1), 'here');
  t.same({ seq: inThread.firstBadSeq, problem: inThread.problem }, { seq: bad.firstBadSeq, problem: bad.problem }, 'both ways agree');

  // The last part of the chain is walked on the caller's thread: a change there is named too.
  db.$client.exec(`UPDATE ledger_transfers SET ref_id = NULL WHERE seq = 123`);
  t.ok(verifyLedger(db.$client, { parallelFrom: 1 }).ok, 'restored');
  db.$client.exec(`UPDATE ledger_transfers SET timeout_seconds = 7 WHERE seq = 298`);
  const tail = verifyLedger(db.$client, { parallelFrom: 1 });
  t.equal(tail.firstBadSeq, 298, 'a change near the head is named');
  t.match(tail.problem, /hash/);
  db.$client.close();
});

import t from 'tap';
import { TransferFlags as F, wholeChainBatches, type TransferInput } from '../../src/ledger/index.ts';
import { issuance, makeLedger, wallet } from './helpers.ts';

// seed big at 1M members stopped with `linked_event_chain_open`: its 4,000-per-call batches cut a
// redemption's two linked legs apart once a day held more than 4,000 of them.

/** Two-leg chains (a cross-county redemption: member to clearing, clearing to site), 7 of them. */
function chains(): TransferInput[] {
  return Array.from({ length: 7 }, (_, index) => [
    { id: `r${index}:1`, debitAccountId: 'bank', creditAccountId: 'clearing', amount: 1, code: 'redemption' as const, flags: F.linked },
    { id: `r${index}:2`, debitAccountId: 'bank', creditAccountId: 'site', amount: 1, code: 'redemption' as const, flags: 0 },
  ]).flat();
}

t.test('batches never end inside a linked chain, keep every transfer once and in order', async (t) => {
  const transfers = chains();
  for (const size of [1, 2, 3, 4, 5, 14, 100]) {
    const batches = wholeChainBatches(transfers, size);
    t.same(batches.flat().map((transfer) => transfer.id), transfers.map((transfer) => transfer.id), `size ${size}: all, in order`);
    t.ok(batches.every((batch) => ((batch.at(-1)!.flags ?? 0) & F.linked) === 0), `size ${size}: no batch ends on a linked transfer`);
    t.ok(batches.every((batch) => batch.length <= size + 1), `size ${size}: longer than asked only by the rest of a chain`);
  }
  t.same(wholeChainBatches([], 3), [], 'nothing to split, no batch');
  t.throws(() => wholeChainBatches(transfers, 0), /positive integer/);
});

t.test('through the ledger: every batch is accepted, where cutting every 3 transfers fails a chain', async (t) => {
  const run = (split: (transfers: TransferInput[]) => TransferInput[][]) => {
    const { ledger, sqlite } = makeLedger();
    ledger.createAccounts([issuance('bank'), wallet('clearing'), wallet('site')]);
    const results = split(chains()).flatMap((batch) => ledger.createTransfers(batch));
    return { results, stored: sqlite.prepare('SELECT count(*) FROM ledger_transfers').pluck().get() };
  };
  const everyThree = run((transfers) => Array.from({ length: Math.ceil(transfers.length / 3) }, (_, i) => transfers.slice(i * 3, i * 3 + 3)));
  t.ok(everyThree.results.includes('linked_event_chain_open'), 'a plain cut leaves a chain open (what seed big hit)');
  const whole = run((transfers) => wholeChainBatches(transfers, 3));
  t.ok(whole.results.every((result) => result === 'ok'), 'every transfer accepted');
  t.equal(whole.stored, 14, 'all 14 transfers stored');
});

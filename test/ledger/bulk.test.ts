import t from 'tap';
import fc from 'fast-check';
import { TransferFlags as F, verifyLedger, type TransferInput } from '../../src/ledger/index.ts';
import { issuance, makeLedger, wallet } from './helpers.ts';

// A call of many transfers takes the bulk path (src/ledger/bulk.ts): ids, pending transfers and
// accounts looked up once per call, rows inserted 64 at a time. It must write exactly what the
// same transfers write in small calls (which look each one up as it comes): the same results,
// rows, hashes, totals, open holds and spent ids, including duplicates inside the call, posts and
// voids of holds made earlier in the same call, failing linked chains, and an overdue hold voided
// inside the call when a spend needs its credits back.

const wallets = ['w0', 'w1', 'w2', 'w3', 'w4'];
const accountsOf = ['bank', ...wallets, 'nobody'];

function fresh(startMs: number) {
  const setup = makeLedger(startMs);
  setup.ledger.createAccounts([issuance('bank'), ...wallets.map(wallet)]);
  // Credits for every wallet, and an open hold on w0 with a 60 s time-out that is overdue below.
  setup.ledger.createTransfers(wallets.map((w, i) => ({ id: `fund${i}`, debitAccountId: 'bank', creditAccountId: w, amount: 100, code: 'service_credit' })));
  setup.ledger.createTransfers([{ id: 'old-hold', debitAccountId: 'w0', creditAccountId: 'bank', amount: 90, code: 'redemption', flags: F.pending, timeoutSeconds: 60 }]);
  setup.clock.nowMs += 120_000;
  return setup;
}

/** Random transfers, as groups that must stay in one call (a linked chain is one group). */
function generate(seed: number, count: number): TransferInput[][] {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const holds: string[] = ['old-hold'];
  const groups: TransferInput[][] = [];
  const all: TransferInput[] = [];
  for (let n = 0; n < count; n += 1) {
    const roll = random();
    const id = `t${n}`;
    // A replay of an earlier transfer (a linked leg alone would open a chain: those are not replayed).
    const replayable = all.filter((input) => ((input.flags ?? 0) & F.linked) === 0);
    if (roll < 0.1 && replayable.length > 0) groups.push([random() < 0.5 ? pick(replayable) : { ...pick(replayable), amount: 7 }]);
    else if (roll < 0.35 && holds.length > 0) {
      groups.push([{ id, pendingId: pick(holds), code: 'redemption', flags: random() < 0.6 ? F.postPending : F.voidPending }]);
    } else if (roll < 0.45) {
      const legs = 2 + Math.floor(random() * 2);
      groups.push(Array.from({ length: legs }, (_, k) => ({ id: `${id}-${k}`, debitAccountId: pick(wallets), creditAccountId: 'bank',
        amount: 1 + Math.floor(random() * 60), code: 'gift' as const, flags: k < legs - 1 ? F.linked : 0 })));
    } else {
      const debit = pick(accountsOf);
      const credit = pick(accountsOf.filter((a) => a !== debit));
      const pending = random() < 0.4;
      if (pending) holds.push(id);
      groups.push([{ id, debitAccountId: debit, creditAccountId: credit, amount: 1 + Math.floor(random() * 80), code: 'gift',
        flags: pending ? F.pending : 0, ...(pending ? { timeoutSeconds: 60 } : {}) }]);
    }
    all.push(...(groups.at(-1) ?? []));
  }
  return groups;
}

function tables(sqlite: ReturnType<typeof makeLedger>['sqlite']) {
  return ['ledger_transfers ORDER BY seq', 'ledger_accounts ORDER BY id', 'ledger_pending_open ORDER BY seq', 'ledger_failed_transfers ORDER BY id']
    .map((from) => sqlite.prepare(`SELECT * FROM ${from}`).all());
}

t.test('one call of many transfers writes what the same transfers write in small calls', async (t) => {
  let checked = 0;
  fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 20, max: 400 }), (seed, count) => {
    const groups = generate(seed, count);
    const small = fresh(1_768_442_400_000);
    const smallResults = groups.flatMap((group) => small.ledger.createTransfers(group));
    const bulk = fresh(1_768_442_400_000);
    const bulkResults = bulk.ledger.createTransfers(groups.flat());
    if (JSON.stringify(bulkResults) !== JSON.stringify(smallResults)) throw new Error(`results differ for seed ${seed}`);
    if (JSON.stringify(tables(bulk.sqlite)) !== JSON.stringify(tables(small.sqlite))) throw new Error(`tables differ for seed ${seed}`);
    if (!verifyLedger(bulk.sqlite).ok) throw new Error(`verify failed for seed ${seed}`);
    checked += 1;
  }), { numRuns: 40 });
  t.equal(checked, 40, 'every random network gave the same results and rows both ways');
});

t.test('the bulk path keeps the id rules: a duplicate inside the call, a spent id, and the expiry of an overdue hold', async (t) => {
  const { ledger, sqlite } = fresh(1_768_442_400_000);
  ledger.createTransfers([{ id: 'spent', debitAccountId: 'nobody', creditAccountId: 'w1', amount: 5, code: 'gift' }]);
  const filler = Array.from({ length: 20 }, (_, i): TransferInput => ({ id: `f${i}`, debitAccountId: 'bank', creditAccountId: 'w2', amount: 1, code: 'gift' }));
  const results = ledger.createTransfers([
    ...filler,
    { id: 'dup', debitAccountId: 'bank', creditAccountId: 'w1', amount: 5, code: 'gift' },
    { id: 'dup', debitAccountId: 'bank', creditAccountId: 'w1', amount: 5, code: 'gift' },
    { id: 'dup', debitAccountId: 'bank', creditAccountId: 'w1', amount: 6, code: 'gift' },
    { id: 'spent', debitAccountId: 'bank', creditAccountId: 'w1', amount: 5, code: 'gift' },
    // w0 has 100 with 90 held by an overdue hold: spending 50 voids the hold first.
    { id: 'spend', debitAccountId: 'w0', creditAccountId: 'bank', amount: 50, code: 'gift' },
  ]);
  t.same(results.slice(20), ['ok', 'exists', 'exists_with_different_amount', 'id_already_failed', 'ok']);
  t.equal(sqlite.prepare("SELECT count(*) FROM ledger_transfers WHERE id = 'dup'").pluck().get(), 1, 'one row for the duplicated id');
  t.equal(sqlite.prepare("SELECT code FROM ledger_transfers WHERE pending_id = 'old-hold'").pluck().get(), 'expiry', 'the overdue hold was voided by an expiry');
  t.equal(sqlite.prepare('SELECT count(*) FROM ledger_pending_open').pluck().get(), 0, 'no hold left open');
  t.equal(ledger.account('w0')?.debitsPosted, 50);
  t.ok(verifyLedger(sqlite).ok);
});

import type Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkChain, type ChainFault } from './verify-chain.ts';
import { GENESIS_HASH, TransferFlags } from './types.ts';

export interface VerifyReport {
  ok: boolean;
  transfers: number;
  accounts: number;
  headSeq: number;
  headHash: string;
  /** The first sequence number where anything disagrees (0 when the fault is not tied to one transfer). */
  firstBadSeq?: number;
  problem?: string;
}

export interface VerifyOptions {
  /** Ledgers in a file with at least this many transfers have their hash chain walked on a worker thread (default 100,000). */
  parallelFrom?: number;
  /** Reports which way the chain was walked (for tests). */
  onChainWalk?: (where: 'worker' | 'here') => void;
}

interface Totals {
  ledger: number;
  debitsPending: number;
  debitsPosted: number;
  creditsPending: number;
  creditsPosted: number;
}

interface OpenPending {
  seq: number;
  amount: number;
}

/**
 * Recomputes the ledger from its transfers alone: walks the hash chain,
 * rebuilds every account's four totals (and checks the running totals stored
 * on each transfer), then compares with the stored account totals, checks
 * that total debits equal total credits, that the open-pending index matches,
 * and that every checkpoint still matches the chain.
 */
export function verifyLedger(sqlite: Database.Database, options: VerifyOptions = {}): VerifyReport {
  const read = sqlite.transaction(() => verifyInSnapshot(sqlite, options));
  return read.deferred();
}

type AccountTotalsRow = [string, number, number, number, number, number];

function verifyInSnapshot(sqlite: Database.Database, options: VerifyOptions): VerifyReport {
  const accounts = sqlite
    .prepare('SELECT id, debits_pending, debits_posted, credits_pending, credits_posted, ledger FROM ledger_accounts')
    .raw()
    .all() as AccountTotalsRow[];
  const head = sqlite.prepare('SELECT seq, hash FROM ledger_transfers ORDER BY seq DESC LIMIT 1').raw().get() as [number, string] | undefined;
  const headSeq = head?.[0] ?? 0;
  const headHash = head?.[1] ?? GENESIS_HASH;

  // The hash chain is walked beside the balances: on a worker thread for a
  // large ledger in a file, else here once the balances are done.
  const chain = startChainCheck(sqlite, headSeq, options);
  const replay = replayTransfers(sqlite, headSeq, accounts);
  const report = (fault: ChainFault | undefined, problemAtZero?: string): VerifyReport => {
    const base = { transfers: replay.count, accounts: accounts.length, headSeq, headHash };
    const chainFault = chain.finish();
    const first = [chainFault, fault].filter((f): f is ChainFault => f !== undefined).sort((a, b) => a.seq - b.seq)[0];
    // A fault tied to a transfer comes first; one that is not (seq 0) only when the chain is otherwise sound.
    if (first) return { ok: false, ...base, firstBadSeq: first.seq, problem: first.problem };
    if (problemAtZero) return { ok: false, ...base, firstBadSeq: 0, problem: problemAtZero };
    return { ok: true, ...base };
  };
  if (replay.fault) return report(replay.fault);
  const checkpointFault = checkCheckpoints(sqlite);
  if (checkpointFault) return report(checkpointFault);
  const accountFault = checkAccountTotals(sqlite, accounts, replay.totals);
  if (accountFault) return report(accountFault);
  const unbalanced = unbalancedLedger(accounts);
  if (unbalanced !== undefined) return report(undefined, `total debits do not equal total credits on ledger ${unbalanced}`);
  return report(checkOpenIndex(sqlite, replay.openPending));
}

interface Replay {
  count: number;
  totals: Map<string, Totals>;
  openPending: Map<string, OpenPending>;
  fault: ChainFault | undefined;
}

/** Rebuilds every account's four totals from the transfers in order, checking each transfer's stored running totals. */
function replayTransfers(sqlite: Database.Database, headSeq: number, accounts: readonly AccountTotalsRow[]): Replay {
  const replay: Replay = { count: 0, totals: new Map(), openPending: new Map(), fault: undefined };
  for (const [id, , , , , ledger] of accounts) replay.totals.set(id, { ledger, debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 0 });
  const resolved = new Set<string>();
  const rows = sqlite.prepare(`SELECT seq, id, debit_account_id, credit_account_id, amount, flags, pending_id, timestamp_ms,
      debit_debits_pending_after, debit_debits_posted_after, debit_credits_pending_after, debit_credits_posted_after,
      credit_debits_pending_after, credit_debits_posted_after, credit_credits_pending_after, credit_credits_posted_after, ledger
      FROM ledger_transfers WHERE seq <= ? ORDER BY seq`).raw().iterate(headSeq) as IterableIterator<unknown[]>;
  let previousTimestamp = 0;
  for (const row of rows) {
    const seq = row[0] as number;
    const timestampMs = row[7] as number;
    replay.count += 1;
    const problem = timestampMs < previousTimestamp ? 'timestamp goes backwards' : applyTransferRow(row, replay, resolved);
    if (problem) {
      replay.fault = { seq, problem };
      break;
    }
    previousTimestamp = timestampMs;
  }
  return replay;
}

/** Applies one transfer row to the recomputed totals; answers what is wrong with it, if anything. */
function applyTransferRow(row: unknown[], replay: Replay, resolved: Set<string>): string | undefined {
  const seq = row[0] as number;
  const amount = row[4] as number;
  const flags = row[5] as number;
  const pendingId = row[6] as string | null;
  if (!Number.isInteger(amount) || amount <= 0) return 'amount is not a positive integer';
  const debit = replay.totals.get(row[2] as string);
  const credit = replay.totals.get(row[3] as string);
  if (!debit || !credit || debit === credit) return 'transfer names a missing or identical account';
  if (debit.ledger !== row[16] || credit.ledger !== row[16]) return 'transfer moves between ledgers (commodities)';
  if (flags & TransferFlags.pending) {
    debit.debitsPending += amount;
    credit.creditsPending += amount;
    replay.openPending.set(row[1] as string, { seq, amount });
  } else if (flags & (TransferFlags.postPending | TransferFlags.voidPending)) {
    const pending = pendingId === null || resolved.has(pendingId) ? undefined : replay.openPending.get(pendingId);
    if (!pending || pendingId === null) return 'resolves a pending transfer that is not open';
    replay.openPending.delete(pendingId);
    resolved.add(pendingId);
    debit.debitsPending -= pending.amount;
    credit.creditsPending -= pending.amount;
    if (flags & TransferFlags.postPending) {
      if (amount > pending.amount) return 'posts more than was pending';
      debit.debitsPosted += amount;
      credit.creditsPosted += amount;
    } else if (amount !== pending.amount) {
      return 'voids a different amount than was pending';
    }
  } else {
    debit.debitsPosted += amount;
    credit.creditsPosted += amount;
  }
  if (debit.debitsPending !== row[8] || debit.debitsPosted !== row[9] || debit.creditsPending !== row[10]
    || debit.creditsPosted !== row[11] || credit.debitsPending !== row[12] || credit.debitsPosted !== row[13]
    || credit.creditsPending !== row[14] || credit.creditsPosted !== row[15]) {
    return 'running totals stored on the transfer disagree with the recomputed ones';
  }
  return undefined;
}

/** Published checkpoints must still match the chain, and name no transfer beyond the head. */
function checkCheckpoints(sqlite: Database.Database): ChainFault | undefined {
  const checkpoint = sqlite.prepare(`SELECT c.seq, t.hash IS NULL AS beyond FROM ledger_checkpoints c
      LEFT JOIN ledger_transfers t ON t.seq = c.seq WHERE t.hash IS NULL OR t.hash <> c.hash ORDER BY c.seq LIMIT 1`).raw().get() as [number, number] | undefined;
  if (!checkpoint) return undefined;
  return { seq: checkpoint[0], problem: checkpoint[1] ? 'a checkpoint names a sequence number beyond the head' : 'a published checkpoint disagrees with the chain' };
}

/** Every account's stored totals equal the recomputed ones. */
function checkAccountTotals(sqlite: Database.Database, accounts: readonly AccountTotalsRow[], totals: Map<string, Totals>): ChainFault | undefined {
  for (const [id, dp, dpo, cp, cpo] of accounts) {
    const recomputed = totals.get(id);
    assert(recomputed, 'every account was given zero totals before the replay');
    if (recomputed.debitsPending !== dp || recomputed.debitsPosted !== dpo
      || recomputed.creditsPending !== cp || recomputed.creditsPosted !== cpo) {
      const lastSeq = sqlite.prepare(`SELECT max(seq) FROM ledger_transfers WHERE debit_account_id = ? OR credit_account_id = ?`)
        .pluck().get(id, id) as number | null;
      return { seq: lastSeq ?? 0, problem: `stored totals of account ${id} disagree with its transfers` };
    }
  }
  return undefined;
}

/** Debits equal credits on each ledger (commodity) apart: the first ledger where they do not, or undefined. */
function unbalancedLedger(accounts: readonly AccountTotalsRow[]): number | undefined {
  const sums = new Map<number, { pending: number; posted: number }>();
  for (const [, dp, dpo, cp, cpo, ledger] of accounts) {
    const sum = sums.get(ledger) ?? { pending: 0, posted: 0 };
    sum.pending += dp - cp;
    sum.posted += dpo - cpo;
    sums.set(ledger, sum);
  }
  return [...sums].sort(([a], [b]) => a - b).find(([, sum]) => sum.pending !== 0 || sum.posted !== 0)?.[0];
}

/** The open-pending index holds exactly the pending transfers the replay left open. */
function checkOpenIndex(sqlite: Database.Database, openPending: Map<string, OpenPending>): ChainFault | undefined {
  const openIndex = sqlite.prepare('SELECT seq FROM ledger_pending_open').pluck().all() as number[];
  const expectedOpen = new Set([...openPending.values()].map((p) => p.seq));
  if (openIndex.length === expectedOpen.size && openIndex.every((seq) => expectedOpen.has(seq))) return undefined;
  const bad = openIndex.find((seq) => !expectedOpen.has(seq)) ?? [...expectedOpen].find((seq) => !openIndex.includes(seq)) ?? 0;
  return { seq: bad, problem: 'the open-pending index disagrees with the transfers' };
}

/** Ledgers at least this long, in a file, have their hash chain walked on a worker thread. */
const defaultParallelFrom = 100_000;

/**
 * Starts the hash-chain walk: on a worker thread (its own read-only
 * connection; transfers at or below the head are immutable, so it sees the
 * same rows) when the ledger is large and in a file, else lazily here.
 * finish() waits for it synchronously; a worker that cannot start or fails
 * falls back to walking the chain on this thread.
 */
function startChainCheck(sqlite: Database.Database, headSeq: number, options: VerifyOptions): { finish: () => ChainFault | undefined } {
  // finish() runs inside verifyLedger's read transaction: the same snapshot as the balances.
  const inThread = () => {
    options.onChainWalk?.('here');
    return checkChain(sqlite, headSeq);
  };
  const parallelFrom = options.parallelFrom ?? defaultParallelFrom;
  const path = sqlite.name;
  if (headSeq < parallelFrom || sqlite.memory || !path || path === ':memory:' || availableParallelism() < 2) {
    return { finish: inThread };
  }
  // The balance pass here costs about two thirds of the chain walk: the worker takes the
  // first 84% of the chain and this thread the rest once its balances are done, so both
  // finish at about the same time.
  const split = Math.max(1, Math.floor(headSeq * 0.84));
  const state = new SharedArrayBuffer(8);
  const text = new SharedArrayBuffer(256);
  const flags = new Int32Array(state);
  let worker: Worker;
  try {
    // Worker threads do not inherit tsx's loader hooks: register them first, then load the TypeScript worker.
    const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
      .then((api) => { api.register(); return import(${JSON.stringify(new URL('./verify-worker.ts', import.meta.url).href)}); })`;
    worker = new Worker(bootstrap, { eval: true, workerData: { path, toSeq: split, state, text } });
  } catch {
    return { finish: inThread };
  }
  worker.on('error', () => Atomics.store(flags, 0, 4));
  worker.unref();
  return {
    finish() {
      const tail = split < headSeq ? checkChain(sqlite, headSeq, split + 1) : undefined;
      // Give the worker time to start; a worker that never runs is replaced by the walk here.
      if (Atomics.load(flags, 0) === 0) Atomics.wait(flags, 0, 0, 20_000);
      while (Atomics.load(flags, 0) === 1) Atomics.wait(flags, 0, 1, 1000);
      const outcome = Atomics.load(flags, 0);
      if (outcome === 2 || outcome === 3) options.onChainWalk?.('worker');
      if (outcome === 2) return tail;
      if (outcome === 3) {
        const bytes = new Uint8Array(text);
        const end = bytes.indexOf(0);
        return { seq: Atomics.load(flags, 1), problem: new TextDecoder().decode(bytes.slice(0, end < 0 ? bytes.length : end)) };
      }
      void worker.terminate();
      return inThread();
    },
  };
}

import type Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { TransferFlags } from './types.ts';

/** How a caller saves and restores its in-memory state around a chain that may roll back. */
export interface Rewind<S> {
  save: () => S;
  restore: (saved: S) => void;
  release: () => void;
}

type ChainResult<R> = R | 'ok' | 'exists' | 'linked_event_failed' | 'linked_event_chain_open';
type Apply<T, R> = (input: T) => R | 'ok' | 'exists';
type Settle<T> = (input: T, result: string) => void;

const isLinked = (input: { flags?: number }) => ((input.flags ?? 0) & TransferFlags.linked) !== 0;

/**
 * Applies items in order. Items joined by the `linked` flag form a chain
 * that commits or fails as a whole (a SAVEPOINT per chain). A chain whose
 * items all exist already answers `exists` for each: replaying a chain is
 * as idempotent as replaying a single transfer. A chain left open at the end
 * of the call fails whole.
 */
export function runChains<T extends { flags?: number }, R extends string, S>(
  sqlite: Database.Database,
  inputs: readonly T[],
  apply: Apply<T, R>,
  rewind: Rewind<S> | undefined,
  settle: Settle<T> = () => {},
): ChainResult<R>[] {
  const results: ChainResult<R>[] = [];
  let chain: T[] = [];
  for (const input of inputs) {
    if (chain.length === 0 && !isLinked(input)) {
      const result = apply(input);
      settle(input, result);
      results.push(result);
      continue;
    }
    // A chain runs from a linked item up to and including the first unlinked one.
    chain.push(input);
    if (isLinked(input)) continue;
    results.push(...runChain(sqlite, chain, apply, rewind, settle));
    chain = [];
  }
  if (chain.length > 0) {
    for (let k = 0; k < chain.length - 1; k += 1) results.push('linked_event_failed');
    results.push('linked_event_chain_open');
  }
  return results;
}

/** One closed chain: all of it commits, or none of it (with the failing item's own result). */
function runChain<T, R extends string, S>(
  sqlite: Database.Database,
  chain: readonly T[],
  apply: Apply<T, R>,
  rewind: Rewind<S> | undefined,
  settle: Settle<T>,
): ChainResult<R>[] {
  sqlite.exec('SAVEPOINT ledger_chain');
  const saved = rewind?.save();
  // Each item applied, with its result; the first failure ends the chain.
  const own: { input: T; result: R | 'ok' | 'exists' }[] = [];
  let failed: { input: T; result: R | 'ok' | 'exists' } | undefined;
  for (const input of chain) {
    const result = apply(input);
    own.push({ input, result });
    if (result !== 'ok' && result !== 'exists') {
      failed = { input, result };
      break;
    }
  }
  // A chain of which some items are new and some replayed is not a replay: it fails whole.
  const mixed = !failed && own.some(({ result }) => result === 'ok') && own.some(({ result }) => result === 'exists');
  if (!failed && !mixed) {
    assert(own.length === chain.length, 'a chain without a failure applied every item');
    sqlite.exec('RELEASE ledger_chain');
    rewind?.release();
    for (const { input, result } of own) settle(input, result);
    return own.map(({ result }) => result);
  }
  sqlite.exec('ROLLBACK TO ledger_chain');
  sqlite.exec('RELEASE ledger_chain');
  const results = chain.map((_, k): ChainResult<R> => {
    if (failed && k === own.length - 1) return failed.result;
    return own[k]?.result === 'exists' ? 'exists' : 'linked_event_failed';
  });
  if (failed) settle(failed.input, failed.result);
  // The rolled-back items used sequence numbers; the chain head goes back too.
  if (rewind) rewind.restore(saved as S);
  return results;
}

/**
 * Splits transfers into batches of about `size` for separate `createTransfers` calls, never inside a
 * linked chain: a batch ends only after a transfer without the `linked` flag (a chain cut in two would
 * fail whole as `linked_event_chain_open`). A batch is longer than `size` only by the rest of a chain.
 */
export function wholeChainBatches<T extends { flags?: number }>(transfers: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new Error('size must be a positive integer');
  const batches: T[][] = [];
  let start = 0;
  while (start < transfers.length) {
    let end = Math.min(start + size, transfers.length);
    while (end < transfers.length && isLinked(transfers[end - 1] ?? {})) end += 1;
    batches.push(transfers.slice(start, end));
    start = end;
  }
  return batches;
}

import type Database from 'better-sqlite3';
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
  let index = 0;
  while (index < inputs.length) {
    const first = inputs[index]!;
    if (!isLinked(first)) {
      const result = apply(first);
      settle(first, result);
      results.push(result);
      index += 1;
      continue;
    }
    let end = index;
    while (end < inputs.length && isLinked(inputs[end]!)) end += 1;
    if (end === inputs.length) {
      for (let k = index; k < inputs.length - 1; k += 1) results.push('linked_event_failed');
      results.push('linked_event_chain_open');
      return results;
    }
    results.push(...runChain(sqlite, inputs.slice(index, end + 1), apply, rewind, settle));
    index = end + 1;
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
  const own: (R | 'ok' | 'exists')[] = [];
  let failedAt = -1;
  for (const [k, input] of chain.entries()) {
    const result = apply(input);
    own.push(result);
    if (result !== 'ok' && result !== 'exists') {
      failedAt = k;
      break;
    }
  }
  // A chain of which some items are new and some replayed is not a replay: it fails whole.
  const mixed = failedAt === -1 && own.includes('ok') && own.includes('exists');
  if (failedAt === -1 && !mixed) {
    sqlite.exec('RELEASE ledger_chain');
    rewind?.release();
    own.forEach((result, k) => settle(chain[k]!, result));
    return own;
  }
  sqlite.exec('ROLLBACK TO ledger_chain');
  sqlite.exec('RELEASE ledger_chain');
  const results = chain.map((_, k): ChainResult<R> => {
    if (k === failedAt) return own[k]!;
    return own[k] === 'exists' ? 'exists' : 'linked_event_failed';
  });
  if (failedAt >= 0) settle(chain[failedAt]!, own[failedAt]!);
  // The rolled-back items used sequence numbers; the chain head goes back too.
  if (rewind) rewind.restore(saved as S);
  return results;
}

import type Database from 'better-sqlite3';
import { transferHash } from './hash.ts';
import { GENESIS_HASH, type Transfer } from './types.ts';

export interface ChainFault {
  seq: number;
  problem: string;
}

/**
 * Walks the hash chain over sequence numbers fromSeq..toSeq (default from 1): no gaps, each
 * transfer's previous hash is the hash before it, and each hash matches the
 * transfer's contents. Answers the first fault, or undefined when the chain
 * holds. Reads only the columns the hash covers, so it can run on its own
 * connection (a worker thread) beside the balance recomputation.
 */
export function checkChain(sqlite: Database.Database, toSeq: number, fromSeq = 1): ChainFault | undefined {
  const rows = sqlite.prepare(`SELECT seq, id, debit_account_id, credit_account_id, amount, code, flags, pending_id,
      timeout_seconds, ref_type, ref_id, timestamp_ms, previous_hash, hash, ledger
      FROM ledger_transfers WHERE seq >= ? AND seq <= ? ORDER BY seq`).raw().iterate(fromSeq, toSeq) as IterableIterator<unknown[]>;
  let previousSeq = fromSeq - 1;
  // A part of the chain that starts later links to the stored hash before it (which the part before proves).
  let previousHash = fromSeq === 1 ? GENESIS_HASH
    : (sqlite.prepare('SELECT hash FROM ledger_transfers WHERE seq = ?').pluck().get(previousSeq) as string | undefined) ?? '';
  for (const row of rows) {
    const seq = row[0] as number;
    if (seq !== previousSeq + 1) return { seq, problem: `sequence gap after ${previousSeq}` };
    const stored = row[13] as string;
    if (row[12] !== previousHash) return { seq, problem: 'previous hash does not match the chain' };
    const contents: Omit<Transfer, 'hash'> = {
      ledger: row[14] as number,
      seq, id: row[1] as string, debitAccountId: row[2] as string, creditAccountId: row[3] as string,
      amount: row[4] as number, code: row[5] as Transfer['code'], flags: row[6] as number, pendingId: row[7] as string | null,
      timeoutSeconds: row[8] as number, refType: row[9] as string | null, refId: row[10] as string | null,
      timestampMs: row[11] as number, previousHash,
    };
    if (transferHash(contents) !== stored) return { seq, problem: 'hash does not match the contents' };
    previousSeq = seq;
    previousHash = stored;
  }
  if (previousSeq !== toSeq) return { seq: previousSeq + 1, problem: `sequence gap after ${previousSeq}` };
  return undefined;
}

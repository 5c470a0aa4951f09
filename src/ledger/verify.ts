import type Database from 'better-sqlite3';
import { transferHash } from './hash.ts';
import { GENESIS_HASH, TransferFlags, type Transfer } from './types.ts';

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

interface Totals {
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
export function verifyLedger(sqlite: Database.Database): VerifyReport {
  const read = sqlite.transaction(() => verifyInSnapshot(sqlite));
  return read.deferred();
}

function verifyInSnapshot(sqlite: Database.Database): VerifyReport {
  const totals = new Map<string, Totals>();
  const accounts = sqlite
    .prepare('SELECT id, debits_pending, debits_posted, credits_pending, credits_posted FROM ledger_accounts')
    .raw()
    .all() as [string, number, number, number, number][];
  for (const [id] of accounts) totals.set(id, { debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 0 });

  const openPending = new Map<string, OpenPending>();
  const resolved = new Set<string>();
  const checkpointHashes = new Map<number, string[]>();
  for (const [seq, hash] of sqlite.prepare('SELECT seq, hash FROM ledger_checkpoints').raw().all() as [number, string][]) {
    const list = checkpointHashes.get(seq) ?? [];
    list.push(hash);
    checkpointHashes.set(seq, list);
  }

  let previousHash = GENESIS_HASH;
  let previousSeq = 0;
  let previousTimestamp = 0;
  let count = 0;
  const fail = (seq: number, problem: string): VerifyReport => ({
    ok: false, transfers: count, accounts: accounts.length, headSeq: previousSeq, headHash: previousHash, firstBadSeq: seq, problem,
  });

  const rows = sqlite.prepare(`SELECT seq, id, debit_account_id, credit_account_id, amount, code, flags, pending_id,
      timeout_seconds, ref_type, ref_id, timestamp_ms,
      debit_debits_pending_after, debit_debits_posted_after, debit_credits_pending_after, debit_credits_posted_after,
      credit_debits_pending_after, credit_debits_posted_after, credit_credits_pending_after, credit_credits_posted_after,
      previous_hash, hash FROM ledger_transfers ORDER BY seq`).raw().iterate() as IterableIterator<unknown[]>;

  for (const row of rows) {
    const transfer: Transfer = {
      seq: row[0] as number, id: row[1] as string, debitAccountId: row[2] as string, creditAccountId: row[3] as string,
      amount: row[4] as number, code: row[5] as Transfer['code'], flags: row[6] as number, pendingId: row[7] as string | null,
      timeoutSeconds: row[8] as number, refType: row[9] as string | null, refId: row[10] as string | null,
      timestampMs: row[11] as number, previousHash: row[20] as string, hash: row[21] as string,
    };
    const seq = transfer.seq;
    count += 1;
    if (seq !== previousSeq + 1) return fail(seq, `sequence gap after ${previousSeq}`);
    if (transfer.previousHash !== previousHash) return fail(seq, 'previous hash does not match the chain');
    if (transferHash(transfer) !== transfer.hash) return fail(seq, 'hash does not match the contents');
    if (transfer.timestampMs < previousTimestamp) return fail(seq, 'timestamp goes backwards');
    if (!Number.isInteger(transfer.amount) || transfer.amount <= 0) return fail(seq, 'amount is not a positive integer');
    const debit = totals.get(transfer.debitAccountId);
    const credit = totals.get(transfer.creditAccountId);
    if (!debit || !credit || debit === credit) return fail(seq, 'transfer names a missing or identical account');

    if (transfer.flags & TransferFlags.pending) {
      debit.debitsPending += transfer.amount;
      credit.creditsPending += transfer.amount;
      openPending.set(transfer.id, { seq, amount: transfer.amount });
    } else if (transfer.flags & (TransferFlags.postPending | TransferFlags.voidPending)) {
      const pending = transfer.pendingId === null ? undefined : openPending.get(transfer.pendingId);
      if (!pending || resolved.has(transfer.pendingId!)) return fail(seq, 'resolves a pending transfer that is not open');
      openPending.delete(transfer.pendingId!);
      resolved.add(transfer.pendingId!);
      debit.debitsPending -= pending.amount;
      credit.creditsPending -= pending.amount;
      if (transfer.flags & TransferFlags.postPending) {
        if (transfer.amount > pending.amount) return fail(seq, 'posts more than was pending');
        debit.debitsPosted += transfer.amount;
        credit.creditsPosted += transfer.amount;
      } else if (transfer.amount !== pending.amount) {
        return fail(seq, 'voids a different amount than was pending');
      }
    } else {
      debit.debitsPosted += transfer.amount;
      credit.creditsPosted += transfer.amount;
    }
    if (debit.debitsPending !== row[12] || debit.debitsPosted !== row[13] || debit.creditsPending !== row[14]
      || debit.creditsPosted !== row[15] || credit.debitsPending !== row[16] || credit.debitsPosted !== row[17]
      || credit.creditsPending !== row[18] || credit.creditsPosted !== row[19]) {
      return fail(seq, 'running totals stored on the transfer disagree with the recomputed ones');
    }
    const published = checkpointHashes.get(seq);
    if (published && published.some((hash) => hash !== transfer.hash)) return fail(seq, 'a published checkpoint disagrees with the chain');
    previousHash = transfer.hash;
    previousSeq = seq;
    previousTimestamp = transfer.timestampMs;
  }

  for (const [seq] of checkpointHashes) {
    if (seq > previousSeq) return fail(seq, 'a checkpoint names a sequence number beyond the head');
  }
  let debitsPending = 0;
  let debitsPosted = 0;
  let creditsPending = 0;
  let creditsPosted = 0;
  for (const [id, dp, dpo, cp, cpo] of accounts) {
    const recomputed = totals.get(id)!;
    if (recomputed.debitsPending !== dp || recomputed.debitsPosted !== dpo
      || recomputed.creditsPending !== cp || recomputed.creditsPosted !== cpo) {
      const lastSeq = sqlite.prepare(`SELECT max(seq) FROM ledger_transfers WHERE debit_account_id = ? OR credit_account_id = ?`)
        .pluck().get(id, id) as number | null;
      return { ...fail(lastSeq ?? 0, `stored totals of account ${id} disagree with its transfers`), transfers: count, headSeq: previousSeq, headHash: previousHash };
    }
    debitsPending += dp;
    debitsPosted += dpo;
    creditsPending += cp;
    creditsPosted += cpo;
  }
  if (debitsPending !== creditsPending || debitsPosted !== creditsPosted) {
    return { ...fail(0, 'total debits do not equal total credits'), transfers: count, headSeq: previousSeq, headHash: previousHash };
  }
  const openIndex = sqlite.prepare('SELECT seq FROM ledger_pending_open').pluck().all() as number[];
  const expectedOpen = new Set([...openPending.values()].map((p) => p.seq));
  if (openIndex.length !== expectedOpen.size || openIndex.some((seq) => !expectedOpen.has(seq))) {
    const bad = openIndex.find((seq) => !expectedOpen.has(seq)) ?? [...expectedOpen].find((seq) => !openIndex.includes(seq)) ?? 0;
    return { ...fail(bad, 'the open-pending index disagrees with the transfers'), transfers: count, headSeq: previousSeq, headHash: previousHash };
  }
  return { ok: true, transfers: count, accounts: accounts.length, headSeq: previousSeq, headHash: previousHash };
}

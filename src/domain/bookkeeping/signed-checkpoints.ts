import type Database from 'better-sqlite3';
import { Ledger, TransferFlags } from '../../ledger/index.ts';
import { catchUpPublicChain, extendPublicChain } from './public-chain.ts';
import { checkpointAlgorithm, signText, type CheckpointKeys } from '../../lib/checkpoint-key.ts';
import { writeTransaction } from '../kernel/transaction.ts';

/**
 * Signed checkpoints (issue 17). Each checkpoint the ledger records is signed
 * with the network's key over a canonical payload: sequence, head hash, time,
 * public-chain link, counts and the network totals (posted minutes per transfer code). The exact
 * signed text is stored, so anyone holding /transparency/checkpoints.json can
 * check the signature byte for byte, and a chain rewritten later no longer
 * reaches a head that an earlier signed checkpoint names.
 */
export interface CheckpointPayload {
  version: 1;
  seq: number;
  hash: string;
  /** The public chain's link at `seq` (public-chain.ts): what the public file lets anyone recompute. */
  publicHash: string;
  timestampMs: number;
  transferCount: number;
  accountCount: number;
  /** Posted minutes per transfer code (plain transfers and posted holds; pending holds and voids move nothing). */
  postedMinutesByCode: Record<string, number>;
}

export interface SignedCheckpoint {
  seq: number;
  hash: string;
  timestampMs: number;
  payload: string;
  algorithm: string;
  publicKey: string;
  signature: string;
}

/** Posted minutes per transfer code up to and including `seq`, keys sorted (the payload is canonical). */
export function postedMinutesByCode(sqlite: Database.Database, seq: number): Record<string, number> {
  const rows = sqlite.prepare(`SELECT code, sum(amount) AS minutes FROM ledger_transfers
      WHERE seq <= ? AND (flags & ?) = 0 GROUP BY code ORDER BY code`).all(seq, TransferFlags.pending | TransferFlags.voidPending) as { code: string; minutes: number }[];
  return Object.fromEntries(rows.map((row) => [row.code, row.minutes]));
}

/**
 * Records and signs a checkpoint when the chain has grown since the last one
 * (the check, the checkpoint and its signature in ONE write transaction). A
 * last checkpoint at the head that is not signed yet (recorded before signing
 * existed, or by the demo seed) is signed as it stands. Answers the signed
 * checkpoint, or null when there is nothing new to sign.
 */
export function publishCheckpoint(sqlite: Database.Database, keys: CheckpointKeys, nowMs: number): SignedCheckpoint | null {
  // Most links are appended beforehand in short transactions; the signing transaction adds the last few.
  catchUpPublicChain(sqlite, new Ledger(sqlite).head().seq);
  return writeTransaction(sqlite, () => {
    const ledger = new Ledger(sqlite, { now: () => nowMs });
    const last = ledger.checkpoints(1)[0];
    const unsigned = last && last.seq === ledger.head().seq
      && sqlite.prepare('SELECT 1 FROM ledger_checkpoint_signatures WHERE checkpoint_id = ?').get(last.id) === undefined;
    const checkpoint = unsigned ? last : ledger.checkpointIfMoved(nowMs);
    if (!checkpoint) return null;
    const publicHead = extendPublicChain(sqlite, checkpoint.seq);
    const id = unsigned ? last.id : sqlite.prepare('SELECT max(id) FROM ledger_checkpoints').pluck().get() as number;
    const body: CheckpointPayload = {
      version: 1, seq: checkpoint.seq, hash: checkpoint.hash, publicHash: publicHead.publicHash, timestampMs: checkpoint.timestampMs,
      transferCount: checkpoint.transferCount, accountCount: checkpoint.accountCount,
      postedMinutesByCode: postedMinutesByCode(sqlite, checkpoint.seq),
    };
    const payload = JSON.stringify(body);
    const signature = signText(keys, payload);
    sqlite.prepare('INSERT INTO ledger_checkpoint_signatures (checkpoint_id, payload, algorithm, public_key, signature) VALUES (?, ?, ?, ?, ?)')
      .run(id, payload, checkpointAlgorithm, keys.publicKey, signature);
    return { seq: checkpoint.seq, hash: checkpoint.hash, timestampMs: checkpoint.timestampMs, payload, algorithm: checkpointAlgorithm, publicKey: keys.publicKey, signature };
  });
}

/** Every signed checkpoint, oldest first (what /transparency/checkpoints.json publishes). */
export function signedCheckpoints(sqlite: Database.Database): SignedCheckpoint[] {
  return sqlite.prepare(`SELECT c.seq, c.hash, c.timestamp_ms AS timestampMs, s.payload, s.algorithm, s.public_key AS publicKey, s.signature
      FROM ledger_checkpoint_signatures s JOIN ledger_checkpoints c ON c.id = s.checkpoint_id ORDER BY c.id`).all() as SignedCheckpoint[];
}

/** The public document: the keys (current and retired) and every signed checkpoint. */
export function checkpointsDocument(sqlite: Database.Database, keys: CheckpointKeys) {
  return {
    format: 'silver-hours-checkpoints/1',
    algorithm: checkpointAlgorithm,
    publicKey: keys.publicKey,
    retiredPublicKeys: keys.retiredPublicKeys,
    checkpoints: signedCheckpoints(sqlite),
  };
}

/** The last signed checkpoint recorded before `endMs` (a month's end), or undefined. */
export function checkpointBefore(sqlite: Database.Database, endMs: number): SignedCheckpoint | undefined {
  return sqlite.prepare(`SELECT c.seq, c.hash, c.timestamp_ms AS timestampMs, s.payload, s.algorithm, s.public_key AS publicKey, s.signature
      FROM ledger_checkpoint_signatures s JOIN ledger_checkpoints c ON c.id = s.checkpoint_id
      WHERE c.timestamp_ms < ? ORDER BY c.timestamp_ms DESC, c.id DESC LIMIT 1`).get(endMs) as SignedCheckpoint | undefined;
}

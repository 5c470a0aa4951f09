import { hash } from 'node:crypto';
import type { Transfer } from './types.ts';

/**
 * The hash of a transfer covers its canonical contents and the previous
 * transfer's hash, so changing any stored transfer breaks every hash after it.
 * The canonical form is a JSON array in a fixed field order: unambiguous
 * whatever characters the ids and references hold.
 */
export function transferHash(transfer: Omit<Transfer, 'hash' | 'ledger'> & { ledger?: number }): string {
  return hash('sha256', canonicalTransfer(transfer), 'hex');
}

/**
 * The exact text the hash covers (also written into the hledger export's `transfer` tag).
 * The ledger (commodity) code is appended only when it is not 1 (minutes): every
 * transfer written before commodities existed keeps its hash, and a transfer in
 * another commodity still has its commodity covered.
 */
export function canonicalTransfer(transfer: Omit<Transfer, 'hash' | 'ledger'> & { ledger?: number }): string {
  const fields: unknown[] = [
    transfer.seq,
    transfer.id,
    transfer.debitAccountId,
    transfer.creditAccountId,
    transfer.amount,
    transfer.code,
    transfer.flags,
    transfer.pendingId,
    transfer.timeoutSeconds,
    transfer.refType,
    transfer.refId,
    transfer.timestampMs,
    transfer.previousHash,
  ];
  if (transfer.ledger !== undefined && transfer.ledger !== 1) fields.push(transfer.ledger);
  return JSON.stringify(fields);
}

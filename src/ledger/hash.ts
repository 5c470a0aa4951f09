import { hash } from 'node:crypto';
import type { Transfer } from './types.ts';

/**
 * The hash of a transfer covers its canonical contents and the previous
 * transfer's hash, so changing any stored transfer breaks every hash after it.
 * The canonical form is a JSON array in a fixed field order: unambiguous
 * whatever characters the ids and references hold.
 */
export function transferHash(transfer: Omit<Transfer, 'hash'>): string {
  return hash('sha256', canonicalTransfer(transfer), 'hex');
}

/** The exact text the hash covers (also written into the hledger export's `transfer` tag). */
export function canonicalTransfer(transfer: Omit<Transfer, 'hash'>): string {
  return JSON.stringify([
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
  ]);
}

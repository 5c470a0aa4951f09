import assert from 'node:assert/strict';
import type { Totals } from './history.ts';
import type { PendingRow } from './statements.ts';
import type { Account, Transfer } from './types.ts';

/** A transfer appended in this call, with both accounts' totals after it, waiting for the multi-row insert (bulk.ts). */
export interface Appended {
  record: Transfer;
  /** debit's four totals then credit's, after this transfer. */
  after: [number, number, number, number, number, number, number, number];
  /** The seq of the pending transfer it resolves (its open-hold row goes), or undefined. */
  resolvesSeq: number | undefined;
}

/**
 * The state of one createTransfers call: the chain head it appends to, the
 * accounts it has read (their new totals are written once at the end), the
 * transfers it appended (inserted in multi-row statements, and read from
 * memory by the rest of the call), what it looked up in the database for the
 * whole call at once, and, while a linked chain runs, each changed account's
 * totals from before, so a failed chain can restore them.
 */
export interface TransferState {
  seq: number;
  hash: string;
  timestampMs: number;
  accounts: Map<string, Account>;
  dirty: Set<string>;
  chainUndo: Map<string, Totals> | undefined;
  /** Appended in this call, in order; those before `flushed` are in the database already. */
  appended: Appended[];
  flushed: number;
  /** id -> transfer appended in this call (not yet flushed or flushed). */
  written: Map<string, Transfer>;
  /** pending id -> the code and flags of what resolved it in this call. */
  resolvedHere: Map<string, { code: string; flags: number }>;
  /** ids that failed in this call (also inserted into ledger_failed_transfers). */
  failedHere: Set<string>;
  /** Looked up for the whole call: id -> 1 stored, 2 failed earlier, 0 new. */
  knownIds: Map<string, 0 | 1 | 2>;
  /** Looked up for the whole call: pending id -> the stored pending transfer (with what resolved it), or null. */
  knownPending: Map<string, PendingRow | null>;
  /** Account ids looked up for the whole call and not found. */
  missingAccounts: Set<string>;
}

/** What a transfer moves, once its accounts and (for a post or void) its pending transfer are known. */
export interface Movement {
  debit: Account;
  credit: Account;
  amount: number;
  pending: PendingRow | undefined;
}

/** The empty per-call part of a TransferState. */
export function emptyCallState(): Pick<TransferState, 'dirty' | 'chainUndo' | 'appended' | 'flushed' | 'written' | 'resolvedHere' | 'failedHere' | 'knownIds' | 'knownPending' | 'missingAccounts'> {
  return {
    dirty: new Set(), chainUndo: undefined, appended: [], flushed: 0, written: new Map(), resolvedHere: new Map(),
    failedHere: new Set(), knownIds: new Map(), knownPending: new Map(), missingAccounts: new Set(),
  };
}

/** How runChains saves and restores the call's state around a chain that may roll back. */
export function rewindOf(state: TransferState) {
  return {
    save: () => {
      state.chainUndo = new Map();
      return { seq: state.seq, hash: state.hash, appended: state.appended.length };
    },
    restore: (saved: { seq: number; hash: string; appended: number }) => {
      state.seq = saved.seq;
      state.hash = saved.hash;
      for (const [id, totals] of state.chainUndo ?? []) {
        const account = state.accounts.get(id);
        assert(account, 'an account a chain changed is cached');
        Object.assign(account, totals);
      }
      assert(state.flushed <= saved.appended, 'nothing appended inside a chain is flushed before it settles');
      for (const { record } of state.appended.splice(saved.appended)) {
        state.written.delete(record.id);
        if (record.pendingId !== null) state.resolvedHere.delete(record.pendingId);
      }
      state.chainUndo = undefined;
    },
    release: () => {
      state.chainUndo = undefined;
    },
  };
}

/** Marks an account as changed in this call, remembering its totals for a chain that may roll back. */
export function touch(state: TransferState, account: Account): void {
  state.dirty.add(account.id);
  if (state.chainUndo && !state.chainUndo.has(account.id)) {
    state.chainUndo.set(account.id, {
      debitsPending: account.debitsPending, debitsPosted: account.debitsPosted,
      creditsPending: account.creditsPending, creditsPosted: account.creditsPosted,
    });
  }
}

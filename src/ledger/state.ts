import assert from 'node:assert/strict';
import type { Totals } from './history.ts';
import type { Account, Transfer } from './types.ts';

/**
 * The state of one createTransfers call: the chain head it appends to, the
 * accounts it has read (their new totals are written once at the end), and,
 * while a linked chain runs, each changed account's totals from before, so a
 * failed chain can restore them.
 */
export interface TransferState {
  seq: number;
  hash: string;
  timestampMs: number;
  accounts: Map<string, Account>;
  dirty: Set<string>;
  chainUndo: Map<string, Totals> | undefined;
}

/** What a transfer moves, once its accounts and (for a post or void) its pending transfer are known. */
export interface Movement {
  debit: Account;
  credit: Account;
  amount: number;
  pending: Transfer | undefined;
}

/** How runChains saves and restores the call's state around a chain that may roll back. */
export function rewindOf(state: TransferState) {
  return {
    save: () => {
      state.chainUndo = new Map();
      return { seq: state.seq, hash: state.hash };
    },
    restore: (saved: { seq: number; hash: string }) => {
      state.seq = saved.seq;
      state.hash = saved.hash;
      for (const [id, totals] of state.chainUndo ?? []) {
        const account = state.accounts.get(id);
        assert(account, 'an account a chain changed is cached');
        Object.assign(account, totals);
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

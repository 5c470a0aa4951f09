import type Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { runChains } from './chains.ts';
import { transferHash } from './hash.ts';
import { compareAccount, compareExisting, expiryOf, resolutionFlags, stateDependentFailures, validateAccount, validateTransfer } from './rules.ts';
import { historyOf, totalsAt, type HistoryEntry, type Totals } from './history.ts';
import { prepareStatements, type LedgerStatements } from './statements.ts';
import { emptyCallState, rewindOf, touch, type Movement, type TransferState } from './state.ts';
import { BulkWriter, existingTransfer, idStatusOf, pendingOf, prefetch, prefetchFrom, remember } from './bulk.ts';
import {
  AccountFlags,
  balanceOf,
  GENESIS_HASH,
  TransferFlags,
  type Account,
  type AccountInput,
  type AccountKind,
  type CreateAccountResult,
  type CreateTransferResult,
  type Transfer,
  type TransferInput,
} from './types.ts';

/**
 * The ledger core. Each `createAccounts` / `createTransfers` call is one
 * IMMEDIATE SQLite transaction returning one result per item, in the order
 * given. State lives only in the database (no in-process cache of the chain
 * head or balances beyond one write transaction: see `batch`), so several
 * processes may share one database file.
 *
 * Hot paths use better-sqlite3 prepared statements directly (statements.ts);
 * the tables are declared with drizzle in src/db/schema/ledger.ts and created
 * by migrations. The rules on inputs alone are in rules.ts, linked chains in
 * chains.ts.
 */

export interface LedgerOptions {
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

interface Head {
  seq: number;
  hash: string;
  timestampMs: number;
}

type Checkpoint = { seq: number; hash: string; transferCount: number; accountCount: number; timestampMs: number };

export class Ledger {
  readonly sqlite: Database.Database;
  private readonly now: () => number;
  private readonly statements: LedgerStatements;
  private readonly writer: BulkWriter;
  /** The accounts cached from one createTransfers call to the next inside `batch`. */
  private batchAccounts: Map<string, Account> | undefined;

  constructor(sqlite: Database.Database, options: LedgerOptions = {}) {
    this.sqlite = sqlite;
    this.now = options.now ?? Date.now;
    this.statements = prepareStatements(sqlite);
    this.writer = new BulkWriter(sqlite, this.statements);
  }

  // ---------------------------------------------------------------- accounts

  createAccounts(inputs: readonly AccountInput[]): CreateAccountResult[] {
    const run = this.sqlite.transaction(() => {
      const timestampMs = this.now();
      return runChains(this.sqlite, inputs, (input) => this.createAccount(input, timestampMs), undefined);
    });
    return run.immediate();
  }

  private createAccount(input: AccountInput, timestampMs: number): CreateAccountResult {
    const invalid = validateAccount(input);
    if (invalid) return invalid;
    const existing = this.statements.accountById.get(input.id) as Account | undefined;
    if (existing) return compareAccount(existing, input);
    if (this.statements.accountByOwner.get(input.kind, input.ownerRef)) return 'owner_already_has_account_of_kind';
    this.statements.insertAccount.run(input.id, input.kind, input.ownerRef, (input.flags ?? 0) & ~AccountFlags.linked, input.ledger ?? 1, timestampMs);
    return 'ok';
  }

  // --------------------------------------------------------------- transfers

  /**
   * Runs `work` in one write transaction in which the accounts that its
   * createTransfers calls read stay cached from call to call (each call still
   * writes its accounts' new totals at its end), for bulk writers (`seed big`).
   * Inside `work` the accounts change only through this Ledger, and a failure
   * leaves `work` by throwing (a call that throws drops the cache).
   */
  batch<T>(work: () => T): T {
    const outer = this.batchAccounts;
    const run = this.sqlite.transaction(() => {
      this.batchAccounts = outer ?? new Map();
      try {
        return work();
      } catch (error) {
        outer?.clear();
        throw error;
      } finally {
        this.batchAccounts = outer;
      }
    });
    return run.immediate();
  }

  createTransfers(inputs: readonly TransferInput[]): CreateTransferResult[] {
    try {
      return this.createTransfersOnce(inputs);
    } catch (error) {
      // Its transaction rolled back: totals cached for a batch may be ahead of the database.
      this.batchAccounts?.clear();
      throw error;
    }
  }

  private createTransfersOnce(inputs: readonly TransferInput[]): CreateTransferResult[] {
    const run = this.sqlite.transaction(() => {
      const state = this.openState();
      // A call of many transfers reads its ids, pending transfers and accounts in one query each.
      if (inputs.length >= prefetchFrom) prefetch(this.statements, state, inputs);
      // Spend the ids that failed on the ledger's state, once their chain has
      // settled (outside any savepoint that rolls back); flush long calls as they go.
      const settle = (input: TransferInput, result: string) => {
        if (stateDependentFailures.has(result)) {
          this.statements.insertFailed.run(input.id, result, state.timestampMs);
          state.failedHere.add(input.id);
        }
        this.writer.flush(state, false);
      };
      const results = runChains(this.sqlite, inputs, (input) => this.createTransfer(input, state), rewindOf(state), settle);
      this.writer.flush(state, true);
      for (const id of state.dirty) {
        const account = state.accounts.get(id);
        assert(account, 'a dirty account is cached');
        this.statements.updateTotals.run(account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted, id);
      }
      return results;
    });
    return run.immediate();
  }

  /**
   * Accounts read in one call are cached and their new totals written once at
   * the end of the call. While a chain runs, the first change to each account
   * keeps its totals from before, so a failed chain can restore them.
   */
  private openState(): TransferState {
    const head = this.head();
    return {
      seq: head.seq, hash: head.hash, timestampMs: Math.max(this.now(), head.timestampMs),
      accounts: this.batchAccounts ?? new Map(), ...emptyCallState(),
    };
  }

  private cachedAccount(state: TransferState, id: string | undefined): Account | undefined {
    if (id === undefined) return undefined;
    let account = state.accounts.get(id);
    if (!account && !state.missingAccounts.has(id)) {
      account = this.statements.accountById.get(id) as Account | undefined;
      if (account) state.accounts.set(id, account);
    }
    return account;
  }

  private createTransfer(input: TransferInput, state: TransferState): CreateTransferResult {
    const invalid = validateTransfer(input);
    if (invalid) return invalid;
    const flags = input.flags ?? 0;
    const idStatus = idStatusOf(this.statements, state, input.id);
    if (idStatus === 1) return compareExisting(existingTransfer(this.statements, state, input.id), input, flags);
    if (idStatus === 2) return 'id_already_failed';
    const movement = (flags & resolutionFlags) !== 0 ? this.resolution(input, flags, state) : this.plainMovement(input, state);
    if (typeof movement === 'string') return movement;
    this.applyTotals(state, movement, flags);
    this.append(state, input, flags, movement);
    return 'ok';
  }

  /** A post or void of a pending transfer: which pending transfer, and how much of it. */
  private resolution(input: TransferInput, flags: number, state: TransferState): Movement | CreateTransferResult {
    const pending = pendingOf(this.statements, state, input.pendingId);
    if (!pending) return 'pending_transfer_not_found';
    if ((pending.flags & TransferFlags.pending) === 0) return 'pending_transfer_not_pending';
    if (input.debitAccountId !== undefined && input.debitAccountId !== pending.debitAccountId) {
      return 'pending_transfer_has_different_debit_account_id';
    }
    if (input.creditAccountId !== undefined && input.creditAccountId !== pending.creditAccountId) {
      return 'pending_transfer_has_different_credit_account_id';
    }
    if (pending.resolvedFlags !== null) {
      if (pending.resolvedCode === 'expiry') return 'pending_transfer_expired';
      return (pending.resolvedFlags & TransferFlags.postPending) !== 0 ? 'pending_transfer_already_posted' : 'pending_transfer_already_voided';
    }
    if (pending.timeoutSeconds > 0 && state.timestampMs >= pending.timestampMs + pending.timeoutSeconds * 1000
      && input.code !== 'expiry') {
      return 'pending_transfer_expired';
    }
    if (input.ledger !== undefined && input.ledger !== pending.ledger) return 'transfer_must_have_the_same_ledger_as_accounts';
    const amount = input.amount ?? pending.amount;
    if (flags & TransferFlags.postPending) {
      if (amount > pending.amount) return 'exceeds_pending_transfer_amount';
    } else if (amount !== pending.amount) {
      return 'pending_transfer_has_different_amount';
    }
    // A pending transfer's accounts exist: the transfer could not have been written otherwise.
    const debit = this.cachedAccount(state, pending.debitAccountId);
    const credit = this.cachedAccount(state, pending.creditAccountId);
    assert(debit && credit, 'the accounts of a pending transfer exist');
    return { debit, credit, amount, pending };
  }

  /** A plain or pending transfer: both accounts exist and their balance flags allow it. */
  private plainMovement(input: TransferInput, state: TransferState): Movement | CreateTransferResult {
    const amount = input.amount;
    assert(amount !== undefined, 'validateTransfer refused a plain transfer without an amount');
    const debit = this.cachedAccount(state, input.debitAccountId);
    if (!debit) return 'debit_account_not_found';
    const credit = this.cachedAccount(state, input.creditAccountId);
    if (!credit) return 'credit_account_not_found';
    // One commodity per transfer (TigerBeetle's rule): minutes never turn into fen. Deterministic (an
    // account's ledger never changes), so the id is not spent and nothing is written.
    if (debit.ledger !== credit.ledger) return 'accounts_must_have_the_same_ledger';
    if (input.ledger !== undefined && input.ledger !== debit.ledger) return 'transfer_must_have_the_same_ledger_as_accounts';
    if ((debit.flags & AccountFlags.debitsMustNotExceedCredits) !== 0
      && debit.debitsPending + debit.debitsPosted + amount > debit.creditsPosted) {
      // A hold whose time-out has passed holds nothing: it is voided now, as expirePending would, and the balance looked at again.
      this.expireHoldsOf(debit.id, state);
      if (debit.debitsPending + debit.debitsPosted + amount > debit.creditsPosted) return 'exceeds_credits';
    }
    if ((credit.flags & AccountFlags.creditsMustNotExceedDebits) !== 0
      && credit.creditsPending + credit.creditsPosted + amount > credit.debitsPosted) {
      return 'exceeds_debits';
    }
    return { debit, credit, amount, pending: undefined };
  }

  private applyTotals(state: TransferState, { debit, credit, amount, pending }: Movement, flags: number): void {
    touch(state, debit);
    touch(state, credit);
    if (flags & TransferFlags.pending) {
      debit.debitsPending += amount;
      credit.creditsPending += amount;
      return;
    }
    if (pending) {
      debit.debitsPending -= pending.amount;
      credit.creditsPending -= pending.amount;
      if ((flags & TransferFlags.postPending) === 0) return;
    }
    debit.debitsPosted += amount;
    credit.creditsPosted += amount;
  }

  /** Appends the transfer as the chain's next link, with both accounts' totals after it (inserted by BulkWriter.flush). */
  private append(state: TransferState, input: TransferInput, flags: number, { debit, credit, amount, pending }: Movement): void {
    const seq = state.seq + 1;
    const record: Transfer = {
      seq, id: input.id, debitAccountId: debit.id, creditAccountId: credit.id, amount, code: input.code, flags,
      pendingId: pending?.id ?? null, timeoutSeconds: input.timeoutSeconds ?? 0,
      refType: input.refType ?? null, refId: input.refId ?? null, timestampMs: state.timestampMs,
      ledger: debit.ledger, previousHash: state.hash, hash: '',
    };
    record.hash = transferHash(record);
    remember(state, record, debit, credit, pending);
    state.seq = seq;
    state.hash = record.hash;
  }

  /** Voids the holds on an account whose time-out has passed (as `expiry` transfers), inside the current call. */
  private expireHoldsOf(accountId: string, state: TransferState): void {
    // Holds appended in this call are not overdue yet (their time-out is after now); those resolved in it are no longer open.
    const overdue = this.statements.expiredHoldsOf.all(state.timestampMs, accountId) as { id: string }[];
    for (const { id } of overdue) {
      if (state.resolvedHere.has(id)) continue;
      const result = this.createTransfer(expiryOf(id), state);
      assert(result === 'ok', 'an overdue open hold can be voided by its expiry');
    }
  }

  /** What an account may spend at `nowMs`: its available balance, not counting holds whose time-out has passed. */
  availableAt(accountId: string, nowMs: number = this.now()): number {
    const account = this.account(accountId);
    if (!account) return 0;
    const overdue = this.statements.expiredHoldsOf.all(nowMs, accountId) as { amount: number }[];
    return balanceOf(account).available + overdue.reduce((sum, hold) => sum + hold.amount, 0);
  }

  /**
   * Voids every pending transfer whose timeout has passed, each as its own
   * `expiry` transfer (id `expire:<pending id>`), so the history says why
   * the hold ended. Returns the ids of the expired pending transfers.
   */
  expirePending(nowMs: number = this.now(), batchSize = 1000): string[] {
    const expired: string[] = [];
    for (;;) {
      const ids = (this.statements.expiredPending.all(nowMs, batchSize) as { id: string }[]).map((row) => row.id);
      if (ids.length === 0) return expired;
      const results = this.createTransfers(ids.map(expiryOf));
      ids.forEach((id, i) => {
        if (results[i] === 'ok') expired.push(id);
      });
      if (ids.length < batchSize || results.every((r) => r !== 'ok')) return expired;
    }
  }

  // ----------------------------------------------------------------- lookups

  lookupAccounts(ids: readonly string[]): Account[] {
    return ids.map((id) => this.statements.accountById.get(id) as Account | undefined).filter((row) => row !== undefined);
  }

  account(id: string): Account | undefined {
    return this.statements.accountById.get(id) as Account | undefined;
  }

  accountOf(kind: AccountKind, ownerRef: string): Account | undefined {
    return this.statements.accountByOwner.get(kind, ownerRef) as Account | undefined;
  }

  lookupTransfers(ids: readonly string[]): Transfer[] {
    return ids.map((id) => this.statements.transferById.get(id) as Transfer | undefined).filter((row) => row !== undefined);
  }

  transfer(id: string): Transfer | undefined {
    return this.statements.transferById.get(id) as Transfer | undefined;
  }

  transferAt(seq: number): Transfer | undefined {
    return this.statements.transferBySeq.get(seq) as Transfer | undefined;
  }

  /** The post or void that resolved a pending transfer, if any. */
  resolutionOf(pendingId: string): Transfer | undefined {
    return this.statements.resolutionOf.get(pendingId) as Transfer | undefined;
  }

  /**
   * An account's transfers, newest first, with the account's totals after
   * each one (the passbook). Page with `beforeSeq` = the last seq shown.
   */
  history(accountId: string, options: { limit?: number; beforeSeq?: number } = {}): HistoryEntry[] {
    return historyOf(this.statements, accountId, options);
  }

  /** An account's four totals as they stood right after sequence number `seq`. */
  totalsAt(accountId: string, seq: number): Totals {
    return totalsAt(this.statements, accountId, seq);
  }

  head(): Head {
    const row = this.statements.head.get() as Head | undefined;
    return row ?? { seq: 0, hash: GENESIS_HASH, timestampMs: 0 };
  }

  /**
   * Records a checkpoint when the chain has grown since the last one, and
   * answers it (or null). The check and the insert share one IMMEDIATE
   * transaction, so two servers on one file never publish the same head twice.
   */
  checkpointIfMoved(nowMs: number = this.now()): Checkpoint | null {
    const run = this.sqlite.transaction(() => {
      const head = this.head();
      const last = this.checkpoints(1)[0];
      if (head.seq === 0 || last?.seq === head.seq) return null;
      return this.checkpoint(nowMs);
    });
    return run.immediate();
  }

  /** Records the current head of the hash chain as a checkpoint. */
  checkpoint(nowMs: number = this.now()): Checkpoint {
    const run = this.sqlite.transaction(() => {
      const head = this.head();
      const transferCount = this.statements.countTransfers.get() as number;
      const accountCount = this.statements.countAccounts.get() as number;
      this.statements.insertCheckpoint.run(head.seq, head.hash, transferCount, accountCount, nowMs);
      return { seq: head.seq, hash: head.hash, transferCount, accountCount, timestampMs: nowMs };
    });
    return run.immediate();
  }

  checkpoints(limit = 50): (Checkpoint & { id: number })[] {
    return this.statements.checkpoints.all(limit) as never;
  }

  counts(): { transfers: number; accounts: number } {
    return { transfers: this.statements.countTransfers.get() as number, accounts: this.statements.countAccounts.get() as number };
  }
}

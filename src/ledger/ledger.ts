import type Database from 'better-sqlite3';
import { transferHash } from './hash.ts';
import {
  AccountFlags,
  GENESIS_HASH,
  TransferFlags,
  accountKinds,
  transferCodes,
  type Account,
  type AccountInput,
  type AccountKind,
  type CreateAccountResult,
  type CreateTransferResult,
  type Transfer,
  type TransferCode,
  type TransferInput,
} from './types.ts';

/**
 * The ledger core. Each `createAccounts` / `createTransfers` call is one
 * IMMEDIATE SQLite transaction returning one result per item, in the order
 * given. State lives only in the database (no in-process cache of the chain
 * head or balances), so several processes may share one database file.
 *
 * Hot paths use better-sqlite3 prepared statements directly; the tables are
 * declared with drizzle in src/db/schema/ledger.ts and created by migrations.
 */

const idPattern = /^[A-Za-z0-9][A-Za-z0-9:._\-]{0,127}$/;
const refPattern = /^[^\u0000-\u001f]{1,128}$/;
const maxAmount = 1_000_000_000_000; // far above any real balance, far below 2^53
const maxTimeoutSeconds = 10 * 365 * 24 * 3600;
const knownCodes = new Set<string>(transferCodes);
const knownKinds = new Set<string>(accountKinds);
const resolutionFlags = TransferFlags.postPending | TransferFlags.voidPending;
/** Failures that depend on the ledger's state: their ids are spent (see ledger_failed_transfers). */
const stateDependentFailures = new Set<string>([
  'debit_account_not_found', 'credit_account_not_found', 'exceeds_credits', 'exceeds_debits', 'pending_transfer_not_found',
]);
const kindFlags = TransferFlags.pending | resolutionFlags;

export interface LedgerOptions {
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

type AccountRow = Account;

interface TransferRow extends Transfer {
  debitDebitsPendingAfter: number;
  debitDebitsPostedAfter: number;
  debitCreditsPendingAfter: number;
  debitCreditsPostedAfter: number;
  creditDebitsPendingAfter: number;
  creditDebitsPostedAfter: number;
  creditCreditsPendingAfter: number;
  creditCreditsPostedAfter: number;
}

export interface HistoryEntry {
  transfer: Transfer;
  /** Signed from the account's point of view: + money in, - money out, 0 for a hold or a void. */
  direction: 'in' | 'out';
  /** Account totals after this transfer. */
  after: Pick<Account, 'debitsPending' | 'debitsPosted' | 'creditsPending' | 'creditsPosted'>;
}

interface TransferState {
  seq: number;
  hash: string;
  timestampMs: number;
  accounts: Map<string, AccountRow>;
  dirty: Set<string>;
  chainUndo: Map<string, Pick<Account, 'debitsPending' | 'debitsPosted' | 'creditsPending' | 'creditsPosted'>> | undefined;
}

interface Head {
  seq: number;
  hash: string;
  timestampMs: number;
}

const transferColumns = `seq, id, debit_account_id AS debitAccountId, credit_account_id AS creditAccountId, amount, code, flags,
  pending_id AS pendingId, timeout_seconds AS timeoutSeconds, ref_type AS refType, ref_id AS refId, timestamp_ms AS timestampMs,
  previous_hash AS previousHash, hash`;
const afterColumns = `debit_debits_pending_after AS debitDebitsPendingAfter, debit_debits_posted_after AS debitDebitsPostedAfter,
  debit_credits_pending_after AS debitCreditsPendingAfter, debit_credits_posted_after AS debitCreditsPostedAfter,
  credit_debits_pending_after AS creditDebitsPendingAfter, credit_debits_posted_after AS creditDebitsPostedAfter,
  credit_credits_pending_after AS creditCreditsPendingAfter, credit_credits_posted_after AS creditCreditsPostedAfter`;
const accountColumns = `id, kind, owner_ref AS ownerRef, flags, debits_pending AS debitsPending, debits_posted AS debitsPosted,
  credits_pending AS creditsPending, credits_posted AS creditsPosted, timestamp_ms AS timestampMs`;

export class Ledger {
  readonly sqlite: Database.Database;
  private readonly now: () => number;
  private readonly statements;

  constructor(sqlite: Database.Database, options: LedgerOptions = {}) {
    this.sqlite = sqlite;
    this.now = options.now ?? Date.now;
    this.statements = {
      head: sqlite.prepare('SELECT seq, hash, timestamp_ms AS timestampMs FROM ledger_transfers ORDER BY seq DESC LIMIT 1'),
      accountById: sqlite.prepare(`SELECT ${accountColumns} FROM ledger_accounts WHERE id = ?`),
      accountByOwner: sqlite.prepare(`SELECT ${accountColumns} FROM ledger_accounts WHERE kind = ? AND owner_ref = ?`),
      insertAccount: sqlite.prepare(
        'INSERT INTO ledger_accounts (id, kind, owner_ref, flags, timestamp_ms) VALUES (?, ?, ?, ?, ?)',
      ),
      updateTotals: sqlite.prepare(
        'UPDATE ledger_accounts SET debits_pending = ?, debits_posted = ?, credits_pending = ?, credits_posted = ? WHERE id = ?',
      ),
      transferById: sqlite.prepare(`SELECT ${transferColumns} FROM ledger_transfers WHERE id = ?`),
      // 1: the id exists; 2: the id failed earlier; undefined: the id is new.
      idStatus: sqlite.prepare(`SELECT 1 FROM ledger_transfers WHERE id = @id
        UNION ALL SELECT 2 FROM ledger_failed_transfers WHERE id = @id LIMIT 1`).pluck(),
      insertFailed: sqlite.prepare('INSERT OR IGNORE INTO ledger_failed_transfers (id, result, timestamp_ms) VALUES (?, ?, ?)'),
      transferBySeq: sqlite.prepare(`SELECT ${transferColumns} FROM ledger_transfers WHERE seq = ?`),
      resolutionOf: sqlite.prepare(`SELECT ${transferColumns} FROM ledger_transfers WHERE pending_id = ?`),
      insertTransfer: sqlite.prepare(`INSERT INTO ledger_transfers (seq, id, debit_account_id, credit_account_id, amount, code, flags,
        pending_id, timeout_seconds, ref_type, ref_id, timestamp_ms,
        debit_debits_pending_after, debit_debits_posted_after, debit_credits_pending_after, debit_credits_posted_after,
        credit_debits_pending_after, credit_debits_posted_after, credit_credits_pending_after, credit_credits_posted_after,
        previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertPendingOpen: sqlite.prepare('INSERT INTO ledger_pending_open (seq, expires_at_ms) VALUES (?, ?)'),
      deletePendingOpen: sqlite.prepare('DELETE FROM ledger_pending_open WHERE seq = ?'),
      expiredPending: sqlite.prepare(
        `SELECT t.id FROM ledger_pending_open p JOIN ledger_transfers t ON t.seq = p.seq
         WHERE p.expires_at_ms IS NOT NULL AND p.expires_at_ms <= ? ORDER BY p.expires_at_ms, p.seq LIMIT ?`,
      ),
      // The page's sequence numbers come from the two account indexes alone (they hold seq);
      // only the rows of the page itself are then read from the table.
      historyPage: sqlite.prepare(`SELECT ${transferColumns}, ${afterColumns} FROM ledger_transfers WHERE seq IN (
          SELECT seq FROM (
            SELECT seq FROM (SELECT seq FROM ledger_transfers
              WHERE debit_account_id = @account AND seq < @before ORDER BY seq DESC LIMIT @limit)
            UNION ALL
            SELECT seq FROM (SELECT seq FROM ledger_transfers
              WHERE credit_account_id = @account AND seq < @before ORDER BY seq DESC LIMIT @limit)
          ) ORDER BY seq DESC LIMIT @limit)
        ORDER BY seq DESC`),
      lastDebitAt: sqlite.prepare(`SELECT seq, ${afterColumns} FROM ledger_transfers
        WHERE debit_account_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1`),
      lastCreditAt: sqlite.prepare(`SELECT seq, ${afterColumns} FROM ledger_transfers
        WHERE credit_account_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1`),
      insertCheckpoint: sqlite.prepare(
        'INSERT INTO ledger_checkpoints (seq, hash, transfer_count, account_count, timestamp_ms) VALUES (?, ?, ?, ?, ?)',
      ),
      countAccounts: sqlite.prepare('SELECT count(*) AS n FROM ledger_accounts').pluck(),
      countTransfers: sqlite.prepare('SELECT count(*) AS n FROM ledger_transfers').pluck(),
      checkpoints: sqlite.prepare(
        'SELECT id, seq, hash, transfer_count AS transferCount, account_count AS accountCount, timestamp_ms AS timestampMs FROM ledger_checkpoints ORDER BY id DESC LIMIT ?',
      ),
    };
  }

  // ---------------------------------------------------------------- accounts

  createAccounts(inputs: readonly AccountInput[]): CreateAccountResult[] {
    const run = this.sqlite.transaction(() => {
      const timestampMs = this.now();
      return this.runChains(inputs, (input) => this.createAccount(input, timestampMs), undefined);
    });
    return run.immediate();
  }

  private createAccount(input: AccountInput, timestampMs: number): CreateAccountResult {
    const flags = input.flags ?? 0;
    if (typeof input.id !== 'string' || !idPattern.test(input.id)) return 'id_invalid';
    if (!Number.isInteger(flags) || flags < 0 || flags > 7) return 'flags_invalid';
    if ((flags & 6) === 6) return 'flags_are_mutually_exclusive';
    if (!knownKinds.has(input.kind)) return 'kind_invalid';
    if (typeof input.ownerRef !== 'string' || input.ownerRef.length === 0) return 'owner_ref_must_not_be_empty';
    const existing = this.statements.accountById.get(input.id) as AccountRow | undefined;
    if (existing) {
      if (existing.kind !== input.kind) return 'exists_with_different_kind';
      if (existing.ownerRef !== input.ownerRef) return 'exists_with_different_owner_ref';
      if ((existing.flags & ~AccountFlags.linked) !== (flags & ~AccountFlags.linked)) return 'exists_with_different_flags';
      return 'exists';
    }
    if (this.statements.accountByOwner.get(input.kind, input.ownerRef)) return 'owner_already_has_account_of_kind';
    this.statements.insertAccount.run(input.id, input.kind, input.ownerRef, flags & ~AccountFlags.linked, timestampMs);
    return 'ok';
  }

  // --------------------------------------------------------------- transfers

  createTransfers(inputs: readonly TransferInput[]): CreateTransferResult[] {
    const run = this.sqlite.transaction(() => {
      const head = this.head();
      // Accounts read in this call are cached and their new totals written once
      // at the end of the call. While a chain runs, the first change to each
      // account keeps its totals from before, so a failed chain can restore them.
      const state: TransferState = {
        seq: head.seq, hash: head.hash, timestampMs: Math.max(this.now(), head.timestampMs),
        accounts: new Map(), dirty: new Set(), chainUndo: undefined,
      };
      const rewind = {
        save: () => {
          state.chainUndo = new Map();
          return { seq: state.seq, hash: state.hash };
        },
        restore: (saved: { seq: number; hash: string }) => {
          state.seq = saved.seq;
          state.hash = saved.hash;
          for (const [id, totals] of state.chainUndo ?? []) Object.assign(state.accounts.get(id)!, totals);
          state.chainUndo = undefined;
        },
        release: () => {
          state.chainUndo = undefined;
        },
      };
      // Spend the ids that failed on the ledger's state, once their chain has
      // settled (outside any savepoint that rolls back).
      const settle = (input: TransferInput, result: string) => {
        if (stateDependentFailures.has(result)) this.statements.insertFailed.run(input.id, result, state.timestampMs);
      };
      const results = this.runChains(inputs, (input) => this.createTransfer(input, state), rewind, settle);
      for (const id of state.dirty) {
        const account = state.accounts.get(id)!;
        this.statements.updateTotals.run(account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted, id);
      }
      return results;
    });
    return run.immediate();
  }

  /**
   * Applies items in order. Items joined by the `linked` flag form a chain
   * that commits or fails as a whole (a SAVEPOINT per chain). A chain whose
   * items all exist already answers `exists` for each: replaying a chain is
   * as idempotent as replaying a single transfer.
   */
  private runChains<T extends { flags?: number }, R extends string, S>(
    inputs: readonly T[],
    apply: (input: T) => R | 'ok' | 'exists',
    rewind: { save: () => S; restore: (saved: S) => void; release: () => void } | undefined,
    settle: (input: T, result: string) => void = () => {},
  ): (R | 'ok' | 'exists' | 'linked_event_failed' | 'linked_event_chain_open')[] {
    const results: (R | 'ok' | 'exists' | 'linked_event_failed' | 'linked_event_chain_open')[] = [];
    let index = 0;
    while (index < inputs.length) {
      const first = inputs[index]!;
      const isLinked = ((first.flags ?? 0) & TransferFlags.linked) !== 0;
      if (!isLinked) {
        const result = apply(first);
        settle(first, result);
        results.push(result);
        index += 1;
        continue;
      }
      let end = index;
      while (end < inputs.length && ((inputs[end]!.flags ?? 0) & TransferFlags.linked) !== 0) end += 1;
      const chainOpen = end === inputs.length;
      if (chainOpen) end = inputs.length - 1;
      if (chainOpen) {
        for (let k = index; k < end; k += 1) results.push('linked_event_failed');
        results.push('linked_event_chain_open');
        index = end + 1;
        continue;
      }
      this.sqlite.exec('SAVEPOINT ledger_chain');
      const saved = rewind?.save();
      const chainResults: (R | 'ok' | 'exists')[] = [];
      let failedAt = -1;
      for (let k = index; k <= end; k += 1) {
        const result = apply(inputs[k]!);
        chainResults.push(result);
        if (result !== 'ok' && result !== 'exists') {
          failedAt = k - index;
          break;
        }
      }
      const okCount = chainResults.filter((r) => r === 'ok').length;
      const existsCount = chainResults.filter((r) => r === 'exists').length;
      const mixed = failedAt === -1 && okCount > 0 && existsCount > 0;
      if (failedAt === -1 && !mixed) {
        this.sqlite.exec('RELEASE ledger_chain');
        rewind?.release();
        results.push(...chainResults);
        chainResults.forEach((result, k) => settle(inputs[index + k]!, result));
      } else {
        this.sqlite.exec('ROLLBACK TO ledger_chain');
        this.sqlite.exec('RELEASE ledger_chain');
        for (let k = index; k <= end; k += 1) {
          const own = chainResults[k - index];
          if (k - index === failedAt) results.push(own!);
          else if (own === 'exists') results.push('exists');
          else results.push('linked_event_failed');
        }
        if (failedAt >= 0) settle(inputs[index + failedAt]!, chainResults[failedAt]!);
        // The rolled-back items used sequence numbers; the chain head goes back too.
        if (rewind) rewind.restore(saved as S);
      }
      index = end + 1;
    }
    return results;
  }

  private cachedAccount(state: TransferState, id: string | undefined): AccountRow | undefined {
    if (id === undefined) return undefined;
    let account = state.accounts.get(id);
    if (!account) {
      account = this.statements.accountById.get(id) as AccountRow | undefined;
      if (account) state.accounts.set(id, account);
    }
    return account;
  }

  /** Marks an account as changed in this call, remembering its totals for a chain that may roll back. */
  private touch(state: TransferState, account: AccountRow): void {
    state.dirty.add(account.id);
    if (state.chainUndo && !state.chainUndo.has(account.id)) {
      state.chainUndo.set(account.id, {
        debitsPending: account.debitsPending, debitsPosted: account.debitsPosted,
        creditsPending: account.creditsPending, creditsPosted: account.creditsPosted,
      });
    }
  }

  private createTransfer(input: TransferInput, state: TransferState): CreateTransferResult {
    const invalid = this.validateTransfer(input);
    if (invalid) return invalid;
    const flags = input.flags ?? 0;
    const idStatus = this.statements.idStatus.get({ id: input.id }) as 1 | 2 | undefined;
    if (idStatus === 1) return compareExisting(this.statements.transferById.get(input.id) as Transfer, input, flags);
    if (idStatus === 2) return 'id_already_failed';

    const isResolution = (flags & resolutionFlags) !== 0;
    let debit: AccountRow | undefined;
    let credit: AccountRow | undefined;
    let amount: number;
    let pending: Transfer | undefined;

    if (isResolution) {
      pending = this.statements.transferById.get(input.pendingId) as Transfer | undefined;
      if (!pending) return 'pending_transfer_not_found';
      if ((pending.flags & TransferFlags.pending) === 0) return 'pending_transfer_not_pending';
      if (input.debitAccountId !== undefined && input.debitAccountId !== pending.debitAccountId) {
        return 'pending_transfer_has_different_debit_account_id';
      }
      if (input.creditAccountId !== undefined && input.creditAccountId !== pending.creditAccountId) {
        return 'pending_transfer_has_different_credit_account_id';
      }
      const resolution = this.statements.resolutionOf.get(pending.id) as Transfer | undefined;
      if (resolution) {
        if (resolution.code === 'expiry') return 'pending_transfer_expired';
        return (resolution.flags & TransferFlags.postPending) !== 0
          ? 'pending_transfer_already_posted'
          : 'pending_transfer_already_voided';
      }
      if (pending.timeoutSeconds > 0 && state.timestampMs >= pending.timestampMs + pending.timeoutSeconds * 1000
        && input.code !== 'expiry') {
        return 'pending_transfer_expired';
      }
      if (flags & TransferFlags.postPending) {
        amount = input.amount ?? pending.amount;
        if (amount > pending.amount) return 'exceeds_pending_transfer_amount';
      } else {
        amount = input.amount ?? pending.amount;
        if (amount !== pending.amount) return 'pending_transfer_has_different_amount';
      }
      debit = this.cachedAccount(state, pending.debitAccountId)!;
      credit = this.cachedAccount(state, pending.creditAccountId)!;
    } else {
      amount = input.amount!;
      debit = this.cachedAccount(state, input.debitAccountId);
      if (!debit) return 'debit_account_not_found';
      credit = this.cachedAccount(state, input.creditAccountId);
      if (!credit) return 'credit_account_not_found';
      if ((debit.flags & AccountFlags.debitsMustNotExceedCredits) !== 0
        && debit.debitsPending + debit.debitsPosted + amount > debit.creditsPosted) {
        return 'exceeds_credits';
      }
      if ((credit.flags & AccountFlags.creditsMustNotExceedDebits) !== 0
        && credit.creditsPending + credit.creditsPosted + amount > credit.debitsPosted) {
        return 'exceeds_debits';
      }
    }

    // Apply to the two accounts' totals.
    this.touch(state, debit);
    this.touch(state, credit);
    if (flags & TransferFlags.pending) {
      debit.debitsPending += amount;
      credit.creditsPending += amount;
    } else if (isResolution) {
      const held = pending!.amount;
      debit.debitsPending -= held;
      credit.creditsPending -= held;
      if (flags & TransferFlags.postPending) {
        debit.debitsPosted += amount;
        credit.creditsPosted += amount;
      }
    } else {
      debit.debitsPosted += amount;
      credit.creditsPosted += amount;
    }

    const seq = state.seq + 1;
    const record: Transfer = {
      seq,
      id: input.id,
      debitAccountId: debit.id,
      creditAccountId: credit.id,
      amount,
      code: input.code,
      flags,
      pendingId: isResolution ? pending!.id : null,
      timeoutSeconds: input.timeoutSeconds ?? 0,
      refType: input.refType ?? null,
      refId: input.refId ?? null,
      timestampMs: state.timestampMs,
      previousHash: state.hash,
      hash: '',
    };
    record.hash = transferHash(record);
    const s = this.statements;
    s.insertTransfer.run(
      seq, record.id, record.debitAccountId, record.creditAccountId, amount, record.code, flags,
      record.pendingId, record.timeoutSeconds, record.refType, record.refId, record.timestampMs,
      debit.debitsPending, debit.debitsPosted, debit.creditsPending, debit.creditsPosted,
      credit.debitsPending, credit.debitsPosted, credit.creditsPending, credit.creditsPosted,
      record.previousHash, record.hash,
    );
    if (flags & TransferFlags.pending) {
      const expiresAt = record.timeoutSeconds > 0 ? record.timestampMs + record.timeoutSeconds * 1000 : null;
      s.insertPendingOpen.run(seq, expiresAt);
    } else if (isResolution) {
      s.deletePendingOpen.run(pending!.seq);
    }
    state.seq = seq;
    state.hash = record.hash;
    return 'ok';
  }

  private validateTransfer(input: TransferInput): CreateTransferResult | undefined {
    const flags = input.flags ?? 0;
    if (typeof input.id !== 'string' || !idPattern.test(input.id)) return 'id_invalid';
    if (!Number.isInteger(flags) || flags < 0 || flags > 15) return 'flags_invalid';
    const kind = flags & kindFlags;
    if (kind !== 0 && kind !== TransferFlags.pending && kind !== TransferFlags.postPending && kind !== TransferFlags.voidPending) {
      return 'flags_are_mutually_exclusive';
    }
    if (!knownCodes.has(input.code)) return 'code_invalid';
    if ((input.refType !== undefined && !refPattern.test(input.refType))
      || (input.refId !== undefined && !refPattern.test(input.refId))) {
      return 'ref_invalid';
    }
    const isResolution = (kind & resolutionFlags) !== 0;
    if (input.amount !== undefined) {
      if (input.amount === 0) return 'amount_must_not_be_zero';
      if (!Number.isInteger(input.amount) || input.amount < 0 || input.amount > maxAmount) return 'amount_invalid';
    } else if (!isResolution) {
      return 'amount_must_not_be_zero';
    }
    if (isResolution) {
      if (input.pendingId === undefined || input.pendingId === '') return 'pending_id_must_not_be_empty';
      if (input.pendingId === input.id) return 'pending_id_must_be_different';
      if (input.timeoutSeconds) return 'timeout_reserved_for_pending_transfer';
      return undefined;
    }
    if (input.pendingId !== undefined) return 'pending_id_must_be_empty';
    if (!input.debitAccountId) return 'debit_account_id_must_not_be_empty';
    if (!input.creditAccountId) return 'credit_account_id_must_not_be_empty';
    if (input.debitAccountId === input.creditAccountId) return 'accounts_must_be_different';
    if (input.timeoutSeconds !== undefined && input.timeoutSeconds !== 0) {
      if (kind !== TransferFlags.pending) return 'timeout_reserved_for_pending_transfer';
      if (!Number.isInteger(input.timeoutSeconds) || input.timeoutSeconds < 0 || input.timeoutSeconds > maxTimeoutSeconds) {
        return 'timeout_invalid';
      }
    }
    return undefined;
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
      const results = this.createTransfers(ids.map((id) => ({
        id: `expire:${id}`.slice(0, 128),
        pendingId: id,
        code: 'expiry' as TransferCode,
        flags: TransferFlags.voidPending,
      })));
      results.forEach((result, i) => {
        if (result === 'ok') expired.push(ids[i]!);
      });
      if (ids.length < batchSize || results.every((r) => r !== 'ok')) return expired;
    }
  }

  // ----------------------------------------------------------------- lookups

  lookupAccounts(ids: readonly string[]): Account[] {
    const found: Account[] = [];
    for (const id of ids) {
      const row = this.statements.accountById.get(id) as Account | undefined;
      if (row) found.push(row);
    }
    return found;
  }

  account(id: string): Account | undefined {
    return this.statements.accountById.get(id) as Account | undefined;
  }

  accountOf(kind: AccountKind, ownerRef: string): Account | undefined {
    return this.statements.accountByOwner.get(kind, ownerRef) as Account | undefined;
  }

  lookupTransfers(ids: readonly string[]): Transfer[] {
    const found: Transfer[] = [];
    for (const id of ids) {
      const row = this.statements.transferById.get(id) as Transfer | undefined;
      if (row) found.push(row);
    }
    return found;
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
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
    const before = options.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const rows = this.statements.historyPage.all({ account: accountId, before, limit }) as TransferRow[];
    return rows.map((row) => {
      const isDebit = row.debitAccountId === accountId;
      return {
        transfer: stripAfter(row),
        direction: isDebit ? 'out' : 'in',
        after: isDebit
          ? { debitsPending: row.debitDebitsPendingAfter, debitsPosted: row.debitDebitsPostedAfter,
            creditsPending: row.debitCreditsPendingAfter, creditsPosted: row.debitCreditsPostedAfter }
          : { debitsPending: row.creditDebitsPendingAfter, debitsPosted: row.creditDebitsPostedAfter,
            creditsPending: row.creditCreditsPendingAfter, creditsPosted: row.creditCreditsPostedAfter },
      };
    });
  }

  /** An account's four totals as they stood right after sequence number `seq`. */
  totalsAt(accountId: string, seq: number): HistoryEntry['after'] {
    const asDebit = this.statements.lastDebitAt.get(accountId, seq) as (TransferRow & { seq: number }) | undefined;
    const asCredit = this.statements.lastCreditAt.get(accountId, seq) as (TransferRow & { seq: number }) | undefined;
    if (!asDebit && !asCredit) return { debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 0 };
    if (asDebit && (!asCredit || asDebit.seq > asCredit.seq)) {
      return { debitsPending: asDebit.debitDebitsPendingAfter, debitsPosted: asDebit.debitDebitsPostedAfter,
        creditsPending: asDebit.debitCreditsPendingAfter, creditsPosted: asDebit.debitCreditsPostedAfter };
    }
    const row = asCredit!;
    return { debitsPending: row.creditDebitsPendingAfter, debitsPosted: row.creditDebitsPostedAfter,
      creditsPending: row.creditCreditsPendingAfter, creditsPosted: row.creditCreditsPostedAfter };
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
  checkpointIfMoved(nowMs: number = this.now()): { seq: number; hash: string; transferCount: number; accountCount: number; timestampMs: number } | null {
    const run = this.sqlite.transaction(() => {
      const head = this.head();
      const last = this.checkpoints(1)[0];
      if (head.seq === 0 || last?.seq === head.seq) return null;
      return this.checkpoint(nowMs);
    });
    return run.immediate();
  }

  /** Records the current head of the hash chain as a checkpoint. */
  checkpoint(nowMs: number = this.now()): { seq: number; hash: string; transferCount: number; accountCount: number; timestampMs: number } {
    const run = this.sqlite.transaction(() => {
      const head = this.head();
      const transferCount = this.statements.countTransfers.get() as number;
      const accountCount = this.statements.countAccounts.get() as number;
      this.statements.insertCheckpoint.run(head.seq, head.hash, transferCount, accountCount, nowMs);
      return { seq: head.seq, hash: head.hash, transferCount, accountCount, timestampMs: nowMs };
    });
    return run.immediate();
  }

  checkpoints(limit = 50): { id: number; seq: number; hash: string; transferCount: number; accountCount: number; timestampMs: number }[] {
    return this.statements.checkpoints.all(limit) as never;
  }

  counts(): { transfers: number; accounts: number } {
    return {
      transfers: this.statements.countTransfers.get() as number,
      accounts: this.statements.countAccounts.get() as number,
    };
  }
}

function stripAfter(row: TransferRow): Transfer {
  return {
    seq: row.seq, id: row.id, debitAccountId: row.debitAccountId, creditAccountId: row.creditAccountId,
    amount: row.amount, code: row.code, flags: row.flags, pendingId: row.pendingId, timeoutSeconds: row.timeoutSeconds,
    refType: row.refType, refId: row.refId, timestampMs: row.timestampMs, previousHash: row.previousHash, hash: row.hash,
  };
}

function compareExisting(existing: Transfer, input: TransferInput, flags: number): CreateTransferResult {
  if (existing.flags !== flags) return 'exists_with_different_flags';
  const isResolution = (flags & resolutionFlags) !== 0;
  if ((!isResolution || input.debitAccountId !== undefined) && existing.debitAccountId !== input.debitAccountId) {
    return 'exists_with_different_debit_account_id';
  }
  if ((!isResolution || input.creditAccountId !== undefined) && existing.creditAccountId !== input.creditAccountId) {
    return 'exists_with_different_credit_account_id';
  }
  if (input.amount !== undefined && existing.amount !== input.amount) return 'exists_with_different_amount';
  if ((existing.pendingId ?? undefined) !== input.pendingId) return 'exists_with_different_pending_id';
  if (existing.timeoutSeconds !== (input.timeoutSeconds ?? 0)) return 'exists_with_different_timeout';
  if (existing.code !== input.code) return 'exists_with_different_code';
  if ((existing.refType ?? undefined) !== input.refType || (existing.refId ?? undefined) !== input.refId) {
    return 'exists_with_different_ref';
  }
  return 'exists';
}

import type Database from 'better-sqlite3';
import type { LedgerStatements, PendingRow } from './statements.ts';
import type { TransferState } from './state.ts';
import { TransferFlags, type Account, type Transfer, type TransferInput } from './types.ts';

/**
 * The bulk side of createTransfers: what a call reads from the database it
 * reads once for the whole call (ids, pending transfers, accounts: one
 * `IN (json_each(?))` query each), and what it appends it inserts in
 * multi-row statements of `rowsPerInsert` rows. Every rule stays in
 * ledger.ts; this file only moves rows in and out.
 */

/** From this many transfers a call looks its ids, pending transfers and accounts up in one query each. */
export const prefetchFrom = 16;
export const rowsPerInsert = 64;
/** A long call flushes its appended rows (outside a linked chain) every this many. */
const flushEvery = 4096;
const columnsPerRow = 23;

/** The distinct strings among `values`, as an array and as the JSON text json_each reads. */
function distinct(values: Iterable<unknown>): { list: string[]; json: string } {
  const list = [...new Set(values)].filter((value): value is string => typeof value === 'string');
  return { list, json: JSON.stringify(list) };
}

/** Looks up, for the whole call, the ids' status, the pending transfers named, and the accounts involved. */
export function prefetch(statements: LedgerStatements, state: TransferState, inputs: readonly TransferInput[]): void {
  const ids = distinct(inputs.map((input) => input.id));
  for (const id of ids.list) state.knownIds.set(id, 0);
  for (const { id, status } of statements.idStatusMany.all(ids.json, ids.json) as { id: string; status: 1 | 2 }[]) {
    if (state.knownIds.get(id) !== 1) state.knownIds.set(id, status);
  }
  const accountIds = new Set<unknown>();
  const named = distinct(inputs.map((input) => input.pendingId));
  if (named.list.length > 0) {
    for (const id of named.list) state.knownPending.set(id, null);
    for (const row of statements.pendingWithResolutionMany.all(named.json) as PendingRow[]) {
      state.knownPending.set(row.id, row);
      accountIds.add(row.debitAccountId);
      accountIds.add(row.creditAccountId);
    }
  }
  for (const input of inputs) {
    accountIds.add(input.debitAccountId);
    accountIds.add(input.creditAccountId);
  }
  for (const id of state.accounts.keys()) accountIds.delete(id);
  const wanted = distinct(accountIds);
  if (wanted.list.length === 0) return;
  for (const account of statements.accountsByIds.all(wanted.json) as Account[]) state.accounts.set(account.id, account);
  // An id looked up and not found is known to be missing: cachedAccount does not ask again.
  for (const id of wanted.list) if (!state.accounts.has(id)) state.missingAccounts.add(id);
}

/** 1: the id is stored (or appended in this call); 2: it failed earlier; undefined: it is new. */
export function idStatusOf(statements: LedgerStatements, state: TransferState, id: string): 1 | 2 | undefined {
  if (state.written.has(id)) return 1;
  if (state.failedHere.has(id)) return 2;
  const known = state.knownIds.get(id);
  if (known !== undefined) return known === 0 ? undefined : known;
  return statements.idStatus.get({ id }) as 1 | 2 | undefined;
}

/** The transfer stored (or appended in this call) under `id`. */
export function existingTransfer(statements: LedgerStatements, state: TransferState, id: string): Transfer {
  return state.written.get(id) ?? (statements.transferById.get(id) as Transfer);
}

/** A pending transfer with the code and flags of what resolved it (in the database or in this call), or undefined. */
export function pendingOf(statements: LedgerStatements, state: TransferState, id: string | undefined): PendingRow | undefined {
  if (id === undefined) return undefined;
  const own = state.written.get(id);
  let row: PendingRow | undefined;
  if (own) row = { ...own, resolvedCode: null, resolvedFlags: null };
  else if (state.knownPending.has(id)) row = state.knownPending.get(id) ?? undefined;
  else row = statements.pendingWithResolution.get(id) as PendingRow | undefined;
  const resolved = row && state.resolvedHere.get(id);
  return resolved ? { ...(row as PendingRow), resolvedCode: resolved.code, resolvedFlags: resolved.flags } : row;
}

/** Remembers an appended transfer for the rest of the call and queues its row. */
export function remember(state: TransferState, record: Transfer, debit: Account, credit: Account, resolves: PendingRow | undefined): void {
  state.appended.push({
    record,
    after: [debit.debitsPending, debit.debitsPosted, debit.creditsPending, debit.creditsPosted,
      credit.debitsPending, credit.debitsPosted, credit.creditsPending, credit.creditsPosted],
    resolvesSeq: resolves?.seq,
  });
  state.written.set(record.id, record);
  if (resolves) state.resolvedHere.set(resolves.id, { code: record.code, flags: record.flags });
}

/** Statements that insert n transfer rows (or open holds) at once, prepared on first use. */
export class BulkWriter {
  private readonly transferInserts = new Map<number, Database.Statement>();
  private readonly openInserts = new Map<number, Database.Statement>();
  private readonly params: unknown[] = [];

  constructor(private readonly sqlite: Database.Database, private readonly statements: LedgerStatements) {}

  /** Inserts what the call appended since the last flush (never inside a linked chain: `state.chainUndo` is unset). */
  flush(state: TransferState, force: boolean): void {
    const waiting = state.appended.length - state.flushed;
    if (waiting === 0 || state.chainUndo !== undefined || (!force && waiting < flushEvery)) return;
    const rows = state.appended.slice(state.flushed);
    for (let start = 0; start < rows.length; start += rowsPerInsert) this.insertTransfers(rows.slice(start, start + rowsPerInsert));
    const opens: unknown[] = [];
    const closes: number[] = [];
    for (const { record, resolvesSeq } of rows) {
      if (record.flags & TransferFlags.pending) {
        opens.push(record.seq, record.timeoutSeconds > 0 ? record.timestampMs + record.timeoutSeconds * 1000 : null);
      }
      if (resolvesSeq !== undefined) closes.push(resolvesSeq);
    }
    for (let start = 0; start < opens.length; start += 2 * rowsPerInsert) this.insertOpen(opens.slice(start, start + 2 * rowsPerInsert));
    if (closes.length > 0) this.statements.deletePendingOpenMany.run(JSON.stringify(closes));
    state.flushed = state.appended.length;
  }

  private insertTransfers(rows: readonly TransferState['appended'][number][]): void {
    const params = this.params;
    params.length = 0;
    for (const { record: r, after: a } of rows) {
      params.push(r.seq, r.id, r.debitAccountId, r.creditAccountId, r.amount, r.code, r.flags, r.pendingId, r.timeoutSeconds,
        r.refType, r.refId, r.timestampMs, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], r.ledger, r.previousHash, r.hash);
    }
    this.statement(this.transferInserts, rows.length, transferInsertSql).run(params);
  }

  private insertOpen(params: unknown[]): void {
    this.statement(this.openInserts, params.length / 2, (n) => `INSERT INTO ledger_pending_open (seq, expires_at_ms) VALUES ${placeholders(n, 2)}`).run(params);
  }

  private statement(cache: Map<number, Database.Statement>, rows: number, sql: (rows: number) => string): Database.Statement {
    let statement = cache.get(rows);
    if (!statement) {
      statement = this.sqlite.prepare(sql(rows));
      cache.set(rows, statement);
    }
    return statement;
  }
}

function placeholders(rows: number, columns: number): string {
  const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => row).join(', ');
}

function transferInsertSql(rows: number): string {
  return `INSERT INTO ledger_transfers (seq, id, debit_account_id, credit_account_id, amount, code, flags,
      pending_id, timeout_seconds, ref_type, ref_id, timestamp_ms,
      debit_debits_pending_after, debit_debits_posted_after, debit_credits_pending_after, debit_credits_posted_after,
      credit_debits_pending_after, credit_debits_posted_after, credit_credits_pending_after, credit_credits_posted_after,
      ledger, previous_hash, hash) VALUES ${placeholders(rows, columnsPerRow)}`;
}

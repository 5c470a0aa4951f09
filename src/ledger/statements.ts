import type Database from 'better-sqlite3';
import type { Transfer } from './types.ts';

/** The ledger's SQL, prepared once per connection. */

export const transferColumns = `seq, id, debit_account_id AS debitAccountId, credit_account_id AS creditAccountId, amount, code, flags,
  pending_id AS pendingId, timeout_seconds AS timeoutSeconds, ref_type AS refType, ref_id AS refId, timestamp_ms AS timestampMs,
  ledger, previous_hash AS previousHash, hash`;
const afterColumns = `debit_debits_pending_after AS debitDebitsPendingAfter, debit_debits_posted_after AS debitDebitsPostedAfter,
  debit_credits_pending_after AS debitCreditsPendingAfter, debit_credits_posted_after AS debitCreditsPostedAfter,
  credit_debits_pending_after AS creditDebitsPendingAfter, credit_debits_posted_after AS creditDebitsPostedAfter,
  credit_credits_pending_after AS creditCreditsPendingAfter, credit_credits_posted_after AS creditCreditsPostedAfter`;
const accountColumns = `id, kind, owner_ref AS ownerRef, flags, ledger, debits_pending AS debitsPending, debits_posted AS debitsPosted,
  credits_pending AS creditsPending, credits_posted AS creditsPosted, timestamp_ms AS timestampMs`;

/** The transfer columns but the hashes, of a table alias `alias` (same names as `transferColumns`). */
function prefixed(alias: string): string {
  return transferColumns.replace(/,\s*previous_hash AS previousHash, hash$/, '').replace(/(^|,\s*)(\w+)/g, `$1${alias}.$2`);
}

/** A pending transfer (without its hashes, which resolving it never reads) and what resolved it, if anything (`pendingWithResolution`). */
export interface PendingRow extends Omit<Transfer, 'previousHash' | 'hash'> {
  resolvedCode: string | null;
  resolvedFlags: number | null;
}

/** A transfer row with both accounts' totals after it (the passbook columns). */
export interface TransferRow extends Transfer {
  debitDebitsPendingAfter: number;
  debitDebitsPostedAfter: number;
  debitCreditsPendingAfter: number;
  debitCreditsPostedAfter: number;
  creditDebitsPendingAfter: number;
  creditDebitsPostedAfter: number;
  creditCreditsPendingAfter: number;
  creditCreditsPostedAfter: number;
}

export function prepareStatements(sqlite: Database.Database) {
  return {
    head: sqlite.prepare('SELECT seq, hash, timestamp_ms AS timestampMs FROM ledger_transfers ORDER BY seq DESC LIMIT 1'),
    accountById: sqlite.prepare(`SELECT ${accountColumns} FROM ledger_accounts WHERE id = ?`),
    accountByOwner: sqlite.prepare(`SELECT ${accountColumns} FROM ledger_accounts WHERE kind = ? AND owner_ref = ?`),
    insertAccount: sqlite.prepare(
      'INSERT INTO ledger_accounts (id, kind, owner_ref, flags, ledger, timestamp_ms) VALUES (?, ?, ?, ?, ?, ?)',
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
    // A pending transfer with the code and flags of what resolved it (null when nothing has): one
    // probe of the id index and one of the unique pending-id index, in one statement.
    pendingWithResolution: sqlite.prepare(`SELECT ${prefixed('p')}, r.code AS resolvedCode, r.flags AS resolvedFlags
      FROM ledger_transfers p LEFT JOIN ledger_transfers r ON r.pending_id = p.id WHERE p.id = ?`),
    // The whole call's ids, pending transfers and accounts at once (bulk.ts), each from a JSON array of ids.
    idStatusMany: sqlite.prepare(`SELECT id, 1 AS status FROM ledger_transfers WHERE id IN (SELECT value FROM json_each(?))
      UNION ALL SELECT id, 2 AS status FROM ledger_failed_transfers WHERE id IN (SELECT value FROM json_each(?))`),
    pendingWithResolutionMany: sqlite.prepare(`SELECT ${prefixed('p')}, r.code AS resolvedCode, r.flags AS resolvedFlags
      FROM ledger_transfers p LEFT JOIN ledger_transfers r ON r.pending_id = p.id WHERE p.id IN (SELECT value FROM json_each(?))`),
    accountsByIds: sqlite.prepare(`SELECT ${accountColumns} FROM ledger_accounts WHERE id IN (SELECT value FROM json_each(?))`),
    deletePendingOpenMany: sqlite.prepare('DELETE FROM ledger_pending_open WHERE seq IN (SELECT value FROM json_each(?))'),
    // The holds of one account whose time-out has passed but which no expiry has voided yet
    // (the open-pending index on expires_at_ms keeps this to the few overdue rows).
    expiredHoldsOf: sqlite.prepare(
      `SELECT t.id, t.amount FROM ledger_pending_open p JOIN ledger_transfers t ON t.seq = p.seq
       WHERE p.expires_at_ms IS NOT NULL AND p.expires_at_ms <= ? AND t.debit_account_id = ? ORDER BY p.expires_at_ms, p.seq`,
    ),
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

export type LedgerStatements = ReturnType<typeof prepareStatements>;

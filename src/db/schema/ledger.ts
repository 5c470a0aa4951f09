import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Ledger accounts, after TigerBeetle's Account. The four totals are the only
 * mutable state of the ledger; `verify()` recomputes them from the transfers.
 * Flag bit 2: debits_must_not_exceed_credits (wallets, pools, sites).
 * Flag bit 4: credits_must_not_exceed_debits. (Bit 1, linked, applies only
 * while creating accounts and is not stored.)
 */
export const ledgerAccounts = sqliteTable(
  'ledger_accounts',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    ownerRef: text('owner_ref').notNull(),
    flags: integer('flags').notNull().default(0),
    /** The commodity (src/ledger/types.ts LedgerCodes): 1 minutes, 2 yuan in fen. */
    ledger: integer('ledger').notNull().default(1),
    debitsPending: integer('debits_pending').notNull().default(0),
    debitsPosted: integer('debits_posted').notNull().default(0),
    creditsPending: integer('credits_pending').notNull().default(0),
    creditsPosted: integer('credits_posted').notNull().default(0),
    timestampMs: integer('timestamp_ms').notNull(),
  },
  (table) => [
    uniqueIndex('ledger_accounts_kind_owner').on(table.kind, table.ownerRef),
    check('ledger_accounts_totals_non_negative',
      sql`${table.debitsPending} >= 0 AND ${table.debitsPosted} >= 0 AND ${table.creditsPending} >= 0 AND ${table.creditsPosted} >= 0`),
    check('ledger_accounts_debits_within_credits',
      sql`(${table.flags} & 2) = 0 OR ${table.debitsPending} + ${table.debitsPosted} <= ${table.creditsPosted}`),
    check('ledger_accounts_credits_within_debits',
      sql`(${table.flags} & 4) = 0 OR ${table.creditsPending} + ${table.creditsPosted} <= ${table.debitsPosted}`),
  ],
);

/**
 * Ledger transfers, after TigerBeetle's Transfer. Insert-only: triggers in the
 * migration refuse UPDATE and DELETE. `seq` is the commit order; `id` is the
 * client's idempotency key. The `*_after` columns hold each side's account
 * totals after this transfer, so a passbook shows running balances and a
 * balance at any sequence number is one index lookup.
 * Flag bits: 1 linked, 2 pending, 4 post_pending, 8 void_pending.
 */
export const ledgerTransfers = sqliteTable(
  'ledger_transfers',
  {
    seq: integer('seq').primaryKey(),
    id: text('id').notNull(),
    debitAccountId: text('debit_account_id').notNull(),
    creditAccountId: text('credit_account_id').notNull(),
    amount: integer('amount').notNull(),
    code: text('code').notNull(),
    flags: integer('flags').notNull().default(0),
    pendingId: text('pending_id'),
    timeoutSeconds: integer('timeout_seconds').notNull().default(0),
    refType: text('ref_type'),
    refId: text('ref_id'),
    timestampMs: integer('timestamp_ms').notNull(),
    /** The commodity of both accounts (ledger_accounts.ledger); covered by the hash when not 1. */
    ledger: integer('ledger').notNull().default(1),
    debitDebitsPendingAfter: integer('debit_debits_pending_after').notNull(),
    debitDebitsPostedAfter: integer('debit_debits_posted_after').notNull(),
    debitCreditsPendingAfter: integer('debit_credits_pending_after').notNull(),
    debitCreditsPostedAfter: integer('debit_credits_posted_after').notNull(),
    creditDebitsPendingAfter: integer('credit_debits_pending_after').notNull(),
    creditDebitsPostedAfter: integer('credit_debits_posted_after').notNull(),
    creditCreditsPendingAfter: integer('credit_credits_pending_after').notNull(),
    creditCreditsPostedAfter: integer('credit_credits_posted_after').notNull(),
    previousHash: text('previous_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (table) => [
    uniqueIndex('ledger_transfers_id').on(table.id),
    // At most one post or void per pending transfer, enforced by the database.
    uniqueIndex('ledger_transfers_pending_id').on(table.pendingId).where(sql`${table.pendingId} IS NOT NULL`),
    index('ledger_transfers_debit_seq').on(table.debitAccountId, table.seq),
    index('ledger_transfers_credit_seq').on(table.creditAccountId, table.seq),
    check('ledger_transfers_amount_positive', sql`${table.amount} > 0`),
    check('ledger_transfers_accounts_different', sql`${table.debitAccountId} <> ${table.creditAccountId}`),
  ],
);

/**
 * Open pending transfers with their expiry time: derived state, so expiry does
 * not scan every pending transfer ever made. A row is removed when its pending
 * transfer is posted, voided or expired; `verify()` checks it against the
 * transfers.
 */
export const ledgerPendingOpen = sqliteTable(
  'ledger_pending_open',
  {
    seq: integer('seq').primaryKey(),
    expiresAtMs: integer('expires_at_ms'),
  },
  (table) => [index('ledger_pending_open_expires').on(table.expiresAtMs)],
);

/** Published checkpoints of the hash chain: insert-only. */
export const ledgerCheckpoints = sqliteTable('ledger_checkpoints', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  seq: integer('seq').notNull(),
  hash: text('hash').notNull(),
  transferCount: integer('transfer_count').notNull(),
  accountCount: integer('account_count').notNull(),
  timestampMs: integer('timestamp_ms').notNull(),
});

/**
 * Ids of transfers that failed for a reason that depends on the ledger's
 * state (an account missing, not enough credits, a pending transfer missing).
 * As in TigerBeetle, such an id is spent: sending it again answers
 * `id_already_failed`, so a replayed request can never succeed later by
 * accident, after the state has changed. Insert-only.
 */
export const ledgerFailedTransfers = sqliteTable('ledger_failed_transfers', {
  id: text('id').primaryKey(),
  result: text('result').notNull(),
  timestampMs: integer('timestamp_ms').notNull(),
});

/**
 * The network's signature over each checkpoint (issue 17): the exact payload
 * signed (canonical JSON: sequence, head hash, time, network totals), the
 * algorithm, the public key that verifies it and the signature. Insert-only,
 * so a published signature can never be replaced.
 */
export const ledgerCheckpointSignatures = sqliteTable('ledger_checkpoint_signatures', {
  checkpointId: integer('checkpoint_id').primaryKey().references(() => ledgerCheckpoints.id),
  payload: text('payload').notNull(),
  algorithm: text('algorithm').notNull(),
  publicKey: text('public_key').notNull(),
  signature: text('signature').notNull(),
});

/**
 * The public hash chain (issue 17), one row per transfer, appended after the
 * fact (src/domain/bookkeeping/public-chain.ts) so the ledger's hot path and its
 * internal chain stay as they are. Each transfer's sides as the public sees
 * them ("wallet@431223", never an id), a random salt that keeps the
 * commitment to its private fields unguessable, and
 * public_hash = H(previous public_hash ‖ H(public part) ‖ H(private part)).
 * Insert-only.
 */
export const ledgerPublicChain = sqliteTable('ledger_public_chain', {
  seq: integer('seq').primaryKey().references(() => ledgerTransfers.seq),
  debitSide: text('debit_side').notNull(),
  creditSide: text('credit_side').notNull(),
  salt: text('salt').notNull(),
  publicHash: text('public_hash').notNull(),
});

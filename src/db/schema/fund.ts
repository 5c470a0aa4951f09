import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The guarantee fund (issue 20): what backs the credits the network owes.
 * Each entry is one contribution into a fund or one payout from it, in yuan as
 * integer fen, and is booked in the ledger on ledger 2 (fen) by the transfer
 * `fund:<entry id>` between the fund account and its external source account
 * (src/domain/fund/fund.ts). `scope` is 'network' or a county code (a county's
 * own fund). Insert-only in practice: a mistake is corrected by an opposite entry.
 */
export const fundEntries = sqliteTable(
  'fund_entries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    scope: text('scope').notNull(),
    kind: text('kind', { enum: ['contribution', 'payout'] }).notNull(),
    amountFen: integer('amount_fen').notNull(),
    /** Where a contribution came from (fiscal 财政拨款, charity 慈善捐赠, social 社会捐助, interest 利息, other); 'payout' for payouts. */
    source: text('source').notNull(),
    note: text('note').notNull().default(''),
    transferId: text('transfer_id').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
    createdByUserId: integer('created_by_user_id').notNull(),
  },
  (table) => [
    index('fund_entries_scope').on(table.scope, table.id),
    check('fund_entries_amount_positive', sql`${table.amountFen} > 0`),
  ],
);

/**
 * The valuation rate of one hour of credits in fen (3000 = ¥30/h), versioned by
 * the Shanghai date from which it applies: the rate in force on a date is the
 * row with the latest effective date on or before it (the latest entered, for
 * one date). Never entered for a past date.
 */
export const fundValuationRates = sqliteTable(
  'fund_valuation_rates',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    effectiveFrom: text('effective_from').notNull(),
    fenPerHour: integer('fen_per_hour').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
    createdByUserId: integer('created_by_user_id').notNull(),
  },
  (table) => [
    index('fund_valuation_rates_from').on(table.effectiveFrom, table.id),
    check('fund_valuation_rates_positive', sql`${table.fenPerHour} > 0`),
  ],
);

import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Pre-aggregated report figures (src/domain/reports/refresh.ts keeps them up
 * to date from cursors; reports never scan the records on a request).
 *
 * One row per (region, month, metric, dimension). A figure is added to the
 * region where it happened AND to every ancestor of that region, so a
 * dashboard for any region reads a handful of rows on the primary key,
 * whatever the size of the network. Months are 'YYYY-MM' in Asia/Shanghai.
 * `dimension` is '' or a sub-key (service category, counterparty county).
 */
export const reportFigures = sqliteTable(
  'report_figures',
  {
    regionCode: text('region_code').notNull(),
    month: text('month').notNull(),
    metric: text('metric').notNull(),
    dimension: text('dimension').notNull().default(''),
    value: integer('value').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.regionCode, table.month, table.metric, table.dimension] }),
    // A metric's months of one region, for the sums up to a month end (the liability view, issue 20).
    index('report_figures_region_metric_month').on(table.regionCode, table.metric, table.month),
  ],
);

/**
 * Registry figures (members, elders, villages, sites) recomputed as a whole
 * on a timer: they change by edits, not by appends. Same roll-up to
 * ancestors as report_figures; `dimension` is usually the month a record
 * joined, so "registered at the end of month M" is a sum over dimension <= M.
 */
export const reportRegistry = sqliteTable(
  'report_registry',
  {
    regionCode: text('region_code').notNull(),
    metric: text('metric').notNull(),
    dimension: text('dimension').notNull().default(''),
    value: integer('value').notNull(),
  },
  (table) => [primaryKey({ columns: [table.regionCode, table.metric, table.dimension] })],
);

/** Where each incremental refresh stopped (ledger_transfers.seq), and when the registry was last rebuilt. */
export const reportCursors = sqliteTable('report_cursors', {
  name: text('name').primaryKey(),
  position: integer('position').notNull(),
  updatedAtMs: integer('updated_at_ms').notNull(),
});

/** Credited service per volunteer and month: distinct active volunteers, and the roster's hours. */
export const reportMemberMonths = sqliteTable(
  'report_member_months',
  {
    memberId: integer('member_id').notNull(),
    month: text('month').notNull(),
    serviceMinutes: integer('service_minutes').notNull(),
    creditedMinutes: integer('credited_minutes').notNull(),
    records: integer('records').notNull(),
  },
  (table) => [primaryKey({ columns: [table.memberId, table.month] }), index('report_member_months_month').on(table.month)],
);

/** Months in which a registered elder received credited service (distinct visited elders per month). */
export const reportElderMonths = sqliteTable(
  'report_elder_months',
  {
    elderId: integer('elder_id').notNull(),
    month: text('month').notNull(),
    records: integer('records').notNull(),
  },
  (table) => [primaryKey({ columns: [table.elderId, table.month] })],
);

/**
 * No longer written or read: it only ever grew (a reversal never took a visit
 * back). The overdue list reads visits from the records themselves, with the
 * definition shared with /coverage (src/domain/hours/visits.ts).
 */
export const reportElderLastVisits = sqliteTable('report_elder_last_visits', {
  elderId: integer('elder_id').primaryKey(),
  lastServiceDate: text('last_service_date').notNull(),
});

/**
 * Plan targets as data, edited by the top office (not constants in code).
 * `value` is in the unit of the target: per-mille for rates (1000 = 100%),
 * a count for "at least N a year".
 */
export const reportTargets = sqliteTable('report_targets', {
  key: text('key').primaryKey(),
  value: integer('value').notNull(),
  updatedAtMs: integer('updated_at_ms').notNull(),
  updatedByUserId: integer('updated_by_user_id'),
});

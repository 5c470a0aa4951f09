import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { regions, users } from './core.ts';
import { members } from './people.ts';

/**
 * The star policy (星级评定): thresholds in verified service hours, the region
 * level that awards each star, and the public-notice period in working days.
 * Network policy published by the top office and versioned by effective date
 * like the service standard: the version in force on a date decides, and a
 * new version only ever takes effect on a future date.
 */
export const starPolicyVersions = sqliteTable(
  'star_policy_versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Shanghai calendar date 'YYYY-MM-DD' from which this version applies. */
    effectiveDate: text('effective_date').notNull(),
    noticeWorkingDays: integer('notice_working_days').notNull(),
    note: text('note'),
    publishedByUserId: integer('published_by_user_id').references(() => users.id),
    publishedAtMs: integer('published_at_ms').notNull(),
  },
  (table) => [
    uniqueIndex('star_policy_versions_effective').on(table.effectiveDate),
    check('star_policy_notice_days_range', sql`${table.noticeWorkingDays} BETWEEN 1 AND 30`),
  ],
);

export const awardingLevels = ['county', 'city', 'province'] as const;
export type AwardingLevel = (typeof awardingLevels)[number];

/** One star of one version: from how many verified hours, awarded by which level. */
export const starPolicyLevels = sqliteTable(
  'star_policy_levels',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    versionId: integer('version_id').notNull().references(() => starPolicyVersions.id),
    star: integer('star').notNull(),
    minHours: integer('min_hours').notNull(),
    awardingLevel: text('awarding_level', { enum: awardingLevels }).notNull(),
  },
  (table) => [
    uniqueIndex('star_policy_levels_version_star').on(table.versionId, table.star),
    check('star_policy_levels_star_range', sql`${table.star} BETWEEN 1 AND 5`),
    check('star_policy_levels_hours_range', sql`${table.minHours} BETWEEN 1 AND 100000`),
    check('star_policy_levels_level_valid', sql`${table.awardingLevel} IN ('county','city','province')`),
  ],
);

export const starAwardStatuses = ['proposed', 'on_notice', 'awarded', 'withdrawn'] as const;
export type StarAwardStatus = (typeof starAwardStatuses)[number];

/**
 * One star for one volunteer, from proposal to award: proposed when the
 * volunteer's verified hours cross the threshold, put on public notice (公示)
 * by the office of the awarding region, awarded after the notice period with
 * no open objection, or withdrawn when an objection is upheld. One row per
 * volunteer and star: a withdrawn star is not proposed again by the scan.
 */
export const starAwards = sqliteTable(
  'star_awards',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    memberId: integer('member_id').notNull().references(() => members.id),
    star: integer('star').notNull(),
    status: text('status', { enum: starAwardStatuses }).notNull(),
    /** The policy version the threshold came from; null for the built-in default (no version published yet). */
    policyVersionId: integer('policy_version_id').references(() => starPolicyVersions.id),
    /** Verified service minutes when proposed (shown on the notice). */
    serviceMinutes: integer('service_minutes').notNull(),
    /** The volunteer's village then (the notice names it). */
    villageCode: text('village_code').notNull().references(() => regions.code),
    /** The region whose office awards this star (county, city or province of the village). */
    awardingRegionCode: text('awarding_region_code').notNull().references(() => regions.code),
    proposedAtMs: integer('proposed_at_ms').notNull(),
    noticeWorkingDays: integer('notice_working_days'),
    /** Shanghai dates: the first and the last working day of the notice. */
    noticeStartDate: text('notice_start_date'),
    noticeEndDate: text('notice_end_date'),
    publishedByUserId: integer('published_by_user_id').references(() => users.id),
    publishedAtMs: integer('published_at_ms'),
    awardedAtMs: integer('awarded_at_ms'),
    withdrawnReason: text('withdrawn_reason'),
    withdrawnByUserId: integer('withdrawn_by_user_id').references(() => users.id),
    withdrawnAtMs: integer('withdrawn_at_ms'),
  },
  (table) => [
    uniqueIndex('star_awards_member_star').on(table.memberId, table.star),
    index('star_awards_status_region').on(table.status, table.awardingRegionCode),
    check('star_awards_star_range', sql`${table.star} BETWEEN 1 AND 5`),
    check('star_awards_status_valid', sql`${table.status} IN ('proposed','on_notice','awarded','withdrawn')`),
  ],
);

export const objectionStatuses = ['open', 'upheld', 'dismissed'] as const;
export type ObjectionStatus = (typeof objectionStatuses)[number];

/**
 * An objection (异议) to a star on notice, filed by anyone without signing
 * in. The phone is personal data: stored encrypted under the data key, with
 * a masked copy for the office's page. The address is kept only as a keyed
 * hash, for the per-address limit.
 */
export const starObjections = sqliteTable(
  'star_objections',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    awardId: integer('award_id').notNull().references(() => starAwards.id),
    reason: text('reason').notNull(),
    phoneCiphertext: text('phone_ciphertext').notNull(),
    phoneMasked: text('phone_masked').notNull(),
    addressHash: text('address_hash').notNull(),
    status: text('status', { enum: objectionStatuses }).notNull(),
    resolution: text('resolution'),
    resolvedByUserId: integer('resolved_by_user_id').references(() => users.id),
    resolvedAtMs: integer('resolved_at_ms'),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (table) => [
    index('star_objections_award').on(table.awardId, table.createdAtMs),
    index('star_objections_address').on(table.addressHash, table.createdAtMs),
    check('star_objections_status_valid', sql`${table.status} IN ('open','upheld','dismissed')`),
  ],
);

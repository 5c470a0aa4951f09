import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { regions, users } from './core.ts';
import { elders, members, teamActivities } from './people.ts';
import { serviceRequests } from './redemption.ts';

/**
 * The unified service standard (统一标准), versioned by effective date. A
 * version is a complete table of service types; a record uses the version in
 * force on its service date and stores the credit it earned, so publishing a
 * new version never changes a published credit.
 */
export const serviceStandardVersions = sqliteTable(
  'service_standard_versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Shanghai calendar date 'YYYY-MM-DD' from which this version applies. */
    effectiveDate: text('effective_date').notNull(),
    note: text('note'),
    publishedByUserId: integer('published_by_user_id').references(() => users.id),
    publishedAtMs: integer('published_at_ms').notNull(),
  },
  (table) => [uniqueIndex('service_standard_versions_effective').on(table.effectiveDate)],
);

export const serviceCategories = [
  'meal', 'bathing', 'emergency', 'mobility', 'medical_escort', 'cleaning', 'daily_care',
  'visiting', 'companionship', 'culture_sport', 'health_education', 'mutual_aid',
] as const;
export type ServiceCategory = (typeof serviceCategories)[number];

/** One service type within one version. The coefficient is stored in thousandths (1.0 = 1000): no floats. */
export const serviceTypes = sqliteTable(
  'service_types',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    versionId: integer('version_id').notNull().references(() => serviceStandardVersions.id),
    code: text('code').notNull(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    category: text('category').notNull(),
    coefficientMilli: integer('coefficient_milli').notNull().default(1000),
    maxMinutes: integer('max_minutes').notNull(),
    recipientRequired: integer('recipient_required', { mode: 'boolean' }).notNull(),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
  },
  (table) => [
    uniqueIndex('service_types_version_code').on(table.versionId, table.code),
    // The verification queue sorted by type walks the types in name order (then each type's pending records).
    index('service_types_name').on(table.nameZh, table.code),
    check('service_types_coefficient_range', sql`${table.coefficientMilli} BETWEEN 1 AND 10000`),
    check('service_types_max_minutes_range', sql`${table.maxMinutes} BETWEEN 1 AND 1440`),
  ],
);

/**
 * 'completed' is only for a service delivered through a service request
 * (source 'request'): it was paid member to member when the request was
 * confirmed, so it is never reviewed, posted, voided or reversed by the hours
 * feature and never waits in a review queue.
 */
export const serviceRecordStatuses = ['pending', 'approved', 'rejected', 'expired', 'reversed', 'completed'] as const;
export type ServiceRecordStatus = (typeof serviceRecordStatuses)[number];

/**
 * One service given by a volunteer. `hold_transfer_id` is the pending ledger
 * transfer issuance(county of service) -> volunteer wallet created with the
 * record; approval posts it, rejection and expiry void it, a reversal adds a
 * correcting transfer. The record itself is never edited after review
 * except to note the decision.
 *
 * A completed service request is a record too (source 'request', status
 * 'completed', `request_id` set; migration 0019, docs/HOURS.md): its
 * `hold_transfer_id` is the request's hold (payer -> escrow), posted when the
 * request was confirmed; no credit is issued for it.
 */
export const serviceRecords = sqliteTable(
  'service_records',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    idempotencyKey: text('idempotency_key').notNull(),
    volunteerMemberId: integer('volunteer_member_id').notNull().references(() => members.id),
    serviceTypeId: integer('service_type_id').notNull().references(() => serviceTypes.id),
    serviceTypeCode: text('service_type_code').notNull(),
    elderId: integer('elder_id').references(() => elders.id),
    villageCode: text('village_code').notNull().references(() => regions.code),
    countyCode: text('county_code').notNull(),
    /** Shanghai calendar date of the start, 'YYYY-MM-DD'. */
    serviceDate: text('service_date').notNull(),
    startAtMs: integer('start_at_ms').notNull(),
    endAtMs: integer('end_at_ms').notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    creditMinutes: integer('credit_minutes').notNull(),
    note: text('note'),
    source: text('source', { enum: ['self', 'coordinator', 'activity', 'request'] }).notNull(),
    enteredByUserId: integer('entered_by_user_id').references(() => users.id),
    /** Set when the elder's card code confirmed the service on the spot. */
    confirmedByCard: integer('confirmed_by_card', { mode: 'boolean' }).notNull().default(false),
    activityId: integer('activity_id').references(() => teamActivities.id),
    status: text('status', { enum: serviceRecordStatuses }).notNull(),
    holdTransferId: text('hold_transfer_id').notNull(),
    reviewedByUserId: integer('reviewed_by_user_id').references(() => users.id),
    reviewedAtMs: integer('reviewed_at_ms'),
    rejectionReason: text('rejection_reason'),
    reversalTransferId: text('reversal_transfer_id'),
    reversalReason: text('reversal_reason'),
    reversedByUserId: integer('reversed_by_user_id').references(() => users.id),
    reversedAtMs: integer('reversed_at_ms'),
    createdAtMs: integer('created_at_ms').notNull(),
    /** The completed service request this record is (source 'request'); null for every other record. */
    requestId: integer('request_id').references(() => serviceRequests.id),
  },
  (table) => [
    uniqueIndex('service_records_request').on(table.requestId).where(sql`${table.requestId} IS NOT NULL`),
    uniqueIndex('service_records_idempotency_key').on(table.idempotencyKey),
    uniqueIndex('service_records_hold_transfer').on(table.holdTransferId),
    index('service_records_volunteer_start').on(table.volunteerMemberId, table.startAtMs),
    // The verification queue pages pending records by submission time and checks each one's village
    // against the reviewer's scope from this index alone; the second lists a scope's pending volunteers.
    index('service_records_status_created_village').on(table.status, table.createdAtMs, table.id, table.villageCode),
    index('service_records_status_village_volunteer').on(table.status, table.villageCode, table.volunteerMemberId),
    index('service_records_village_status').on(table.villageCode, table.status),
    // The queue's other orders (issue 16: every order < 20 ms a page at 100,000 pending), each in the order of
    // one sortable column, the record id last (it breaks ties) and the village beside it, so a page and its
    // scope check are read from the index alone, with no sort. By date and by minutes: status first, like the
    // index by submission time (SQLite picks an index whose equality and order both fit; a partial index of
    // pending records, which no equality selects, lost to a sort there). By type and by volunteer the name is
    // in another table walked first (CROSS JOIN), and each one's pending records are probed in a partial index.
    index('service_records_status_date_village').on(table.status, table.serviceDate, table.startAtMs, table.id, table.villageCode),
    index('service_records_status_minutes_village').on(table.status, table.durationMinutes, table.id, table.villageCode),
    index('service_records_pending_type').on(table.serviceTypeId, table.id, table.villageCode).where(sql`${table.status} = 'pending'`),
    index('service_records_pending_volunteer').on(table.volunteerMemberId, table.id, table.villageCode).where(sql`${table.status} = 'pending'`),
    index('service_records_elder_date').on(table.elderId, table.serviceDate),
    index('service_records_activity').on(table.activityId),
    check('service_records_status_valid', sql`${table.status} IN ('pending','approved','rejected','expired','reversed','completed')`),
    check('service_records_source_valid', sql`${table.source} IN ('self','coordinator','activity','request')`),
    check('service_records_request_link', sql`(${table.requestId} IS NULL AND ${table.source} <> 'request' AND ${table.status} <> 'completed')
      OR (${table.requestId} IS NOT NULL AND ${table.source} = 'request' AND ${table.status} = 'completed')`),
    check('service_records_times', sql`${table.endAtMs} > ${table.startAtMs}`),
    check('service_records_duration_positive', sql`${table.durationMinutes} > 0 AND ${table.creditMinutes} >= 0`),
  ],
);

/**
 * A sign-in session of a team activity: the screen shows a QR code whose
 * code is derived from `secret` and the current minute, so it changes every
 * minute and an old code stops working.
 */
export const activitySessions = sqliteTable(
  'activity_sessions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    activityId: integer('activity_id').notNull().references(() => teamActivities.id),
    serviceTypeCode: text('service_type_code').notNull(),
    villageCode: text('village_code').notNull().references(() => regions.code),
    secret: text('secret').notNull(),
    openedByUserId: integer('opened_by_user_id').notNull().references(() => users.id),
    openedAtMs: integer('opened_at_ms').notNull(),
    closedByUserId: integer('closed_by_user_id').references(() => users.id),
    closedAtMs: integer('closed_at_ms'),
  },
  (table) => [uniqueIndex('activity_sessions_activity').on(table.activityId)],
);

export const activityAttendance = sqliteTable(
  'activity_attendance',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionId: integer('session_id').notNull().references(() => activitySessions.id),
    memberId: integer('member_id').notNull().references(() => members.id),
    signedInAtMs: integer('signed_in_at_ms').notNull(),
    signedOutAtMs: integer('signed_out_at_ms'),
    recordId: integer('record_id').references(() => serviceRecords.id),
  },
  (table) => [uniqueIndex('activity_attendance_session_member').on(table.sessionId, table.memberId)],
);

/**
 * How many service records wait for review in each village, kept by triggers on service_records
 * (migration queue_pending_counts): the verification queue's total for a reviewer's scope is then
 * a sum over the scope's villages instead of a count of every pending record (issue 16: 100,000
 * pending records). A village with none may have a row with 0.
 */
export const pendingRecordCounts = sqliteTable('pending_record_counts', {
  villageCode: text('village_code').primaryKey(),
  records: integer('records').notNull(),
});

/**
 * The volunteers who have records waiting for review, with the name the queue sorts them by, kept by
 * triggers on service_records and members (migration queue_sort_orders). The queue sorted by volunteer
 * walks this table in name order and reads each volunteer's pending records from an index, instead of
 * sorting every pending record by its volunteer's name (issue 16). A volunteer leaves it when their last
 * pending record is decided.
 */
export const pendingVolunteers = sqliteTable(
  'pending_volunteers',
  {
    memberId: integer('member_id').primaryKey(),
    namePinyin: text('name_pinyin').notNull(),
    realName: text('real_name').notNull(),
    records: integer('records').notNull(),
  },
  (table) => [index('pending_volunteers_name').on(table.namePinyin, table.realName)],
);

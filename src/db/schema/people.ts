import { sql } from 'drizzle-orm';
import { blob, check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { regions, users } from './core.ts';

/**
 * Members of the time bank (成员). Personal information under PIPL:
 * - the ID-card number is stored only as AES-256-GCM ciphertext (key outside the
 *   database) plus an HMAC-SHA256 keyed hash for duplicate checks and exact lookup;
 *   nothing of it is stored in clear, because a masked copy (first 6 + last 4)
 *   together with the birth date would rebuild the whole number;
 * - the card token is stored as a SHA-256 hash (lookup at the counter) and as
 *   ciphertext under the data key (so a coordinator can reprint the same card
 *   without invalidating it). A database leak alone therefore yields no usable
 *   card tokens. Reissue replaces both and the old token stops working.
 * - the redemption PIN is an argon2id hash with an attempt counter and a lock.
 * Uniqueness of the ID hash and of the phone holds among records that are not
 * rejected, so a rejected self-registration never blocks a correct one.
 */
export const members = sqliteTable(
  'members',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    realName: text('real_name').notNull(),
    namePinyin: text('name_pinyin').notNull(),
    nameInitials: text('name_initials').notNull(),
    phone: text('phone'),
    phoneLast4: text('phone_last4'),
    idNumberCiphertext: text('id_number_ciphertext').notNull(),
    idNumberHmac: text('id_number_hmac').notNull(),
    birthDate: text('birth_date').notNull(),
    gender: text('gender', { enum: ['male', 'female'] }).notNull(),
    villageCode: text('village_code').notNull().references(() => regions.code),
    status: text('status', { enum: ['active', 'suspended', 'pending', 'rejected'] }).notNull(),
    statusReason: text('status_reason'),
    source: text('source', { enum: ['coordinator', 'self', 'import'] }).notNull(),
    cardNumber: text('card_number'),
    cardTokenHash: text('card_token_hash'),
    cardTokenCiphertext: text('card_token_ciphertext'),
    cardVersion: integer('card_version').notNull().default(0),
    cardIssuedAtMs: integer('card_issued_at_ms'),
    pinHash: text('pin_hash'),
    pinSetAtMs: integer('pin_set_at_ms'),
    pinFailedAttempts: integer('pin_failed_attempts').notNull().default(0),
    pinLockedUntilMs: integer('pin_locked_until_ms'),
    /**
     * A second attempt counter and lock for the PIN typed away from the holder's own
     * channel: on a volunteer's phone to confirm a service (hours form). Wrong guesses
     * there lock only that channel, so nobody can lock an elder out of the counter.
     */
    pinRemoteFailedAttempts: integer('pin_remote_failed_attempts').notNull().default(0),
    pinRemoteLockedUntilMs: integer('pin_remote_locked_until_ms'),
    /**
     * A PIN set by staff rather than by the member (docs/WEB.md, "Who may set a
     * redemption PIN"): true until the member sets their own PIN signed in, or
     * confirms this one at a counter with their card scanned. While true the PIN
     * pays only at a counter with the card present, never a gift or a donation.
     */
    pinSetByStaff: integer('pin_set_by_staff', { mode: 'boolean' }).notNull().default(false),
    /** The staff user who last set the PIN (the member's notice names them); null once the member sets it themselves. */
    pinResetByUserId: integer('pin_reset_by_user_id').references(() => users.id),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    importBatchId: integer('import_batch_id'),
    /** The form's idempotency key: a repeated post returns this member instead of a duplicate error. */
    idempotencyKey: text('idempotency_key'),
    createdAtMs: integer('created_at_ms').notNull(),
    updatedAtMs: integer('updated_at_ms').notNull(),
    /**
     * The volunteer number (志愿者编号, src/domain/people/members/volunteer-number.ts):
     * given on every insert and by migration 0025 to the members before it, never
     * changed, never derived from the ID number. Nullable only because SQLite
     * cannot add a NOT NULL column without a default.
     */
    volunteerNumber: text('volunteer_number'),
  },
  (table) => [
    uniqueIndex('members_volunteer_number').on(table.volunteerNumber),
    uniqueIndex('members_idempotency_key').on(table.idempotencyKey).where(sql`${table.idempotencyKey} IS NOT NULL`),
    uniqueIndex('members_id_hmac_live').on(table.idNumberHmac).where(sql`${table.status} <> 'rejected'`),
    uniqueIndex('members_phone_live').on(table.phone).where(sql`${table.phone} IS NOT NULL AND ${table.status} <> 'rejected'`),
    uniqueIndex('members_card_number').on(table.cardNumber).where(sql`${table.cardNumber} IS NOT NULL`),
    uniqueIndex('members_card_token_hash').on(table.cardTokenHash).where(sql`${table.cardTokenHash} IS NOT NULL`),
    index('members_village_status').on(table.villageCode, table.status),
    index('members_phone_last4').on(table.phoneLast4),
    index('members_id_hmac').on(table.idNumberHmac),
    check('members_status_valid', sql`${table.status} IN ('active','suspended','pending','rejected')`),
    check('members_gender_valid', sql`${table.gender} IN ('male','female')`),
    check('members_source_valid', sql`${table.source} IN ('coordinator','self','import')`),
    check('members_pin_attempts_non_negative', sql`${table.pinFailedAttempts} >= 0`),
  ],
);

/**
 * The search keys of each member (issue 16: search at 1M members), kept by triggers on members
 * (migration member_search_terms) so every writer keeps them: 'n' + every piece of the name (up
 * to 6 characters, lower-cased), 'p' + every suffix of each full-pinyin reading, 'i' + each
 * initials reading. A substring of the name is then one key; a substring of the pinyin is a
 * prefix of a key, and initials are matched by prefix. WITHOUT ROWID in the migration: the
 * primary key is the table.
 */
export const memberSearchTerms = sqliteTable(
  'member_search_terms',
  {
    term: text('term').notNull(),
    memberId: integer('member_id').notNull(),
  },
  (table) => [primaryKey({ columns: [table.term, table.memberId] })],
);

/** 1..256: the positions the search-term triggers take substrings at (a trigger may not use WITH RECURSIVE). */
export const searchPositions = sqliteTable('search_positions', {
  position: integer('position').primaryKey(),
});

/** Every change of a member's status, with who and why (review of self-registrations included). */
export const memberStatusEvents = sqliteTable(
  'member_status_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    memberId: integer('member_id').notNull().references(() => members.id),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    reason: text('reason'),
    actorUserId: integer('actor_user_id').references(() => users.id),
    atMs: integer('at_ms').notNull(),
  },
  (table) => [index('member_status_events_member').on(table.memberId, table.atMs)],
);

/**
 * The registry of elders with special difficulties (特殊困难老年人档案). An elder
 * may or may not be a member. Identity is protected like a member's.
 */
export const elders = sqliteTable(
  'elders',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    memberId: integer('member_id').references(() => members.id),
    realName: text('real_name').notNull(),
    namePinyin: text('name_pinyin').notNull(),
    nameInitials: text('name_initials').notNull(),
    phone: text('phone'),
    idNumberCiphertext: text('id_number_ciphertext').notNull(),
    idNumberHmac: text('id_number_hmac').notNull(),
    birthDate: text('birth_date').notNull(),
    gender: text('gender', { enum: ['male', 'female'] }).notNull(),
    villageCode: text('village_code').notNull().references(() => regions.code),
    visitIntervalDays: integer('visit_interval_days').notNull().default(30),
    familyContactName: text('family_contact_name'),
    familyContactRelation: text('family_contact_relation'),
    familyContactPhone: text('family_contact_phone'),
    status: text('status', { enum: ['active', 'closed'] }).notNull().default('active'),
    statusReason: text('status_reason'),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    importBatchId: integer('import_batch_id'),
    idempotencyKey: text('idempotency_key'),
    createdAtMs: integer('created_at_ms').notNull(),
    updatedAtMs: integer('updated_at_ms').notNull(),
  },
  (table) => [
    uniqueIndex('elders_idempotency_key').on(table.idempotencyKey).where(sql`${table.idempotencyKey} IS NOT NULL`),
    uniqueIndex('elders_id_hmac_active').on(table.idNumberHmac).where(sql`${table.status} = 'active'`),
    index('elders_village').on(table.villageCode, table.status),
    index('elders_member').on(table.memberId),
    check('elders_visit_interval_positive', sql`${table.visitIntervalDays} BETWEEN 1 AND 366`),
    check('elders_status_valid', sql`${table.status} IN ('active','closed')`),
  ],
);

/**
 * An elder's categories, one row each so lists filter on an index. `sensitive`
 * marks health and disability categories (PIPL sensitive personal information):
 * shown only to coordinators and offices in scope, every view audited.
 */
export const elderCategories = sqliteTable(
  'elder_categories',
  {
    elderId: integer('elder_id').notNull().references(() => elders.id),
    category: text('category').notNull(),
    sensitive: integer('sensitive', { mode: 'boolean' }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.elderId, table.category] }), index('elder_categories_category').on(table.category)],
);

/** Consent records: who gave it, who recorded it, when, for what purpose; withdrawal keeps the row. */
export const elderConsents = sqliteTable(
  'elder_consents',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    elderId: integer('elder_id').notNull().references(() => elders.id),
    purpose: text('purpose', { enum: ['registry', 'sensitive_health'] }).notNull(),
    givenBy: text('given_by', { enum: ['self', 'guardian', 'family'] }).notNull(),
    givenByName: text('given_by_name'),
    method: text('method', { enum: ['written', 'verbal', 'electronic'] }).notNull(),
    recordedByUserId: integer('recorded_by_user_id').references(() => users.id),
    recordedAtMs: integer('recorded_at_ms').notNull(),
    withdrawnAtMs: integer('withdrawn_at_ms'),
  },
  (table) => [
    index('elder_consents_elder').on(table.elderId),
    check('elder_consents_purpose_valid', sql`${table.purpose} IN ('registry','sensitive_health')`),
  ],
);

/** Silver-age action teams (银龄行动队伍). */
export const teams = sqliteTable(
  'teams',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    sponsorUnit: text('sponsor_unit').notNull(),
    sponsorKind: text('sponsor_kind', { enum: ['member_unit', 'county_committee'] }).notNull(),
    regionCode: text('region_code').notNull().references(() => regions.code),
    leaderMemberId: integer('leader_member_id').references(() => members.id),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    idempotencyKey: text('idempotency_key'),
    createdAtMs: integer('created_at_ms').notNull(),
    updatedAtMs: integer('updated_at_ms').notNull(),
  },
  (table) => [
    uniqueIndex('teams_idempotency_key').on(table.idempotencyKey).where(sql`${table.idempotencyKey} IS NOT NULL`),
    uniqueIndex('teams_region_name').on(table.regionCode, table.name),
    index('teams_sponsor').on(table.sponsorUnit),
    check('teams_sponsor_kind_valid', sql`${table.sponsorKind} IN ('member_unit','county_committee')`),
  ],
);

export const teamMemberships = sqliteTable(
  'team_memberships',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: integer('team_id').notNull().references(() => teams.id),
    memberId: integer('member_id').notNull().references(() => members.id),
    status: text('status', { enum: ['pending', 'active', 'declined', 'left'] }).notNull(),
    requestedByUserId: integer('requested_by_user_id').references(() => users.id),
    requestedAtMs: integer('requested_at_ms').notNull(),
    decidedByUserId: integer('decided_by_user_id').references(() => users.id),
    decidedAtMs: integer('decided_at_ms'),
    decisionReason: text('decision_reason'),
  },
  (table) => [
    uniqueIndex('team_memberships_team_member').on(table.teamId, table.memberId),
    index('team_memberships_member').on(table.memberId),
    check('team_memberships_status_valid', sql`${table.status} IN ('pending','active','declined','left')`),
  ],
);

/** Themed activities (主题活动) of a team; attendance and hours attach later. */
export const teamActivities = sqliteTable(
  'team_activities',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    teamId: integer('team_id').notNull().references(() => teams.id),
    activityDate: text('activity_date').notNull(),
    place: text('place').notNull(),
    theme: text('theme').notNull(),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    idempotencyKey: text('idempotency_key'),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (table) => [
    index('team_activities_team_date').on(table.teamId, table.activityDate),
    uniqueIndex('team_activities_idempotency_key').on(table.idempotencyKey).where(sql`${table.idempotencyKey} IS NOT NULL`),
  ],
);

/**
 * One uploaded roster file. The file itself is kept only as ciphertext under the
 * data key until it has been imported (it holds ID numbers), then dropped.
 * `file_sha256` + `kind` is unique: uploading the same file again finds this batch.
 */
export const importBatches = sqliteTable(
  'import_batches',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind', { enum: ['members', 'elders'] }).notNull(),
    fileSha256: text('file_sha256').notNull(),
    fileName: text('file_name').notNull(),
    fileCiphertext: blob('file_ciphertext', { mode: 'buffer' }),
    scopeRegionCode: text('scope_region_code').notNull(),
    status: text('status', { enum: ['validated', 'importing', 'done', 'failed'] }).notNull(),
    totalRows: integer('total_rows').notNull().default(0),
    validRows: integer('valid_rows').notNull().default(0),
    errorRows: integer('error_rows').notNull().default(0),
    processedRows: integer('processed_rows').notNull().default(0),
    importedRows: integer('imported_rows').notNull().default(0),
    skippedRows: integer('skipped_rows').notNull().default(0),
    failureCode: text('failure_code'),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    createdAtMs: integer('created_at_ms').notNull(),
    startedAtMs: integer('started_at_ms'),
    finishedAtMs: integer('finished_at_ms'),
  },
  (table) => [
    uniqueIndex('import_batches_kind_file').on(table.kind, table.fileSha256),
    check('import_batches_status_valid', sql`${table.status} IN ('validated','importing','done','failed')`),
  ],
);

/**
 * Per-row outcome of a batch: errors (codes + column, no personal data) after
 * validation, and the created record after import.
 */
export const importRows = sqliteTable(
  'import_rows',
  {
    batchId: integer('batch_id').notNull().references(() => importBatches.id),
    rowNumber: integer('row_number').notNull(),
    status: text('status', { enum: ['error', 'imported', 'skipped'] }).notNull(),
    errors: text('errors'),
    objectId: integer('object_id'),
  },
  (table) => [primaryKey({ columns: [table.batchId, table.rowNumber] })],
);

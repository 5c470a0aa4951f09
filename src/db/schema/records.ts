import { sql } from 'drizzle-orm';
import { blob, check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { regions, users } from './core.ts';
import { members } from './people.ts';

/**
 * A volunteer's request for a certificate of her service record (志愿服务记录证明,
 * docs/RECORDS.md "Certificates"), addressed to the ageing office of her home
 * county. `from_date`/`to_date` are Shanghai dates (inclusive); both null
 * means all time. One pending request per member at a time.
 */
export const certificateRequests = sqliteTable(
  'certificate_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    memberId: integer('member_id').notNull().references(() => members.id),
    countyCode: text('county_code').notNull().references(() => regions.code),
    fromDate: text('from_date'),
    toDate: text('to_date'),
    status: text('status', { enum: ['pending', 'issued', 'declined'] }).notNull(),
    requestedByUserId: integer('requested_by_user_id').notNull().references(() => users.id),
    requestedAtMs: integer('requested_at_ms').notNull(),
    decidedByUserId: integer('decided_by_user_id').references(() => users.id),
    decidedAtMs: integer('decided_at_ms'),
    declineReason: text('decline_reason'),
  },
  (table) => [
    uniqueIndex('certificate_requests_one_pending').on(table.memberId).where(sql`${table.status} = 'pending'`),
    index('certificate_requests_county_status').on(table.countyCode, table.status, table.requestedAtMs),
    index('certificate_requests_member').on(table.memberId, table.requestedAtMs),
    check('certificate_requests_status_valid', sql`${table.status} IN ('pending','issued','declined')`),
    check('certificate_requests_period', sql`(${table.fromDate} IS NULL AND ${table.toDate} IS NULL) OR (${table.fromDate} IS NOT NULL AND ${table.toDate} IS NOT NULL AND ${table.fromDate} <= ${table.toDate})`),
  ],
);

/**
 * An issued certificate. `content` is the canonical JSON of everything the
 * printed page states (and the ids of the records behind it); `content_sha256`
 * its hash; `signature` the network's Ed25519 signature (src/lib/checkpoint-key.ts)
 * over the signed text (certificate number, hash, ledger sequence at issuance),
 * with the public key that made it. Rows are never deleted; revocation keeps
 * the content and adds the reason.
 */
export const certificates = sqliteTable(
  'certificates',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    number: text('number').notNull(),
    requestId: integer('request_id').notNull().references(() => certificateRequests.id),
    memberId: integer('member_id').notNull().references(() => members.id),
    countyCode: text('county_code').notNull().references(() => regions.code),
    content: text('content').notNull(),
    contentSha256: text('content_sha256').notNull(),
    ledgerSeq: integer('ledger_seq').notNull(),
    algorithm: text('algorithm').notNull(),
    publicKey: text('public_key').notNull(),
    signature: text('signature').notNull(),
    issuedByUserId: integer('issued_by_user_id').notNull().references(() => users.id),
    issuedAtMs: integer('issued_at_ms').notNull(),
    revokedReason: text('revoked_reason'),
    revokedByUserId: integer('revoked_by_user_id').references(() => users.id),
    revokedAtMs: integer('revoked_at_ms'),
  },
  (table) => [
    uniqueIndex('certificates_number').on(table.number),
    uniqueIndex('certificates_request').on(table.requestId),
    index('certificates_county_issued').on(table.countyCode, table.issuedAtMs),
    index('certificates_member').on(table.memberId),
  ],
);

/**
 * Revocations of certificates, append-only (docs/RECORDS.md "Revocation"): the
 * office's reason, who and when, signed with the network's Ed25519 key (the
 * checkpoint key that signs certificates) over the certificate's number and
 * content hash, the reason, the user and the time (src/domain/records/revocations.ts).
 * Triggers refuse UPDATE and DELETE, so a revocation cannot be taken back by
 * editing the database; `certificates.revoked_*` is a copy for lists, and
 * /verify warns when it disagrees with these rows.
 */
export const certificateRevocations = sqliteTable(
  'certificate_revocations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    certificateId: integer('certificate_id').notNull().references(() => certificates.id),
    number: text('number').notNull(),
    reason: text('reason').notNull(),
    revokedByUserId: integer('revoked_by_user_id').notNull().references(() => users.id),
    revokedAtMs: integer('revoked_at_ms').notNull(),
    algorithm: text('algorithm').notNull(),
    publicKey: text('public_key').notNull(),
    signature: text('signature').notNull(),
  },
  (table) => [uniqueIndex('certificate_revocations_certificate').on(table.certificateId), uniqueIndex('certificate_revocations_number').on(table.number)],
);

/**
 * Seal images of the issuing offices. Every upload is kept (a certificate
 * printed again shows the seal it was issued with, found by its hash); the
 * county's current seal is its latest upload.
 */
export const certificateSeals = sqliteTable(
  'certificate_seals',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    countyCode: text('county_code').notNull().references(() => regions.code),
    mediaType: text('media_type', { enum: ['image/png', 'image/jpeg'] }).notNull(),
    image: blob('image', { mode: 'buffer' }).notNull(),
    sha256: text('sha256').notNull(),
    uploadedByUserId: integer('uploaded_by_user_id').notNull().references(() => users.id),
    uploadedAtMs: integer('uploaded_at_ms').notNull(),
  },
  (table) => [
    uniqueIndex('certificate_seals_county_sha').on(table.countyCode, table.sha256),
    index('certificate_seals_county_uploaded').on(table.countyCode, table.uploadedAtMs),
    check('certificate_seals_media_type', sql`${table.mediaType} IN ('image/png','image/jpeg')`),
  ],
);

import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The region tree: province > city > county > township > village, keyed by the
 * official administrative code. `path` is the chain of codes from the root,
 * '/430000/433100/433123/', so a subtree is one prefix range on an index.
 */
export const regions = sqliteTable(
  'regions',
  {
    code: text('code').primaryKey(),
    parentCode: text('parent_code'),
    level: text('level', { enum: ['province', 'city', 'county', 'township', 'village'] }).notNull(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en'),
    rural: integer('rural', { mode: 'boolean' }),
    path: text('path').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (table) => [
    uniqueIndex('regions_path').on(table.path),
    index('regions_parent').on(table.parentCode),
    check('regions_level_valid', sql`${table.level} IN ('province','city','county','township','village')`),
  ],
);

/** Anyone who signs in: staff, clerks, and members with a phone. */
export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    phone: text('phone').notNull(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash').notNull(),
    mustChangePassword: integer('must_change_password', { mode: 'boolean' }).notNull().default(false),
    status: text('status', { enum: ['active', 'disabled'] }).notNull().default('active'),
    memberId: integer('member_id'),
    /**
     * The region the account belongs to whatever its roles: the member's
     * village, or the region (or site village) of the role it was created
     * with. Offices manage an account through it even after its last role is revoked.
     */
    homeRegionCode: text('home_region_code').references(() => regions.code),
    createdAtMs: integer('created_at_ms').notNull(),
    passwordChangedAtMs: integer('password_changed_at_ms').notNull(),
    /**
     * The staff user who last set this password for someone else (a member's
     * sign-in created, or a password reset), until the member proves presence
     * at a counter with their card. While set, the member's session is not the
     * member's own consent (docs/WEB.md "Consent"). Changing the password
     * oneself does not clear it: the staff user knew the temporary one.
     */
    passwordSetByUserId: integer('password_set_by_user_id'),
  },
  (table) => [uniqueIndex('users_phone').on(table.phone), index('users_member').on(table.memberId), index('users_home_region').on(table.homeRegionCode)],
);

/**
 * A role held by a user, scoped to a region subtree (coordinator, office,
 * volunteer: the member's home village) or to one partner site (clerk).
 * Administrators are scoped to a region too (normally the province).
 */
export const userRoles = sqliteTable(
  'user_roles',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').notNull().references(() => users.id),
    role: text('role', { enum: ['volunteer', 'coordinator', 'clerk', 'office', 'admin'] }).notNull(),
    regionCode: text('region_code').references(() => regions.code),
    siteId: integer('site_id'),
    grantedByUserId: integer('granted_by_user_id'),
    grantedAtMs: integer('granted_at_ms').notNull(),
  },
  (table) => [
    index('user_roles_user').on(table.userId),
    check('user_roles_role_valid', sql`${table.role} IN ('volunteer','coordinator','clerk','office','admin')`),
    check('user_roles_scope_present', sql`${table.regionCode} IS NOT NULL OR ${table.siteId} IS NOT NULL`),
  ],
);

/**
 * Refresh tokens, stored as SHA-256 hashes. Each use rotates the token within
 * its family; presenting a used token revokes the whole family.
 */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').notNull().references(() => users.id),
    familyId: text('family_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
    expiresAtMs: integer('expires_at_ms').notNull(),
    usedAtMs: integer('used_at_ms'),
    revokedAtMs: integer('revoked_at_ms'),
  },
  (table) => [
    uniqueIndex('refresh_tokens_hash').on(table.tokenHash),
    index('refresh_tokens_family').on(table.familyId),
    index('refresh_tokens_user').on(table.userId),
  ],
);

/**
 * Sign-in throttling (see src/domain/auth/throttle.ts). One row per pair of
 * (phone key, address) and one per phone key with address '*' for the
 * account-wide ceiling. The phone key is a keyed hash of the phone, known
 * account or not, so a lock never tells whether an account exists.
 */
export const signInThrottle = sqliteTable(
  'sign_in_throttle',
  {
    phoneKey: text('phone_key').notNull(),
    address: text('address').notNull(),
    failures: integer('failures').notNull().default(0),
    windowStartMs: integer('window_start_ms').notNull(),
    lockedUntilMs: integer('locked_until_ms'),
    lockCount: integer('lock_count').notNull().default(0),
    lastSuccessMs: integer('last_success_ms'),
    /** On the '*' row: failed attempts since the holder last signed in, for the notice. */
    failuresSinceSuccess: integer('failures_since_success').notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.phoneKey, table.address] })],
);

/** Insert-only audit trail (triggers refuse UPDATE and DELETE). No personal data in `detail`. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    atMs: integer('at_ms').notNull(),
    actorUserId: integer('actor_user_id'),
    action: text('action').notNull(),
    objectType: text('object_type'),
    objectId: text('object_id'),
    regionCode: text('region_code'),
    ipAddress: text('ip_address'),
    detail: text('detail'),
  },
  (table) => [index('audit_log_region_at').on(table.regionCode, table.atMs), index('audit_log_at').on(table.atMs)],
);

/** Small key-value settings (network policy, targets) edited by the top office. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAtMs: integer('updated_at_ms').notNull(),
  updatedByUserId: integer('updated_by_user_id'),
});

/**
 * One row per idempotency key a write was done under (src/domain/kernel/idempotency.ts):
 * what kind of write (`scope`), a hash of the form's content, and the first
 * answer as JSON. The same key with the same content answers that again; with
 * other content it is refused. Records that keep their own key column
 * (service_records, redemptions...) are being moved here feature by feature.
 */
export const idempotencyKeys = sqliteTable('idempotency_keys', {
  key: text('key').primaryKey(),
  scope: text('scope').notNull(),
  contentHash: text('content_hash').notNull(),
  result: text('result').notNull(),
  actorUserId: integer('actor_user_id'),
  createdAtMs: integer('created_at_ms').notNull(),
});

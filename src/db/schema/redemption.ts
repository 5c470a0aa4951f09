import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { regions, users } from './core.ts';
import { elders, members } from './people.ts';

/**
 * Redemption anywhere (通存通兑): partner sites and their catalogues, the
 * counter's baskets, gifts and donations, vouchers, service requests paid
 * with credits, and inter-county settlements. Money itself lives only in the
 * ledger; these tables hold the business records and the ids of the ledger
 * transfers that moved the money. Amounts are integer minutes.
 */

/** A partner site in a village: love supermarket, service station, elder canteen, other. */
export const partnerSites = sqliteTable(
  'partner_sites',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['love_supermarket', 'service_station', 'canteen', 'other'] }).notNull(),
    villageCode: text('village_code').notNull().references(() => regions.code),
    countyCode: text('county_code').notNull(),
    address: text('address').notNull(),
    openingHours: text('opening_hours').notNull(),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    idempotencyKey: text('idempotency_key'),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (table) => [
    index('partner_sites_county').on(table.countyCode, table.villageCode),
    uniqueIndex('partner_sites_idempotency').on(table.idempotencyKey).where(sql`${table.idempotencyKey} IS NOT NULL`),
    check('partner_sites_kind_valid', sql`${table.kind} IN ('love_supermarket','service_station','canteen','other')`),
  ],
);

/**
 * A good or service a site offers. `stock` NULL means not counted (services,
 * meals); otherwise `reserved` is held by open baskets and never exceeds it.
 */
export const siteItems = sqliteTable(
  'site_items',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    siteId: integer('site_id').notNull().references(() => partnerSites.id),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['goods', 'service'] }).notNull(),
    priceMinutes: integer('price_minutes').notNull(),
    stock: integer('stock'),
    reserved: integer('reserved').notNull().default(0),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAtMs: integer('created_at_ms').notNull(),
    updatedAtMs: integer('updated_at_ms').notNull(),
  },
  (table) => [
    index('site_items_site').on(table.siteId, table.active),
    check('site_items_price_positive', sql`${table.priceMinutes} > 0`),
    check('site_items_stock_valid', sql`${table.stock} IS NULL OR (${table.stock} >= 0 AND ${table.reserved} <= ${table.stock})`),
    check('site_items_reserved_non_negative', sql`${table.reserved} >= 0`),
    check('site_items_kind_valid', sql`${table.kind} IN ('goods','service')`),
  ],
);

/** Every change of a counted stock, with who, why and the count after. */
export const stockMovements = sqliteTable(
  'stock_movements',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    itemId: integer('item_id').notNull().references(() => siteItems.id),
    siteId: integer('site_id').notNull().references(() => partnerSites.id),
    kind: text('kind', { enum: ['receive', 'correct', 'sale', 'void_return'] }).notNull(),
    quantityDelta: integer('quantity_delta').notNull(),
    stockAfter: integer('stock_after').notNull(),
    reason: text('reason'),
    redemptionId: integer('redemption_id'),
    actorUserId: integer('actor_user_id').references(() => users.id),
    idempotencyKey: text('idempotency_key'),
    atMs: integer('at_ms').notNull(),
  },
  (table) => [
    index('stock_movements_item').on(table.itemId, table.atMs),
    uniqueIndex('stock_movements_idempotency').on(table.idempotencyKey).where(sql`${table.idempotencyKey} IS NOT NULL`),
    check('stock_movements_kind_valid', sql`${table.kind} IN ('receive','correct','sale','void_return')`),
  ],
);

/**
 * A basket at a counter. `held`: the ledger holds the total (pending legs in
 * `hold_transfer_ids`, JSON) and stock is reserved; `confirmed` by the member's
 * PIN; `cancelled`, `expired` (15 minutes), or `voided` after confirmation
 * (correcting transfers in `void_transfer_ids`).
 */
export const redemptions = sqliteTable(
  'redemptions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    idempotencyKey: text('idempotency_key').notNull(),
    siteId: integer('site_id').notNull().references(() => partnerSites.id),
    /** Null for a registered elder without a member record (voucher only, confirmed by an attested clerk confirmation). */
    memberId: integer('member_id').references(() => members.id),
    payer: text('payer', { enum: ['wallet', 'voucher'] }).notNull(),
    payerAccountId: text('payer_account_id').notNull(),
    elderId: integer('elder_id').references(() => elders.id),
    status: text('status', { enum: ['held', 'confirmed', 'cancelled', 'expired', 'voided'] }).notNull(),
    totalMinutes: integer('total_minutes').notNull(),
    memberCountyCode: text('member_county_code').notNull(),
    siteCountyCode: text('site_county_code').notNull(),
    holdTransferIds: text('hold_transfer_ids').notNull(),
    voidTransferIds: text('void_transfer_ids'),
    receiptNumber: text('receipt_number'),
    balanceAfterMinutes: integer('balance_after_minutes'),
    clerkUserId: integer('clerk_user_id').references(() => users.id),
    createdAtMs: integer('created_at_ms').notNull(),
    expiresAtMs: integer('expires_at_ms').notNull(),
    confirmedAtMs: integer('confirmed_at_ms'),
    closedAtMs: integer('closed_at_ms'),
    voidReason: text('void_reason'),
    voidedByUserId: integer('voided_by_user_id').references(() => users.id),
    /** How the payer agreed: the member's PIN, or a clerk's attested confirmation for an elder without a login. */
    confirmedWith: text('confirmed_with', { enum: ['pin', 'attested'] }),
    /** For 'attested': JSON { witness: 'elder' | 'family', witnessName, note }. */
    attestation: text('attestation'),
    /** The network policy version (policy_versions.id) in force when the basket was placed: it decided the care-age rule. */
    policyVersionId: integer('policy_version_id'),
  },
  (table) => [
    uniqueIndex('redemptions_idempotency').on(table.idempotencyKey),
    uniqueIndex('redemptions_receipt').on(table.receiptNumber).where(sql`${table.receiptNumber} IS NOT NULL`),
    index('redemptions_site').on(table.siteId, table.createdAtMs),
    index('redemptions_member').on(table.memberId, table.createdAtMs),
    index('redemptions_status').on(table.status, table.expiresAtMs),
    check('redemptions_total_positive', sql`${table.totalMinutes} > 0`),
    check('redemptions_status_valid', sql`${table.status} IN ('held','confirmed','cancelled','expired','voided')`),
    check('redemptions_payer_valid', sql`${table.payer} IN ('wallet','voucher')`),
    check('redemptions_payer_known', sql`${table.memberId} IS NOT NULL OR (${table.elderId} IS NOT NULL AND ${table.payer} = 'voucher')`),
    check('redemptions_confirmed_with_valid', sql`${table.confirmedWith} IS NULL OR ${table.confirmedWith} IN ('pin','attested')`),
  ],
);

export const redemptionLines = sqliteTable(
  'redemption_lines',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    redemptionId: integer('redemption_id').notNull().references(() => redemptions.id),
    itemId: integer('item_id').notNull().references(() => siteItems.id),
    name: text('name').notNull(),
    priceMinutes: integer('price_minutes').notNull(),
    quantity: integer('quantity').notNull(),
  },
  (table) => [
    index('redemption_lines_redemption').on(table.redemptionId),
    check('redemption_lines_quantity_positive', sql`${table.quantity} > 0`),
  ],
);

/**
 * The kinds of relation a coordinator chooses from. Symmetric, so one row per
 * pair serves both directions: spouse; parent and child; grandparent and
 * grandchild (外祖 too); siblings; in-laws (儿媳, 女婿, 公婆, 岳父母...); other.
 */
export const relationKinds = ['spouse', 'parent_child', 'grandparent_grandchild', 'sibling', 'in_law', 'other'] as const;
export type RelationKind = (typeof relationKinds)[number];

/** Registered relatives (for the gift policy). One row per pair, either direction counts. */
export const memberRelatives = sqliteTable(
  'member_relatives',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    memberId: integer('member_id').notNull().references(() => members.id),
    relativeMemberId: integer('relative_member_id').notNull().references(() => members.id),
    /** What the staff member typed to name the relation (母亲, 外孙女...); may be empty. Display only. */
    relation: text('relation').notNull(),
    /** The kind of relation, chosen from a fixed list: what the gift rules decide by (never the typed words). */
    kind: text('kind', { enum: relationKinds }).notNull().default('other'),
    registeredByUserId: integer('registered_by_user_id').references(() => users.id),
    registeredAtMs: integer('registered_at_ms').notNull(),
  },
  (table) => [
    uniqueIndex('member_relatives_pair').on(table.memberId, table.relativeMemberId),
    index('member_relatives_relative').on(table.relativeMemberId),
    check('member_relatives_not_self', sql`${table.memberId} <> ${table.relativeMemberId}`),
    check('member_relatives_kind', sql`${table.kind} IN ('spouse', 'parent_child', 'grandparent_grandchild', 'sibling', 'in_law', 'other')`),
  ],
);

/** Gifts (member -> member) and donations (member -> county pool). */
export const memberGifts = sqliteTable(
  'member_gifts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    idempotencyKey: text('idempotency_key').notNull(),
    kind: text('kind', { enum: ['gift', 'donation'] }).notNull(),
    fromMemberId: integer('from_member_id').notNull().references(() => members.id),
    toMemberId: integer('to_member_id').references(() => members.id),
    poolCountyCode: text('pool_county_code'),
    amountMinutes: integer('amount_minutes').notNull(),
    divertedMinutes: integer('diverted_minutes').notNull().default(0),
    transferIds: text('transfer_ids').notNull(),
    actorUserId: integer('actor_user_id').references(() => users.id),
    atMs: integer('at_ms').notNull(),
    /** The network policy version in force at the gift: it decided the relatives rule and the balance cap. */
    policyVersionId: integer('policy_version_id'),
  },
  (table) => [
    uniqueIndex('member_gifts_idempotency').on(table.idempotencyKey),
    index('member_gifts_from').on(table.fromMemberId, table.atMs),
    index('member_gifts_to').on(table.toMemberId, table.atMs),
    check('member_gifts_amount_positive', sql`${table.amountMinutes} > 0`),
    check('member_gifts_kind_valid', sql`${table.kind} IN ('gift','donation')`),
  ],
);

/** A voucher grant (消费券): to one elder or to every elder of a category in a region at once. */
export const voucherGrants = sqliteTable(
  'voucher_grants',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    idempotencyKey: text('idempotency_key').notNull(),
    source: text('source', { enum: ['issuance', 'pool'] }).notNull(),
    countyCode: text('county_code').notNull(),
    regionCode: text('region_code').notNull(),
    category: text('category'),
    elderId: integer('elder_id').references(() => elders.id),
    amountPerElderMinutes: integer('amount_per_elder_minutes').notNull(),
    elderCount: integer('elder_count').notNull(),
    reason: text('reason').notNull(),
    grantedByUserId: integer('granted_by_user_id').references(() => users.id),
    atMs: integer('at_ms').notNull(),
  },
  (table) => [
    uniqueIndex('voucher_grants_idempotency').on(table.idempotencyKey),
    index('voucher_grants_county').on(table.countyCode, table.atMs),
    check('voucher_grants_amount_positive', sql`${table.amountPerElderMinutes} > 0`),
    check('voucher_grants_source_valid', sql`${table.source} IN ('issuance','pool')`),
  ],
);

export const voucherGrantLines = sqliteTable(
  'voucher_grant_lines',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    grantId: integer('grant_id').notNull().references(() => voucherGrants.id),
    elderId: integer('elder_id').notNull().references(() => elders.id),
    transferId: text('transfer_id').notNull(),
  },
  (table) => [uniqueIndex('voucher_grant_lines_grant_elder').on(table.grantId, table.elderId), index('voucher_grant_lines_elder').on(table.elderId)],
);

/**
 * A request for a service paid with credits: held (pending, payer -> county
 * escrow) when posted, accepted by a volunteer, confirmed (escrow -> volunteer)
 * or cancelled (hold voided). A completed request is also a service record
 * (service_records.request_id, src/domain/hours/request-records.ts).
 */
export const serviceRequests = sqliteTable(
  'service_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    idempotencyKey: text('idempotency_key').notNull(),
    requesterMemberId: integer('requester_member_id').references(() => members.id),
    elderId: integer('elder_id').references(() => elders.id),
    payer: text('payer', { enum: ['wallet', 'pool', 'voucher'] }).notNull(),
    payerAccountId: text('payer_account_id').notNull(),
    villageCode: text('village_code').notNull().references(() => regions.code),
    countyCode: text('county_code').notNull(),
    serviceCategory: text('service_category').notNull(),
    description: text('description').notNull(),
    scheduledFor: text('scheduled_for').notNull(),
    place: text('place').notNull(),
    offeredMinutes: integer('offered_minutes').notNull(),
    status: text('status', { enum: ['open', 'accepted', 'completed', 'cancelled'] }).notNull(),
    volunteerMemberId: integer('volunteer_member_id').references(() => members.id),
    holdTransferId: text('hold_transfer_id').notNull(),
    paymentTransferIds: text('payment_transfer_ids'),
    createdByUserId: integer('created_by_user_id').references(() => users.id),
    createdAtMs: integer('created_at_ms').notNull(),
    acceptedAtMs: integer('accepted_at_ms'),
    closedAtMs: integer('closed_at_ms'),
    closedByUserId: integer('closed_by_user_id').references(() => users.id),
    /** The policy version that allowed the request (care age), and the one that capped its payment on confirmation. */
    policyVersionId: integer('policy_version_id'),
    paymentPolicyVersionId: integer('payment_policy_version_id'),
  },
  (table) => [
    uniqueIndex('service_requests_idempotency').on(table.idempotencyKey),
    index('service_requests_area').on(table.countyCode, table.status, table.villageCode),
    index('service_requests_volunteer').on(table.volunteerMemberId),
    check('service_requests_offered_positive', sql`${table.offeredMinutes} > 0`),
    check('service_requests_status_valid', sql`${table.status} IN ('open','accepted','completed','cancelled')`),
    check('service_requests_payer_valid', sql`${table.payer} IN ('wallet','pool','voucher')`),
  ],
);

/** A settlement between two counties' clearing accounts, recorded by a higher-level office. */
export const clearingSettlements = sqliteTable(
  'clearing_settlements',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    idempotencyKey: text('idempotency_key').notNull(),
    /** The county that owes (its clearing account is debited). */
    fromCountyCode: text('from_county_code').notNull(),
    toCountyCode: text('to_county_code').notNull(),
    amountMinutes: integer('amount_minutes').notNull(),
    note: text('note').notNull(),
    transferId: text('transfer_id').notNull(),
    recordedByUserId: integer('recorded_by_user_id').references(() => users.id),
    atMs: integer('at_ms').notNull(),
  },
  (table) => [
    uniqueIndex('clearing_settlements_idempotency').on(table.idempotencyKey),
    index('clearing_settlements_at').on(table.atMs),
    check('clearing_settlements_amount_positive', sql`${table.amountMinutes} > 0`),
    check('clearing_settlements_counties_differ', sql`${table.fromCountyCode} <> ${table.toCountyCode}`),
  ],
);

/**
 * The network policy for spending credits (src/domain/redemption/policy.ts),
 * versioned by effective date like the service standard: a decision applies
 * the version in force on its Shanghai date and records its id. A version is
 * published for a future date only; an upcoming one may be withdrawn (never
 * deleted) before it takes effect. Version 1 is the old `settings` row.
 */
export const policyVersions = sqliteTable(
  'policy_versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    versionNumber: integer('version_number').notNull(),
    /** Shanghai calendar date 'YYYY-MM-DD' from which this version applies. */
    effectiveDate: text('effective_date').notNull(),
    /** The rules as JSON (NetworkPolicy); missing keys take the defaults, so old versions read the same when rules are added. */
    rules: text('rules').notNull(),
    note: text('note'),
    publishedByUserId: integer('published_by_user_id').references(() => users.id),
    publishedAtMs: integer('published_at_ms').notNull(),
    withdrawnByUserId: integer('withdrawn_by_user_id').references(() => users.id),
    withdrawnAtMs: integer('withdrawn_at_ms'),
  },
  (table) => [
    uniqueIndex('policy_versions_number').on(table.versionNumber),
    uniqueIndex('policy_versions_effective').on(table.effectiveDate).where(sql`${table.withdrawnAtMs} IS NULL`),
  ],
);

/**
 * The reservation list of a counted item for empty-nest elders aged 80+
 * (policy rule priorityStockThreshold): a coordinator or the clerk puts an
 * eligible elder on it; while the item is short only the first waiting elders
 * (as many as there are units free) may take it. A basket that takes it holds
 * the reservation ('held', its redemption), confirming fulfils it in the same
 * transaction as the stock decrement; a cancelled or expired basket puts it
 * back to 'waiting'.
 */
export const stockReservations = sqliteTable(
  'stock_reservations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    siteId: integer('site_id').notNull().references(() => partnerSites.id),
    itemId: integer('item_id').notNull().references(() => siteItems.id),
    elderId: integer('elder_id').notNull().references(() => elders.id),
    status: text('status', { enum: ['waiting', 'held', 'fulfilled', 'cancelled'] }).notNull().default('waiting'),
    redemptionId: integer('redemption_id').references(() => redemptions.id),
    createdByUserId: integer('created_by_user_id').notNull().references(() => users.id),
    createdAtMs: integer('created_at_ms').notNull(),
    fulfilledAtMs: integer('fulfilled_at_ms'),
  },
  (table) => [
    index('stock_reservations_item').on(table.itemId, table.status, table.id),
    uniqueIndex('stock_reservations_open').on(table.itemId, table.elderId).where(sql`${table.status} IN ('waiting', 'held')`),
    check('stock_reservations_status', sql`${table.status} IN ('waiting', 'held', 'fulfilled', 'cancelled')`),
  ],
);

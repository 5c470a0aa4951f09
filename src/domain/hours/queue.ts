import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { regions, users } from '../../db/schema/core.ts';
import { pendingRecordCounts, pendingVolunteers, serviceRecords, serviceTypes } from '../../db/schema/hours.ts';
import type { ServiceRecord } from './records.ts';
import { elders, members } from '../../db/schema/people.ts';
import { authorize, regionScopes } from '../access/authorize.ts';
import type { Actor, KeylessContext } from './context.ts';
import { canVerifyHours } from './permissions.ts';
import { underAnyPath } from '../../db/conditions.ts';
import { present } from '../../lib/assert.ts';

/** The verification queue: pending records in the reviewer's scope, filtered, sorted and paged, with the options of its filters and the labels of listed records. */

export interface QueueFilter {
  villageCode?: string;
  serviceTypeCode?: string;
  volunteerMemberId?: number;
  activityId?: number;
  limit?: number;
  offset?: number;
  /** The column the queue is ordered by, and which way (oldest submitted first when not given). */
  order?: QueueOrder;
}

/** The columns a reviewer may sort the queue by: the only values that ever reach ORDER BY. */
export const queueSortKeys = ['submitted', 'volunteer', 'date', 'type', 'minutes'] as const;
export type QueueSortKey = (typeof queueSortKeys)[number];
export type SortDirection = 'asc' | 'desc';

export interface QueueOrder {
  sort: QueueSortKey;
  direction: SortDirection;
}

/** The default order: the record waiting longest comes first. */
export const defaultQueueOrder: QueueOrder = { sort: 'submitted', direction: 'asc' };

/**
 * The order asked for in a query string, checked against the allow-list:
 * an unknown column falls back to the default order, an unknown direction to ascending.
 */
export function parseQueueOrder(sort: unknown, direction: unknown): QueueOrder {
  const key = queueSortKeys.find((candidate) => candidate === sort);
  if (key === undefined) return defaultQueueOrder;
  return { sort: key, direction: direction === 'desc' ? 'desc' : 'asc' };
}

/**
 * The SQL columns for each sort key, most significant first; the record id always breaks ties, so pages never
 * overlap. Walking in order (see queuePageIds) each comes from an index without sorting (migration
 * queue_sort_orders): the volunteer's name from pending_volunteers, the type's name from service_types (then
 * its id), the rest from service_records. A small scope gathered and sorted reads the same values from members.
 */
function orderColumns(order: QueueOrder, walk: boolean): SQL[] {
  const columns = {
    submitted: [serviceRecords.createdAtMs],
    volunteer: walk ? [pendingVolunteers.namePinyin, pendingVolunteers.realName, pendingVolunteers.memberId] : [members.namePinyin, members.realName, members.id],
    date: [serviceRecords.serviceDate, serviceRecords.startAtMs],
    type: [serviceTypes.nameZh, serviceTypes.code, serviceTypes.id],
    minutes: [serviceRecords.durationMinutes],
  }[order.sort];
  const direct = order.direction === 'desc' ? desc : asc;
  // Gathering, the first key is written `+column` (the same value): no index then gives the order, so SQLite
  // picks the index that finds the few records (village, volunteer) and sorts them, instead of walking an
  // order's index over every pending record and reading each one's row to test the filter.
  const [first, ...rest] = columns;
  const keys: SQL[] = walk ? [...columns, serviceRecords.id].map((column) => direct(column)) : [direct(sql`+${first}`), ...[...rest, serviceRecords.id].map((column) => direct(column))];
  return keys;
}

export interface QueueItem {
  id: number;
  volunteerName: string;
  volunteerMemberId: number;
  typeCode: string;
  typeNameZh: string;
  typeNameEn: string;
  elderName: string | null;
  villageCode: string;
  villageNameZh: string;
  villageNameEn: string | null;
  serviceDate: string;
  startAtMs: number;
  endAtMs: number;
  durationMinutes: number;
  creditMinutes: number;
  note: string | null;
  source: ServiceRecord['source'];
  enteredByName: string | null;
  createdAtMs: number;
  /** The reviewer logged it or is the volunteer: shown, but not theirs to decide. */
  own: boolean;
  /** Why it is the reviewer's own: they entered it, or they are its volunteer (null when not own). */
  ownReason: OwnReason | null;
}

export type OwnReason = 'entered' | 'volunteer';

/** Why a record is not the actor's to decide, or null: the actor entered it, or is its volunteer. */
export function ownReasonOf(record: { enteredByUserId: number | null; volunteerMemberId: number }, actorUserId: number, actorMemberId: number | null): OwnReason | null {
  if (record.enteredByUserId === actorUserId) return 'entered';
  if (actorMemberId !== null && record.volunteerMemberId === actorMemberId) return 'volunteer';
  return null;
}

function scopeCondition(paths: readonly string[]): SQL {
  return underAnyPath(regions.path, paths);
}

/**
 * The record's village is one of the scope's regions: a list the queries probe by index, so counting
 * and paging read only service_records' indexes instead of joining every pending record to its region.
 */
function recordInScope(paths: readonly string[], probeVillages: boolean): SQL {
  // A unary + keeps SQLite from probing an index by village: a page is read in its order from the index of
  // that order, checking each entry's village there, instead of gathering every pending record of the scope
  // by village and sorting them.
  const village = probeVillages ? sql`${serviceRecords.villageCode}` : sql`+${serviceRecords.villageCode}`;
  return sql`${village} IN (SELECT ${regions.code} FROM ${regions} WHERE ${scopeCondition(paths)})`;
}

function queueConditions(actor: Actor, filter: QueueFilter, probeVillages = true): SQL[] {
  const paths = regionScopes(actor, canVerifyHours);
  // 'pending' written into the SQL, not bound: only then may SQLite read the partial indexes of pending records.
  const conditions: SQL[] = [sql`${serviceRecords.status} = 'pending'`, recordInScope(paths, probeVillages)];
  if (filter.villageCode) conditions.push(probeVillages ? eq(serviceRecords.villageCode, filter.villageCode) : sql`+${serviceRecords.villageCode} = ${filter.villageCode}`);
  if (filter.serviceTypeCode) conditions.push(eq(serviceRecords.serviceTypeCode, filter.serviceTypeCode));
  if (filter.volunteerMemberId) conditions.push(eq(serviceRecords.volunteerMemberId, filter.volunteerMemberId));
  if (filter.activityId) conditions.push(eq(serviceRecords.activityId, filter.activityId));
  return conditions;
}

/**
 * How many pending records match (the queue shows a page of them). Filtered by village alone or not at
 * all, the answer is the sum of the per-village counts the database keeps (pending_record_counts, one
 * row per village in scope); a filter by type, volunteer or activity counts the matching records.
 */
export function queueTotal(context: KeylessContext, actor: Actor, filter: QueueFilter = {}): number {
  if (!filter.serviceTypeCode && !filter.volunteerMemberId && !filter.activityId) return keptPendingTotal(context, actor, filter.villageCode);
  const row = context.db
    .select({ total: sql<number>`count(*)` })
    .from(serviceRecords)
    .where(and(...queueConditions(actor, filter)))
    .get();
  return row?.total ?? 0;
}

function keptPendingTotal(context: KeylessContext, actor: Actor, villageCode: string | undefined): number {
  const paths = regionScopes(actor, canVerifyHours);
  const conditions: SQL[] = [sql`${pendingRecordCounts.villageCode} IN (SELECT ${regions.code} FROM ${regions} WHERE ${scopeCondition(paths)})`];
  if (villageCode) conditions.push(eq(pendingRecordCounts.villageCode, villageCode));
  const row = context.db.select({ total: sql<number>`coalesce(sum(${pendingRecordCounts.records}), 0)` }).from(pendingRecordCounts).where(and(...conditions)).get();
  return row?.total ?? 0;
}

/** The villages and volunteers of every pending record in scope (DISTINCT, not just the page shown), for the filters. */
export function queueFilterOptions(context: KeylessContext, actor: Actor): {
  villages: { code: string; villageNameZh: string; villageNameEn: string | null }[];
  volunteers: { id: number; name: string }[];
} {
  const conditions = queueConditions(actor, {});
  // Regions in scope that have a pending record (one index probe each), not every pending record's region.
  const villages = context.db
    .select({ code: regions.code, villageNameZh: regions.nameZh, villageNameEn: regions.nameEn })
    .from(regions)
    .where(and(scopeCondition(regionScopes(actor, canVerifyHours)), sql`EXISTS (SELECT 1 FROM ${serviceRecords}
      WHERE ${serviceRecords.villageCode} = ${regions.code} AND ${serviceRecords.status} = 'pending')`))
    .orderBy(asc(regions.code))
    .limit(1000)
    .all();
  // The distinct volunteers first (from an index of service_records alone), then their names. At most
  // 1,000 of them, and the read stops there: with 100,000 pending records, finding every distinct
  // volunteer was most of the page's time, for a list that was cut to 1,000 anyway.
  const volunteerIds = context.db.selectDistinct({ id: serviceRecords.volunteerMemberId }).from(serviceRecords).where(and(...conditions)).limit(1000);
  const volunteers = context.db
    .select({ id: members.id, name: members.realName })
    .from(members)
    .where(inArray(members.id, volunteerIds))
    .orderBy(asc(members.realName), asc(members.id))
    .limit(1000)
    .all();
  return { villages, volunteers };
}

/** Pending records in the reviewer's scope (by the village where the service happened), in `filter.order` (oldest submitted first by default); a page of `limit` from `offset`. */
export function verificationQueue(context: KeylessContext, actor: Actor, filter: QueueFilter = {}): QueueItem[] {
  // The page's ids and its rows from one snapshot (a read transaction), as when they were one query.
  return context.db.$client.transaction(() => queuePage(context, actor, filter)).deferred();
}

function queuePage(context: KeylessContext, actor: Actor, filter: QueueFilter): QueueItem[] {
  const ids = queuePageIds(context, actor, filter);
  if (ids.length === 0) return [];
  const ownMemberId = (actor.memberId ?? null);
  const rows = context.db
    .select({
      record: serviceRecords,
      volunteerName: members.realName,
      typeNameZh: serviceTypes.nameZh,
      typeNameEn: serviceTypes.nameEn,
      elderName: elders.realName,
      villageNameZh: regions.nameZh,
      villageNameEn: regions.nameEn,
      enteredByName: users.displayName,
    })
    .from(serviceRecords)
    .innerJoin(regions, eq(regions.code, serviceRecords.villageCode))
    .innerJoin(members, eq(members.id, serviceRecords.volunteerMemberId))
    .innerJoin(serviceTypes, eq(serviceTypes.id, serviceRecords.serviceTypeId))
    .leftJoin(elders, eq(elders.id, serviceRecords.elderId))
    .leftJoin(users, eq(users.id, serviceRecords.enteredByUserId))
    .where(inArray(serviceRecords.id, ids))
    .all();
  // In the page's order, which the ids already have: an ORDER BY here would let SQLite walk a whole
  // index in that order (over every record, not only pending ones) instead of reading 100 rows by id.
  const byId = new Map(rows.map((row) => [row.record.id, row]));
  const ordered = ids.map((id) => present(byId.get(id), 'the page ids were read in this snapshot, so each has its row'));
  return ordered.map((row) => ({
    id: row.record.id,
    volunteerName: row.volunteerName,
    volunteerMemberId: row.record.volunteerMemberId,
    typeCode: row.record.serviceTypeCode,
    typeNameZh: row.typeNameZh,
    typeNameEn: row.typeNameEn,
    elderName: row.elderName,
    villageCode: row.record.villageCode,
    villageNameZh: row.villageNameZh,
    villageNameEn: row.villageNameEn,
    serviceDate: row.record.serviceDate,
    startAtMs: row.record.startAtMs,
    endAtMs: row.record.endAtMs,
    durationMinutes: row.record.durationMinutes,
    creditMinutes: row.record.creditMinutes,
    note: row.record.note,
    source: row.record.source,
    enteredByName: row.enteredByName,
    createdAtMs: row.record.createdAtMs,
    own: ownReasonOf(row.record, actor.userId, ownMemberId) !== null,
    ownReason: ownReasonOf(row.record, actor.userId, ownMemberId),
  }));
}

/**
 * Up to this many pending records in the reviewer's scope (and village, when filtered), a page is found by
 * gathering them through the village index and sorting them; above it, by walking the order's index over the
 * network's pending records, which costs the same whatever the scope holds but reads past other scopes' records.
 * By submission time the queue is always walked (SQLite chose that index before there was a choice).
 */
export const gatherAndSortLimit = 2_000;

/**
 * The ids of one page of the queue. Only the tables the order needs are joined: SQLite runs a query's
 * joins for every row it skips with OFFSET, so a deep page with all of them read every skipped record's
 * volunteer, type, elder and author; the page's own rows are read with them afterwards. Walking in order
 * (a large scope, or by submission time always), sorted by volunteer or type the CROSS JOIN makes the table
 * holding the name the outer loop, walked in name order by its index, and each one's pending records are
 * read from a partial index in id order: no sort of the pending records.
 */
function queuePageIds(context: KeylessContext, actor: Actor, filter: QueueFilter): number[] {
  const order = filter.order ?? defaultQueueOrder;
  // A filter by type, volunteer or activity narrows the records through its own index (and the kept counts do
  // not cover it): those pages are gathered and sorted, as SQLite plans them.
  const narrowed = Boolean(filter.serviceTypeCode || filter.volunteerMemberId || filter.activityId);
  const walk = !narrowed && (order.sort === 'submitted' || keptPendingTotal(context, actor, filter.villageCode) > gatherAndSortLimit);
  const conditions = queueConditions(actor, filter, !walk || (order.sort === 'submitted' && filter.villageCode !== undefined));
  const select = context.db.select({ id: serviceRecords.id });
  const query = order.sort === 'volunteer'
    ? (walk
      ? select.from(pendingVolunteers).crossJoin(serviceRecords).where(and(eq(serviceRecords.volunteerMemberId, pendingVolunteers.memberId), ...conditions))
      : select.from(serviceRecords).innerJoin(members, eq(members.id, serviceRecords.volunteerMemberId)).where(and(...conditions)))
    : order.sort === 'type'
      ? (walk
        ? select.from(serviceTypes).crossJoin(serviceRecords).where(and(eq(serviceRecords.serviceTypeId, serviceTypes.id), ...conditions))
        : select.from(serviceRecords).innerJoin(serviceTypes, eq(serviceTypes.id, serviceRecords.serviceTypeId)).where(and(...conditions)))
      : select.from(serviceRecords).where(and(...conditions));
  return query
    .orderBy(...orderColumns(order, walk))
    .limit(Math.min(Math.max(filter.limit ?? 100, 1), 500))
    .offset(Math.max(filter.offset ?? 0, 0))
    .all()
    .map((row) => row.id);
}

/** How a reviewer recognises a record in a list: whose, when, what (the queue never shows ids). */
export interface RecordLabel {
  id: number;
  volunteerName: string;
  serviceDate: string;
  typeNameZh: string;
  typeNameEn: string;
}

/** Labels of the listed records the actor may verify (others are left out: their names are not the actor's to see). */
export function recordLabels(context: KeylessContext, actor: Actor, recordIds: readonly number[]): RecordLabel[] {
  const ids = [...new Set(recordIds)].slice(0, 500);
  if (ids.length === 0) return [];
  const rows = context.db
    .select({ id: serviceRecords.id, volunteerName: members.realName, serviceDate: serviceRecords.serviceDate, typeNameZh: serviceTypes.nameZh, typeNameEn: serviceTypes.nameEn, path: regions.path })
    .from(serviceRecords)
    .innerJoin(regions, eq(regions.code, serviceRecords.villageCode))
    .innerJoin(members, eq(members.id, serviceRecords.volunteerMemberId))
    .innerJoin(serviceTypes, eq(serviceTypes.id, serviceRecords.serviceTypeId))
    .where(inArray(serviceRecords.id, ids))
    .all();
  return rows.filter((row) => authorize(actor, canVerifyHours, { regionPath: row.path }) !== null).map(({ path: _path, ...label }) => label);
}

import { and, asc, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { regions, users } from '../../db/schema/core.ts';
import { serviceRecords, serviceTypes } from '../../db/schema/hours.ts';
import { elders, members } from '../../db/schema/people.ts';
import { authorize, regionScopes } from '../access/authorize.ts';
import type { Actor, KeylessContext } from './context.ts';
import { canVerifyHours } from './permissions.ts';

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

/** The SQL columns for each sort key, most significant first; the record id always breaks ties, so pages never overlap. */
function orderColumns(order: QueueOrder): SQL[] {
  const columns = {
    submitted: [serviceRecords.createdAtMs],
    volunteer: [members.namePinyin, members.realName, members.id],
    date: [serviceRecords.serviceDate, serviceRecords.startAtMs],
    type: [serviceTypes.nameZh, serviceRecords.serviceTypeCode],
    minutes: [serviceRecords.durationMinutes],
  }[order.sort];
  const direct = order.direction === 'desc' ? desc : asc;
  return [...columns, serviceRecords.id].map((column) => direct(column));
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
  source: 'self' | 'coordinator' | 'activity';
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
  if (paths.length === 0) return sql`0 = 1`;
  return or(...paths.map((path) => sql`${regions.path} LIKE ${`${path.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`))!;
}

function queueConditions(actor: Actor, filter: QueueFilter): SQL[] {
  const paths = regionScopes(actor, canVerifyHours);
  const conditions: SQL[] = [eq(serviceRecords.status, 'pending'), scopeCondition(paths)];
  if (filter.villageCode) conditions.push(eq(serviceRecords.villageCode, filter.villageCode));
  if (filter.serviceTypeCode) conditions.push(eq(serviceRecords.serviceTypeCode, filter.serviceTypeCode));
  if (filter.volunteerMemberId) conditions.push(eq(serviceRecords.volunteerMemberId, filter.volunteerMemberId));
  if (filter.activityId) conditions.push(eq(serviceRecords.activityId, filter.activityId));
  return conditions;
}

/** How many pending records match (the queue shows a page of them). */
export function queueTotal(context: KeylessContext, actor: Actor, filter: QueueFilter = {}): number {
  const row = context.db
    .select({ total: sql<number>`count(*)` })
    .from(serviceRecords)
    .innerJoin(regions, eq(regions.code, serviceRecords.villageCode))
    .where(and(...queueConditions(actor, filter)))
    .get();
  return row?.total ?? 0;
}

/** The villages and volunteers of every pending record in scope (DISTINCT, not just the page shown), for the filters. */
export function queueFilterOptions(context: KeylessContext, actor: Actor): {
  villages: { code: string; villageNameZh: string; villageNameEn: string | null }[];
  volunteers: { id: number; name: string }[];
} {
  const conditions = queueConditions(actor, {});
  const villages = context.db
    .selectDistinct({ code: regions.code, villageNameZh: regions.nameZh, villageNameEn: regions.nameEn })
    .from(serviceRecords)
    .innerJoin(regions, eq(regions.code, serviceRecords.villageCode))
    .where(and(...conditions))
    .orderBy(asc(regions.code))
    .limit(1000)
    .all();
  const volunteers = context.db
    .selectDistinct({ id: members.id, name: members.realName })
    .from(serviceRecords)
    .innerJoin(regions, eq(regions.code, serviceRecords.villageCode))
    .innerJoin(members, eq(members.id, serviceRecords.volunteerMemberId))
    .where(and(...conditions))
    .orderBy(asc(members.realName), asc(members.id))
    .limit(1000)
    .all();
  return { villages, volunteers };
}

/** Pending records in the reviewer's scope (by the village where the service happened), in `filter.order` (oldest submitted first by default); a page of `limit` from `offset`. */
export function verificationQueue(context: KeylessContext, actor: Actor, filter: QueueFilter = {}): QueueItem[] {
  const conditions = queueConditions(actor, filter);
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
    .where(and(...conditions))
    .orderBy(...orderColumns(filter.order ?? defaultQueueOrder))
    .limit(Math.min(Math.max(filter.limit ?? 100, 1), 500))
    .offset(Math.max(filter.offset ?? 0, 0))
    .all();
  return rows.map((row) => ({
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

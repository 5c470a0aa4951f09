import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { regions, users } from '../../db/schema/core.ts';
import { serviceRecords, serviceTypes } from '../../db/schema/hours.ts';
import { elders, members } from '../../db/schema/people.ts';
import { authorize, regionScopes } from '../access/authorize.ts';
import { ok, refuse, roleRefusal, type Actor, type KeylessContext, type HoursOutcome } from './context.ts';
import { canViewCoverage } from './permissions.ts';
import { liveStatuses } from './records.ts';
import { monthBounds, shanghaiDateOf, shanghaiMonthOf } from './time.ts';
import { byMostOverdue, lastVisitDates, visitState } from './visits.ts';
import { underAnyPath } from '../../db/conditions.ts';
import { nowOf } from '../kernel/context.ts';

/**
 * Visit coverage of the registry of elders with special difficulties. What
 * counts as a visit and when an elder is overdue is defined once, in
 * visits.ts, and shared with the reports' overdue list.
 */
export interface CoverageRow {
  elderId: number;
  realName: string;
  villageCode: string;
  villageNameZh: string;
  villageNameEn: string | null;
  visitIntervalDays: number;
  lastVisitDate: string | null;
  /** Days since the last visit (or since registration when never visited). */
  daysSince: number;
  /** Days past the interval; > 0 means overdue. */
  overdueDays: number;
  visitedThisMonth: boolean;
}

export interface Coverage {
  month: string;
  registered: number;
  visitedThisMonth: number;
  /** Whole percent, floor; 0 when nobody is registered. */
  ratePercent: number;
  rows: CoverageRow[];
}

export function visitCoverage(context: KeylessContext, actor: Actor, filter: { villageCode?: string } = {}): HoursOutcome<Coverage> {
  const refused = roleRefusal(actor, canViewCoverage);
  if (refused) return refused;
  const paths = regionScopes(actor, canViewCoverage);
  if (paths.length === 0) return refuse(403, { code: 'hours.error.no_scope' });
  const today = shanghaiDateOf(nowOf(context));
  const month = shanghaiMonthOf(nowOf(context));
  const { first } = monthBounds(month);
  const conditions: SQL[] = [eq(elders.status, 'active'), underAnyPath(regions.path, paths)];
  if (filter.villageCode) conditions.push(eq(elders.villageCode, filter.villageCode));
  const rows = context.db
    .select({
      elderId: elders.id, realName: elders.realName, villageCode: elders.villageCode, villageNameZh: regions.nameZh, villageNameEn: regions.nameEn,
      visitIntervalDays: elders.visitIntervalDays, createdAtMs: elders.createdAtMs,
    })
    .from(elders)
    .innerJoin(regions, eq(regions.code, elders.villageCode))
    .where(and(...conditions))
    .all();
  const lastVisits = lastVisitDates(context.db.$client, rows.map((row) => row.elderId), today);
  const coverageRows: CoverageRow[] = rows.map((row) => {
    const state = visitState(lastVisits.get(row.elderId) ?? null, row.createdAtMs, row.visitIntervalDays, today);
    return {
      elderId: row.elderId, realName: row.realName, villageCode: row.villageCode, villageNameZh: row.villageNameZh, villageNameEn: row.villageNameEn,
      visitIntervalDays: row.visitIntervalDays, ...state,
      visitedThisMonth: state.lastVisitDate !== null && state.lastVisitDate >= first,
    };
  });
  coverageRows.sort(byMostOverdue);
  const visited = coverageRows.filter((row) => row.visitedThisMonth).length;
  return ok({
    month,
    registered: coverageRows.length,
    visitedThisMonth: visited,
    ratePercent: coverageRows.length === 0 ? 0 : Math.floor((visited * 100) / coverageRows.length),
    rows: coverageRows,
  });
}

export interface ElderServices {
  elder: { id: number; realName: string; villageNameZh: string; villageNameEn: string | null; visitIntervalDays: number };
  services: {
    id: number; serviceDate: string; startAtMs: number; durationMinutes: number; status: string;
    typeNameZh: string; typeNameEn: string; volunteerName: string; enteredByName: string | null; source: string;
  }[];
}

/** Each elder's page: the visits and services received, newest first. */
export function elderServices(context: KeylessContext, actor: Actor, elderId: number): HoursOutcome<ElderServices> {
  // The role before the lookup: someone without it learns nothing of which elders exist.
  const refused = roleRefusal(actor, canViewCoverage);
  if (refused) return refused;
  const elder = context.db
    .select({ id: elders.id, realName: elders.realName, villageNameZh: regions.nameZh, villageNameEn: regions.nameEn, visitIntervalDays: elders.visitIntervalDays, path: regions.path })
    .from(elders)
    .innerJoin(regions, eq(regions.code, elders.villageCode))
    .where(eq(elders.id, elderId))
    .get();
  if (!elder) return refuse(404, { code: 'hours.error.elder_not_found' });
  if (!authorize(actor, canViewCoverage, { regionPath: elder.path })) return refuse(404, { code: 'hours.error.elder_not_found' });
  const services = context.db
    .select({
      id: serviceRecords.id, serviceDate: serviceRecords.serviceDate, startAtMs: serviceRecords.startAtMs, durationMinutes: serviceRecords.durationMinutes,
      status: serviceRecords.status, typeNameZh: serviceTypes.nameZh, typeNameEn: serviceTypes.nameEn, volunteerName: members.realName,
      enteredByName: users.displayName, source: serviceRecords.source,
    })
    .from(serviceRecords)
    .innerJoin(serviceTypes, eq(serviceTypes.id, serviceRecords.serviceTypeId))
    .innerJoin(members, eq(members.id, serviceRecords.volunteerMemberId))
    .leftJoin(users, eq(users.id, serviceRecords.enteredByUserId))
    .where(and(eq(serviceRecords.elderId, elderId), inArray(serviceRecords.status, ['pending', 'approved', 'rejected', 'expired', 'reversed', 'completed'])))
    .orderBy(desc(serviceRecords.startAtMs))
    .limit(200)
    .all();
  const { path: _path, ...shown } = elder;
  return ok({ elder: shown, services });
}

export { liveStatuses };

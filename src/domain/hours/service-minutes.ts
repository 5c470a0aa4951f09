import { connectionOf, type Db } from '../../db/client.ts';

/**
 * The statuses of a verified service that still stands (docs/RECORDS.md
 * "Service hours"): 'approved' only (reviewed by a coordinator or an office,
 * its duration checked against the standard and other records). A 'completed'
 * service request is a paid transaction whose minutes are the credits offered,
 * never measured or reviewed: counting it would let two members buy each other
 * certificate and star hours by paying back and forth. 'reversed' records leave
 * the count; pending, rejected and expired ones never entered it.
 */
export const verifiedStatuses = ['approved'] as const;
const verifiedIn = verifiedStatuses.map((status) => `'${status}'`).join(', ');

export interface ServicePeriod {
  /** Inclusive lower bound on the service's start (UTC ms). */
  fromMs?: number;
  /** Exclusive upper bound on the service's start (UTC ms). */
  toMs?: number;
  /** Only services given in this county (a county office certifies its own records). */
  countyCode?: string;
}

export interface MinutesByServiceType {
  code: string;
  nameZh: string;
  nameEn: string;
  minutes: number;
  records: number;
}

/**
 * Who organised the service and so recorded it (谁组织谁记录): the team whose
 * activity it was, or else the county office of the county where it was given.
 */
export interface MinutesByUnit {
  kind: 'team' | 'office';
  /** 'team:<id>' or 'office:<county code>'. */
  key: string;
  nameZh: string;
  nameEn: string;
  minutes: number;
  records: number;
}

export interface VerifiedServiceMinutes {
  totalMinutes: number;
  records: number;
  byServiceType: MinutesByServiceType[];
  byUnit: MinutesByUnit[];
}

const periodWhere = `r.volunteer_member_id = @member AND r.status IN (${verifiedIn})
  AND r.start_at_ms >= @from AND r.start_at_ms < @to AND (@county IS NULL OR r.county_code = @county)`;

const byTypeSql = `SELECT r.service_type_code AS code, min(t.name_zh) AS nameZh, min(t.name_en) AS nameEn,
    sum(r.duration_minutes) AS minutes, count(*) AS records
  FROM service_records r JOIN service_types t ON t.id = r.service_type_id
  WHERE ${periodWhere} GROUP BY r.service_type_code ORDER BY minutes DESC, code`;

const byUnitSql = `SELECT CASE WHEN tm.id IS NULL THEN 'office' ELSE 'team' END AS kind,
    CASE WHEN tm.id IS NULL THEN 'office:' || r.county_code ELSE 'team:' || tm.id END AS key,
    coalesce(min(tm.name), min(g.name_zh) || '老龄办', r.county_code) AS nameZh,
    coalesce(min(tm.name), min(coalesce(g.name_en, g.name_zh)) || ' ageing office', r.county_code) AS nameEn,
    sum(r.duration_minutes) AS minutes, count(*) AS records
  FROM service_records r
  LEFT JOIN team_activities a ON a.id = r.activity_id
  LEFT JOIN teams tm ON tm.id = a.team_id
  LEFT JOIN regions g ON g.code = r.county_code
  WHERE ${periodWhere} GROUP BY key ORDER BY minutes DESC, key`;

/**
 * The minutes a member actually served (service_records.duration_minutes:
 * the time of the service itself, not the credit it earned after the
 * standard's coefficient and the balance cap, and no travel, which the
 * records never hold) in verified records that still stand, in a period of
 * service start times (all time when no bounds are given). Spending, gifting
 * or donating credits moves the wallet, never this figure.
 */
export function verifiedServiceMinutes(db: Db, memberId: number, period: ServicePeriod = {}): VerifiedServiceMinutes {
  const from = period.fromMs ?? Number.MIN_SAFE_INTEGER;
  const to = period.toMs ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new Error('service period bounds must be integers (ms)');
  const sqlite = connectionOf(db);
  const parameters = { member: memberId, from, to, county: period.countyCode ?? null };
  const byServiceType = sqlite.prepare(byTypeSql).all(parameters) as MinutesByServiceType[];
  const byUnit = sqlite.prepare(byUnitSql).all(parameters) as MinutesByUnit[];
  const totalMinutes = byServiceType.reduce((sum, row) => sum + row.minutes, 0);
  const records = byServiceType.reduce((sum, row) => sum + row.records, 0);
  return { totalMinutes, records, byServiceType, byUnit };
}

/** The ids of the records `verifiedServiceMinutes` counts for the same member and period, oldest first. */
export function verifiedRecordIds(db: Db, memberId: number, period: ServicePeriod = {}): number[] {
  const parameters = { member: memberId, from: period.fromMs ?? Number.MIN_SAFE_INTEGER, to: period.toMs ?? Number.MAX_SAFE_INTEGER, county: period.countyCode ?? null };
  return connectionOf(db).prepare(`SELECT r.id FROM service_records r WHERE ${periodWhere} ORDER BY r.start_at_ms, r.id`).pluck().all(parameters) as number[];
}

/**
 * Of the given records of a member, the minutes served in those that still
 * stand verified, and how many no longer do (reversed since): what a
 * certificate's verification re-derives from the records named in it.
 */
export function standingMinutesOf(db: Db, memberId: number, recordIds: readonly number[]): { totalMinutes: number; standing: number; fallen: number } {
  const select = connectionOf(db).prepare(`SELECT status, duration_minutes AS minutes FROM service_records WHERE id = ? AND volunteer_member_id = ?`);
  let totalMinutes = 0;
  let standing = 0;
  for (const id of recordIds) {
    const row = select.get(id, memberId) as { status: string; minutes: number } | undefined;
    if (row && (verifiedStatuses as readonly string[]).includes(row.status)) {
      totalMinutes += row.minutes;
      standing += 1;
    }
  }
  return { totalMinutes, standing, fallen: recordIds.length - standing };
}

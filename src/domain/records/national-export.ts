import { connectionOf, type Db } from '../../db/client.ts';
import { verifiedStatuses } from '../hours/service-minutes.ts';
import { allowsRegion, regionScopes, type Actor } from '../access/authorize.ts';
import { recordWithinAllowances } from '../audit/audit.ts';
import { nowOf, type DomainContext } from '../kernel/context.ts';
import { failure, success, type Outcome, type Problem } from '../kernel/outcome.ts';
import { addDays, isCalendarDate, shanghaiDateOf, shanghaiTimeOf } from '../hours/time.ts';
import { openIdNumber } from '../people/members/identity.ts';
import { regionRow, type RegionRow } from '../regions/regions.ts';
import { hours, type Section } from '../reports/exports.ts';
import { canExportRecords } from './permissions.ts';

const verifiedIn = verifiedStatuses.map((status) => `'${status}'`).join(', ');

/**
 * The national data export (docs/RECORDS.md "National data export"): the
 * volunteers of a region and the verified service records given in it during
 * a period, in the data items of 民政部令第67号 (identity, service, training,
 * awards, evaluation), keyed by volunteer number. Headers are Chinese whatever
 * the screen language: the file is handed to the national system.
 */
export const volunteerHeader = ['志愿者编号', '姓名', '性别', '出生年份', '所在地区代码', '所在地区', '注册日期', '星级', '期间服务时长（小时）', '培训情况', '评价情况'];
export const recordHeader = ['记录编号', '志愿者编号', '服务日期', '开始时间', '结束时间', '服务地点', '服务地区代码', '服务类型', '组织单位', '服务时长（小时）', '核验人', '核验方式'];
export const idNumberHeader = '身份证号码';

/** The longest period one export covers. */
export const maximumExportYears = 5;
/** Exports with ID numbers per office user per hour (each with its recorded reason). */
export const idExportsPerHour = 5;

export interface ExportInput {
  regionCode: string;
  from: string;
  to: string;
  includeIdNumbers: boolean;
  reason?: string | null;
}

export interface NationalExport {
  region: RegionRow;
  from: string;
  to: string;
  sections: Section[];
}

function checkInput(input: ExportInput, today: string): Problem | null {
  if (!isCalendarDate(input.from)) return { code: 'records.error.period_from_invalid', field: 'from' };
  if (!isCalendarDate(input.to)) return { code: 'records.error.period_to_invalid', field: 'to' };
  if (input.from > input.to) return { code: 'records.error.period_reversed', field: 'from' };
  if (input.to > today) return { code: 'records.error.period_future', field: 'to', params: { today } };
  if (addDays(input.from, 366 * maximumExportYears) < input.to) return { code: 'records.error.export_period_too_long', field: 'from', params: { years: maximumExportYears } };
  if (input.includeIdNumbers && (input.reason ?? '').trim().length === 0) return { code: 'records.error.export_reason_required', field: 'reason' };
  if ((input.reason ?? '').trim().length > 200) return { code: 'records.error.reason_too_long', field: 'reason', params: { max: 200 } };
  return null;
}

/** Each member's highest awarded star (the star levels of issue 18, table star_awards). */
function awardedStars(db: Db): Map<number, number> {
  const rows = connectionOf(db).prepare("SELECT member_id AS memberId, max(star) AS star FROM star_awards WHERE status = 'awarded' GROUP BY member_id").all() as { memberId: number; star: number }[];
  return new Map(rows.map((row) => [row.memberId, row.star]));
}

function volunteerSection(context: DomainContext, region: RegionRow, input: ExportInput): Section {
  const stars = awardedStars(context.db);
  const rows = connectionOf(context.db).prepare(`SELECT m.id, m.volunteer_number AS volunteerNumber, m.real_name AS name, m.gender, substr(m.birth_date, 1, 4) AS birthYear,
      m.village_code AS villageCode, v.name_zh AS villageName, m.created_at_ms AS createdAtMs, m.id_number_ciphertext AS cipher,
      coalesce((SELECT sum(r.duration_minutes) FROM service_records r WHERE r.volunteer_member_id = m.id AND r.status IN (${verifiedIn})
        AND r.service_date BETWEEN @from AND @to), 0) AS minutes
    FROM members m JOIN regions v ON v.code = m.village_code
    WHERE v.path LIKE @prefix AND m.status IN ('active','suspended') AND m.created_at_ms < @before
    ORDER BY m.volunteer_number, m.id`).all({ prefix: `${region.path}%`, from: input.from, to: input.to, before: shanghaiMsAfter(input.to) }) as
    { id: number; volunteerNumber: string | null; name: string; gender: string; birthYear: string; villageCode: string; villageName: string; createdAtMs: number; cipher: string; minutes: number }[];
  return {
    key: 'volunteers', title: '志愿者',
    header: input.includeIdNumbers ? [...volunteerHeader, idNumberHeader] : volunteerHeader,
    rows: rows.map((row) => {
      const cells = [row.volunteerNumber ?? '', row.name, row.gender === 'male' ? '男' : '女', Number(row.birthYear), row.villageCode, row.villageName,
        shanghaiDateOf(row.createdAtMs), stars.get(row.id) ?? null, hours(row.minutes), null, null];
      return input.includeIdNumbers ? [...cells, openIdNumber(context.keys, row.cipher)] : cells;
    }),
  };
}

/** UTC ms of the Shanghai midnight after `date`. */
function shanghaiMsAfter(date: string): number {
  return Date.parse(`${addDays(date, 1)}T00:00:00+08:00`);
}

function recordSection(db: Db, region: RegionRow, input: ExportInput): Section {
  const rows = connectionOf(db).prepare(`SELECT r.id, m.volunteer_number AS volunteerNumber, r.service_date AS serviceDate, r.start_at_ms AS startAtMs, r.end_at_ms AS endAtMs,
      coalesce(a.place, v.name_zh) AS place, r.village_code AS villageCode, coalesce(t.name_zh, r.service_type_code) AS typeName,
      coalesce(tm.name, c.name_zh || '老龄办') AS unit, r.duration_minutes AS minutes, u.display_name AS reviewer, r.status, r.source
    FROM service_records r JOIN members m ON m.id = r.volunteer_member_id JOIN regions v ON v.code = r.village_code
    LEFT JOIN service_types t ON t.id = r.service_type_id LEFT JOIN team_activities a ON a.id = r.activity_id LEFT JOIN teams tm ON tm.id = a.team_id
    LEFT JOIN regions c ON c.code = r.county_code LEFT JOIN users u ON u.id = coalesce(r.reviewed_by_user_id, r.entered_by_user_id)
    WHERE v.path LIKE @prefix AND r.status IN (${verifiedIn}) AND r.service_date BETWEEN @from AND @to
    ORDER BY r.service_date, r.start_at_ms, r.id`).all({ prefix: `${region.path}%`, from: input.from, to: input.to }) as
    { id: number; volunteerNumber: string | null; serviceDate: string; startAtMs: number; endAtMs: number; place: string; villageCode: string; typeName: string;
      unit: string; minutes: number; reviewer: string | null; status: string; source: string }[];
  return {
    key: 'records', title: '服务记录', header: recordHeader,
    rows: rows.map((row) => [row.id, row.volunteerNumber ?? '', row.serviceDate, shanghaiTimeOf(row.startAtMs), shanghaiTimeOf(row.endAtMs), row.place, row.villageCode,
      row.typeName, row.unit, hours(row.minutes), row.reviewer ?? '', '审核通过']),
  };
}

/**
 * The export for an office in scope of `regionCode` (a region outside the
 * scope answers like a missing one). ID numbers only with a reason, recorded
 * in the audit log in the same write transaction that counts the hourly
 * allowance; every export is audited.
 */
export function nationalExport(context: DomainContext, actor: Actor, input: ExportInput): Outcome<NationalExport> {
  if (regionScopes(actor, canExportRecords).length === 0) return failure(403, { code: 'records.export.none' });
  const region = regionRow(context.db, input.regionCode);
  // A region outside the scope gets the sentence an unknown code gets: the form offers only regions in scope.
  if (!region || !allowsRegion(actor, canExportRecords, region.path)) return failure(422, { code: 'records.error.export_region', field: 'region' });
  const at = nowOf(context);
  const problem = checkInput(input, shanghaiDateOf(at));
  if (problem) return failure(422, problem);
  const detail = { from: input.from, to: input.to, idNumbers: input.includeIdNumbers, ...(input.includeIdNumbers ? { reason: (input.reason ?? '').trim() } : {}) };
  const entry = { action: input.includeIdNumbers ? 'records.export_with_id' : 'records.export', actorUserId: actor.userId, objectType: 'region', objectId: region.code,
    regionCode: region.code, ipAddress: actor.ipAddress ?? null, detail };
  const limits = input.includeIdNumbers ? [{ actorUserId: actor.userId, max: idExportsPerHour }] : [];
  if (!recordWithinAllowances(context.db, entry, at, 3_600_000, limits)) return failure(429, { code: 'records.error.export_limit', field: 'reason', params: { max: idExportsPerHour } });
  return success({ region, from: input.from, to: input.to, sections: [volunteerSection(context, region, input), recordSection(context.db, region, input)] });
}

export interface ExportRegion {
  code: string;
  nameZh: string;
  nameEn: string | null;
  level: string;
}

/** The regions an office may export: its scope roots and the regions one and two levels below them. */
export function exportRegions(db: Db, actor: Actor): ExportRegion[] | null {
  const roots = regionScopes(actor, canExportRecords);
  if (roots.length === 0) return null;
  const select = connectionOf(db).prepare(`SELECT code, name_zh AS nameZh, name_en AS nameEn, level FROM regions
    WHERE path LIKE @prefix AND level IN ('province','city','county','township') AND length(path) - length(replace(path, '/', '')) <= @depth ORDER BY path LIMIT 500`);
  return roots.flatMap((root) => select.all({ prefix: `${root}%`, depth: root.split('/').length - 1 + 2 }) as ExportRegion[]);
}

import { asc, desc, eq } from 'drizzle-orm';
import { hasRefusedNameCharacters } from '../../lib/display-name.ts';
import { regions } from '../../db/schema/core.ts';
import { connectionOf } from '../../db/client.ts';
import { serviceCategories, serviceStandardVersions, serviceTypes } from '../../db/schema/hours.ts';
import type { Actor } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { ok, refuse, type KeylessContext, type HoursOutcome, type Problem } from './context.ts';
import { isCalendarDate, shanghaiDateOf } from './time.ts';
import { nowOf } from '../kernel/context.ts';
import { writeTransaction } from '../kernel/transaction.ts';

export type ServiceType = typeof serviceTypes.$inferSelect;
export type StandardVersion = typeof serviceStandardVersions.$inferSelect;

/**
 * The top office: an office or administrator role scoped to a root of the
 * region tree (the province). Only it publishes the standard and the policy,
 * so the whole network keeps one standard (标准统一).
 */
export function isTopOffice(context: KeylessContext, actor: Actor): boolean {
  return actor.grants.some((grant) => {
    if ((grant.role !== 'office' && grant.role !== 'admin') || !grant.regionCode) return false;
    const region = context.db.select({ parentCode: regions.parentCode }).from(regions).where(eq(regions.code, grant.regionCode)).get();
    return region !== undefined && region.parentCode === null;
  });
}

const versionInForceSql = `SELECT id, effective_date AS effectiveDate, note, published_by_user_id AS publishedByUserId, published_at_ms AS publishedAtMs
  FROM service_standard_versions WHERE effective_date <= ? ORDER BY effective_date DESC LIMIT 1`;

/** The version in force on a Shanghai date, or undefined before the first one (raw SQL on the statement cache: read on every log request). */
export function versionInForce(context: KeylessContext, date: string): StandardVersion | undefined {
  return connectionOf(context.db).prepare(versionInForceSql).get(date) as StandardVersion | undefined;
}

export function typesOfVersion(context: KeylessContext, versionId: number): ServiceType[] {
  return context.db.select().from(serviceTypes).where(eq(serviceTypes.versionId, versionId)).orderBy(asc(serviceTypes.id)).all();
}

/** The types in force on a date (active and inactive), in publication order. */
export function typesInForce(context: KeylessContext, date: string): ServiceType[] {
  const version = versionInForce(context, date);
  return version ? typesOfVersion(context, version.id) : [];
}

const typeInForceSql = `SELECT id, version_id AS versionId, code, name_zh AS nameZh, name_en AS nameEn, category, coefficient_milli AS coefficientMilli,
  max_minutes AS maxMinutes, recipient_required AS recipientRequired, active FROM service_types WHERE version_id = ? AND code = ?`;

/** The type with this code in the version in force on a date (raw SQL on the statement cache: read on every log request). */
export function typeInForce(context: KeylessContext, code: string, date: string): ServiceType | undefined {
  const version = versionInForce(context, date);
  if (!version) return undefined;
  const row = connectionOf(context.db).prepare(typeInForceSql).get(version.id, code) as (Omit<ServiceType, 'recipientRequired' | 'active'> & { recipientRequired: number; active: number }) | undefined;
  return row ? { ...row, recipientRequired: row.recipientRequired === 1, active: row.active === 1 } : undefined;
}

export function listVersions(context: KeylessContext): StandardVersion[] {
  return context.db.select().from(serviceStandardVersions).orderBy(desc(serviceStandardVersions.effectiveDate)).all();
}

/** Credit for a record: floor(minutes x coefficient), in whole minutes, with the coefficient in thousandths. */
export function creditFor(durationMinutes: number, coefficientMilli: number): number {
  return Math.floor((durationMinutes * coefficientMilli) / 1000);
}

/** '1.0' -> 1000, '1.25' -> 1250; null when not a number with at most three decimals in (0, 10]. */
export function parseCoefficient(raw: string): number | null {
  const text = raw.trim();
  if (!/^\d{1,2}(\.\d{1,3})?$/.test(text)) return null;
  const [whole = '0', fraction = ''] = text.split('.');
  const milli = Number(whole) * 1000 + Number(fraction.padEnd(3, '0'));
  return milli >= 1 && milli <= 10000 ? milli : null;
}

export function formatCoefficient(milli: number): string {
  const whole = Math.floor(milli / 1000);
  const fraction = String(milli % 1000).padStart(3, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}.0`;
}

export interface ServiceTypeInput {
  code: string;
  nameZh: string;
  nameEn: string;
  category: string;
  coefficient: string;
  maxMinutes: string;
  recipientRequired: boolean;
  active: boolean;
}

export interface NewVersionInput {
  effectiveDate: string;
  note?: string;
  types: readonly ServiceTypeInput[];
}

interface CheckedType {
  code: string;
  nameZh: string;
  nameEn: string;
  category: string;
  coefficientMilli: number;
  maxMinutes: number;
  recipientRequired: boolean;
  active: boolean;
}

function checkType(input: ServiceTypeInput, index: number, problems: Problem[]): CheckedType {
  const field = (name: string) => `types.${index}.${name}`;
  const code = input.code.trim();
  if (!/^[a-z][a-z0-9_]{1,31}$/.test(code)) problems.push({ code: 'hours.error.type_code_invalid', field: field('code'), params: { row: index + 1 } });
  const nameZh = input.nameZh.trim();
  const nameEn = input.nameEn.trim();
  if (nameZh === '' || nameZh.length > 30) problems.push({ code: 'hours.error.type_name_required', field: field('nameZh'), params: { row: index + 1 } });
  else if (hasRefusedNameCharacters(nameZh)) problems.push({ code: 'hours.error.type_name_invalid', field: field('nameZh'), params: { row: index + 1 } });
  if (nameEn === '' || nameEn.length > 60) problems.push({ code: 'hours.error.type_name_required', field: field('nameEn'), params: { row: index + 1 } });
  else if (hasRefusedNameCharacters(nameEn)) problems.push({ code: 'hours.error.type_name_invalid', field: field('nameEn'), params: { row: index + 1 } });
  if (!(serviceCategories as readonly string[]).includes(input.category)) {
    problems.push({ code: 'hours.error.type_category_invalid', field: field('category'), params: { row: index + 1 } });
  }
  const coefficientMilli = parseCoefficient(input.coefficient);
  if (coefficientMilli === null) problems.push({ code: 'hours.error.type_coefficient_invalid', field: field('coefficient'), params: { row: index + 1 } });
  const maxText = input.maxMinutes.trim();
  const maxMinutes = Number(maxText);
  if (!/^\d+$/.test(maxText) || maxMinutes < 1 || maxMinutes > 1440) {
    problems.push({ code: 'hours.error.type_max_invalid', field: field('maxMinutes'), params: { row: index + 1 } });
  }
  return { code, nameZh, nameEn, category: input.category, coefficientMilli: coefficientMilli ?? 1000, maxMinutes, recipientRequired: input.recipientRequired, active: input.active };
}

/**
 * Publishes a complete new version of the standard. Only the top office may;
 * the effective date must be after today (Shanghai), so no record already
 * logged falls under it and published credits never change. The very first
 * version may take any date.
 */
export function publishVersion(context: KeylessContext, actor: Actor, input: NewVersionInput, ipAddress: string | null = null): HoursOutcome<{ versionId: number }> {
  if (!isTopOffice(context, actor)) return refuse(403, { code: 'hours.error.top_office_only' });
  const problems: Problem[] = [];
  const effectiveDate = input.effectiveDate.trim();
  const today = shanghaiDateOf(nowOf(context));
  const first = listVersions(context).length === 0;
  if (!isCalendarDate(effectiveDate)) problems.push({ code: 'hours.error.date_invalid', field: 'effectiveDate' });
  else if (!first && effectiveDate <= today) problems.push({ code: 'hours.error.version_date_not_future', field: 'effectiveDate', params: { today } });
  else if (context.db.select().from(serviceStandardVersions).where(eq(serviceStandardVersions.effectiveDate, effectiveDate)).get()) {
    problems.push({ code: 'hours.error.version_date_taken', field: 'effectiveDate', params: { date: effectiveDate } });
  }
  if (input.types.length === 0) problems.push({ code: 'hours.error.version_no_types', field: 'types' });
  const checked = input.types.map((type, index) => checkType(type, index, problems));
  const codes = new Set<string>();
  for (const type of checked) {
    if (codes.has(type.code)) problems.push({ code: 'hours.error.type_code_duplicate', field: 'types', params: { code: type.code } });
    codes.add(type.code);
  }
  if (problems.length > 0) return refuse(422, ...problems);
  const note = [...(input.note ?? '').trim()].slice(0, 200).join('') || null; // the form allows 200 characters
  const at = nowOf(context);
  const versionId = writeTransaction(context.db, (tx) => {
      const version = tx.insert(serviceStandardVersions)
        .values({ effectiveDate, note, publishedByUserId: actor.userId, publishedAtMs: at })
        .returning({ id: serviceStandardVersions.id })
        .get();
      tx.insert(serviceTypes).values(checked.map((type) => ({ ...type, versionId: version.id }))).run();
      recordAudit(tx as never, {
        action: 'hours.standard_publish', actorUserId: actor.userId, objectType: 'service_standard_version', objectId: version.id,
        ipAddress, detail: { effectiveDate, types: checked.length },
      }, at);
      return version.id;
    });
  return ok({ versionId });
}

/** The name of a type in the reader's language. */
export function typeName(type: Pick<ServiceType, 'nameZh' | 'nameEn'>, locale: string): string {
  return locale === 'en' ? type.nameEn : type.nameZh;
}

import { connectionOf, type Db } from '../../db/client.ts';
import type { Actor } from '../access/authorize.ts';

export interface IssuingOffice {
  countyCode: string;
  nameZh: string;
  nameEn: string;
}

/**
 * The counties whose ageing office the actor is: office grants at county
 * level. A certificate is issued in the name of the county office of the
 * county where the service was given (docs/RECORDS.md "Who certifies"), so a
 * city or province office does not issue one, and an office of another county
 * does not see the request at all.
 */
export function issuingOffices(db: Db, actor: Actor | null): IssuingOffice[] {
  if (!actor) return [];
  const codes = actor.grants.filter((grant) => grant.role === 'office' && grant.regionCode !== null).map((grant) => grant.regionCode as string);
  if (codes.length === 0) return [];
  const select = connectionOf(db).prepare(`SELECT code AS countyCode, name_zh AS nameZh, coalesce(name_en, name_zh) AS nameEn FROM regions WHERE code = ? AND level = 'county'`);
  return [...new Set(codes)].map((code) => select.get(code) as IssuingOffice | undefined).filter((office): office is IssuingOffice => office !== undefined);
}

export function issuesFor(db: Db, actor: Actor | null, countyCode: string): boolean {
  return issuingOffices(db, actor).some((office) => office.countyCode === countyCode);
}

/** The issuing office of a county by name (凤凰县老龄办 / Fenghuang County ageing office). */
export function officeOf(db: Db, countyCode: string): IssuingOffice {
  const row = connectionOf(db).prepare(`SELECT code AS countyCode, name_zh AS nameZh, coalesce(name_en, name_zh) AS nameEn FROM regions WHERE code = ?`).get(countyCode) as IssuingOffice | undefined;
  return row ?? { countyCode, nameZh: countyCode, nameEn: countyCode };
}

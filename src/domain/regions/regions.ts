import { asc, eq } from 'drizzle-orm';
import { connectionOf, type Db } from '../../db/client.ts';
import { regions } from '../../db/schema/core.ts';
import { hasRefusedNameCharacters } from '../../lib/display-name.ts';
import { recordAudit } from '../audit/audit.ts';
import { authorize, type Actor } from '../access/authorize.ts';
import { failure, type Refusal } from '../kernel/outcome.ts';
import { codesOfPath, type RegionLevel } from './path.ts';
import { canAddRegions } from './permissions.ts';
import { writeTransaction } from '../kernel/transaction.ts';

export type { RegionLevel };
export type Region = typeof regions.$inferSelect;

/** The level a child of each level has; villages have no children. */
export const childLevel: Readonly<Record<RegionLevel, RegionLevel | null>> = {
  province: 'city',
  city: 'county',
  county: 'township',
  township: 'village',
  village: null,
};

/** What the people and redemption domains look a region up for. */
export type RegionRow = Pick<Region, 'code' | 'level' | 'nameZh' | 'nameEn' | 'path'>;

/**
 * A region by code on the raw connection (the same one inside a drizzle
 * transaction): the statement cache (src/db/client.ts) compiles it once, so
 * checking the villages of a 10,000-row roster stays cheap.
 */
export function regionRow(db: Db, code: string): RegionRow | undefined {
  return connectionOf(db).prepare('SELECT code, level, name_zh AS nameZh, name_en AS nameEn, path FROM regions WHERE code = ?').get(code) as RegionRow | undefined;
}

export function findRegion(db: Db, code: string): Region | undefined {
  return db.select().from(regions).where(eq(regions.code, code)).get();
}

export function childrenOf(db: Db, code: string): Region[] {
  return db.select().from(regions).where(eq(regions.parentCode, code)).orderBy(asc(regions.code)).all();
}

/** Ancestors from the root down to the region's parent, read from its path. */
export function ancestorsOf(db: Db, region: Region): Region[] {
  const codes = codesOfPath(region.path).filter((code) => code !== region.code);
  return codes.map((code) => findRegion(db, code)).filter((found): found is Region => found !== undefined);
}

export function regionName(region: Pick<Region, 'nameZh' | 'nameEn'>, locale: string): string {
  return locale === 'en' && region.nameEn ? region.nameEn : region.nameZh;
}

/** Inserts a region under its parent; no validation beyond the database's. Used by the seed and by addChildRegion. */
export function insertRegion(
  db: Db,
  values: { code: string; parentCode: string | null; level: RegionLevel; nameZh: string; nameEn?: string | null; rural?: boolean | null },
  nowMs: number,
): Region {
  const parentPath = values.parentCode === null ? '/' : findRegion(db, values.parentCode)?.path;
  if (parentPath === undefined) throw new Error(`parent region ${values.parentCode} does not exist`);
  const row = {
    code: values.code,
    parentCode: values.parentCode,
    level: values.level,
    nameZh: values.nameZh,
    nameEn: values.nameEn ?? null,
    rural: values.rural ?? null,
    path: `${parentPath}${values.code}/`,
    createdAtMs: nowMs,
  };
  db.insert(regions).values(row).run();
  return row;
}

export interface NewRegionInput {
  code: string;
  nameZh: string;
  nameEn: string;
  /** 'rural' | 'urban', villages only. */
  kind: string;
}

/** Field errors as message keys, so the route shows them in the user's language. */
export type FieldErrors = Partial<Record<keyof NewRegionInput, string>>;

/** The answer a missing region code gets; a region outside the actor's scope gets exactly the same (issue 12 item 7). */
export const regionNotFoundCode = 'regions.error.notFound';

/**
 * Why the actor may not add a region under `parent`, or null: the 403 page for
 * someone without the role (whatever the region), and for someone with it but
 * the parent outside the scope, the 404 a missing region gets.
 */
export function addRefusal(actor: Actor, parent: Region): Refusal | null {
  if (!authorize(actor, canAddRegions)) return failure(403, { code: 'errors.forbidden.message' });
  return authorize(actor, canAddRegions, { regionPath: parent.path }) ? null : failure(404, { code: regionNotFoundCode });
}

export type AddRegionResult = { ok: true; region: Region } | { ok: false; errors: FieldErrors } | Refusal;

/**
 * Adds a township under a county (9-digit code starting with the county's 6
 * digits) or a village under a township (12-digit code starting with the
 * township's 9 digits). Writes the region and its audit entry together.
 */
export function addChildRegion(db: Db, actor: Actor, parent: Region, input: NewRegionInput, ipAddress: string, nowMs: number): AddRegionResult {
  // Only an administrator whose scope holds the parent adds under it (before anything is checked or written).
  const refused = addRefusal(actor, parent);
  if (refused) return refused;
  const actorUserId = actor.userId;
  const level = childLevel[parent.level];
  const errors: FieldErrors = {};
  if (level !== 'township' && level !== 'village') return { ok: false, errors: { code: 'regions.error.cannotAddHere' } };
  const code = input.code.trim();
  const nameZh = input.nameZh.trim();
  const nameEn = input.nameEn.trim();
  const digits = level === 'township' ? 9 : 12;
  if (code === '') errors.code = 'regions.error.codeRequired';
  else if (!new RegExp(`^\\d{${digits}}$`).test(code)) errors.code = level === 'township' ? 'regions.error.townshipCodeFormat' : 'regions.error.villageCodeFormat';
  else if (!code.startsWith(parent.code)) errors.code = 'regions.error.codeParentPrefix';
  else if (/^0+$/.test(code.slice(parent.code.length))) errors.code = 'regions.error.codeParentPrefix';
  else if (findRegion(db, code)) errors.code = 'regions.error.codeTaken';
  if (nameZh === '') errors.nameZh = 'regions.error.nameRequired';
  else if ([...nameZh].length > 40) errors.nameZh = 'regions.error.nameTooLong';
  else if (hasRefusedNameCharacters(nameZh)) errors.nameZh = 'regions.error.nameInvalid';
  if ([...nameEn].length > 80) errors.nameEn = 'regions.error.nameTooLong';
  else if (hasRefusedNameCharacters(nameEn)) errors.nameEn = 'regions.error.nameInvalid';
  if (level === 'village' && input.kind !== 'rural' && input.kind !== 'urban') errors.kind = 'regions.error.kindRequired';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const region = writeTransaction(db, () => {
      const inserted = insertRegion(
        db,
        { code, parentCode: parent.code, level, nameZh, nameEn: nameEn || null, rural: level === 'village' ? input.kind === 'rural' : null },
        nowMs,
      );
      recordAudit(db, { action: 'region.created', actorUserId, objectType: 'region', objectId: code, regionCode: code, ipAddress, detail: { level } }, nowMs);
      return inserted;
    });
  return { ok: true, region };
}

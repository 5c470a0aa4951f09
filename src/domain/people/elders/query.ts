import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { regions } from '../../../db/schema/core.ts';
import { elderCategories, elderConsents, elders } from '../../../db/schema/people.ts';
import { ageOn } from '../../../lib/idcard.ts';
import { maskIdNumber, maskPhone } from '../../../lib/mask.ts';
import { failure, pageWindow, roleRefusal, success, todayInShanghai, objectVillageInScope, type Actor, type Outcome, type PeopleContext } from '../members/context.ts';
import { openIdNumber } from '../members/identity.ts';
import { regionScopes } from '../../access/authorize.ts';
import { canManageMembers } from '../members/permissions.ts';
import { likeLiteral } from '../../../lib/like.ts';
import type { Page } from '../members/query.ts';
import { underAnyPath } from '../../../db/conditions.ts';
import { isElderCategory, isSensitiveCategory, type ElderCategory } from './categories.ts';
import { audit } from '../../audit/audit.ts';

export interface ElderListFilter {
  category?: string;
  villageCode?: string;
  query?: string;
  /** Show health and disability categories (audited). Filtering by one implies it. */
  includeSensitive?: boolean;
  page?: number;
  pageSize?: number;
}

export interface ElderListItem {
  id: number;
  realName: string;
  gender: 'male' | 'female';
  age: number;
  villageCode: string;
  villageName: string;
  visitIntervalDays: number;
  categories: ElderCategory[];
  /** null when sensitive categories were not requested. */
  sensitiveCategories: ElderCategory[] | null;
  memberId: number | null;
}

function categoriesOf(context: PeopleContext, elderIds: number[]): Map<number, { category: string; sensitive: boolean }[]> {
  const map = new Map<number, { category: string; sensitive: boolean }[]>();
  if (elderIds.length === 0) return map;
  for (const row of context.db.select().from(elderCategories).where(inArray(elderCategories.elderId, elderIds)).all()) {
    const list = map.get(row.elderId) ?? [];
    list.push({ category: row.category, sensitive: row.sensitive });
    map.set(row.elderId, list);
  }
  return map;
}

/** Active registry entries in the actor's scope, filtered by category and village. */
export function listElders(context: PeopleContext, actor: Actor, filter: ElderListFilter): Outcome<Page<ElderListItem>> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const scope = regionScopes(actor, canManageMembers);
  if (scope.length === 0) return failure(403, { code: 'people.error.no_scope' });
  const conditions: SQL[] = [underAnyPath(regions.path, scope), eq(elders.status, 'active')];
  let includeSensitive = filter.includeSensitive === true;
  if (filter.category) {
    if (!isElderCategory(filter.category)) return failure(422, { code: 'people.error.category_unknown', field: 'category', params: { category: filter.category.slice(0, 20) } });
    if (isSensitiveCategory(filter.category)) includeSensitive = true;
    conditions.push(sql`${elders.id} IN (SELECT ${elderCategories.elderId} FROM ${elderCategories} WHERE ${elderCategories.category} = ${filter.category})`);
  }
  if (filter.villageCode) conditions.push(eq(elders.villageCode, filter.villageCode));
  const query = (filter.query ?? '').trim();
  if (query) {
    const letters = query.toLowerCase().replace(/[^a-z]/g, '');
    conditions.push(/^[A-Za-z\s]+$/.test(query)
      ? sql`(${elders.namePinyin} LIKE ${`%${letters}%`} OR (' ' || ${elders.nameInitials}) LIKE ${`% ${letters}%`})`
      : sql`${elders.realName} LIKE ${`%${likeLiteral(query)}%`} ESCAPE '\\'`);
  }
  const where = and(...conditions);
  const window = pageWindow(filter.page, filter.pageSize);
  const total = context.db.select({ count: sql<number>`count(*)` }).from(elders).innerJoin(regions, eq(regions.code, elders.villageCode)).where(where).get()?.count ?? 0;
  const rows = context.db
    .select({ id: elders.id, realName: elders.realName, gender: elders.gender, birthDate: elders.birthDate, villageCode: elders.villageCode, villageName: regions.nameZh, visitIntervalDays: elders.visitIntervalDays, memberId: elders.memberId })
    .from(elders)
    .innerJoin(regions, eq(regions.code, elders.villageCode))
    .where(where)
    .orderBy(asc(regions.path), asc(elders.namePinyin))
    .limit(window.pageSize)
    .offset(window.offset)
    .all();
  const categories = categoriesOf(context, rows.map((row) => row.id));
  const today = todayInShanghai(context);
  const items = rows.map(({ birthDate, ...row }) => {
    const list = categories.get(row.id) ?? [];
    return {
      ...row,
      age: ageOn(birthDate, today),
      categories: list.filter((entry) => !entry.sensitive).map((entry) => entry.category as ElderCategory),
      sensitiveCategories: includeSensitive ? list.filter((entry) => entry.sensitive).map((entry) => entry.category as ElderCategory) : null,
    };
  });
  if (includeSensitive && items.length > 0) {
    // One entry per village, filed under its code, so the offices and coordinators of that area see who looked.
    const byVillage = new Map<string, number[]>();
    for (const item of items) byVillage.set(item.villageCode, [...(byVillage.get(item.villageCode) ?? []), item.id]);
    for (const [villageCode, ids] of byVillage) {
      audit(context, actor, 'elder.sensitive_view', 'elder', ids.join(','), villageCode, { list: true, category: filter.category ?? null });
    }
  }
  return success({ items, total, page: window.page, pageSize: window.pageSize, pageCount: Math.max(1, Math.ceil(total / window.pageSize)) });
}

export interface ElderDetail extends ElderListItem {
  maskedIdNumber: string;
  maskedPhone: string;
  familyContactName: string | null;
  familyContactRelation: string | null;
  maskedFamilyContactPhone: string;
  status: 'active' | 'closed';
  consents: { purpose: string; givenBy: string; method: string; recordedByUserId: number | null; recordedAtMs: number; withdrawnAtMs: number | null }[];
  createdAtMs: number;
}

/**
 * One elder's record for a coordinator or office in scope. Health and
 * disability categories are included and the view is audited.
 */
export function getElder(context: PeopleContext, actor: Actor, elderId: number): Outcome<ElderDetail> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const elder = context.db.select().from(elders).where(eq(elders.id, elderId)).get();
  if (!elder) return failure(404, { code: 'people.error.elder_not_found' });
  const scope = objectVillageInScope(context, actor, elder.villageCode, 'people.error.elder_not_found');
  if (!scope.ok) return scope;
  const list = categoriesOf(context, [elderId]).get(elderId) ?? [];
  const sensitive = list.filter((entry) => entry.sensitive).map((entry) => entry.category as ElderCategory);
  if (sensitive.length > 0) audit(context, actor, 'elder.sensitive_view', 'elder', elderId, elder.villageCode, { list: false });
  const consents = context.db
    .select({ purpose: elderConsents.purpose, givenBy: elderConsents.givenBy, method: elderConsents.method, recordedByUserId: elderConsents.recordedByUserId, recordedAtMs: elderConsents.recordedAtMs, withdrawnAtMs: elderConsents.withdrawnAtMs })
    .from(elderConsents)
    .where(eq(elderConsents.elderId, elderId))
    .orderBy(desc(elderConsents.id))
    .all();
  return success({
    id: elder.id,
    realName: elder.realName,
    gender: elder.gender,
    age: ageOn(elder.birthDate, todayInShanghai(context)),
    villageCode: elder.villageCode,
    villageName: scope.village.nameZh,
    visitIntervalDays: elder.visitIntervalDays,
    categories: list.filter((entry) => !entry.sensitive).map((entry) => entry.category as ElderCategory),
    sensitiveCategories: sensitive,
    memberId: elder.memberId,
    maskedIdNumber: maskIdNumber(openIdNumber(context.keys, elder.idNumberCiphertext)),
    maskedPhone: maskPhone(elder.phone),
    familyContactName: elder.familyContactName,
    familyContactRelation: elder.familyContactRelation,
    maskedFamilyContactPhone: maskPhone(elder.familyContactPhone),
    status: elder.status,
    consents,
    createdAtMs: elder.createdAtMs,
  });
}

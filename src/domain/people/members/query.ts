import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { regions, users } from '../../../db/schema/core.ts';
import { memberSearchTerms, memberStatusEvents, members } from '../../../db/schema/people.ts';
import { ageOn } from '../../../lib/idcard.ts';
import { maskIdNumber, maskPhone } from '../../../lib/mask.ts';
import { normalizePinyinQuery } from '../../../lib/pinyin.ts';
import { regionScopes } from '../../access/authorize.ts';
import { memberSelfOrStaff, type MemberRow } from './access.ts';
import { canManageMembers } from './permissions.ts';
import { failure, nowMs, pageWindow, roleRefusal, success, todayInShanghai, type Actor, type Outcome, type PeopleContext } from './context.ts';
import { openIdNumber } from './identity.ts';
import { likeLiteral } from '../../../lib/like.ts';
import { underAnyPath } from '../../../db/conditions.ts';

export type MemberStatus = 'active' | 'suspended' | 'pending' | 'rejected';

export interface MemberSearch {
  /** Name, full pinyin, initials, the start of a card number, a whole mobile number, or its last 4 digits. */
  query?: string;
  statuses?: readonly MemberStatus[];
  villageCode?: string;
  page?: number;
  pageSize?: number;
}

export interface MemberListItem {
  id: number;
  realName: string;
  maskedPhone: string;
  cardNumber: string | null;
  villageCode: string;
  villageName: string;
  status: MemberStatus;
  gender: 'male' | 'female';
  age: number;
  createdAtMs: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  /** True when there are more than `total` (a search counts up to searchTotalCap). */
  totalCapped?: boolean;
  page: number;
  pageSize: number;
  pageCount: number;
}



/** The longest piece of a name kept as one search key (migration member_search_terms). */
const longestNameKey = 6;

/** Members having a search key in [from, to): read from the primary key of member_search_terms. */
function termRange(from: string, to: string): SQL {
  return sql`SELECT ${memberSearchTerms.memberId} FROM ${memberSearchTerms} WHERE ${memberSearchTerms.term} >= ${from} AND ${memberSearchTerms.term} < ${to}`;
}

/**
 * Digits: the start of a card number, as a range of the card-number index (':' sorts right after '9'),
 * not `LIKE 'digits%'`, which SQLite cannot answer from that index (LIKE ignores case) and so compared
 * with every member (issue 16: ~100 ms at 1M members). Eleven digits starting with 1 may also be a whole
 * mobile number: found by its last 4 digits' index, then compared whole.
 */
function cardOrPhone(digits: string): SQL {
  const cards = sql`SELECT ${members.id} FROM ${members} WHERE ${members.cardNumber} >= ${digits} AND ${members.cardNumber} < ${`${digits}:`}`;
  if (!/^1\d{10}$/.test(digits)) return sql`${members.id} IN (${cards})`;
  const phones = sql`SELECT ${members.id} FROM ${members} WHERE ${members.phoneLast4} = ${digits.slice(-4)} AND ${members.phone} = ${digits}`;
  return sql`${members.id} IN (${cards} UNION ${phones})`;
}

/**
 * Chooses how to read what was typed in the search box. Names, pinyin and initials are found through
 * the search keys the database keeps per member (one index range each), never by `LIKE '%…%'` over
 * every member: a piece of the name is a key; a piece of a pinyin reading is the start of a key
 * ('~' sorts after every letter and digit, so [q, q~) is every key starting with q); initials match
 * by their start, as before.
 */
export function searchCondition(rawQuery: string): SQL | null {
  const query = rawQuery.trim();
  if (query === '') return null;
  if (/^\d{4}$/.test(query)) return eq(members.phoneLast4, query);
  if (/^\d{5,13}$/.test(query)) return cardOrPhone(query);
  if (/^[A-Za-z][A-Za-z\s']*$/.test(query)) {
    const letters = normalizePinyinQuery(query);
    return sql`${members.id} IN (${termRange(`p${letters}`, `p${letters}~`)} UNION ${termRange(`i${letters}`, `i${letters}~`)})`;
  }
  const key = sql`'n' || lower(${[...query].slice(0, longestNameKey).join('')})`;
  const byKey = sql`${members.id} IN (SELECT ${memberSearchTerms.memberId} FROM ${memberSearchTerms} WHERE ${memberSearchTerms.term} = ${key})`;
  // A longer query: members with its first 6 characters, then the whole of it.
  return [...query].length <= longestNameKey ? byKey : sql`${byKey} AND ${members.realName} LIKE ${`%${likeLiteral(query)}%`} ESCAPE '\\'`;
}

/**
 * How the scope is checked. 'region': on each member's region row, so SQLite may walk the members
 * newest first and stop at a page (the right plan for the many active members). 'village list':
 * the member's village among the scope's region codes, which the index on (village_code, status)
 * probes: the right plan for a status few members have, which the newest-first walk would look
 * for through every member.
 */
type ScopeShape = 'region' | 'village list';

function memberScopeCondition(scope: readonly string[], shape: ScopeShape): SQL {
  if (shape === 'region') return underAnyPath(regions.path, scope);
  return sql`${members.villageCode} IN (SELECT ${regions.code} FROM ${regions} WHERE ${underAnyPath(regions.path, scope)})`;
}

/** Members in the actor's scope matching the search, newest first, paginated. */
export function searchMembers(context: PeopleContext, actor: Actor, search: MemberSearch): Outcome<Page<MemberListItem>> {
  return searchMembersIn(context, actor, search, 'region');
}

function searchMembersIn(context: PeopleContext, actor: Actor, search: MemberSearch, shape: ScopeShape): Outcome<Page<MemberListItem>> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const scope = regionScopes(actor, canManageMembers);
  if (scope.length === 0) return failure(403, { code: 'people.error.no_scope' });
  const window = pageWindow(search.page, search.pageSize);
  const conditions: SQL[] = [memberScopeCondition(scope, shape)];
  const statuses = search.statuses && search.statuses.length > 0 ? search.statuses : (['active', 'suspended'] as const);
  conditions.push(inArray(members.status, [...statuses]));
  if (search.villageCode) conditions.push(eq(members.villageCode, search.villageCode));
  const text = searchCondition(search.query ?? '');
  if (text) conditions.push(text);
  const where = and(...conditions);
  const counted = countMembers(context, where, text ? searchTotalCap + 1 : null);
  const totalCapped = counted > searchTotalCap;
  const total = totalCapped ? searchTotalCap : counted;
  const today = todayInShanghai(context);
  const items = context.db
    .select({
      id: members.id, realName: members.realName, phone: members.phone, cardNumber: members.cardNumber,
      villageCode: members.villageCode, villageName: regions.nameZh, status: members.status, gender: members.gender,
      birthDate: members.birthDate, createdAtMs: members.createdAtMs,
    })
    .from(members)
    .innerJoin(regions, eq(regions.code, members.villageCode))
    .where(where)
    .orderBy(desc(members.id))
    .limit(window.pageSize)
    .offset(window.offset)
    .all()
    .map(({ phone, birthDate, ...row }) => ({ ...row, maskedPhone: maskPhone(phone), age: ageOn(birthDate, today) }));
  return success({ items, total, totalCapped, page: window.page, pageSize: window.pageSize, pageCount: Math.max(1, Math.ceil(total / window.pageSize)) });
}

/**
 * A search names at most this many matches: "more than 1,000" is as useful as the exact number, and
 * counting all 100,000 members called 王 at a million members is what made a search slow.
 */
export const searchTotalCap = 1000;

/** How many members match, counting no further than `limit` when given. */
function countMembers(context: PeopleContext, where: SQL | undefined, limit: number | null): number {
  if (limit === null) return context.db.select({ count: sql<number>`count(*)` }).from(members).innerJoin(regions, eq(regions.code, members.villageCode)).where(where).get()?.count ?? 0;
  const matching = context.db.select({ one: sql`1` }).from(members).innerJoin(regions, eq(regions.code, members.villageCode)).where(where).limit(limit);
  return context.db.select({ count: sql<number>`count(*)` }).from(matching.as('matching')).get()?.count ?? 0;
}

/** Pending self-registrations in the actor's scope, oldest first (the review queue). */
export function pendingRegistrations(context: PeopleContext, actor: Actor, page?: number): Outcome<Page<MemberListItem>> {
  // Pending registrations are few among many members: found through the (village_code, status) index.
  const result = searchMembersIn(context, actor, { statuses: ['pending'], page, pageSize: 50 }, 'village list');
  if (result.ok) result.value.items.reverse();
  return result;
}

export interface MemberDetail {
  id: number;
  realName: string;
  maskedPhone: string;
  maskedIdNumber: string;
  gender: 'male' | 'female';
  age: number;
  birthYear: number;
  villageCode: string;
  villageName: string;
  villageNameEn: string | null;
  status: MemberStatus;
  statusReason: string | null;
  source: string;
  /** 志愿者编号 (volunteer-number.ts); null only for a row written outside the app without one. */
  volunteerNumber: string | null;
  cardNumber: string | null;
  cardVersion: number;
  cardIssuedAtMs: number | null;
  pinSet: boolean;
  pinLocked: boolean;
  /** Set by staff and not yet confirmed by the member: pays only at a counter with the card. */
  pinSetByStaff: boolean;
  /** The last reset by staff (the member's own page says when and by whom), or null when the member set it themselves. */
  pinReset: { atMs: number; byName: string } | null;
  createdAtMs: number;
  history: { fromStatus: string | null; toStatus: string; reason: string | null; atMs: number }[];
}

function pinResetOf(context: PeopleContext, member: MemberRow): MemberDetail['pinReset'] {
  if (member.pinResetByUserId === null || member.pinSetAtMs === null) return null;
  const by = context.db.select({ name: users.displayName }).from(users).where(eq(users.id, member.pinResetByUserId)).get();
  return { atMs: member.pinSetAtMs, byName: by?.name ?? '' };
}

/**
 * One member as staff in scope (or the member themself) see them: identity
 * masked, age instead of the birth date (the birth date and a masked ID number
 * together would rebuild the whole number).
 */
export function getMember(context: PeopleContext, actor: Actor, memberId: number): Outcome<MemberDetail> {
  const found = memberSelfOrStaff(context, actor, memberId);
  if (!found.ok) return found;
  const member = found.member;
  const history = context.db
    .select({ fromStatus: memberStatusEvents.fromStatus, toStatus: memberStatusEvents.toStatus, reason: memberStatusEvents.reason, atMs: memberStatusEvents.atMs })
    .from(memberStatusEvents)
    .where(eq(memberStatusEvents.memberId, memberId))
    .orderBy(asc(memberStatusEvents.id))
    .all();
  return success({
    id: member.id,
    realName: member.realName,
    maskedPhone: maskPhone(member.phone),
    maskedIdNumber: maskIdNumber(openIdNumber(context.keys, member.idNumberCiphertext)),
    gender: member.gender,
    age: ageOn(member.birthDate, todayInShanghai(context)),
    birthYear: Number(member.birthDate.slice(0, 4)),
    villageCode: member.villageCode,
    villageName: found.village.nameZh,
    villageNameEn: found.village.nameEn,
    status: member.status,
    statusReason: member.statusReason,
    source: member.source,
    volunteerNumber: member.volunteerNumber,
    cardNumber: member.cardNumber,
    cardVersion: member.cardVersion,
    cardIssuedAtMs: member.cardIssuedAtMs,
    pinSet: member.pinHash !== null,
    pinLocked: member.pinLockedUntilMs !== null && member.pinLockedUntilMs > nowMs(context),
    pinSetByStaff: member.pinHash !== null && member.pinSetByStaff,
    pinReset: pinResetOf(context, member),
    createdAtMs: member.createdAtMs,
    history,
  });
}

import { and, asc, desc, eq, like, type SQL } from 'drizzle-orm';
import { regions } from '../../db/schema/core.ts';
import { serviceRecords } from '../../db/schema/hours.ts';
import { elders, members, teamMemberships, teams } from '../../db/schema/people.ts';
import { regionScopes } from '../access/authorize.ts';
import { type Actor, type KeylessContext } from './context.ts';
import { canLogForMembers } from './permissions.ts';
import { likeLiteral } from '../../lib/like.ts';
import { countyPathOf } from '../regions/path.ts';
import { anyOf, underAnyPath } from '../../db/conditions.ts';

/** What the logging form offers: recipients, villages and (for staff) members, all within the logger's area. */


function underAny(paths: readonly string[]): SQL {
  return underAnyPath(regions.path, paths);
}

/**
 * The area a logger works in, and so the elders they may serve and the villages
 * a service may be logged in: staff their scopes; a volunteer the county of their
 * home village (neighbours across the township line are common) and the county
 * of every team they are an active member of whose region is a county or below
 * (a city or province team does not widen it). The form offers only this area
 * and logService checks it on the server.
 */
export function loggingArea(context: KeylessContext, actor: Actor): string[] {
  const staff = regionScopes(actor, canLogForMembers);
  if (staff.length > 0) return staff;
  const memberId = (actor.memberId ?? null);
  if (memberId === null) return [];
  const home = context.db.select({ path: regions.path }).from(regions).innerJoin(members, eq(members.villageCode, regions.code)).where(eq(members.id, memberId)).get();
  const teamRegions = context.db
    .select({ path: regions.path })
    .from(teamMemberships)
    .innerJoin(teams, eq(teams.id, teamMemberships.teamId))
    .innerJoin(regions, eq(regions.code, teams.regionCode))
    .where(and(eq(teamMemberships.memberId, memberId), eq(teamMemberships.status, 'active')))
    .all();
  const counties = [home?.path, ...teamRegions.map((team) => team.path)].map((path) => (path ? countyPathOf(path) : null));
  return [...new Set(counties.filter((county): county is string => county !== null))];
}

/** Whether a region (by its path) lies in the logger's area. */
export function inLoggingArea(context: KeylessContext, actor: Actor, regionPath: string): boolean {
  return loggingArea(context, actor).some((area) => regionPath.startsWith(area));
}

export interface RecipientChoice {
  id: number;
  realName: string;
  villageCode: string;
  villageNameZh: string;
  villageNameEn: string | null;
}

/** Registered elders in the area whose name, pinyin or initials match; at most 20. */
export function searchRecipients(context: KeylessContext, actor: Actor, query: string): RecipientChoice[] {
  const text = query.trim();
  if (text === '') return [];
  const letters = text.toLowerCase().replace(/[^a-z]/g, '');
  const match = /^[A-Za-z\s']+$/.test(text) && letters !== ''
    ? anyOf(like(elders.namePinyin, `%${likeLiteral(letters)}%`), like(elders.nameInitials, `${likeLiteral(letters)}%`))
    : like(elders.realName, `%${likeLiteral(text)}%`);
  return context.db
    .select({ id: elders.id, realName: elders.realName, villageCode: elders.villageCode, villageNameZh: regions.nameZh, villageNameEn: regions.nameEn })
    .from(elders)
    .innerJoin(regions, eq(regions.code, elders.villageCode))
    .where(and(eq(elders.status, 'active'), underAny(loggingArea(context, actor)), match))
    .orderBy(asc(elders.namePinyin))
    .limit(20)
    .all();
}

/** An active elder in the logger's area (one outside it is not found, like a missing one). */
export function recipientById(context: KeylessContext, actor: Actor, elderId: number): RecipientChoice | undefined {
  return context.db
    .select({ id: elders.id, realName: elders.realName, villageCode: elders.villageCode, villageNameZh: regions.nameZh, villageNameEn: regions.nameEn })
    .from(elders)
    .innerJoin(regions, eq(regions.code, elders.villageCode))
    .where(and(eq(elders.id, elderId), eq(elders.status, 'active'), underAny(loggingArea(context, actor))))
    .get();
}

/**
 * The elders a volunteer served most recently (her own records only), offered
 * before she types anything: the form kept on her phone for offline use then
 * already lists the people she usually visits (docs/OFFLINE.md).
 */
export function usualRecipients(context: KeylessContext, actor: Actor, limit = 8): RecipientChoice[] {
  const memberId = actor.memberId ?? null;
  if (memberId === null) return [];
  const recent = context.db
    .select({ elderId: serviceRecords.elderId })
    .from(serviceRecords)
    .where(eq(serviceRecords.volunteerMemberId, memberId))
    .orderBy(desc(serviceRecords.startAtMs))
    .limit(50)
    .all();
  const ids = [...new Set(recent.map((row) => row.elderId).filter((id): id is number => id !== null))].slice(0, limit);
  return ids.map((id) => recipientById(context, actor, id)).filter((choice): choice is RecipientChoice => choice !== undefined);
}

export interface VillageChoice {
  code: string;
  nameZh: string;
  nameEn: string | null;
}

export function villagesInArea(context: KeylessContext, actor: Actor): VillageChoice[] {
  return context.db
    .select({ code: regions.code, nameZh: regions.nameZh, nameEn: regions.nameEn })
    .from(regions)
    .where(and(eq(regions.level, 'village'), underAny(loggingArea(context, actor))))
    .orderBy(asc(regions.code))
    .limit(300)
    .all();
}

export interface MemberChoice {
  id: number;
  realName: string;
  cardNumber: string | null;
  villageNameZh: string;
}

/** Active members in a staff member's scope matching a name, pinyin or card number; at most 20. */
export function searchMembersToLogFor(context: KeylessContext, actor: Actor, query: string): MemberChoice[] {
  const text = query.trim();
  if (text === '') return [];
  const paths = regionScopes(actor, canLogForMembers);
  const letters = text.toLowerCase().replace(/[^a-z]/g, '');
  const match = /^\d{4,}$/.test(text)
    ? like(members.cardNumber, `${likeLiteral(text)}%`)
    : /^[A-Za-z\s']+$/.test(text) && letters !== ''
      ? anyOf(like(members.namePinyin, `%${likeLiteral(letters)}%`), like(members.nameInitials, `${likeLiteral(letters)}%`))
      : like(members.realName, `%${likeLiteral(text)}%`);
  return context.db
    .select({ id: members.id, realName: members.realName, cardNumber: members.cardNumber, villageNameZh: regions.nameZh })
    .from(members)
    .innerJoin(regions, eq(regions.code, members.villageCode))
    .where(and(eq(members.status, 'active'), underAny(paths), match))
    .orderBy(asc(members.namePinyin))
    .limit(20)
    .all();
}

/**
 * The member already chosen on a staff logging form (an id from the address or the form), only when the
 * search would offer them: active, in the actor's logging scope. Anyone else is not shown, as if missing.
 */
export function memberChoiceById(context: KeylessContext, actor: Actor, memberId: number): MemberChoice | undefined {
  return context.db
    .select({ id: members.id, realName: members.realName, cardNumber: members.cardNumber, villageNameZh: regions.nameZh })
    .from(members)
    .innerJoin(regions, eq(regions.code, members.villageCode))
    .where(and(eq(members.id, memberId), eq(members.status, 'active'), underAny(regionScopes(actor, canLogForMembers))))
    .get();
}

/** The village the logging form starts with for a member logging their own hours: their home village ('' when unknown). */
export function ownVillageCode(context: KeylessContext, actor: Actor): string {
  const memberId = actor.memberId ?? null;
  if (!memberId) return '';
  return context.db.select({ code: members.villageCode }).from(members).where(eq(members.id, memberId)).get()?.code ?? '';
}

/**
 * The recipients a logging form offers: before any search a volunteer gets the
 * elders she served lately (also in her offline copy of the form), otherwise
 * the search's matches; the elder already ticked (`elderId`) stays in the list,
 * so a choice made while the search was answering is not lost.
 */
export function recipientChoices(context: KeylessContext, actor: Actor, staff: boolean, query: string, elderId: string): RecipientChoice[] {
  const recipients = !staff && query.trim() === '' ? usualRecipients(context, actor) : searchRecipients(context, actor, query);
  const chosen = /^[1-9]\d{0,9}$/.test(elderId) ? recipientById(context, actor, Number(elderId)) : undefined;
  if (chosen && !recipients.some((r) => r.id === chosen.id)) recipients.unshift(chosen);
  return recipients;
}

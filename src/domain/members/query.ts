import { and, asc, desc, eq, inArray, like, or, sql, type SQL } from 'drizzle-orm';
import { auditLog, regions, users } from '../../db/schema/core.ts';
import { elderCategories, elders, memberStatusEvents, members, teamMemberships, teams } from '../../db/schema/people.ts';
import { ageOn } from '../../lib/idcard.ts';
import { maskIdNumber, maskName, maskPhone } from '../../lib/mask.ts';
import { normalizePinyinQuery } from '../../lib/pinyin.ts';
import { ownsMember, regionScopes } from '../access/authorize.ts';
import { memberInScope, memberSelfOrStaff, type MemberRow } from './access.ts';
import { canManageMembers } from './permissions.ts';
import { checkReason, failure, nowMs, pageWindow, success, todayInShanghai, type Actor, type Outcome, type PeopleContext } from './context.ts';
import { openIdNumber } from './identity.ts';
import { credentialsSetByStaff } from './pin.ts';
import { likeLiteral } from '../../lib/like.ts';
import { audit, recordWithinAllowances } from '../audit/audit.ts';

export type MemberStatus = 'active' | 'suspended' | 'pending' | 'rejected';

export interface MemberSearch {
  /** Name, full pinyin, initials, card number, or the last 4 digits of a phone. */
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
  page: number;
  pageSize: number;
  pageCount: number;
}


/** SQL condition: the region at `pathColumn` lies inside one of the actor's scope paths. */
export function inScopeCondition(pathColumn: SQL | typeof regions.path, scope: readonly string[]): SQL {
  if (scope.length === 0) return sql`0 = 1`;
  return or(...scope.map((prefix) => sql`${pathColumn} LIKE ${`${likeLiteral(prefix)}%`} ESCAPE '\\'`))!;
}

/** Chooses how to read what was typed in the search box. */
export function searchCondition(rawQuery: string): SQL | null {
  const query = rawQuery.trim();
  if (query === '') return null;
  if (/^\d{4}$/.test(query)) return eq(members.phoneLast4, query);
  if (/^\d{5,13}$/.test(query)) return sql`${members.cardNumber} LIKE ${`${query}%`}`;
  if (/^[A-Za-z][A-Za-z\s']*$/.test(query)) {
    const letters = normalizePinyinQuery(query);
    return or(
      sql`${members.namePinyin} LIKE ${`%${likeLiteral(letters)}%`} ESCAPE '\\'`,
      sql`(' ' || ${members.nameInitials}) LIKE ${`% ${likeLiteral(letters)}%`} ESCAPE '\\'`,
    )!;
  }
  return sql`${members.realName} LIKE ${`%${likeLiteral(query)}%`} ESCAPE '\\'`;
}

/** Members in the actor's scope matching the search, newest first, paginated. */
export function searchMembers(context: PeopleContext, actor: Actor, search: MemberSearch): Outcome<Page<MemberListItem>> {
  const scope = regionScopes(actor, canManageMembers);
  if (scope.length === 0) return failure(403, { code: 'people.error.no_scope' });
  const window = pageWindow(search.page, search.pageSize);
  const conditions: SQL[] = [inScopeCondition(regions.path, scope)];
  const statuses = search.statuses && search.statuses.length > 0 ? search.statuses : (['active', 'suspended'] as const);
  conditions.push(inArray(members.status, [...statuses]));
  if (search.villageCode) conditions.push(eq(members.villageCode, search.villageCode));
  const text = searchCondition(search.query ?? '');
  if (text) conditions.push(text);
  const where = and(...conditions);
  const total = context.db
    .select({ count: sql<number>`count(*)` })
    .from(members)
    .innerJoin(regions, eq(regions.code, members.villageCode))
    .where(where)
    .get()?.count ?? 0;
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
  return success({ items, total, page: window.page, pageSize: window.pageSize, pageCount: Math.max(1, Math.ceil(total / window.pageSize)) });
}

/** Pending self-registrations in the actor's scope, oldest first (the review queue). */
export function pendingRegistrations(context: PeopleContext, actor: Actor, page?: number): Outcome<Page<MemberListItem>> {
  const result = searchMembers(context, actor, { statuses: ['pending'], page, pageSize: 50 });
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

/** The most copies in clear one staff user may make in `fullCopyWindowMs` (each with a recorded reason). */
export const fullCopiesPerWindow = 10;
export const fullCopyWindowMs = 60 * 60_000;

/**
 * PIPL art. 45 copy: everything the system holds about a member. In clear
 * only for the member themself (signed in as that member: exportOwnData). Staff
 * in scope get it with ID numbers and phones masked (exportMemberData), or in
 * clear only after recording why (exportMemberDataWithReason: audited with the
 * reason, at most `fullCopiesPerWindow` per staff user per hour). Secrets that
 * are not information about the person (PIN hash, card token) are described,
 * not disclosed. Every export is audited.
 */
export function exportOwnData(context: PeopleContext, actor: Actor): Outcome<Record<string, unknown>> {
  if (!actor.memberId) return failure(404, { code: 'people.error.member_not_found' });
  const found = memberSelfOrStaff(context, actor, actor.memberId);
  if (!found.ok || !found.self) return failure(404, { code: 'people.error.member_not_found' });
  // A sign-in whose password staff chose answers masked, like the staff view, until the member proves presence.
  const clear = credentialsSetByStaff(context, actor.userId) === null;
  audit(context, actor, 'member.export', 'member', actor.memberId, found.member.villageCode, { bySelf: true, clear });
  return success(memberCopy(context, found, clear ? 'clear' : 'masked'));
}

/** Staff in scope: the copy with ID numbers and phones masked (a member asking for their own id gets their own copy). */
export function exportMemberData(context: PeopleContext, actor: Actor, memberId: number): Outcome<Record<string, unknown>> {
  if (ownsMember(actor, memberId)) return exportOwnData(context, actor);
  const found = memberInScope(context, actor, memberId);
  if (!found.ok) return found;
  audit(context, actor, 'member.export', 'member', memberId, found.member.villageCode, { bySelf: false, clear: false });
  return success(memberCopy(context, { ...found, self: false }, 'masked'));
}

/**
 * Staff in scope, handing a member their copy: in clear, with a reason typed
 * by the staff user. The allowance is counted and the audit entry written in
 * one write transaction, so parallel requests cannot pass the limit.
 */
export function exportMemberDataWithReason(context: PeopleContext, actor: Actor, memberId: number, reason: string): Outcome<Record<string, unknown>> {
  const found = memberInScope(context, actor, memberId);
  if (!found.ok) return found;
  const problem = checkReason(reason);
  if (problem) return failure(422, problem);
  const recorded = recordWithinAllowances(
    context.db,
    { action: 'member.export_clear', actorUserId: actor.userId, objectType: 'member', objectId: memberId, regionCode: found.member.villageCode, ipAddress: actor.ipAddress ?? null, detail: { reason: reason.trim() } },
    nowMs(context),
    fullCopyWindowMs,
    [{ actorUserId: actor.userId, max: fullCopiesPerWindow }],
  );
  if (!recorded) return failure(429, { code: 'people.error.export_limit', field: 'reason', params: { max: fullCopiesPerWindow } });
  return success(memberCopy(context, { ...found, self: false }, 'clear'));
}

function memberCopy(
  context: PeopleContext,
  found: { member: typeof members.$inferSelect; village: { nameZh: string }; self: boolean },
  clarity: 'clear' | 'masked',
): Record<string, unknown> {
  const member = found.member;
  const memberId = member.id;
  const clear = clarity === 'clear';
  const idNumberOf = (ciphertext: string) => (clear ? openIdNumber(context.keys, ciphertext) : maskIdNumber(openIdNumber(context.keys, ciphertext)));
  const phoneOf = (phone: string | null) => (clear || phone === null ? phone : maskPhone(phone));
  const statusHistory = context.db.select().from(memberStatusEvents).where(eq(memberStatusEvents.memberId, memberId)).orderBy(asc(memberStatusEvents.id)).all();
  const elderRecords = context.db.select().from(elders).where(eq(elders.memberId, memberId)).all().map((elder) => ({
    id: elder.id,
    realName: elder.realName,
    idNumber: idNumberOf(elder.idNumberCiphertext),
    birthDate: elder.birthDate,
    gender: elder.gender,
    villageCode: elder.villageCode,
    visitIntervalDays: elder.visitIntervalDays,
    familyContact: { name: elder.familyContactName, relation: elder.familyContactRelation, phone: phoneOf(elder.familyContactPhone) },
    categories: context.db.select({ category: elderCategories.category }).from(elderCategories).where(eq(elderCategories.elderId, elder.id)).all().map((row) => row.category),
    status: elder.status,
    createdAtMs: elder.createdAtMs,
  }));
  const teamRecords = context.db
    .select({ teamId: teams.id, teamName: teams.name, sponsorUnit: teams.sponsorUnit, status: teamMemberships.status, requestedAtMs: teamMemberships.requestedAtMs, decidedAtMs: teamMemberships.decidedAtMs })
    .from(teamMemberships)
    .innerJoin(teams, eq(teams.id, teamMemberships.teamId))
    .where(eq(teamMemberships.memberId, memberId))
    .all();
  const accessLog = context.db
    .select({ atMs: auditLog.atMs, action: auditLog.action, actorUserId: auditLog.actorUserId })
    .from(auditLog)
    .where(and(eq(auditLog.objectType, 'member'), or(eq(auditLog.objectId, String(memberId)), like(auditLog.objectId, `${memberId},%`), like(auditLog.objectId, `%,${memberId}`), like(auditLog.objectId, `%,${memberId},%`))))
    .orderBy(asc(auditLog.id))
    .all();
  const related = relatedRecords(context, memberId, phoneOf);
  const exportedAtMs = nowMs(context);
  return {
    format: 'silver-hours/member-export/v1',
    exportedAt: new Date(exportedAtMs).toISOString(),
    masked: !clear,
    member: {
      id: member.id,
      realName: member.realName,
      phone: phoneOf(member.phone),
      idNumber: idNumberOf(member.idNumberCiphertext),
      birthDate: member.birthDate,
      gender: member.gender,
      village: { code: member.villageCode, name: found.village.nameZh },
      status: member.status,
      statusReason: member.statusReason,
      registeredBy: member.source,
      namePinyin: member.namePinyin,
      nameInitials: member.nameInitials,
      card: { number: member.cardNumber, version: member.cardVersion, issuedAt: member.cardIssuedAtMs ? new Date(member.cardIssuedAtMs).toISOString() : null, token: member.cardTokenHash ? 'held (hashed and encrypted; shown only as the QR code on your card)' : null },
      pin: { set: member.pinHash !== null, setAt: member.pinSetAtMs ? new Date(member.pinSetAtMs).toISOString() : null, failedAttempts: member.pinFailedAttempts },
      createdAt: new Date(member.createdAtMs).toISOString(),
      updatedAt: new Date(member.updatedAtMs).toISOString(),
    },
    statusHistory: statusHistory.map((event) => ({ from: event.fromStatus, to: event.toStatus, reason: event.reason, at: new Date(event.atMs).toISOString() })),
    elderRegistry: elderRecords,
    teams: teamRecords,
    accessLog: accessLog.map((entry) => ({ at: new Date(entry.atMs).toISOString(), action: entry.action, byUserId: entry.actorUserId })),
    ...related,
  };
}

const isoOrNull = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/**
 * The rest of a member's PIPL copy, from the other areas: the sign-in account
 * (never the password hash), services given and received, redemptions,
 * gifts, relatives and the credit wallet's history. Other people appear by id
 * and masked name only.
 */
function relatedRecords(context: PeopleContext, memberId: number, phoneOf: (phone: string | null) => string | null): Record<string, unknown> {
  const all = <T>(source: string, ...args: unknown[]) => context.db.$client.prepare(source).all(...args) as T[];
  const nameOf = (id: number | null) => {
    if (id === null) return null;
    const row = context.db.$client.prepare('SELECT real_name AS name FROM members WHERE id = ?').get(id) as { name: string } | undefined;
    return row ? maskName(row.name) : null;
  };

  const accounts = all<{ id: number; phone: string; displayName: string; status: string; mustChangePassword: number; createdAtMs: number; passwordChangedAtMs: number }>(
    `SELECT id, phone, display_name AS displayName, status, must_change_password AS mustChangePassword, created_at_ms AS createdAtMs, password_changed_at_ms AS passwordChangedAtMs
       FROM users WHERE member_id = ? ORDER BY id`,
    memberId,
  ).map((user) => ({
    id: user.id,
    phone: phoneOf(user.phone),
    displayName: user.displayName,
    status: user.status,
    mustChangePassword: user.mustChangePassword === 1,
    password: 'held (hashed; never exported)',
    createdAt: isoOrNull(user.createdAtMs),
    passwordChangedAt: isoOrNull(user.passwordChangedAtMs),
    roles: all<{ role: string; regionCode: string | null; siteId: number | null; grantedAtMs: number }>(
      'SELECT role, region_code AS regionCode, site_id AS siteId, granted_at_ms AS grantedAtMs FROM user_roles WHERE user_id = ? ORDER BY id',
      user.id,
    ).map((role) => ({ role: role.role, regionCode: role.regionCode, siteId: role.siteId, grantedAt: isoOrNull(role.grantedAtMs) })),
  }));

  const serviceColumns = `s.id, s.service_type_code AS serviceType, s.elder_id AS elderId, s.volunteer_member_id AS volunteerMemberId, s.village_code AS villageCode,
    s.service_date AS serviceDate, s.start_at_ms AS startAtMs, s.end_at_ms AS endAtMs, s.duration_minutes AS durationMinutes, s.credit_minutes AS creditMinutes,
    s.note, s.source, s.status, s.rejection_reason AS rejectionReason, s.reversal_reason AS reversalReason, s.created_at_ms AS createdAtMs`;
  type ServiceRow = { id: number; serviceType: string; elderId: number | null; volunteerMemberId: number; villageCode: string; serviceDate: string; startAtMs: number; endAtMs: number;
    durationMinutes: number; creditMinutes: number; note: string | null; source: string; status: string; rejectionReason: string | null; reversalReason: string | null; createdAtMs: number };
  const service = (row: ServiceRow) => ({
    id: row.id, serviceType: row.serviceType, serviceDate: row.serviceDate, start: isoOrNull(row.startAtMs), end: isoOrNull(row.endAtMs),
    durationMinutes: row.durationMinutes, creditMinutes: row.creditMinutes, villageCode: row.villageCode, note: row.note, source: row.source, status: row.status,
    rejectionReason: row.rejectionReason, reversalReason: row.reversalReason, createdAt: isoOrNull(row.createdAtMs),
  });
  const servicesGiven = all<ServiceRow>(`SELECT ${serviceColumns} FROM service_records s WHERE s.volunteer_member_id = ? ORDER BY s.start_at_ms, s.id`, memberId)
    .map((row) => ({ ...service(row), elderId: row.elderId }));
  // Services received: the member is (also) a registered elder.
  const servicesReceived = all<ServiceRow>(
    `SELECT ${serviceColumns} FROM service_records s JOIN elders e ON e.id = s.elder_id WHERE e.member_id = ? ORDER BY s.start_at_ms, s.id`,
    memberId,
  ).map((row) => ({ ...service(row), volunteer: { memberId: row.volunteerMemberId, name: nameOf(row.volunteerMemberId) } }));

  const redemptions = all<{ id: number; siteId: number; siteName: string; payer: string; elderId: number | null; status: string; totalMinutes: number; receiptNumber: string | null;
    balanceAfterMinutes: number | null; createdAtMs: number; confirmedAtMs: number | null; closedAtMs: number | null; voidReason: string | null }>(
    `SELECT r.id, r.site_id AS siteId, p.name AS siteName, r.payer, r.elder_id AS elderId, r.status, r.total_minutes AS totalMinutes, r.receipt_number AS receiptNumber,
            r.balance_after_minutes AS balanceAfterMinutes, r.created_at_ms AS createdAtMs, r.confirmed_at_ms AS confirmedAtMs, r.closed_at_ms AS closedAtMs, r.void_reason AS voidReason
       FROM redemptions r JOIN partner_sites p ON p.id = r.site_id WHERE r.member_id = ? ORDER BY r.created_at_ms, r.id`,
    memberId,
  ).map((row) => ({
    id: row.id, site: { id: row.siteId, name: row.siteName }, payer: row.payer, elderId: row.elderId, status: row.status, totalMinutes: row.totalMinutes,
    receiptNumber: row.receiptNumber, balanceAfterMinutes: row.balanceAfterMinutes, createdAt: isoOrNull(row.createdAtMs), confirmedAt: isoOrNull(row.confirmedAtMs),
    closedAt: isoOrNull(row.closedAtMs), voidReason: row.voidReason,
    lines: all<{ name: string; priceMinutes: number; quantity: number }>('SELECT name, price_minutes AS priceMinutes, quantity FROM redemption_lines WHERE redemption_id = ? ORDER BY id', row.id),
  }));

  const gifts = all<{ id: number; kind: string; fromMemberId: number; toMemberId: number | null; poolCountyCode: string | null; amountMinutes: number; divertedMinutes: number; atMs: number }>(
    `SELECT id, kind, from_member_id AS fromMemberId, to_member_id AS toMemberId, pool_county_code AS poolCountyCode, amount_minutes AS amountMinutes,
            diverted_minutes AS divertedMinutes, at_ms AS atMs
       FROM member_gifts WHERE from_member_id = ? OR to_member_id = ? ORDER BY at_ms, id`,
    memberId, memberId,
  ).map((gift) => {
    const given = gift.fromMemberId === memberId;
    const otherId = given ? gift.toMemberId : gift.fromMemberId;
    return {
      id: gift.id, kind: gift.kind, direction: given ? 'given' : 'received', amountMinutes: gift.amountMinutes, divertedMinutes: gift.divertedMinutes,
      otherMember: otherId === null ? null : { memberId: otherId, name: nameOf(otherId) }, poolCountyCode: gift.poolCountyCode, at: isoOrNull(gift.atMs),
    };
  });

  const relatives = all<{ memberId: number; relativeMemberId: number; relation: string; registeredAtMs: number }>(
    `SELECT member_id AS memberId, relative_member_id AS relativeMemberId, relation, registered_at_ms AS registeredAtMs
       FROM member_relatives WHERE member_id = ? OR relative_member_id = ? ORDER BY id`,
    memberId, memberId,
  ).map((row) => {
    const otherId = row.memberId === memberId ? row.relativeMemberId : row.memberId;
    return { memberId: otherId, name: nameOf(otherId), relation: row.relation, registeredAt: isoOrNull(row.registeredAtMs) };
  });

  // The credit wallet (wallet:m<id>): every transfer in or out, with the balance after it.
  const walletId = `wallet:m${memberId}`;
  const wallet = all<{ seq: number; code: string; amount: number; flags: number; debit: string; credit: string; refType: string | null; refId: string | null; timestampMs: number;
    debitPostedAfter: number; debitCreditsAfter: number; creditPostedAfter: number; creditCreditsAfter: number }>(
    `SELECT seq, code, amount, flags, debit_account_id AS debit, credit_account_id AS credit, ref_type AS refType, ref_id AS refId, timestamp_ms AS timestampMs,
            debit_debits_posted_after AS debitPostedAfter, debit_credits_posted_after AS debitCreditsAfter,
            credit_debits_posted_after AS creditPostedAfter, credit_credits_posted_after AS creditCreditsAfter
       FROM ledger_transfers WHERE debit_account_id = ? OR credit_account_id = ? ORDER BY seq`,
    walletId, walletId,
  ).map((row) => {
    const incoming = row.credit === walletId;
    return {
      seq: row.seq, at: isoOrNull(row.timestampMs), code: row.code, direction: incoming ? 'in' : 'out', amountMinutes: row.amount,
      pending: (row.flags & 2) !== 0, reference: row.refType ? { type: row.refType, id: row.refId } : null,
      balanceAfterMinutes: incoming ? row.creditCreditsAfter - row.creditPostedAfter : row.debitCreditsAfter - row.debitPostedAfter,
    };
  });

  return { account: accounts, servicesGiven, servicesReceived, redemptions, gifts, relatives, walletHistory: { accountId: walletId, transfers: wallet } };
}

export { memberInScope };

import { and, asc, eq, like, or } from 'drizzle-orm';
import { auditLog } from '../../../db/schema/core.ts';
import { elderCategories, elders, memberStatusEvents, members, teamMemberships, teams } from '../../../db/schema/people.ts';
import { maskIdNumber, maskName, maskPhone } from '../../../lib/mask.ts';
import { ownsMember } from '../../access/authorize.ts';
import { memberInScope, memberSelfOrStaff } from './access.ts';
import { checkReason, failure, nowMs, roleRefusal, success, type Actor, type Outcome, type PeopleContext } from './context.ts';
import { openIdNumber } from './identity.ts';
import { credentialsSetByStaff } from './pin.ts';
import { audit, recordWithinAllowances } from '../../audit/audit.ts';

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
  const denied = roleRefusal(actor);
  if (denied) return denied;
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
      volunteerNumber: member.volunteerNumber,
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

/** Reads for the rest of a member's copy: rows of a statement, and another member's masked name. */
interface RecordReader {
  all: <T>(source: string, ...args: unknown[]) => T[];
  nameOf: (id: number | null) => string | null;
}

function recordReader(context: PeopleContext): RecordReader {
  const all = <T>(source: string, ...args: unknown[]) => context.db.$client.prepare(source).all(...args) as T[];
  const nameOf = (id: number | null) => {
    if (id === null) return null;
    const row = context.db.$client.prepare('SELECT real_name AS name FROM members WHERE id = ?').get(id) as { name: string } | undefined;
    return row ? maskName(row.name) : null;
  };
  return { all, nameOf };
}

/** The member's sign-in accounts (never the password hash), with their roles. */
function accountRecords({ all }: RecordReader, memberId: number, phoneOf: (phone: string | null) => string | null) {
  return all<{ id: number; phone: string; displayName: string; status: string; mustChangePassword: number; createdAtMs: number; passwordChangedAtMs: number }>(
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
}

const serviceColumns = `s.id, s.service_type_code AS serviceType, s.elder_id AS elderId, s.volunteer_member_id AS volunteerMemberId, s.village_code AS villageCode,
    s.service_date AS serviceDate, s.start_at_ms AS startAtMs, s.end_at_ms AS endAtMs, s.duration_minutes AS durationMinutes, s.credit_minutes AS creditMinutes,
    s.note, s.source, s.status, s.rejection_reason AS rejectionReason, s.reversal_reason AS reversalReason, s.created_at_ms AS createdAtMs, s.request_id AS requestId`;
type ServiceRow = { id: number; serviceType: string; elderId: number | null; volunteerMemberId: number; villageCode: string; serviceDate: string; startAtMs: number; endAtMs: number;
  durationMinutes: number; creditMinutes: number; note: string | null; source: string; status: string; rejectionReason: string | null; reversalReason: string | null; createdAtMs: number;
  requestId: number | null };
const service = (row: ServiceRow) => ({
  id: row.id, serviceType: row.serviceType, serviceDate: row.serviceDate, start: isoOrNull(row.startAtMs), end: isoOrNull(row.endAtMs),
  durationMinutes: row.durationMinutes, creditMinutes: row.creditMinutes, villageCode: row.villageCode, note: row.note, source: row.source, status: row.status,
  rejectionReason: row.rejectionReason, reversalReason: row.reversalReason, createdAt: isoOrNull(row.createdAtMs),
  // A service given through a service request (source 'request'): the request it completed.
  requestId: row.requestId,
});

/** Services the member gave as a volunteer, and received as a registered elder (completed service requests included: they are service records). */
function serviceRecords({ all, nameOf }: RecordReader, memberId: number) {
  const servicesGiven = all<ServiceRow>(`SELECT ${serviceColumns} FROM service_records s WHERE s.volunteer_member_id = ? ORDER BY s.start_at_ms, s.id`, memberId)
    .map((row) => ({ ...service(row), elderId: row.elderId }));
  // Services received: the member is (also) a registered elder.
  const servicesReceived = all<ServiceRow>(
    `SELECT ${serviceColumns} FROM service_records s JOIN elders e ON e.id = s.elder_id WHERE e.member_id = ? ORDER BY s.start_at_ms, s.id`,
    memberId,
  ).map((row) => ({ ...service(row), volunteer: { memberId: row.volunteerMemberId, name: nameOf(row.volunteerMemberId) } }));
  return { servicesGiven, servicesReceived };
}

/** The member's redemptions at partner sites, with their lines. */
function redemptionRecords({ all }: RecordReader, memberId: number) {
  return all<{ id: number; siteId: number; siteName: string; payer: string; elderId: number | null; status: string; totalMinutes: number; receiptNumber: string | null;
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
}

/** Gifts the member gave or received; the other member by id and masked name. */
function giftRecords({ all, nameOf }: RecordReader, memberId: number) {
  return all<{ id: number; kind: string; fromMemberId: number; toMemberId: number | null; poolCountyCode: string | null; amountMinutes: number; divertedMinutes: number; atMs: number }>(
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
}

/** The member's registered relatives, either way round; the other member by id and masked name. */
function relativeRecords({ all, nameOf }: RecordReader, memberId: number) {
  return all<{ memberId: number; relativeMemberId: number; relation: string; kind: string; registeredAtMs: number }>(
    `SELECT member_id AS memberId, relative_member_id AS relativeMemberId, relation, kind, registered_at_ms AS registeredAtMs
       FROM member_relatives WHERE member_id = ? OR relative_member_id = ? ORDER BY id`,
    memberId, memberId,
  ).map((row) => {
    const otherId = row.memberId === memberId ? row.relativeMemberId : row.memberId;
    return { memberId: otherId, name: nameOf(otherId), kind: row.kind, relation: row.relation, registeredAt: isoOrNull(row.registeredAtMs) };
  });
}

/** The credit wallet (wallet:m<id>): every transfer in or out, with the balance after it. */
function walletHistoryOf({ all }: RecordReader, memberId: number) {
  const walletId = `wallet:m${memberId}`;
  const transfers = all<{ seq: number; code: string; amount: number; flags: number; debit: string; credit: string; refType: string | null; refId: string | null; timestampMs: number;
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
  return { accountId: walletId, transfers };
}

/**
 * The rest of a member's PIPL copy, from the other areas: the sign-in account
 * (never the password hash), services given and received, redemptions,
 * gifts, relatives and the credit wallet's history. Other people appear by id
 * and masked name only.
 */
function relatedRecords(context: PeopleContext, memberId: number, phoneOf: (phone: string | null) => string | null): Record<string, unknown> {
  const reader = recordReader(context);
  const account = accountRecords(reader, memberId, phoneOf);
  const { servicesGiven, servicesReceived } = serviceRecords(reader, memberId);
  const redemptions = redemptionRecords(reader, memberId);
  const gifts = giftRecords(reader, memberId);
  const relatives = relativeRecords(reader, memberId);
  const walletHistory = walletHistoryOf(reader, memberId);
  return { account, servicesGiven, servicesReceived, redemptions, gifts, relatives, walletHistory };
}

import { createHmac, randomBytes } from 'node:crypto';
import { and, asc, desc, eq, isNull, like } from 'drizzle-orm';
import { regions } from '../../db/schema/core.ts';
import { activityAttendance, activitySessions, serviceRecords } from '../../db/schema/hours.ts';
import { members, teamActivities, teams } from '../../db/schema/people.ts';
import { TransferFlags } from '../../ledger/index.ts';
import { authorize } from '../access/authorize.ts';
import { accountIds, accountInputs, countyAccounts, ensureAccounts, ledgerFor } from '../bookkeeping/accounts.ts';
import { countyCodeOfPath } from '../regions/path.ts';
import { ok, refuse, type Actor, type KeylessContext, type HoursOutcome, type Problem } from './context.ts';
import { readPolicy } from './policy.ts';
import { canRunActivities } from './permissions.ts';
import { minutesOnDate, overlappingRecord, transferIds } from './records.ts';
import { creditFor, typeInForce } from './standard.ts';
import { shanghaiDateOf } from './time.ts';
import { present } from '../../lib/assert.ts';
import { clockOf, nowOf } from '../kernel/context.ts';
import { writeTransaction } from '../kernel/transaction.ts';

export type ActivitySession = typeof activitySessions.$inferSelect;

/** How long one code shows on the screen. */
export const codePeriodMs = 60_000;

/**
 * The code for a session at a minute: HMAC of the session secret and the
 * minute number, 10 characters. Only the current minute's code and the one
 * just before it are accepted (so a scan as the code changes still works);
 * anything older is refused.
 */
export function codeAt(session: Pick<ActivitySession, 'id' | 'secret'>, atMs: number): string {
  const minute = Math.floor(atMs / codePeriodMs);
  return createHmac('sha256', session.secret).update(`${session.id}:${minute}`).digest('base64url').slice(0, 10);
}

export function isCodeCurrent(session: Pick<ActivitySession, 'id' | 'secret'>, code: string, atMs: number): boolean {
  return code === codeAt(session, atMs) || code === codeAt(session, atMs - codePeriodMs);
}

/** The URL a phone camera opens: no app needed. */
export function checkInPath(session: Pick<ActivitySession, 'id' | 'secret'>, atMs: number): string {
  return `/activities/check-in/${session.id}/${codeAt(session, atMs)}`;
}

export interface ActivityInfo {
  id: number;
  teamId: number;
  teamName: string;
  theme: string;
  place: string;
  activityDate: string;
  regionCode: string;
  regionPath: string;
  leaderMemberId: number | null;
}

export function findActivity(context: KeylessContext, activityId: number): ActivityInfo | undefined {
  return context.db
    .select({
      id: teamActivities.id, teamId: teams.id, teamName: teams.name, theme: teamActivities.theme, place: teamActivities.place,
      activityDate: teamActivities.activityDate, regionCode: teams.regionCode, regionPath: regions.path, leaderMemberId: teams.leaderMemberId,
    })
    .from(teamActivities)
    .innerJoin(teams, eq(teams.id, teamActivities.teamId))
    .innerJoin(regions, eq(regions.code, teams.regionCode))
    .where(eq(teamActivities.id, activityId))
    .get();
}

/** Staff in scope of the team's region, or the team's leader. */
export function mayRunActivity(context: KeylessContext, actor: Actor, activity: ActivityInfo): boolean {
  if (authorize(actor, canRunActivities, { regionPath: activity.regionPath })) return true;
  const memberId = (actor.memberId ?? null);
  return memberId !== null && memberId === activity.leaderMemberId;
}

export function sessionOf(context: KeylessContext, activityId: number): ActivitySession | undefined {
  return context.db.select().from(activitySessions).where(eq(activitySessions.activityId, activityId)).get();
}

/** Villages where an activity of this team may happen: those under the team's region (at most 300; paths are digits and slashes). */
export function activityVillages(context: KeylessContext, activity: Pick<ActivityInfo, 'regionPath'>): { code: string; nameZh: string; nameEn: string | null }[] {
  return context.db
    .select({ code: regions.code, nameZh: regions.nameZh, nameEn: regions.nameEn })
    .from(regions)
    .where(and(eq(regions.level, 'village'), like(regions.path, `${activity.regionPath}%`)))
    .orderBy(asc(regions.code))
    .limit(300)
    .all();
}

/**
 * Opens the sign-in of an activity (or returns the one already open). The
 * records it makes need the village where the activity happens: the opener
 * chooses one under the team's region; without a choice, a team of a county
 * or below defaults to its own region, and a team above county level (city,
 * province) is refused, since no county would issue the credits.
 */
export function openSignIn(context: KeylessContext, actor: Actor, activityId: number, serviceTypeCode: string, villageCode?: string | null): HoursOutcome<ActivitySession> {
  const activity = findActivity(context, activityId);
  if (!activity) return refuse(404, { code: 'hours.error.activity_not_found' });
  if (!mayRunActivity(context, actor, activity)) return refuse(404, { code: 'hours.error.activity_not_found' });
  const existing = sessionOf(context, activityId);
  if (existing) return existing.closedAtMs === null ? ok(existing) : refuse(409, { code: 'hours.error.activity_closed' });
  const type = typeInForce(context, serviceTypeCode, shanghaiDateOf(nowOf(context)));
  if (!type || !type.active) return refuse(422, { code: 'hours.error.type_unknown', field: 'serviceType' });
  let place = activity.regionCode;
  const chosen = (villageCode ?? '').trim();
  if (chosen !== '') {
    const village = context.db.select({ path: regions.path, level: regions.level }).from(regions).where(eq(regions.code, chosen)).get();
    if (!village || village.level !== 'village' || !village.path.startsWith(activity.regionPath)) {
      return refuse(422, { code: 'hours.error.activity_village_invalid', field: 'village' });
    }
    place = chosen;
  } else if (!countyCodeOfPath(activity.regionPath)) {
    return refuse(422, { code: 'hours.error.activity_village_required', field: 'village' });
  }
  const session = context.db.insert(activitySessions).values({
    activityId, serviceTypeCode: type.code, villageCode: place, secret: randomBytes(24).toString('base64url'),
    openedByUserId: actor.userId, openedAtMs: nowOf(context),
  }).returning().get();
  return ok(session);
}

export interface CheckInResult {
  action: 'signed_in' | 'signed_out';
  atMs: number;
  activity: ActivityInfo;
}

/**
 * A volunteer scanned the code: the first scan signs in, the second signs
 * out. An old code, a closed session or a user without a member record is refused.
 */
export function checkIn(context: KeylessContext, actor: Actor, sessionId: number, code: string, want?: 'in' | 'out'): HoursOutcome<CheckInResult> {
  const session = context.db.select().from(activitySessions).where(eq(activitySessions.id, sessionId)).get();
  if (!session) return refuse(404, { code: 'hours.error.activity_not_found' });
  const at = nowOf(context);
  if (session.closedAtMs !== null) return refuse(409, { code: 'hours.error.activity_closed' });
  if (!isCodeCurrent(session, code, at)) return refuse(410, { code: 'hours.error.code_expired' });
  const memberId = (actor.memberId ?? null);
  if (memberId === null) return refuse(403, { code: 'hours.error.not_a_member' });
  const member = context.db.select({ status: members.status }).from(members).where(eq(members.id, memberId)).get();
  if (member?.status !== 'active') return refuse(403, { code: 'hours.error.volunteer_not_active' });
  const activity = present(findActivity(context, session.activityId), "a session's activity exists (foreign key)");
  return writeTransaction(context.db, (tx) => {
      const attendance = tx.select().from(activityAttendance)
        .where(and(eq(activityAttendance.sessionId, session.id), eq(activityAttendance.memberId, memberId))).get();
      // With `want`, a repeated submit (double tap, retry) finds the work done and changes nothing.
      if (want === 'in' && attendance) return ok({ action: 'signed_in' as const, atMs: attendance.signedInAtMs, activity });
      if (want === 'out' && attendance?.signedOutAtMs) return ok({ action: 'signed_out' as const, atMs: attendance.signedOutAtMs, activity });
      if (want === 'out' && !attendance) return refuse(409, { code: 'hours.error.not_signed_in' });
      if (!attendance) {
        tx.insert(activityAttendance).values({ sessionId: session.id, memberId, signedInAtMs: at }).run();
        return ok({ action: 'signed_in' as const, atMs: at, activity });
      }
      if (attendance.signedOutAtMs !== null) return refuse(409, { code: 'hours.error.already_signed_out' });
      tx.update(activityAttendance).set({ signedOutAtMs: at }).where(eq(activityAttendance.id, attendance.id)).run();
      return ok({ action: 'signed_out' as const, atMs: at, activity });
    });
}

export interface AttendanceRow {
  memberId: number;
  realName: string;
  signedInAtMs: number;
  signedOutAtMs: number | null;
  recordId: number | null;
}

export function attendanceOf(context: KeylessContext, sessionId: number): AttendanceRow[] {
  return context.db
    .select({
      memberId: activityAttendance.memberId, realName: members.realName, signedInAtMs: activityAttendance.signedInAtMs,
      signedOutAtMs: activityAttendance.signedOutAtMs, recordId: activityAttendance.recordId,
    })
    .from(activityAttendance)
    .innerJoin(members, eq(members.id, activityAttendance.memberId))
    .where(eq(activityAttendance.sessionId, sessionId))
    .orderBy(activityAttendance.signedInAtMs)
    .all();
}

/**
 * Ends the activity: each attendance becomes a pending service record of the
 * activity's type for the signed duration (sign-out, or the close time for
 * those who forgot; capped at the type's maximum), with its pending ledger
 * transfer, all in the verification queue for approval in one action. The
 * records are entered by the sign-in system (entered_by empty), so the
 * coordinator who ran the activity may approve them. The rules of logging by
 * hand apply to each attendee: an attendance overlapping another live record
 * of the volunteer, or taking them over the daily maximum, or worth no credit,
 * is skipped (its attendance stays without a record) and listed with why.
 */
export type SkipReason = 'overlapping' | 'over_daily_max' | 'too_short';

export interface CloseResult {
  recordIds: number[];
  /** Attendances not turned into records, and why: the same rules as logging by hand. */
  skipped: { memberId: number; reason: SkipReason; problem: Problem }[];
}

export function closeSignIn(context: KeylessContext, actor: Actor, activityId: number): HoursOutcome<CloseResult> {
  const activity = findActivity(context, activityId);
  if (!activity) return refuse(404, { code: 'hours.error.activity_not_found' });
  if (!mayRunActivity(context, actor, activity)) return refuse(404, { code: 'hours.error.activity_not_found' });
  const session = sessionOf(context, activityId);
  if (!session) return refuse(409, { code: 'hours.error.activity_not_open' });
  if (session.closedAtMs !== null) return refuse(409, { code: 'hours.error.activity_closed' });
  const at = nowOf(context);
  const type = typeInForce(context, session.serviceTypeCode, shanghaiDateOf(session.openedAtMs));
  if (!type) return refuse(422, { code: 'hours.error.type_unknown' });
  const region = context.db.select({ path: regions.path }).from(regions).where(eq(regions.code, session.villageCode)).get();
  const countyCode = region ? countyCodeOfPath(region.path) : undefined;
  if (!countyCode) return refuse(422, { code: 'hours.error.village_unknown' });
  return writeTransaction(context.db, (tx) => {
      tx.update(activitySessions).set({ closedAtMs: at, closedByUserId: actor.userId }).where(eq(activitySessions.id, session.id)).run();
      const ledger = ledgerFor(context.db.$client, clockOf(context));
      ensureAccounts(ledger, countyAccounts(countyCode));
      const recordIds: number[] = [];
      const skipped: CloseResult['skipped'] = [];
      const policy = readPolicy(context);
      const open = tx.select().from(activityAttendance).where(and(eq(activityAttendance.sessionId, session.id), isNull(activityAttendance.recordId))).all();
      for (const attendance of open) {
        const endAtMs = attendance.signedOutAtMs ?? at;
        const durationMinutes = Math.min(Math.floor((endAtMs - attendance.signedInAtMs) / 60_000), type.maxMinutes);
        const credit = creditFor(durationMinutes, type.coefficientMilli);
        if (durationMinutes < 1 || credit < 1) {
          skipped.push({ memberId: attendance.memberId, reason: 'too_short', problem: { code: 'hours.error.credit_zero' } });
          continue;
        }
        const startAtMs = attendance.signedInAtMs;
        const serviceDate = shanghaiDateOf(startAtMs);
        const overlap = overlappingRecord(context, attendance.memberId, startAtMs, startAtMs + durationMinutes * 60_000);
        if (overlap) {
          skipped.push({ memberId: attendance.memberId, reason: 'overlapping', problem: { code: 'hours.error.overlapping', params: { date: overlap.serviceDate } } });
          continue;
        }
        const already = minutesOnDate(context, attendance.memberId, serviceDate);
        if (already + durationMinutes > policy.dailyMaxMinutes) {
          skipped.push({ memberId: attendance.memberId, reason: 'over_daily_max', problem: { code: 'hours.error.over_daily_max', params: { max: policy.dailyMaxMinutes, already } } });
          continue;
        }
        const key = `activity-${session.id}-member-${attendance.memberId}`;
        const holdId = transferIds.hold(key);
        const record = tx.insert(serviceRecords).values({
          idempotencyKey: key, volunteerMemberId: attendance.memberId, serviceTypeId: type.id, serviceTypeCode: type.code,
          villageCode: session.villageCode, countyCode, serviceDate: shanghaiDateOf(attendance.signedInAtMs),
          startAtMs: attendance.signedInAtMs, endAtMs: attendance.signedInAtMs + durationMinutes * 60_000, durationMinutes, creditMinutes: credit,
          note: activity.theme.slice(0, 200), source: 'activity', enteredByUserId: null, activityId, status: 'pending', holdTransferId: holdId, createdAtMs: at,
        }).returning({ id: serviceRecords.id }).get();
        ensureAccounts(ledger, [accountInputs.wallet(attendance.memberId)]);
        const [result] = ledger.createTransfers([{
          id: holdId, debitAccountId: accountIds.issuance(countyCode), creditAccountId: accountIds.wallet(attendance.memberId), amount: credit,
          code: 'service_credit', flags: TransferFlags.pending, refType: 'service_record', refId: String(record.id),
        }]);
        if (result !== 'ok') throw new Error(`activity record ${record.id}: ${result}`);
        tx.update(activityAttendance).set({ recordId: record.id }).where(eq(activityAttendance.id, attendance.id)).run();
        recordIds.push(record.id);
      }
      return ok({ recordIds, skipped });
    });
}

/** How long a fresh scan stays good while the volunteer signs in to the app. */
export const ticketLifetimeMs = 10 * 60_000;

/**
 * A scan of a current code gives a short pass (a ticket): the minute of the
 * scan and an HMAC of it. It lets someone who must first sign in finish
 * checking in after the code on the screen has moved on; it is good for ten
 * minutes and only for this session.
 */
export function ticketFor(session: Pick<ActivitySession, 'id' | 'secret'>, atMs: number): string {
  const minute = Math.floor(atMs / codePeriodMs);
  const mac = createHmac('sha256', session.secret).update(`ticket:${session.id}:${minute}`).digest('base64url').slice(0, 16);
  return `${minute}.${mac}`;
}

/** Whether the ticket was made for this session at all, expired or not: a forged one says nothing about the session. */
export function isTicketGenuine(session: Pick<ActivitySession, 'id' | 'secret'>, ticket: string): boolean {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{16})$/.exec(ticket);
  return match !== null && ticketFor(session, Number(match[1]) * codePeriodMs) === ticket;
}

export function isTicketValid(session: Pick<ActivitySession, 'id' | 'secret'>, ticket: string, atMs: number): boolean {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{16})$/.exec(ticket);
  if (!match) return false;
  const minute = Number(match[1]);
  if (atMs - minute * codePeriodMs > ticketLifetimeMs || minute * codePeriodMs > atMs + codePeriodMs) return false;
  return ticketFor(session, minute * codePeriodMs) === ticket;
}

export function findSession(context: KeylessContext, sessionId: number): ActivitySession | undefined {
  return context.db.select().from(activitySessions).where(eq(activitySessions.id, sessionId)).get();
}

/** Checks in with a ticket from a fresh scan (see ticketFor). */
export function checkInWithTicket(context: KeylessContext, actor: Actor, sessionId: number, ticket: string, want?: 'in' | 'out'): HoursOutcome<CheckInResult> {
  // Only members check in: anyone else is refused before the session is looked up (the answer says nothing about it).
  if ((actor.memberId ?? null) === null) return refuse(403, { code: 'hours.error.not_a_member' });
  const session = findSession(context, sessionId);
  if (!session) return refuse(404, { code: 'hours.error.activity_not_found' });
  if (!isTicketValid(session, ticket, nowOf(context))) return refuse(410, { code: 'hours.error.code_expired' });
  return checkIn(context, actor, sessionId, codeAt(session, nowOf(context)), want);
}

/** Team activities in the actor's scope (or led by them), newest first. */
export function activitiesFor(context: KeylessContext, actor: Actor): (ActivityInfo & { sessionOpen: boolean; sessionClosed: boolean })[] {
  const memberId = (actor.memberId ?? null);
  const rows = context.db
    .select({
      id: teamActivities.id, teamId: teams.id, teamName: teams.name, theme: teamActivities.theme, place: teamActivities.place,
      activityDate: teamActivities.activityDate, regionCode: teams.regionCode, regionPath: regions.path, leaderMemberId: teams.leaderMemberId,
      openedAtMs: activitySessions.openedAtMs, closedAtMs: activitySessions.closedAtMs,
    })
    .from(teamActivities)
    .innerJoin(teams, eq(teams.id, teamActivities.teamId))
    .innerJoin(regions, eq(regions.code, teams.regionCode))
    .leftJoin(activitySessions, eq(activitySessions.activityId, teamActivities.id))
    .orderBy(desc(teamActivities.activityDate), desc(teamActivities.id))
    .limit(500)
    .all();
  return rows
    .filter((row) => authorize(actor, canRunActivities, { regionPath: row.regionPath }) || (memberId !== null && row.leaderMemberId === memberId))
    .slice(0, 100)
    .map(({ openedAtMs, closedAtMs, ...info }) => ({ ...info, sessionOpen: openedAtMs !== null && closedAtMs === null, sessionClosed: closedAtMs !== null }));
}

/** A member's own attendance at a sign-in session (the check-in page shows it), or null before they check in. */
export function attendanceOfMember(context: KeylessContext, sessionId: number, memberId: number): typeof activityAttendance.$inferSelect | null {
  return context.db.select().from(activityAttendance).where(and(eq(activityAttendance.sessionId, sessionId), eq(activityAttendance.memberId, memberId))).get() ?? null;
}

import { eq } from 'drizzle-orm';
import { regions } from '../../db/schema/core.ts';
import { serviceRecords } from '../../db/schema/hours.ts';
import { elders, members } from '../../db/schema/people.ts';
import { TransferFlags } from '../../ledger/index.ts';
import { authorize } from '../access/authorize.ts';
import { accountIds, accountInputs, countyAccounts, ensureAccounts, ledgerFor } from '../bookkeeping/accounts.ts';
import { countyCodeOfPath } from '../regions/path.ts';
import { contentHash, idempotencyConflictKey, replayOf, writeOnce, type IdempotencyKey, type Once } from '../kernel/idempotency.ts';
import { isUniqueViolation, ok, refuse, type Actor, type DomainContext, type KeylessContext, type HoursOutcome, type Problem } from './context.ts';
import { pinConsentOf, verifyMemberPin } from '../people/members/pin.ts';
import { inLoggingArea } from './choices.ts';
import { canLogForMembers, canLogOwnHours } from './permissions.ts';
import { readPolicy } from './policy.ts';
import { capSplitFor, postRecordCredit } from './review.ts';
import { findRecord, minutesOnDate, overlappingRecord, transferIds, type ServiceRecord } from './records.ts';
import { creditFor, typeInForce } from './standard.ts';
import { addDays, isCalendarDate, isClockTime, shanghaiDateOf, shanghaiToUtcMs } from './time.ts';
import { clockOf, nowOf } from '../kernel/context.ts';

export interface LogInput {
  idempotencyKey: string;
  /** Staff logging for a member; ignored (must be empty or the user's own) for a volunteer. */
  volunteerMemberId?: number | null;
  serviceTypeCode: string;
  elderId?: number | null;
  /** Where the service happened when there is no recipient (the recipient's village otherwise). */
  villageCode?: string | null;
  /** Shanghai date 'YYYY-MM-DD' and wall-clock 'HH:MM'. */
  date: string;
  startTime: string;
  /** Either an end time or a duration in minutes. */
  endTime?: string | null;
  durationMinutes?: string | number | null;
  note?: string | null;
  /**
   * The elder's redemption PIN, typed by the elder on the volunteer's phone to confirm the
   * service on the spot. Only `logServiceWithPin` checks it; only a volunteer logging their
   * own service may use it. (The member card number is printed and seen by staff: it
   * proves nothing and is no longer accepted as confirmation.)
   */
  elderPin?: string | null;
}

export interface LoggedRecord {
  record: ServiceRecord;
  /** True when the idempotency key had been seen: nothing new was written. */
  replayed: boolean;
  /** Approval will be refused: the credit would take the wallet above the network balance cap (refuse mode). */
  capWarning?: Problem;
}

type Refusal = Extract<HoursOutcome<never>, { ok: false }>;

interface Who {
  memberId: number;
  source: 'self' | 'coordinator';
}

function whoLogs(context: KeylessContext, actor: Actor, input: LogInput): Who | Refusal {
  const ownMemberId = (actor.memberId ?? null);
  const requested = input.volunteerMemberId ?? null;
  if (requested === null || requested === ownMemberId) {
    if (ownMemberId === null || !authorize(actor, canLogOwnHours)) {
      if (requested === null && authorize(actor, canLogForMembers)) return refuse(422, { code: 'hours.error.volunteer_required', field: 'volunteer' });
      return refuse(403, { code: 'hours.error.not_a_member' });
    }
    return { memberId: ownMemberId, source: 'self' };
  }
  // Logging for someone else needs the role, whoever it is; a member outside the scope is answered like an unknown one.
  if (!authorize(actor, canLogForMembers)) return refuse(403, { code: 'hours.error.volunteer_out_of_scope', field: 'volunteer' });
  const member = context.db
    .select({ id: members.id, path: regions.path })
    .from(members)
    .innerJoin(regions, eq(regions.code, members.villageCode))
    .where(eq(members.id, requested))
    .get();
  if (!member || !authorize(actor, canLogForMembers, { regionPath: member.path })) return refuse(422, { code: 'hours.error.volunteer_unknown', field: 'volunteer' });
  return { memberId: member.id, source: 'coordinator' };
}

function parseDuration(raw: string | number | null | undefined): number | null {
  if (raw === null || raw === undefined || raw === '') return null;
  const text = String(raw).trim();
  return /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
}

/**
 * Logs a service: the record and a pending ledger transfer from the issuance
 * account of the county where it happened to the volunteer's wallet, in one
 * SQLite transaction. Every refusal writes nothing. The form's key runs the
 * write once (src/domain/kernel/idempotency.ts): the same key with the same
 * content returns the first record (a double tap, a retry, the back button);
 * with other content it is refused (409).
 */
export function logService(context: KeylessContext, actor: Actor, input: LogInput, confirmation?: PinConfirmation): HoursOutcome<LoggedRecord> {
  const key = normalizedKey(input.idempotencyKey);
  if (!isFormKey(key)) return refuse(400, { code: 'hours.error.form_expired' });
  const once = logKey(key, input);
  const earlier = replayLog(context, actor, once);
  if (earlier) return earlier;
  const checked = checkLog(context, actor, input, key, confirmation);
  if (!checked.ok) return checked;
  return writeLog(context, actor, once, checked.value);
}

/** What a checked form writes. */
interface CheckedLog {
  key: string;
  who: Who;
  type: ServiceType;
  elderId: number | null;
  villageCode: string;
  countyCode: string;
  date: string;
  startAtMs: number;
  endAtMs: number;
  durationMinutes: number;
  credit: number;
  note: string;
  confirmedByCard: boolean;
}

type ServiceType = NonNullable<ReturnType<typeof typeInForce>>;

interface When {
  date: string;
  startAtMs: number;
  endAtMs: number;
}

/** The date, start, and end or duration of the form, with the problems found in them. */
function parseWhen(input: LogInput, problems: Problem[]): When {
  const date = input.date.trim();
  const startTime = input.startTime.trim();
  const endTime = (input.endTime ?? '').trim();
  const duration = parseDuration(input.durationMinutes);
  const found = problems.length;
  if (!isCalendarDate(date)) problems.push({ code: 'hours.error.date_invalid', field: 'date' });
  if (!isClockTime(startTime)) problems.push({ code: 'hours.error.start_invalid', field: 'startTime' });
  if (endTime === '' && duration === null) problems.push({ code: 'hours.error.end_or_duration_required', field: 'endTime' });
  else if (endTime !== '' && !isClockTime(endTime)) problems.push({ code: 'hours.error.end_invalid', field: 'endTime' });
  else if (endTime === '' && (duration === null || Number.isNaN(duration) || duration < 1)) problems.push({ code: 'hours.error.duration_invalid', field: 'durationMinutes' });
  if (problems.length > found) return { date, startAtMs: 0, endAtMs: 0 };
  const startAtMs = shanghaiToUtcMs(date, startTime);
  const endAtMs = endTime !== '' ? shanghaiToUtcMs(date, endTime) : startAtMs + (duration ?? 0) * 60_000;
  if (endAtMs <= startAtMs) problems.push({ code: 'hours.error.end_before_start', field: 'endTime' });
  return { date, startAtMs, endAtMs };
}

/**
 * The form checked on its own: who logs, when, what (the type in force on the
 * service date), for whom and where (only an elder, and a village, in the
 * logger's area; an elder outside it is answered like a missing one), the
 * note, and then the rules that depend on the date. Refusals are 4xx.
 */
function checkLog(context: KeylessContext, actor: Actor, input: LogInput, key: string, confirmation?: PinConfirmation): HoursOutcome<CheckedLog> {
  const who = whoLogs(context, actor, input);
  if ('ok' in who) return who;
  const volunteer = context.db.select().from(members).where(eq(members.id, who.memberId)).get();
  if (!volunteer || volunteer.status !== 'active') return refuse(422, { code: 'hours.error.volunteer_not_active', field: 'volunteer' });

  const problems: Problem[] = [];
  const when = parseWhen(input, problems);
  const serviceDate = isCalendarDate(when.date) ? when.date : shanghaiDateOf(nowOf(context));
  const type = typeInForce(context, input.serviceTypeCode.trim(), serviceDate);
  if (!type) problems.push({ code: 'hours.error.type_unknown', field: 'serviceType' });
  else if (!type.active) problems.push({ code: 'hours.error.type_inactive', field: 'serviceType', params: { type: type.nameZh } });
  let elder: typeof elders.$inferSelect | undefined;
  if (input.elderId !== null && input.elderId !== undefined) {
    elder = elderInArea(context, actor, input.elderId);
    if (!elder) problems.push({ code: 'hours.error.recipient_outside_network', field: 'elder' });
    else if (elder.memberId === who.memberId) problems.push({ code: 'hours.error.own_recipient', field: 'elder' });
  } else if (type?.recipientRequired) {
    problems.push({ code: 'hours.error.recipient_required', field: 'elder', params: { type: type.nameZh } });
  }
  const villageCode = elder?.villageCode ?? ((input.villageCode ?? '').trim() || volunteer.villageCode);
  const village = context.db.select().from(regions).where(eq(regions.code, villageCode)).get();
  const countyCode = village ? countyCodeOfPath(village.path) : undefined;
  if (!village || !countyCode || !inLoggingArea(context, actor, village.path)) problems.push({ code: 'hours.error.village_unknown', field: 'village' });
  const note = (input.note ?? '').trim();
  if (Array.from(note).length > 200) problems.push({ code: 'hours.error.note_too_long', field: 'note', params: { max: 200 } });
  if (problems.length > 0 || !type || !countyCode) return refuse(422, ...problems);

  // On-the-spot confirmation: the elder typed their PIN (checked by logServiceWithPin, which hands over the proof).
  const confirmedByCard = confirmation !== undefined && confirmations.has(confirmation) && confirmation.key === key
    && who.source === 'self' && elder !== undefined && elder.memberId !== null && elder.memberId === confirmation.elderMemberId;
  const durationMinutes = Math.round((when.endAtMs - when.startAtMs) / 60_000);
  const checked: CheckedLog = {
    key, who, type, elderId: elder?.id ?? null, villageCode, countyCode, ...when, durationMinutes, credit: creditFor(durationMinutes, type.coefficientMilli), note, confirmedByCard,
  };
  const late = checkDates(context, checked);
  return late.length > 0 ? refuse(422, ...late) : ok(checked);
}

/** The rules that depend on the date: the type's longest service, not in the future, within the backdate window, some credit. */
function checkDates(context: KeylessContext, checked: CheckedLog): Problem[] {
  const problems: Problem[] = [];
  const nowMs = nowOf(context);
  const { type, durationMinutes } = checked;
  if (durationMinutes > type.maxMinutes) {
    problems.push({ code: 'hours.error.too_long_for_type', field: 'endTime', params: { type: type.nameZh, max: type.maxMinutes, minutes: durationMinutes } });
  }
  if (checked.endAtMs > nowMs) problems.push({ code: 'hours.error.in_future', field: 'date' });
  const backdateDays = readPolicy(context).backdateDays;
  const earliest = addDays(shanghaiDateOf(nowMs), -backdateDays);
  if (checked.date < earliest) problems.push({ code: 'hours.error.older_than_window', field: 'date', params: { days: backdateDays, earliest } });
  if (checked.credit < 1) problems.push({ code: 'hours.error.credit_zero', field: 'endTime' });
  return problems;
}

/**
 * Writes the checked form once under its key: the checks against the
 * volunteer's other records (overlap, daily maximum) and the write share one
 * IMMEDIATE transaction, so two forms at once cannot both pass them.
 */
function writeLog(context: KeylessContext, actor: Actor, once: IdempotencyKey, checked: CheckedLog): HoursOutcome<LoggedRecord> {
  let made: LoggedRecord | undefined;
  let written: Once<StoredLog>;
  try {
    written = writeOnce<StoredLog>(context.db, once, actor.userId, nowOf(context), () => {
      const outcome = insertRecord(context, actor, checked);
      if (!outcome.ok) return outcome;
      made = outcome.value;
      return { ok: true, id: outcome.value.record.id };
    });
  } catch (error) {
    // The record's own key column stays unique as a safety net: a key written before the kernel kept it.
    const winner = isUniqueViolation(error) ? context.db.select().from(serviceRecords).where(eq(serviceRecords.idempotencyKey, checked.key)).get() : undefined;
    if (winner) return replay(actor, winner);
    throw error;
  }
  if (written.kind === 'first') return written.result.ok && made ? ok(made) : (written.result as Refusal);
  return answerOf(context, actor, written);
}

/** The record, its pending hold transfer, and an automatic approval when the elder confirmed it; inside writeLog's transaction. */
function insertRecord(context: KeylessContext, actor: Actor, checked: CheckedLog): HoursOutcome<LoggedRecord> {
  const { who, type, countyCode, startAtMs, endAtMs, durationMinutes, credit } = checked;
  const policy = readPolicy(context);
  const overlap = overlappingRecord(context, who.memberId, startAtMs, endAtMs);
  if (overlap) return refuse(422, { code: 'hours.error.overlapping', field: 'startTime', params: { date: overlap.serviceDate } });
  const already = minutesOnDate(context, who.memberId, checked.date);
  if (already + durationMinutes > policy.dailyMaxMinutes) {
    return refuse(422, { code: 'hours.error.over_daily_max', field: 'endTime', params: { max: policy.dailyMaxMinutes, already } });
  }
  // The balance cap applies to every credit: in refuse mode a record that would pass it is
  // not approved automatically (it waits for review, and the volunteer is told why).
  const capCheck = capSplitFor(context, who.memberId, credit);
  const capWarning = capCheck.ok ? undefined : capCheck.problems[0];
  const autoApprove = checked.confirmedByCard && policy.autoApproveCardConfirmed && capCheck.ok;
  const nowMs = nowOf(context);
  const holdId = transferIds.hold(checked.key);
  const record = context.db.insert(serviceRecords).values({
    idempotencyKey: checked.key, volunteerMemberId: who.memberId, serviceTypeId: type.id, serviceTypeCode: type.code, elderId: checked.elderId,
    villageCode: checked.villageCode, countyCode, serviceDate: checked.date, startAtMs, endAtMs, durationMinutes, creditMinutes: credit,
    note: checked.note || null, source: who.source, enteredByUserId: actor.userId, confirmedByCard: checked.confirmedByCard,
    status: autoApprove ? 'approved' : 'pending', holdTransferId: holdId, reviewedAtMs: autoApprove ? nowMs : null, createdAtMs: nowMs,
  }).returning().get();
  const ledger = ledgerFor(context.db.$client, clockOf(context));
  ensureAccounts(ledger, [...countyAccounts(countyCode), accountInputs.wallet(who.memberId)]);
  const results = ledger.createTransfers([{
    id: holdId, debitAccountId: accountIds.issuance(countyCode), creditAccountId: accountIds.wallet(who.memberId), amount: credit,
    code: 'service_credit' as const, flags: TransferFlags.pending, refType: 'service_record', refId: String(record.id),
  }]);
  if (results[0] !== 'ok') throw new Error(`service record ${record.id}: hold transfer ${results[0]}`);
  if (autoApprove) {
    const posted = postRecordCredit(context, record);
    if (!posted.ok) throw new Error(`service record ${record.id}: post refused ${posted.problems[0]?.code}`);
  }
  return ok({ record, replayed: false, ...(capWarning ? { capWarning } : {}) });
}

/** What the kernel keeps under a log form's key: the record's id. */
type StoredLog = { ok: true; id: number } | Refusal;

/** The kernel's key for a log form: the fields that make the record (never the elder's PIN). */
function logKey(key: string, input: LogInput): IdempotencyKey {
  return {
    key,
    scope: 'hours.log',
    contentHash: contentHash({
      volunteerMemberId: input.volunteerMemberId ?? null, serviceTypeCode: input.serviceTypeCode.trim(), elderId: input.elderId ?? null,
      villageCode: (input.villageCode ?? '').trim(), date: input.date.trim(), startTime: input.startTime.trim(), endTime: (input.endTime ?? '').trim(),
      durationMinutes: input.durationMinutes === null || input.durationMinutes === undefined ? '' : String(input.durationMinutes).trim(), note: (input.note ?? '').trim(),
    }),
  };
}

/** The answer of a log form already written under this key (undefined when the key is new). */
function replayLog(context: KeylessContext, actor: Actor, once: IdempotencyKey): HoursOutcome<LoggedRecord> | undefined {
  const earlier = replayOf<StoredLog>(context.db, once, actor.userId);
  return earlier ? answerOf(context, actor, earlier) : undefined;
}

function answerOf(context: KeylessContext, actor: Actor, earlier: Once<StoredLog>): HoursOutcome<LoggedRecord> {
  if (earlier.kind === 'conflict') return refuse(409, { code: idempotencyConflictKey });
  if (!earlier.result.ok) return earlier.result; // never stored: writeOnce keeps only an ok answer
  const record = findRecord(context, earlier.result.id);
  if (!record) throw new Error(`idempotency key names service record ${earlier.result.id}, which is gone`);
  return replay(actor, record);
}

function isFormKey(key: string): boolean {
  return /^[0-9a-f-]{16,64}$/.test(key);
}

/** An active registered elder in the logger's area (loggingArea), or undefined as for a missing one. */
function elderInArea(context: KeylessContext, actor: Actor, elderId: number): typeof elders.$inferSelect | undefined {
  const found = context.db
    .select({ elder: elders, path: regions.path })
    .from(elders)
    .innerJoin(regions, eq(regions.code, elders.villageCode))
    .where(eq(elders.id, elderId))
    .get();
  if (!found || found.elder.status !== 'active' || !inLoggingArea(context, actor, found.path)) return undefined;
  return found.elder;
}

function normalizedKey(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Proof that the elder's PIN was checked for this form; only this module makes one. */
export interface PinConfirmation {
  readonly key: string;
  readonly elderMemberId: number;
}
const confirmations = new WeakSet<PinConfirmation>();

/**
 * Logs a service, confirmed on the spot by the elder's redemption PIN when one is
 * given. The PIN counts only when the volunteer logs their own service for a
 * registered elder in their area (loggingArea: their home county or a team's
 * county; one outside it is answered like a missing elder, and no PIN is tried) who is a member (a coordinator keying in a record for
 * someone else cannot confirm it for the elder). A wrong PIN is refused with
 * the attempts left and counts toward the lock of the 'remote' channel only
 * (a volunteer's phone cannot lock the elder out of the counter); nothing else
 * is written. With the policy on (and room under the balance cap), a confirmed
 * record is approved at once.
 */
export async function logServiceWithPin(context: DomainContext, actor: Actor, input: LogInput): Promise<HoursOutcome<LoggedRecord>> {
  const pin = (input.elderPin ?? '').trim();
  const key = normalizedKey(input.idempotencyKey);
  if (pin === '' || !isFormKey(key)) return logService(context, actor, input);
  if (replayOf(context.db, logKey(key, input), actor.userId)) return logService(context, actor, input); // a replay (or a conflict): no PIN check
  const who = whoLogs(context, actor, input);
  if ('ok' in who) return who;
  if (who.source !== 'self') return refuse(422, { code: 'hours.error.pin_only_self', field: 'elderPin' });
  const elder = input.elderId ? elderInArea(context, actor, input.elderId) : undefined;
  if (!elder) return refuse(422, { code: 'hours.error.pin_needs_recipient', field: 'elderPin' });
  if (elder.memberId === null) return refuse(422, { code: 'hours.error.pin_elder_not_member', field: 'elderPin' });
  if (elder.memberId === who.memberId) return logService(context, actor, input); // refused there: own recipient
  // A PIN staff chose is not the elder's confirmation: whoever chose it could confirm services that never happened.
  if (pinConsentOf(context, elder.memberId)?.setByStaff) return refuse(409, { code: 'hours.error.pin_set_by_staff', field: 'elderPin' });
  const checked = await verifyMemberPin(context, elder.memberId, pin, 'remote');
  if (!checked.ok) {
    const status = checked.status === 423 ? 423 : checked.status === 404 ? 422 : checked.status;
    return { ok: false, status: status as 409 | 422 | 423, problems: checked.problems.map((problem) => ({ ...problem, field: 'elderPin' })) };
  }
  const confirmation: PinConfirmation = { key, elderMemberId: elder.memberId };
  confirmations.add(confirmation);
  return logService(context, actor, input, confirmation);
}

function replay(actor: Actor, earlier: ServiceRecord): HoursOutcome<LoggedRecord> {
  // A key belongs to the form of the user who saw it; someone else's key is not theirs to replay.
  if (earlier.enteredByUserId !== actor.userId) return refuse(409, { code: 'hours.error.form_expired' });
  return ok({ record: earlier, replayed: true });
}

export { findRecord };

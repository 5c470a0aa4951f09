import { connectionOf } from '../../db/client.ts';
import { ownsMember, type Actor } from '../access/authorize.ts';
import { audit } from '../audit/audit.ts';
import { nowOf, type DomainContext } from '../kernel/context.ts';
import { failure, success, type Outcome, type Problem } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { isCalendarDate, shanghaiDateOf } from '../hours/time.ts';
import { memberInScope } from '../people/members/access.ts';
import { canRequestForMembers } from './permissions.ts';

/** Records of service began in 2000 at the earliest; an earlier date is a typing mistake. */
const earliestDate = '2000-01-01';

export interface RequestInput {
  /** The member the certificate is for; the actor's own member when absent. */
  memberId?: number | null;
  allTime: boolean;
  fromDate?: string;
  toDate?: string;
}

export interface RequestedCertificate {
  requestId: number;
  memberId: number;
  countyCode: string;
}

/** The period as asked: both dates or all time; not in the future, not before 2000, from not after to. */
export function checkPeriod(input: Pick<RequestInput, 'allTime' | 'fromDate' | 'toDate'>, today: string): { from: string; to: string } | null | Problem {
  if (input.allTime) return null;
  const from = (input.fromDate ?? '').trim();
  const to = (input.toDate ?? '').trim();
  if (!isCalendarDate(from)) return { code: 'records.error.period_from_invalid', field: 'from' };
  if (!isCalendarDate(to)) return { code: 'records.error.period_to_invalid', field: 'to' };
  if (from > to) return { code: 'records.error.period_reversed', field: 'from' };
  if (to > today) return { code: 'records.error.period_future', field: 'to', params: { today } };
  if (from < earliestDate) return { code: 'records.error.period_too_early', field: 'from', params: { earliest: earliestDate } };
  return { from, to };
}

/** The member a request is for, as the actor may ask: herself, or a member in a staff actor's scope (404 otherwise). */
function memberFor(context: DomainContext, actor: Actor, memberId: number | null | undefined): Outcome<{ id: number; villageCode: string; status: string }> {
  const id = memberId ?? actor.memberId ?? null;
  if (id === null) return failure(403, { code: 'records.error.not_a_member' });
  if (ownsMember(actor, id)) {
    const row = connectionOf(context.db).prepare('SELECT id, village_code AS villageCode, status FROM members WHERE id = ?').get(id) as { id: number; villageCode: string; status: string } | undefined;
    return row ? success(row) : failure(404, { code: 'records.error.member_not_found' });
  }
  const found = memberInScope(context, actor, id, canRequestForMembers);
  if (!found.ok) return failure(404, { code: 'records.error.member_not_found' });
  return success({ id: found.member.id, villageCode: found.member.villageCode, status: found.member.status });
}

/**
 * A volunteer asks for a certificate (or staff ask for a member in their
 * scope): addressed to the ageing office of the member's home county. One
 * pending request per member: the check and the insert are one write transaction
 * (and a partial unique index holds it under concurrency).
 */
export function requestCertificate(context: DomainContext, actor: Actor, input: RequestInput): Outcome<RequestedCertificate> {
  const member = memberFor(context, actor, input.memberId);
  if (!member.ok) return member;
  if (member.value.status !== 'active' && member.value.status !== 'suspended') return failure(409, { code: 'records.error.member_not_active' });
  const at = nowOf(context);
  const period = checkPeriod(input, shanghaiDateOf(at));
  if (period !== null && 'code' in period) return failure(422, period);
  const countyCode = member.value.villageCode.slice(0, 6);
  const sqlite = connectionOf(context.db);
  return writeTransaction(sqlite, () => {
    const pending = sqlite.prepare("SELECT 1 FROM certificate_requests WHERE member_id = ? AND status = 'pending'").get(member.value.id);
    if (pending) return failure<RequestedCertificate>(409, { code: 'records.error.request_pending' });
    const requestId = Number(sqlite.prepare(`INSERT INTO certificate_requests (member_id, county_code, from_date, to_date, status, requested_by_user_id, requested_at_ms)
      VALUES (?, ?, ?, ?, 'pending', ?, ?)`).run(member.value.id, countyCode, period?.from ?? null, period?.to ?? null, actor.userId, at).lastInsertRowid);
    audit(context, actor, 'certificate.request', 'certificate_request', requestId, member.value.villageCode, { memberId: member.value.id, from: period?.from ?? null, to: period?.to ?? null });
    return success({ requestId, memberId: member.value.id, countyCode });
  });
}

export interface PendingRequestRow {
  id: number;
  memberId: number;
  countyCode: string;
  fromDate: string | null;
  toDate: string | null;
  status: 'pending' | 'issued' | 'declined';
  requestedAtMs: number;
  declineReason: string | null;
}

export function findRequest(context: DomainContext, requestId: number): PendingRequestRow | undefined {
  return connectionOf(context.db).prepare(`SELECT id, member_id AS memberId, county_code AS countyCode, from_date AS fromDate, to_date AS toDate, status,
      requested_at_ms AS requestedAtMs, decline_reason AS declineReason FROM certificate_requests WHERE id = ?`).get(requestId) as PendingRequestRow | undefined;
}

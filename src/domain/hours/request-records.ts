import type { Db } from '../../db/client.ts';
import { serviceRecords } from '../../db/schema/hours.ts';
import { contentHash, writeOnce } from '../kernel/idempotency.ts';
import { shanghaiDateOf } from './time.ts';

/**
 * A service delivered through a service request (src/domain/redemption/requests.ts)
 * is a service record too, so every service lives in one table and the reports
 * read one table. The record is written by confirmRequest in the same write
 * transaction as the payment and the completion, and by migration 0019 for
 * requests completed before. Both follow the rule below (docs/HOURS.md,
 * "Services delivered through a request"); the migration spells it in SQL,
 * and test/domain/hours/request-records.test.ts checks that the two agree.
 *
 * - status 'completed', source 'request', `request_id` the request: the
 *   payment was a peer transfer (payer -> escrow -> volunteer), not an
 *   issuance, so the hours feature never reviews, posts, voids or reverses
 *   it, and no review queue shows it;
 * - `hold_transfer_id` is the request's hold, `credit_minutes` what the
 *   volunteer's wallet received (0 when all of it went to the pool over the
 *   balance cap), `duration_minutes` the minutes offered;
 * - the service date is the Shanghai day of the confirmation, and the
 *   service ends at the confirmation;
 * - the recipient is the request's elder, or the registered elder who is
 *   the requesting member;
 * - the type is `typeForRequestSql` (requests say 'meals' where the standard
 *   says 'meal'; no exact type: 互助服务 mutual aid; none either: the first type).
 */

/** The idempotency scope of the record written when a request is completed (key `request-<id>`). */
export const requestRecordScope = 'hours.request_record';

/** The standard's category for a request's category: requests say 'meals' where the standard says 'meal'. */
export function standardCategoryOfRequest(requestCategory: string): string {
  return requestCategory === 'meals' ? 'meal' : requestCategory;
}

/**
 * The service type of a completed request: in the version in force on the
 * service date (the earliest version before the first took effect), the first
 * type of the category (active first), else the first 'mutual_aid' type, else
 * the first type. No row when the network has no standard at all.
 */
export const typeForRequestSql = `SELECT c.id, c.code FROM service_types c
  WHERE c.version_id = coalesce(
    (SELECT v.id FROM service_standard_versions v WHERE v.effective_date <= @date ORDER BY v.effective_date DESC LIMIT 1),
    (SELECT v.id FROM service_standard_versions v ORDER BY v.effective_date LIMIT 1))
  ORDER BY c.category = @category DESC, c.category = 'mutual_aid' DESC, c.active DESC, c.id
  LIMIT 1`;

export interface CompletedRequest {
  id: number;
  volunteerMemberId: number | null;
  requesterMemberId: number | null;
  elderId: number | null;
  villageCode: string;
  countyCode: string;
  serviceCategory: string;
  description: string;
  offeredMinutes: number;
  holdTransferId: string;
}

export interface RequestPayment {
  /** What the volunteer's wallet received. */
  creditedMinutes: number;
  /** When the request was confirmed. */
  atMs: number;
  byUserId: number | null;
}

/**
 * Writes the record of a completed request, once per request (the kernel's
 * writeOnce under `request-<id>`; the unique request_id is the safety net).
 * Call it inside the write transaction that completes the request (it nests
 * as a savepoint). Returns the record id, or null when the network has no
 * standard to type it with.
 */
export function recordCompletedRequest(db: Db, request: CompletedRequest, payment: RequestPayment): number | null {
  if (request.volunteerMemberId === null) throw new Error(`service request ${request.id} completed without a volunteer`);
  const volunteerMemberId = request.volunteerMemberId;
  const key = `request-${request.id}`;
  const serviceDate = shanghaiDateOf(payment.atMs);
  const once = writeOnce<{ ok: true; id: number } | { ok: false }>(db, { key, scope: requestRecordScope, contentHash: contentHash({ requestId: request.id }) }, null, payment.atMs, () => {
    const type = db.$client.prepare(typeForRequestSql).get({ date: serviceDate, category: standardCategoryOfRequest(request.serviceCategory) }) as { id: number; code: string } | undefined;
    if (!type) return { ok: false };
    const elderId = request.elderId ?? (db.$client.prepare('SELECT min(id) FROM elders WHERE member_id = ?').pluck().get(request.requesterMemberId) as number | null);
    const row = db.insert(serviceRecords).values({
      idempotencyKey: key, volunteerMemberId, serviceTypeId: type.id, serviceTypeCode: type.code, elderId,
      villageCode: request.villageCode, countyCode: request.countyCode, serviceDate,
      startAtMs: payment.atMs - request.offeredMinutes * 60_000, endAtMs: payment.atMs, durationMinutes: request.offeredMinutes, creditMinutes: payment.creditedMinutes,
      note: request.description, source: 'request', enteredByUserId: payment.byUserId, status: 'completed', holdTransferId: request.holdTransferId,
      createdAtMs: payment.atMs, requestId: request.id,
    }).returning({ id: serviceRecords.id }).get();
    return { ok: true, id: row.id };
  });
  if (once.kind === 'conflict') throw new Error(`service request ${request.id}: its record key is taken by another write`);
  return once.result.ok ? once.result.id : null;
}

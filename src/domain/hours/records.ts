import { eq } from 'drizzle-orm';
import { connectionOf } from '../../db/client.ts';
import { serviceRecords } from '../../db/schema/hours.ts';
import type { KeylessContext } from './context.ts';

export type ServiceRecord = typeof serviceRecords.$inferSelect;

/** Records that still count: waiting for review or approved. */
export const liveStatuses = ['pending', 'approved'] as const;

/** The id prefix of the transfer that sends a record's credit above the balance cap to the county pool. */
export const overflowTransferPrefix = 'svc-overflow:';

/** Ledger transfer ids of a record's life; each is an idempotency key. */
export const transferIds = {
  hold: (idempotencyKey: string) => `svc-hold:${idempotencyKey}`,
  post: (recordId: number) => `svc-post:${recordId}`,
  void: (recordId: number) => `svc-void:${recordId}`,
  expire: (recordId: number) => `svc-expire:${recordId}`,
  reverse: (recordId: number) => `svc-reverse:${recordId}`,
  /** The part of an approved credit above the balance cap, sent to the volunteer's county pool. */
  overflow: (recordId: number) => `${overflowTransferPrefix}${recordId}`,
  /** The reversal of that part (pool -> issuance). */
  reverseOverflow: (recordId: number) => `svc-reverse-overflow:${recordId}`,
};

export function findRecord(context: KeylessContext, recordId: number): ServiceRecord | undefined {
  return context.db.select().from(serviceRecords).where(eq(serviceRecords.id, recordId)).get();
}

// The rules a new record is checked against, on every log request: raw SQL on the connection's
// statement cache, where building the drizzle query cost more than running it (docs/PERFORMANCE.md).
const liveStatusList = liveStatuses.map((status) => `'${status}'`).join(', ');
const overlappingSql = `SELECT service_date AS serviceDate FROM service_records
  WHERE volunteer_member_id = ? AND status IN (${liveStatusList}) AND start_at_ms < ? AND end_at_ms > ? LIMIT 1`;
const minutesOnDateSql = `SELECT coalesce(sum(duration_minutes), 0) FROM service_records
  WHERE volunteer_member_id = ? AND service_date = ? AND status IN (${liveStatusList})`;

/** The date of a live record of the volunteer overlapping [startAtMs, endAtMs), if any. */
export function overlappingRecord(context: KeylessContext, memberId: number, startAtMs: number, endAtMs: number): Pick<ServiceRecord, 'serviceDate'> | undefined {
  return connectionOf(context.db).prepare(overlappingSql).get(memberId, endAtMs, startAtMs) as Pick<ServiceRecord, 'serviceDate'> | undefined;
}

/** Minutes the volunteer already has on a Shanghai date (live records). */
export function minutesOnDate(context: KeylessContext, memberId: number, serviceDate: string): number {
  return connectionOf(context.db).prepare(minutesOnDateSql).pluck().get(memberId, serviceDate) as number;
}

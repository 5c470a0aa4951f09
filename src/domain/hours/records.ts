import { and, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { serviceRecords } from '../../db/schema/hours.ts';
import type { KeylessContext } from './context.ts';

export type ServiceRecord = typeof serviceRecords.$inferSelect;

/** Records that still count: waiting for review or approved. */
export const liveStatuses = ['pending', 'approved'] as const;

/** Ledger transfer ids of a record's life; each is an idempotency key. */
export const transferIds = {
  hold: (idempotencyKey: string) => `svc-hold:${idempotencyKey}`,
  post: (recordId: number) => `svc-post:${recordId}`,
  void: (recordId: number) => `svc-void:${recordId}`,
  expire: (recordId: number) => `svc-expire:${recordId}`,
  reverse: (recordId: number) => `svc-reverse:${recordId}`,
  /** The part of an approved credit above the balance cap, sent to the volunteer's county pool. */
  overflow: (recordId: number) => `svc-overflow:${recordId}`,
  /** The reversal of that part (pool -> issuance). */
  reverseOverflow: (recordId: number) => `svc-reverse-overflow:${recordId}`,
};

export function findRecord(context: KeylessContext, recordId: number): ServiceRecord | undefined {
  return context.db.select().from(serviceRecords).where(eq(serviceRecords.id, recordId)).get();
}

/** A live record of the volunteer overlapping [startAtMs, endAtMs), if any. */
export function overlappingRecord(context: KeylessContext, memberId: number, startAtMs: number, endAtMs: number): ServiceRecord | undefined {
  return context.db
    .select()
    .from(serviceRecords)
    .where(and(
      eq(serviceRecords.volunteerMemberId, memberId),
      inArray(serviceRecords.status, [...liveStatuses]),
      lt(serviceRecords.startAtMs, endAtMs),
      gt(serviceRecords.endAtMs, startAtMs),
    ))
    .limit(1)
    .get();
}

/** Minutes the volunteer already has on a Shanghai date (live records). */
export function minutesOnDate(context: KeylessContext, memberId: number, serviceDate: string): number {
  const row = context.db
    .select({ total: sql<number>`coalesce(sum(${serviceRecords.durationMinutes}), 0)` })
    .from(serviceRecords)
    .where(and(eq(serviceRecords.volunteerMemberId, memberId), eq(serviceRecords.serviceDate, serviceDate), inArray(serviceRecords.status, [...liveStatuses])))
    .get();
  return row?.total ?? 0;
}

import { and, asc, eq, lte } from 'drizzle-orm';
import { regions } from '../../db/schema/core.ts';
import { serviceRecords } from '../../db/schema/hours.ts';
import { members } from '../../db/schema/people.ts';
import { balanceOf, TransferFlags, type TransferInput } from '../../ledger/index.ts';
import { assert, present } from '../../lib/assert.ts';
import { authorize } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { accountIds, countyAccounts, ensureAccounts, ledgerFor } from '../bookkeeping/accounts.ts';
import { countyCodeOfPath } from '../regions/path.ts';
import { splitByCap } from '../redemption/policy.ts';
import { policyInForce } from '../redemption/policy-versions.ts';
import { checkReason, ok, refuse, roleRefusal, type Actor, type KeylessContext, type HoursOutcome, type Problem } from './context.ts';
import { canVerifyHours } from './permissions.ts';
import { readPolicy } from './policy.ts';
import { findRecord, transferIds, type ServiceRecord } from './records.ts';
import { dayMs } from './time.ts';
import { firstProblem } from '../kernel/outcome.ts';
import { proposeDueStars } from '../stars/proposals.ts';
import { clockOf, nowOf } from '../kernel/context.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { notify } from '../messages/notify.ts';

type Refusal = Extract<HoursOutcome<never>, { ok: false }>;

/** Null when the actor holds a reviewer's role (whatever the scope); otherwise the 403 page. */
export function checkCanVerify(actor: Actor): Refusal | null {
  return roleRefusal(actor, canVerifyHours);
}

/**
 * The record a reviewer asks to decide on: the 403 page for someone without
 * the role (checked before the lookup, so it tells nothing of which records
 * exist), and a record outside the scope answered exactly like a missing one.
 */
export function recordToDecide(context: KeylessContext, actor: Actor, recordId: number): HoursOutcome<ServiceRecord> {
  const refused = roleRefusal(actor, canVerifyHours);
  if (refused) return refused;
  const record = findRecord(context, recordId);
  if (!record) return refuse(404, { code: 'hours.error.record_not_found' });
  const village = context.db.select({ path: regions.path }).from(regions).where(eq(regions.code, record.villageCode)).get();
  if (!village || !authorize(actor, canVerifyHours, { regionPath: village.path })) return refuse(404, { code: 'hours.error.record_not_found' });
  return ok(record);
}

/** The record, if the actor may decide on it: in scope, and neither logged by them nor theirs. */
function decidable(context: KeylessContext, actor: Actor, recordId: number, expected: ServiceRecord['status']): { record: ServiceRecord } | Refusal {
  const found = recordToDecide(context, actor, recordId);
  if (!found.ok) return found;
  const record = found.value;
  // A service request's record was paid member to member when the request was confirmed: nothing to decide or reverse.
  if (record.status === 'completed') return refuse(409, { code: 'hours.error.record_from_request' });
  const ownMemberId = (actor.memberId ?? null);
  if (record.enteredByUserId === actor.userId || (ownMemberId !== null && ownMemberId === record.volunteerMemberId)) {
    return refuse(403, { code: 'hours.error.own_record' });
  }
  if (record.status !== expected) return refuse(409, { code: `hours.error.record_already_${record.status}` });
  return { record };
}

function resolve(context: KeylessContext, record: ServiceRecord, input: TransferInput): void {
  const [result] = ledgerFor(context.db.$client, clockOf(context)).createTransfers([input]);
  if (result !== 'ok' && result !== 'exists') throw new Error(`service record ${record.id}: ${input.id} ${result}`);
}

function inTransaction<T>(context: KeylessContext, work: () => T): T {
  return writeTransaction(context.db, () => work());
}

/** What approving a record moved: credited to the wallet, diverted to the pool (above the balance cap), under which policy version. */
export interface CreditSplit {
  credited: number;
  diverted: number;
  policyVersionId?: number | null;
}

/**
 * How much of a record's credit its volunteer's wallet may take under the
 * network balance cap (redemption policy, the same rule as gifts and paid
 * requests). The base is the wallet's posted balance: other records still
 * waiting for review are not counted, or two pending records that each fit
 * could block each other forever.
 */
export function capSplitFor(context: KeylessContext, volunteerMemberId: number, creditMinutes: number): HoursOutcome<CreditSplit> {
  const inForce = policyInForce(context.db, nowOf(context));
  const policy = inForce.rules;
  const wallet = ledgerFor(context.db.$client, clockOf(context)).account(accountIds.wallet(volunteerMemberId));
  const posted = wallet ? balanceOf(wallet).posted : 0;
  const split = splitByCap(policy, posted, creditMinutes, inForce.versionNumber);
  if (split.ok) return ok({ ...split.value, policyVersionId: inForce.id });
  const room = Math.max(0, (policy.balanceCapMinutes ?? 0) - posted);
  return refuse(409, { code: 'hours.error.over_balance_cap', params: { cap: policy.balanceCapMinutes ?? 0, roomMinutes: room, credit: creditMinutes, version: inForce.versionNumber ?? 1 } });
}

function volunteerCounty(context: KeylessContext, memberId: number): string {
  const row = context.db.select({ path: regions.path }).from(members).innerJoin(regions, eq(regions.code, members.villageCode)).where(eq(members.id, memberId)).get();
  const county = row ? countyCodeOfPath(row.path) : undefined;
  if (!county) throw new Error(`member ${memberId}: no county`);
  return county;
}

/**
 * Posts a record's hold, applying the balance cap: in refuse mode a credit
 * that would take the wallet above the cap is refused (nothing written); in
 * divert mode only the part up to the cap is posted (the ledger posts less
 * than the hold and releases the rest) and the excess goes from the issuance
 * account to the volunteer's county pool (code cap_overflow), as gifts and
 * paid requests divert. Nothing left for the wallet: the hold is voided with
 * code cap_overflow and the whole credit goes to the pool. One linked call.
 * Must run inside the caller's transaction.
 */
export function postRecordCredit(context: KeylessContext, record: Pick<ServiceRecord, 'id' | 'volunteerMemberId' | 'creditMinutes' | 'holdTransferId' | 'countyCode'>): HoursOutcome<CreditSplit> {
  const split = capSplitFor(context, record.volunteerMemberId, record.creditMinutes);
  if (!split.ok) return split;
  const { credited, diverted, policyVersionId } = split.value;
  const ref = { refType: 'service_record', refId: String(record.id) };
  const transfers: TransferInput[] = [];
  if (credited > 0) {
    transfers.push({ id: transferIds.post(record.id), pendingId: record.holdTransferId, code: 'service_credit', flags: TransferFlags.postPending, ...(diverted > 0 ? { amount: credited } : {}), ...ref });
  } else {
    transfers.push({ id: transferIds.post(record.id), pendingId: record.holdTransferId, code: 'cap_overflow', flags: TransferFlags.voidPending, ...ref });
  }
  if (diverted > 0) {
    const county = volunteerCounty(context, record.volunteerMemberId);
    const ledger = ledgerFor(context.db.$client, clockOf(context));
    ensureAccounts(ledger, countyAccounts(county));
    transfers.push({ id: transferIds.overflow(record.id), debitAccountId: accountIds.issuance(record.countyCode), creditAccountId: accountIds.pool(county), amount: diverted, code: 'cap_overflow', ...ref });
  }
  const linked = transfers.map((transfer, index) => ({ ...transfer, flags: (transfer.flags ?? 0) | (index < transfers.length - 1 ? TransferFlags.linked : 0) }));
  const results = ledgerFor(context.db.$client, clockOf(context)).createTransfers(linked);
  results.forEach((result, index) => {
    if (result !== 'ok' && result !== 'exists') throw new Error(`service record ${record.id}: ${linked[index]?.id} ${result}`);
  });
  return ok({ credited, diverted, policyVersionId });
}

/** What a posted record actually credited and diverted, from the ledger. */
export function creditSplitOf(context: KeylessContext, recordId: number): CreditSplit {
  const ledger = ledgerFor(context.db.$client, clockOf(context));
  const post = ledger.transfer(transferIds.post(recordId));
  const overflow = ledger.transfer(transferIds.overflow(recordId));
  const credited = post && (post.flags & TransferFlags.postPending) !== 0 ? post.amount : 0;
  return { credited, diverted: overflow?.amount ?? 0 };
}

/** Approval posts the pending transfer (up to the balance cap): the credit becomes spendable. */
export function approveRecord(context: KeylessContext, actor: Actor, recordId: number): HoursOutcome<ServiceRecord> {
  return inTransaction(context, () => {
    const found = decidable(context, actor, recordId, 'pending');
    if ('ok' in found) return found;
    const { record } = found;
    const posted = postRecordCredit(context, record);
    if (!posted.ok) return posted;
    const at = nowOf(context);
    context.db.update(serviceRecords).set({ status: 'approved', reviewedByUserId: actor.userId, reviewedAtMs: at }).where(eq(serviceRecords.id, record.id)).run();
    // A star whose threshold this record crosses is proposed to its awarding office in the same transaction.
    proposeDueStars(context, record.volunteerMemberId);
    if (posted.value.diverted > 0) {
      recordAudit(context.db, { action: 'hours.cap_overflow', actorUserId: actor.userId, objectType: 'service_record', objectId: record.id, regionCode: record.villageCode, detail: { credited: posted.value.credited, diverted: posted.value.diverted, policyVersionId: posted.value.policyVersionId ?? null } }, at);
    }
    notify(context, { kind: 'record_approved', to: { memberId: record.volunteerMemberId }, params: { recordId: record.id, serviceDate: record.serviceDate, creditMinutes: posted.value.credited } });
    return ok({ ...record, status: 'approved' as const, reviewedByUserId: actor.userId, reviewedAtMs: at });
  });
}

/** Rejection voids the pending transfer; the volunteer sees the reason. */
export function rejectRecord(context: KeylessContext, actor: Actor, recordId: number, reasonText: string): HoursOutcome<ServiceRecord> {
  const refused = roleRefusal(actor, canVerifyHours);
  if (refused) return refused;
  const reason = checkReason(reasonText);
  if ('problem' in reason) return refuse(422, reason.problem);
  return inTransaction(context, () => {
    const found = decidable(context, actor, recordId, 'pending');
    if ('ok' in found) return found;
    const { record } = found;
    resolve(context, record, { id: transferIds.void(record.id), pendingId: record.holdTransferId, code: 'service_credit', flags: TransferFlags.voidPending, refType: 'service_record', refId: String(record.id) });
    const at = nowOf(context);
    context.db.update(serviceRecords)
      .set({ status: 'rejected', reviewedByUserId: actor.userId, reviewedAtMs: at, rejectionReason: reason.reason })
      .where(eq(serviceRecords.id, record.id))
      .run();
    notify(context, { kind: 'record_rejected', to: { memberId: record.volunteerMemberId }, params: { recordId: record.id, serviceDate: record.serviceDate, reason: reason.reason } });
    return ok({ ...record, status: 'rejected' as const, rejectionReason: reason.reason });
  });
}

export interface ManyResult {
  approved: number[];
  skipped: { id: number; problem: Problem }[];
}

/** Approves every listed record the actor may decide on, in one transaction; the others are listed with why. */
export function approveMany(context: KeylessContext, actor: Actor, recordIds: readonly number[]): HoursOutcome<ManyResult> {
  const refused = roleRefusal(actor, canVerifyHours);
  if (refused) return refused;
  const unique = [...new Set(recordIds)].slice(0, 500);
  if (unique.length === 0) return refuse(422, { code: 'hours.error.nothing_selected' });
  return inTransaction(context, () => {
    const result: ManyResult = { approved: [], skipped: [] };
    for (const id of unique) {
      const outcome = approveRecord(context, actor, id);
      if (outcome.ok || approvedBy(context, actor, id, firstProblem(outcome))) result.approved.push(id);
      else result.skipped.push({ id, problem: firstProblem(outcome) });
    }
    return ok(result);
  });
}

/** A double tap or a retry: the record is already approved, by this very reviewer. That is their decision done, not a failure. */
function approvedBy(context: KeylessContext, actor: Actor, recordId: number, problem: Problem): boolean {
  if (problem.code !== 'hours.error.record_already_approved') return false;
  return findRecord(context, recordId)?.reviewedByUserId === actor.userId;
}

/**
 * A posted record is corrected only by a reversal: a new posted transfer
 * wallet -> issuance with code 'correction' and a reason; nothing is edited.
 * If the volunteer has already spent the credit, the reversal is refused
 * with the available balance named, because a wallet never goes below zero
 * and a partial reversal would leave the record half-true. The office then
 * settles the difference with the volunteer (a later record, or a gift back).
 */
export function reverseRecord(context: KeylessContext, actor: Actor, recordId: number, reasonText: string): HoursOutcome<ServiceRecord> {
  const refused = roleRefusal(actor, canVerifyHours);
  if (refused) return refused;
  const reason = checkReason(reasonText);
  if ('problem' in reason) return refuse(422, reason.problem);
  return inTransaction(context, () => {
    const found = decidable(context, actor, recordId, 'approved');
    if ('ok' in found) return found;
    const { record } = found;
    const ledger = ledgerFor(context.db.$client, clockOf(context));
    // Only what the wallet received is taken back from it; a part diverted to the pool above the cap comes back from the pool.
    const { credited, diverted } = creditSplitOf(context, record.id);
    // A basket hold whose 15 minutes are over does not count (the ledger voids it when the reversal needs its credits).
    const available = ledger.availableAt(accountIds.wallet(record.volunteerMemberId));
    if (available < credited) {
      return refuse(409, { code: 'hours.error.reversal_exceeds_available', params: { available, needed: credited } });
    }
    const id = transferIds.reverse(record.id);
    const transfers: TransferInput[] = [];
    if (credited > 0) {
      transfers.push({
        id, debitAccountId: accountIds.wallet(record.volunteerMemberId), creditAccountId: accountIds.issuance(record.countyCode),
        amount: credited, code: 'correction', refType: 'service_record', refId: String(record.id),
      });
    }
    if (diverted > 0) {
      const overflow = present(ledger.transfer(transferIds.overflow(record.id)), 'a record with diverted minutes has its overflow transfer');
      const pool = ledger.account(overflow.creditAccountId);
      const poolAvailable = pool ? balanceOf(pool).available : 0;
      if (poolAvailable < diverted) return refuse(409, { code: 'hours.error.reversal_pool_spent', params: { available: poolAvailable, needed: diverted } });
      transfers.push({
        id: transferIds.reverseOverflow(record.id), debitAccountId: overflow.creditAccountId, creditAccountId: accountIds.issuance(record.countyCode),
        amount: diverted, code: 'correction', refType: 'service_record', refId: String(record.id),
      });
    }
    const linked = transfers.map((transfer, index) => ({ ...transfer, flags: index < transfers.length - 1 ? TransferFlags.linked : 0 }));
    const results = ledger.createTransfers(linked);
    results.forEach((result, index) => {
      if (result !== 'ok' && result !== 'exists') throw new Error(`service record ${record.id}: ${linked[index]?.id} ${result}`);
    });
    const [first] = linked;
    assert(first !== undefined, 'an approved record credited or diverted its minutes, so its reversal moves some');
    const at = nowOf(context);
    context.db.update(serviceRecords)
      .set({ status: 'reversed', reversalTransferId: first.id, reversalReason: reason.reason, reversedByUserId: actor.userId, reversedAtMs: at })
      .where(eq(serviceRecords.id, record.id))
      .run();
    recordAudit(context.db, { action: 'hours.reverse', actorUserId: actor.userId, objectType: 'service_record', objectId: record.id, regionCode: record.villageCode, detail: { credit: record.creditMinutes, credited, diverted } }, at);
    return ok({ ...record, status: 'reversed' as const, reversalReason: reason.reason });
  });
}

/**
 * Expires records that waited longer than the policy allows (by their age,
 * so a change of the policy applies to records already waiting). Each hold
 * is voided with code 'expiry'. Returns the expired record ids. The server
 * runs this on a timer; `npm run cli -- hours expire` runs it once.
 */
export function expireUnreviewed(context: KeylessContext, batchSize = 500): number[] {
  const policy = readPolicy(context);
  const cutoffMs = nowOf(context) - policy.unreviewedExpiryDays * dayMs;
  const expired: number[] = [];
  for (;;) {
    const batch = inTransaction(context, () => {
      const due = context.db.select().from(serviceRecords)
        .where(and(eq(serviceRecords.status, 'pending'), lte(serviceRecords.createdAtMs, cutoffMs)))
        .orderBy(asc(serviceRecords.createdAtMs))
        .limit(batchSize)
        .all();
      const at = nowOf(context);
      for (const record of due) {
        resolve(context, record, { id: transferIds.expire(record.id), pendingId: record.holdTransferId, code: 'expiry', flags: TransferFlags.voidPending, refType: 'service_record', refId: String(record.id) });
        context.db.update(serviceRecords).set({ status: 'expired', reviewedAtMs: at }).where(eq(serviceRecords.id, record.id)).run();
      }
      return due.map((record) => record.id);
    });
    expired.push(...batch);
    if (batch.length < batchSize) return expired;
  }
}

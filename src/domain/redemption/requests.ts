import { eq } from 'drizzle-orm';
import { elders } from '../../db/schema/people.ts';
import { serviceRequests } from '../../db/schema/redemption.ts';
import { TransferFlags, balanceOf, type TransferInput } from '../../ledger/index.ts';
import { authorize, permission, type Actor } from '../access/authorize.ts';
import { accountIds, accountInputs, countyAccounts, ensureAccounts } from '../bookkeeping/accounts.ts';
import { countyCodeOfPath } from '../regions/path.ts';
import { contentHash } from '../kernel/idempotency.ts';
import {
  applyTransfers, ledgerOf, memberFacts, nowOf, redemptionAccounts, refuse, regionOf, replayKeyed, roleRefusal, success, writeOnceKeyed, writeTransaction,
  type Outcome, type RedemptionContext, type Refusal,
} from './context.ts';
import { splitByCap } from './policy.ts';
import { currentPolicy, versionNumberOf } from './policy-versions.ts';
import { careAgeRefusal, yearlyLimitRefusal } from './policy-rules.ts';
import { ownSignedInAction } from '../people/members/pin.ts';
import { audit } from '../audit/audit.ts';
import { recordCompletedRequest } from '../hours/request-records.ts';
import { isCalendarDate, isClockTime, shanghaiDateOf } from '../hours/time.ts';
import { assert, present } from '../../lib/assert.ts';

/**
 * Service requests paid with credits (spending time on care).
 *
 * Consent: a member's wallet pays only for a request the member posts
 * themself, signed in as themself. Staff posting for someone (a member, or a
 * registered elder who is a member) may spend only the elder's voucher or the
 * county pool, never the member's own credits (wallet_holder_only).
 *
 * Posting holds the credits offered: a pending transfer payer -> escrow:<county>
 * (code service_payment, no timeout), where the payer is the requester's
 * wallet, the elder's voucher balance, or the county pool. The volunteer is
 * not known yet, so the hold goes to the county's escrow account. When the
 * requester or a coordinator confirms the service, one linked call posts the
 * hold and pays escrow -> volunteer (any excess over the balance cap goes to
 * the volunteer's county pool, or the confirmation is refused, by policy).
 * Cancelling voids the hold. Payments between members never pass through the
 * clearing accounts: clearing is for spending at partner sites.
 *
 * A completed request is also a service record (service_records, status
 * 'completed', source 'request', request_id set), written in the same
 * transaction as the payment (src/domain/hours/request-records.ts): every
 * service lives in one table, and the reports read that one. The payment
 * stays a transfer between members, never an issuance of credits.
 */
export const serviceCategories = [
  'meals', 'bathing', 'emergency', 'mobility', 'medical_escort', 'cleaning', 'daily_care',
  'visiting', 'companionship', 'culture_sport', 'health_education', 'mutual_aid',
] as const;

/** Volunteers (members) and coordinators see and act on the service requests of their area. */
export const canUseRequests = permission('requests.use', ['volunteer', 'coordinator', 'office', 'admin']);
export const canRequestForElders = permission('requests.for_elders', ['coordinator', 'office', 'admin']);

/** Null when the actor may use the requests page; otherwise the 403 page (issue 15), asked before anything is read or looked up. */
export function requestsAccess(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canUseRequests);
}

export type ServiceRequest = typeof serviceRequests.$inferSelect;

export interface RequestInput {
  /** A member asking for themself ... */
  requesterMemberId?: number | null;
  /** ... or a coordinator asking for a registered elder. */
  elderId?: number | null;
  payer: 'wallet' | 'pool' | 'voucher';
  serviceCategory: string;
  description: string;
  /** YYYY-MM-DD or YYYY-MM-DDTHH:MM, Asia/Shanghai. */
  scheduledFor: string;
  place: string;
  offeredMinutes: number;
  idempotencyKey: string;
  actorMemberId: number | null;
}

interface Requester {
  villageCode: string;
  villagePath: string;
  countyCode: string;
  payerAccountId: string;
  requesterMemberId: number | null;
  elderId: number | null;
  /** The member whose own wallet pays (the yearly limit counts it), or null for a voucher or the pool. */
  walletMemberId: number | null;
}

function resolveRequester(context: RedemptionContext, actor: Actor, input: RequestInput): { ok: true; value: Requester } | Refusal {
  if (input.requesterMemberId) {
    const member = memberFacts(context.db, input.requesterMemberId);
    if (!member || member.status !== 'active') return refuse(404, 'redemption.error.member_not_found');
    const self = input.actorMemberId === member.id;
    // A member outside the actor's scope is answered exactly like a missing one.
    if (!self && !authorize(actor, canRequestForElders, { regionPath: member.villagePath })) return refuse(404, 'redemption.error.member_not_found');
    if (input.payer !== 'wallet') return refuse(422, 'redemption.error.source_invalid', undefined, 'payer');
    if (!self) return refuse(403, 'redemption.error.wallet_holder_only', undefined, 'payer');
    if (!ownSignedInAction(context, { userId: actor.userId, memberId: input.actorMemberId }, member.id)) return refuse(409, 'redemption.error.sign_in_set_by_staff', undefined, 'payer');
    const tooYoung = careAgeRefusal(context, currentPolicy(context), member, 'redemption.error.care_age_request');
    if (tooYoung) return tooYoung;
    return { ok: true, value: { villageCode: member.villageCode, villagePath: member.villagePath, countyCode: member.countyCode, payerAccountId: accountIds.wallet(member.id), requesterMemberId: member.id, elderId: null, walletMemberId: member.id } };
  }
  if (!input.elderId) return refuse(422, 'redemption.error.requester_required');
  const elder = context.db.select().from(elders).where(eq(elders.id, input.elderId)).get();
  if (!elder || elder.status !== 'active') return refuse(404, 'redemption.error.elder_not_found', undefined, 'elder');
  const village = present(regionOf(context.db, elder.villageCode), "a elder's village is a region (foreign key)");
  if (!authorize(actor, canRequestForElders, { regionPath: village.path })) return refuse(404, 'redemption.error.elder_not_found', undefined, 'elder');
  const countyCode = present(countyCodeOfPath(village.path), 'a village lies in a county');
  let payerAccountId: string;
  let walletMemberId: number | null = null;
  if (input.payer === 'voucher') payerAccountId = redemptionAccounts.voucher(elder.id).id;
  else if (input.payer === 'pool') payerAccountId = accountIds.pool(countyCode);
  else if (input.payer === 'wallet' && elder.memberId !== null && elder.memberId === input.actorMemberId) {
    if (!ownSignedInAction(context, { userId: actor.userId, memberId: input.actorMemberId }, elder.memberId)) return refuse(409, 'redemption.error.sign_in_set_by_staff', undefined, 'payer');
    payerAccountId = accountIds.wallet(elder.memberId);
    walletMemberId = elder.memberId;
  }
  else if (input.payer === 'wallet' && elder.memberId !== null) return refuse(403, 'redemption.error.wallet_holder_only', undefined, 'payer');
  else return refuse(422, 'redemption.error.source_invalid', undefined, 'payer');
  return { ok: true, value: { villageCode: elder.villageCode, villagePath: village.path, countyCode, payerAccountId, requesterMemberId: null, elderId: elder.id, walletMemberId } };
}

function checkText(value: string, field: string, max: number): string | Refusal {
  const text = (value ?? '').trim();
  if (text.length === 0 || Array.from(text).length > max || /[<>]/.test(text)) return refuse(422, `redemption.error.${field}_required`, { max }, field);
  return text;
}

/** The idempotency scope of a service request; migration 0017 copied earlier requests' keys under it. */
export const requestKeyScope = 'redemption.request';

/** When the service is wanted: a day that exists ('YYYY-MM-DD', or with a time of day 'THH:MM'), today or later in Shanghai. */
function scheduleRefusal(when: string, today: string) {
  const [date = '', time, extra] = when.split('T');
  if (extra !== undefined || !isCalendarDate(date) || (time !== undefined && !isClockTime(time))) return refuse(422, 'redemption.error.when_invalid', undefined, 'when');
  return date < today ? refuse(422, 'redemption.error.when_past', { today }, 'when') : null;
}

/** Posts a request and holds the credits offered. Refusals (balance, age, scope) write nothing. The same key with other content is refused. */
export function postRequest(context: RedemptionContext, actor: Actor, input: RequestInput): Outcome<ServiceRequest> {
  const denied = requestsAccess(actor);
  if (denied) return denied;
  const once = {
    key: input.idempotencyKey, scope: requestKeyScope,
    contentHash: contentHash({
      requesterMemberId: input.requesterMemberId ?? null, elderId: input.elderId ?? null, payer: input.payer, serviceCategory: input.serviceCategory,
      description: (input.description ?? '').trim(), scheduledFor: input.scheduledFor ?? '', place: (input.place ?? '').trim(), offeredMinutes: input.offeredMinutes,
    }),
  };
  const record = { idOf: (request: ServiceRequest) => request.id, load: (id: number) => context.db.select().from(serviceRequests).where(eq(serviceRequests.id, id)).get() };
  const replayed = replayKeyed(context, actor, once, record);
  if (replayed) return replayed;
  const requester = resolveRequester(context, actor, input);
  if (!requester.ok) return requester;
  if (!(serviceCategories as readonly string[]).includes(input.serviceCategory)) return refuse(422, 'redemption.error.category_invalid', undefined, 'category');
  const description = checkText(input.description, 'description', 200);
  if (typeof description !== 'string') return description;
  const place = checkText(input.place, 'place', 100);
  if (typeof place !== 'string') return place;
  const whenRefused = scheduleRefusal(input.scheduledFor ?? '', shanghaiDateOf(nowOf(context)));
  if (whenRefused) return whenRefused;
  if (!Number.isInteger(input.offeredMinutes) || input.offeredMinutes <= 0 || input.offeredMinutes > 24 * 60) {
    return refuse(422, 'redemption.error.amount_invalid', undefined, 'amount');
  }
  const who = requester.value;
  return writeOnceKeyed(context, actor, once, record, () => {
    const ledger = ledgerOf(context);
    ensureAccounts(ledger, [...countyAccounts(who.countyCode), redemptionAccounts.escrow(who.countyCode)]);
    if (!ledger.account(who.payerAccountId)) return refuse(409, 'redemption.error.insufficient_balance', { available: 0, total: input.offeredMinutes });
    // The yearly limit covers care bought with the wallet too, counted in this transaction with the hold (the payment).
    const overLimit = who.walletMemberId === null ? null : yearlyLimitRefusal(context, currentPolicy(context), who.walletMemberId, input.offeredMinutes, nowOf(context));
    if (overLimit) return { ...overLimit, problems: overLimit.problems.map((problem) => ({ ...problem, field: 'amount' })) };
    const row = context.db
      .insert(serviceRequests)
      .values({
        idempotencyKey: input.idempotencyKey, requesterMemberId: who.requesterMemberId, elderId: who.elderId, payer: input.payer, payerAccountId: who.payerAccountId,
        villageCode: who.villageCode, countyCode: who.countyCode, serviceCategory: input.serviceCategory, description, scheduledFor: input.scheduledFor, place,
        offeredMinutes: input.offeredMinutes, status: 'open', holdTransferId: '', createdByUserId: actor.userId, createdAtMs: nowOf(context),
        policyVersionId: currentPolicy(context).id,
      })
      .returning({ id: serviceRequests.id })
      .get();
    const holdId = `req:${row.id}:hold`;
    const applied = applyTransfers(context, [{
      id: holdId, debitAccountId: who.payerAccountId, creditAccountId: redemptionAccounts.escrow(who.countyCode).id, amount: input.offeredMinutes,
      code: 'service_payment', flags: TransferFlags.pending, refType: 'service_request', refId: String(row.id),
    }]);
    if (!applied.ok) {
      return refuse(409, 'redemption.error.insufficient_balance', { available: ledger.availableAt(who.payerAccountId, nowOf(context)), total: input.offeredMinutes });
    }
    context.db.update(serviceRequests).set({ holdTransferId: holdId }).where(eq(serviceRequests.id, row.id)).run();
    audit(context, actor, 'request.post', 'service_request', row.id, who.villageCode, { offeredMinutes: input.offeredMinutes, payer: input.payer });
    return success(present(findRequest(context, row.id), 'the request this transaction inserted exists'));
  });
}

export function findRequest(context: RedemptionContext, requestId: number): ServiceRequest | undefined {
  return context.db.select().from(serviceRequests).where(eq(serviceRequests.id, requestId)).get();
}

/** A volunteer in the request's county accepts it; of two accepting at once, the first wins. */
export function acceptRequest(context: RedemptionContext, actor: Actor, requestId: number, volunteerMemberId: number, actorMemberId: number | null): Outcome<ServiceRequest> {
  const denied = requestsAccess(actor);
  if (denied) return denied;
  const request = findRequest(context, requestId);
  if (!request) return refuse(404, 'redemption.error.request_not_found');
  const volunteer = memberFacts(context.db, volunteerMemberId);
  if (!volunteer || volunteer.status !== 'active') return refuse(404, 'redemption.error.member_not_found');
  // Out of scope answers exactly like missing: a member the actor may not act for, a request of another county.
  if (actorMemberId !== volunteerMemberId && !authorize(actor, canRequestForElders, { regionPath: volunteer.villagePath })) return refuse(404, 'redemption.error.member_not_found');
  if (volunteer.countyCode !== request.countyCode) return refuse(404, 'redemption.error.request_not_found');
  if (request.requesterMemberId === volunteerMemberId) return refuse(409, 'redemption.error.request_own');
  // Whoever posted a request (a coordinator for an elder) may assign it to a volunteer, but not take it themselves.
  if (request.createdByUserId !== null && request.createdByUserId === actor.userId && actorMemberId === volunteerMemberId) return refuse(409, 'redemption.error.request_own');
  return writeTransaction(context, () => {
    const changed = context.db.$client
      .prepare(`UPDATE service_requests SET status = 'accepted', volunteer_member_id = ?, accepted_at_ms = ? WHERE id = ? AND status = 'open'`)
      .run(volunteerMemberId, nowOf(context), requestId);
    if (changed.changes === 0) {
      const current = present(findRequest(context, requestId), 'a request found before this transaction still exists (requests are never deleted)');
      if (current.status === 'accepted' && current.volunteerMemberId === volunteerMemberId) return success(current);
      return refuse(409, `redemption.error.request_${current.status}`);
    }
    audit(context, actor, 'request.accept', 'service_request', requestId, request.villageCode, { volunteerMemberId });
    return success(present(findRequest(context, requestId), 'a request found before this transaction still exists (requests are never deleted)'));
  });
}

function mayClose(context: RedemptionContext, actor: Actor, request: ServiceRequest, actorMemberId: number | null): boolean {
  if (request.requesterMemberId !== null && actorMemberId === request.requesterMemberId) return true;
  const village = present(regionOf(context.db, request.villageCode), "a request's village is a region (foreign key)");
  return authorize(actor, canRequestForElders, { regionPath: village.path }) !== null;
}

/**
 * The requester or a coordinator confirms the service was done: the volunteer
 * is paid (one linked call). Credits held from a member's own wallet are paid
 * out only when that member confirms (signed in): a coordinator may cancel
 * such a request (the credits go back) but not pay a volunteer from it, since
 * staff may also choose who accepts.
 */
export function confirmRequest(context: RedemptionContext, actor: Actor, requestId: number, actorMemberId: number | null): Outcome<ServiceRequest> {
  const denied = requestsAccess(actor);
  if (denied) return denied;
  const request = findRequest(context, requestId);
  if (!request) return refuse(404, 'redemption.error.request_not_found');
  // A request the actor may not close is answered exactly like a missing one.
  if (!mayClose(context, actor, request, actorMemberId)) return refuse(404, 'redemption.error.request_not_found');
  // Nobody confirms a payout to themselves: the volunteer who did the work is paid by someone else's confirmation.
  if (actorMemberId !== null && actorMemberId === request.volunteerMemberId) return refuse(403, 'redemption.error.request_own_payout');
  const holder = actorMemberId !== null && request.payerAccountId === accountIds.wallet(actorMemberId);
  if (request.payerAccountId.startsWith('wallet:') && !holder) return refuse(403, 'redemption.error.wallet_holder_confirms');
  if (holder && !ownSignedInAction(context, { userId: actor.userId, memberId: actorMemberId }, actorMemberId)) return refuse(409, 'redemption.error.sign_in_set_by_staff');
  const inForce = currentPolicy(context);
  const policy = inForce.rules;
  return writeTransaction(context, () => {
    const current = present(findRequest(context, requestId), 'a request found before this transaction still exists (requests are never deleted)');
    if (current.status === 'completed') return success(current);
    if (current.status !== 'accepted') return refuse(409, `redemption.error.request_${current.status}`);
    assert(current.volunteerMemberId !== null, 'an accepted request has a volunteer');
    const volunteer = present(memberFacts(context.db, current.volunteerMemberId), "an accepted request's volunteer exists (foreign key)");
    const ledger = ledgerOf(context);
    ensureAccounts(ledger, [accountInputs.wallet(volunteer.id), ...countyAccounts(volunteer.countyCode)]);
    const wallet = present(ledger.account(accountIds.wallet(volunteer.id)), 'ensureAccounts has just opened the wallet');
    const split = splitByCap(policy, balanceOf(wallet).posted + wallet.creditsPending, current.offeredMinutes, inForce.versionNumber);
    if (!split.ok) return split;
    const escrow = redemptionAccounts.escrow(current.countyCode).id;
    const transfers: TransferInput[] = [{ id: `req:${current.id}:post`, pendingId: current.holdTransferId, code: 'service_payment', flags: TransferFlags.postPending, refType: 'service_request', refId: String(current.id) }];
    if (split.value.credited > 0) {
      transfers.push({ id: `req:${current.id}:pay`, debitAccountId: escrow, creditAccountId: accountIds.wallet(volunteer.id), amount: split.value.credited, code: 'service_payment', refType: 'service_request', refId: String(current.id) });
    }
    if (split.value.diverted > 0) {
      transfers.push({ id: `req:${current.id}:overflow`, debitAccountId: escrow, creditAccountId: accountIds.pool(volunteer.countyCode), amount: split.value.diverted, code: 'cap_overflow', refType: 'service_request', refId: String(current.id) });
    }
    const linked = transfers.map((transfer, index) => ({ ...transfer, flags: (transfer.flags ?? 0) | (index < transfers.length - 1 ? TransferFlags.linked : 0) }));
    const applied = applyTransfers(context, linked);
    if (!applied.ok) return applied;
    context.db
      .update(serviceRequests)
      .set({ status: 'completed', closedAtMs: nowOf(context), closedByUserId: actor.userId, paymentTransferIds: JSON.stringify(linked.map((t) => t.id)), paymentPolicyVersionId: inForce.id })
      .where(eq(serviceRequests.id, current.id))
      .run();
    // The service given is a service record (one table for reports), written with the payment.
    recordCompletedRequest(context.db, current, { creditedMinutes: split.value.credited, atMs: nowOf(context), byUserId: actor.userId });
    audit(context, actor, 'request.confirm', 'service_request', current.id, current.villageCode, { volunteerMemberId: volunteer.id, divertedMinutes: split.value.diverted, policyVersionId: inForce.id });
    return success(present(findRequest(context, current.id), 'the request this transaction updated exists'));
  });
}

/** Cancels an open or accepted request: the hold is voided. */
export function cancelRequest(context: RedemptionContext, actor: Actor, requestId: number, actorMemberId: number | null): Outcome<ServiceRequest> {
  const denied = requestsAccess(actor);
  if (denied) return denied;
  const request = findRequest(context, requestId);
  if (!request) return refuse(404, 'redemption.error.request_not_found');
  // A request the actor may not close is answered exactly like a missing one.
  if (!mayClose(context, actor, request, actorMemberId)) return refuse(404, 'redemption.error.request_not_found');
  return writeTransaction(context, () => {
    const current = present(findRequest(context, requestId), 'a request found before this transaction still exists (requests are never deleted)');
    if (current.status === 'cancelled') return success(current);
    if (current.status === 'completed') return refuse(409, 'redemption.error.request_completed');
    const applied = applyTransfers(context, [{ id: `req:${current.id}:void`, pendingId: current.holdTransferId, code: 'service_payment', flags: TransferFlags.voidPending, refType: 'service_request', refId: String(current.id) }]);
    if (!applied.ok) return applied;
    context.db.update(serviceRequests).set({ status: 'cancelled', closedAtMs: nowOf(context), closedByUserId: actor.userId }).where(eq(serviceRequests.id, current.id)).run();
    audit(context, actor, 'request.cancel', 'service_request', current.id, current.villageCode);
    return success(present(findRequest(context, current.id), 'the request this transaction updated exists'));
  });
}

export interface RequestListItem extends ServiceRequest {
  villageName: string;
  requesterName: string | null;
  volunteerName: string | null;
  /** The numbers of the policy versions that decided the request (care age when posted) and its payment (balance cap). */
  policyVersion: number | null;
  paymentPolicyVersion: number | null;
}

/** Requests in a region subtree (open ones first), for volunteers of the area and coordinators. */
export function requestsIn(context: RedemptionContext, regionPath: string, statuses: readonly ServiceRequest['status'][] = ['open', 'accepted', 'completed', 'cancelled'], limit = 50): RequestListItem[] {
  const placeholders = statuses.map(() => '?').join(',');
  const ids = context.db.$client
    .prepare(`SELECT s.id FROM service_requests s JOIN regions r ON r.code = s.village_code
               WHERE r.path LIKE ? AND s.status IN (${placeholders})
               ORDER BY CASE s.status WHEN 'open' THEN 0 WHEN 'accepted' THEN 1 ELSE 2 END, s.id DESC LIMIT ?`)
    .all(`${regionPath}%`, ...statuses, limit) as { id: number }[];
  return ids.map(({ id }) => {
    const request = present(findRequest(context, id), 'a request listed a moment ago exists (requests are never deleted)');
    const village = present(regionOf(context.db, request.villageCode), "a request's village is a region (foreign key)");
    const requesterName = request.requesterMemberId
      ? present(memberFacts(context.db, request.requesterMemberId), "a request's requester exists (foreign key)").realName
      : elderNameOf(context, request.elderId);
    const volunteerName = request.volunteerMemberId ? present(memberFacts(context.db, request.volunteerMemberId), "a request's volunteer exists (foreign key)").realName : null;
    return {
      ...request, villageName: village.nameZh, requesterName, volunteerName,
      policyVersion: versionNumberOf(context.db, request.policyVersionId), paymentPolicyVersion: versionNumberOf(context.db, request.paymentPolicyVersionId),
    };
  });
}

function elderNameOf(context: RedemptionContext, elderId: number | null): string | null {
  if (elderId === null) return null;
  return context.db.select({ name: elders.realName }).from(elders).where(eq(elders.id, elderId)).get()?.name ?? null;
}

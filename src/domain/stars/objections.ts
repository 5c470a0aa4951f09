import { and, count, countDistinct, eq, gte } from 'drizzle-orm';
import { starAwards, starObjections } from '../../db/schema/stars.ts';
import { decryptText, encryptText, lookupHash } from '../../lib/crypto.ts';
import { addressKey } from '../../lib/client-address.ts';
import { maskPhone } from '../../lib/mask.ts';
import { compactPhone, isMobileOrLandline } from '../../lib/phone.ts';
import type { Actor } from '../access/authorize.ts';
import { recordAudit, recordWithinAllowances } from '../audit/audit.ts';
import { checkReason } from '../hours/context.ts';
import { shanghaiDateOf } from '../hours/time.ts';
import { nowOf, type DomainContext, type KeylessContext } from '../kernel/context.ts';
import { failure, success, type Outcome, type Problem } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { awardInScope, type StarAward } from './office.ts';

/** How many objections one address may file in a day, over all notices. */
export const objectionsPerAddressPerDay = 3;
/** How many addresses may object to one notice in a day (each up to its own limit). */
export const objectionsPerNoticePerDay = 20;
/** The longest reason, in characters. */
export const objectionReasonMax = 300;

/** The encryption context of an objector's phone (the key rotation re-seals under it too). */
export const objectionPhonePurpose = 'star_objection.phone';
const dayMs = 86_400_000;

export interface ObjectionInput {
  reason: string;
  phone: string;
}

function checkObjection(input: ObjectionInput): { reason: string; phone: string } | { problems: Problem[] } {
  const problems: Problem[] = [];
  const reason = input.reason.trim();
  if (reason === '') problems.push({ code: 'stars.error.reason_required', field: 'reason' });
  else if (Array.from(reason).length > objectionReasonMax) problems.push({ code: 'stars.error.reason_too_long', field: 'reason', params: { max: objectionReasonMax } });
  const phone = compactPhone(input.phone);
  if (phone === null) problems.push({ code: 'stars.error.phone_required', field: 'phone' });
  else if (!isMobileOrLandline(phone)) problems.push({ code: 'stars.error.phone_invalid', field: 'phone' });
  return problems.length > 0 ? { problems } : { reason, phone: phone ?? '' };
}

/**
 * Anyone files an objection to a star on notice: a reason and a phone the
 * office can call back (stored encrypted, shown masked). The limits per
 * address and per notice are counted and checked in the same write
 * transaction that inserts, so parallel requests cannot all pass the check.
 */
export function fileObjection(context: DomainContext, awardId: number, input: ObjectionInput, address: string): Outcome<{ objectionId: number }> {
  const checked = checkObjection(input);
  if ('problems' in checked) return failure(422, ...checked.problems);
  const addressHash = lookupHash(context.keys, addressKey(address), 'star_objection.address');
  const phoneCiphertext = encryptText(context.keys, checked.phone, objectionPhonePurpose);
  return writeTransaction(context.db, () => {
    const at = nowOf(context);
    const award = context.db.select().from(starAwards).where(eq(starAwards.id, awardId)).get();
    if (!award || award.status !== 'on_notice') return failure(404, { code: 'stars.error.notice_not_found' });
    if (award.noticeEndDate && shanghaiDateOf(at) > award.noticeEndDate) return failure(409, { code: 'stars.error.notice_closed', params: { endDate: award.noticeEndDate } });
    const since = at - dayMs;
    const byAddress = context.db.select({ n: count() }).from(starObjections).where(and(eq(starObjections.addressHash, addressHash), gte(starObjections.createdAtMs, since))).get()?.n ?? 0;
    if (byAddress >= objectionsPerAddressPerDay) return failure(429, { code: 'stars.error.too_many_from_address', params: { max: objectionsPerAddressPerDay } });
    // The cap per notice counts addresses, not objections: a few addresses filing their three each cannot
    // fill a notice's day and shut out everyone else; an address that objected today may still add to it.
    const today = and(eq(starObjections.awardId, awardId), gte(starObjections.createdAtMs, since));
    const addresses = context.db.select({ n: countDistinct(starObjections.addressHash) }).from(starObjections).where(today).get()?.n ?? 0;
    const known = context.db.select({ id: starObjections.id }).from(starObjections).where(and(today, eq(starObjections.addressHash, addressHash))).limit(1).get();
    if (!known && addresses >= objectionsPerNoticePerDay) return failure(429, { code: 'stars.error.too_many_for_notice', params: { max: objectionsPerNoticePerDay } });
    const objection = context.db.insert(starObjections).values({
      awardId, reason: checked.reason, phoneCiphertext, phoneMasked: maskPhone(checked.phone), addressHash, status: 'open', createdAtMs: at,
    }).returning({ id: starObjections.id }).get();
    recordAudit(context.db, { action: 'stars.objection_file', objectType: 'star_award', objectId: awardId, regionCode: award.awardingRegionCode, detail: { objectionId: objection.id } }, at);
    return success({ objectionId: objection.id });
  });
}

/**
 * The award of an objection an office asks to resolve: the 403 page without
 * the role, and an objection whose award is outside the office's region
 * answered like a missing one (the route asks this before it reads the form).
 */
export function objectionToResolve(context: KeylessContext, actor: Actor, objectionId: number): Outcome<StarAward> {
  const objection = context.db.select({ awardId: starObjections.awardId }).from(starObjections).where(eq(starObjections.id, objectionId)).get();
  const found = awardInScope(context, actor, objection?.awardId ?? 0);
  if (!found.ok && found.status === 404) return failure(404, { code: 'stars.error.objection_not_found' });
  return found;
}

export type ObjectionDecision = 'upheld' | 'dismissed';

/**
 * The office resolves an open objection with a reason: upheld withdraws the
 * star (the reason is the withdrawal's), dismissed lets the notice go on.
 */
export function resolveObjection(context: KeylessContext, actor: Actor, objectionId: number, decision: ObjectionDecision, reasonText: string): Outcome<{ awardId: number }> {
  const found = objectionToResolve(context, actor, objectionId);
  if (!found.ok) return found;
  const reason = checkReason(reasonText, 'resolution');
  if ('problem' in reason) return failure(422, reason.problem);
  return writeTransaction(context.db, () => {
    const current = context.db.select().from(starObjections).where(eq(starObjections.id, objectionId)).get();
    if (!current || current.status !== 'open') return failure(409, { code: 'stars.error.objection_resolved' });
    const at = nowOf(context);
    context.db.update(starObjections).set({ status: decision, resolution: reason.reason, resolvedByUserId: actor.userId, resolvedAtMs: at }).where(eq(starObjections.id, objectionId)).run();
    const award = found.value;
    if (decision === 'upheld' && award.status === 'on_notice') {
      context.db.update(starAwards).set({ status: 'withdrawn', withdrawnReason: reason.reason, withdrawnByUserId: actor.userId, withdrawnAtMs: at }).where(eq(starAwards.id, award.id)).run();
    }
    recordAudit(context.db, {
      action: `stars.objection_${decision}`, actorUserId: actor.userId, objectType: 'star_award', objectId: award.id, regionCode: award.awardingRegionCode,
      ipAddress: actor.ipAddress ?? null, detail: { objectionId, withdrawn: decision === 'upheld' },
    }, at);
    return success({ awardId: award.id });
  });
}

/** How many objectors' full numbers one office user may see in an hour (each one audited). */
export const phoneRevealsPerUserPerHour = 10;
const hourMs = 3_600_000;

/**
 * The office resolving an open objection sees the objector's full phone
 * number once, to call back. Each reveal is an audit entry (who, when, which
 * objection; never the number), counted and recorded in ONE write
 * transaction against the user's hourly allowance, so parallel requests
 * cannot pass it. The number is decrypted only after the entry is recorded.
 */
export function revealObjectionPhone(context: DomainContext, actor: Actor, objectionId: number): Outcome<{ objectionId: number; phone: string }> {
  const found = objectionToResolve(context, actor, objectionId);
  if (!found.ok) return found;
  return writeTransaction(context.db, () => {
    const current = context.db.select().from(starObjections).where(eq(starObjections.id, objectionId)).get();
    if (!current || current.status !== 'open') return failure(409, { code: 'stars.error.objection_resolved' });
    const entry = {
      action: 'stars.objection_phone_reveal', actorUserId: actor.userId, objectType: 'star_objection', objectId: objectionId,
      regionCode: found.value.awardingRegionCode, ipAddress: actor.ipAddress ?? null, detail: { awardId: found.value.id },
    };
    if (!recordWithinAllowances(context.db, entry, nowOf(context), hourMs, [{ actorUserId: actor.userId, max: phoneRevealsPerUserPerHour }])) {
      return failure(429, { code: 'stars.error.phone_reveal_limit', params: { max: phoneRevealsPerUserPerHour } });
    }
    return success({ objectionId, phone: decryptText(context.keys, current.phoneCiphertext, objectionPhonePurpose) });
  });
}

import { eq } from 'drizzle-orm';
import { memberStatusEvents, members } from '../../../db/schema/people.ts';
import type { IdCardInfo } from '../../../lib/idcard.ts';
import { compactPhone, isMobilePhone } from '../../../lib/phone.ts';
import { namePinyin } from '../../../lib/pinyin.ts';
import { allocateCardNumber, newCardToken } from './card.ts';
import { assignVolunteerNumber } from './volunteer-number.ts';
import {
  checkName, checkReason, failure, prepared, nowMs, objectVillageInScope, roleRefusal, success, todayInShanghai, villageInScope,
  type Actor, type Outcome, type PeopleContext, type Problem, type RegionRow,
} from './context.ts';
import {
  checkIdNumber, duplicateProblem, findDuplicateMember, idNumberHash, registrationLimitReached, registrationLimitRefusal, sealIdNumber,
} from './identity.ts';
import { audit } from '../../audit/audit.ts';
import { keyOf, registerOnce } from './once.ts';
import { assert } from '../../../lib/assert.ts';
import { writeTransaction } from '../../kernel/transaction.ts';

export interface MemberInput {
  realName: string;
  /** Optional: many villagers have no phone; when given, an 11-digit mobile. */
  phone?: string | null;
  idNumber: string;
  villageCode: string;
}

export interface CheckedMember {
  realName: string;
  phone: string | null;
  id: IdCardInfo;
  idHmac: string;
  village: RegionRow;
}

/**
 * Checks every field and returns all problems at once, so a form shows each
 * wrong field together. `actor` null means the public self-registration form
 * (any village may be chosen). Scope problems come with status 403.
 */
export function checkMemberInput(
  context: PeopleContext,
  actor: Actor | null,
  input: MemberInput,
): { ok: true; value: CheckedMember } | { ok: false; status: 403 | 422; problems: Problem[] } {
  const problems: Problem[] = [];
  const name = checkName(input.realName);
  if ('problem' in name) problems.push(name.problem);
  const phone = compactPhone(input.phone);
  if (phone !== null && !isMobilePhone(phone)) problems.push({ code: 'people.error.phone_invalid', field: 'phone' });
  if (phone === null && actor === null) problems.push({ code: 'people.error.phone_required', field: 'phone' });
  const id = checkIdNumber(input.idNumber, todayInShanghai(context));
  if ('problem' in id) problems.push(id.problem);
  const village = villageInScope(context, actor, (input.villageCode ?? '').trim());
  if (!village.ok) problems.push(village.problem);
  if (problems.length > 0 || !('name' in name) || !('info' in id) || !village.ok) {
    const status = !village.ok && village.status === 403 && problems.length === 1 ? 403 : 422;
    return { ok: false, status, problems };
  }
  return {
    ok: true,
    value: { realName: name.name, phone, id: id.info, idHmac: idNumberHash(context.keys, id.info.number), village: village.village },
  };
}

export interface RegisteredMember {
  memberId: number;
  cardNumber: string | null;
  /** The new card token, returned once so the card can be printed straight away. */
  cardToken: string | null;
  /** True when the idempotency key had been seen: this is the member the first post created. */
  replayed?: boolean;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * Writes one checked member (and its first status event). Call inside a write
 * transaction, after the duplicate check. Active members get a card at once.
 */
export function insertMemberRow(
  context: PeopleContext,
  actor: Actor | null,
  checked: CheckedMember,
  options: { status: 'active' | 'pending'; source: 'coordinator' | 'self' | 'import'; importBatchId?: number | null; cardSequences?: Map<string, number>; idempotencyKey?: string | null },
): RegisteredMember {
  const at = nowMs(context);
  const pinyin = namePinyin(checked.realName);
  const card = options.status === 'active' ? newCardToken(context.keys) : null;
  const cardNumber = card ? allocateCardNumber(context, checked.village.code, options.cardSequences) : null;
  // Prepared statements rather than the query builder: an import writes 10,000 of these.
  const inserted = prepared(context, `INSERT INTO members (real_name, name_pinyin, name_initials, phone, phone_last4, id_number_ciphertext,
      id_number_hmac, birth_date, gender, village_code, status, source, card_number, card_token_hash, card_token_ciphertext, card_version,
      card_issued_at_ms, created_by_user_id, import_batch_id, idempotency_key, created_at_ms, updated_at_ms, volunteer_number)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`).get(
    checked.realName, pinyin.full, pinyin.initials, checked.phone, checked.phone ? checked.phone.slice(-4) : null,
    sealIdNumber(context.keys, checked.id.number), checked.idHmac, checked.id.birthDate, checked.id.gender, checked.village.code,
    options.status, options.source, cardNumber, card?.hash ?? null, card?.ciphertext ?? null, card ? 1 : 0, card ? at : null,
    actor?.userId ?? null, options.importBatchId ?? null, options.idempotencyKey ?? null, at, at, assignVolunteerNumber(context.db, checked.village.code),
  ) as { id: number };
  prepared(context, 'INSERT INTO member_status_events (member_id, from_status, to_status, reason, actor_user_id, at_ms) VALUES (?, NULL, ?, NULL, ?, ?)')
    .run(inserted.id, options.status, actor?.userId ?? null, at);
  return { memberId: inserted.id, cardNumber, cardToken: card?.token ?? null };
}

function insertMember(
  context: PeopleContext,
  actor: Actor | null,
  checked: CheckedMember,
  status: 'active' | 'pending',
  source: 'coordinator' | 'self',
  idempotencyKey: string | null,
): Outcome<RegisteredMember> {
  const once = keyOf(idempotencyKey, 'members.register', { source, realName: checked.realName, phone: checked.phone, idHmac: checked.idHmac, villageCode: checked.village.code });
  try {
    // A replay names the member and the card number, never the card token again.
    return registerOnce(context, actor, once, { objectType: 'member', regionCode: checked.village.code }, (duplicateFound) => {
      // Someone who keeps typing numbers that are already registered is probing: refused for the hour.
      if (actor && registrationLimitReached(context, actor)) return registrationLimitRefusal();
      const duplicate = findDuplicateMember(context, checked.idHmac, checked.phone);
      if (duplicate) return actor ? duplicateFound(duplicateProblem(context, actor, duplicate)) : failure<RegisteredMember>(409, { code: 'people.error.already_registered_public' });
      const registered = insertMemberRow(context, actor, checked, { status, source, idempotencyKey });
      audit(context, actor, source === 'self' ? 'member.self_register' : 'member.register', 'member', registered.memberId, checked.village.code);
      return success(registered);
    }, (registered) => ({ ...registered, cardToken: null }));
  } catch (error) {
    // The partial unique indexes are the last line against a concurrent registration.
    if (isUniqueViolation(error)) return failure(409, { code: 'people.error.already_registered_public' });
    throw error;
  }
}

/** A coordinator (or office) registers a member in a village of their scope: active, card issued. */
export function registerMember(context: PeopleContext, actor: Actor, input: MemberInput, idempotencyKey: string | null = null): Outcome<RegisteredMember> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const checked = checkMemberInput(context, actor, input);
  if (!checked.ok) return failure(checked.status, ...checked.problems);
  return insertMember(context, actor, checked.value, 'active', 'coordinator', idempotencyKey);
}

/**
 * Public self-registration: waits as 'pending' for a coordinator of the village.
 * A duplicate gets a neutral message that reveals nothing about the existing
 * member, because anyone can type an ID number into a public form.
 */
export function selfRegisterMember(context: PeopleContext, input: MemberInput, idempotencyKey: string | null = null): Outcome<RegisteredMember> {
  const checked = checkMemberInput(context, null, input);
  if (!checked.ok) return failure(checked.status, ...checked.problems);
  return insertMember(context, null, checked.value, 'pending', 'self', idempotencyKey);
}

export type ReviewDecision = { decision: 'approve' } | { decision: 'reject'; reason: string };

/**
 * A coordinator of the member's village approves (active, card issued) or
 * rejects (with a reason) a pending self-registration.
 */
export function reviewSelfRegistration(
  context: PeopleContext,
  actor: Actor,
  memberId: number,
  review: ReviewDecision,
): Outcome<RegisteredMember> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  if (review.decision === 'reject') {
    const problem = checkReason(review.reason);
    if (problem) return failure(422, problem);
  }
  const at = nowMs(context);
  const card = review.decision === 'approve' ? newCardToken(context.keys) : null;
  return writeTransaction(context.db, (tx) => {
      const txContext = { ...context, db: tx as unknown as PeopleContext['db'] };
      const member = tx.select().from(members).where(eq(members.id, memberId)).get();
      if (!member) return failure<RegisteredMember>(404, { code: 'people.error.member_not_found' });
      const scope = objectVillageInScope(txContext, actor, member.villageCode, 'people.error.member_not_found');
      if (!scope.ok) return scope;
      if (member.status !== 'pending') {
        return failure<RegisteredMember>(409, { code: 'people.error.not_pending', params: { status: member.status } });
      }
      if (review.decision === 'reject') {
        const reason = review.reason.trim();
        tx.update(members).set({ status: 'rejected', statusReason: reason, updatedAtMs: at }).where(eq(members.id, memberId)).run();
        tx.insert(memberStatusEvents).values({ memberId, fromStatus: 'pending', toStatus: 'rejected', reason, actorUserId: actor.userId, atMs: at }).run();
        audit(txContext, actor, 'member.reject', 'member', memberId, member.villageCode, { reason });
        return success<RegisteredMember>({ memberId, cardNumber: null, cardToken: null });
      }
      // Someone else may have been registered with the same ID or phone since.
      const duplicate = findDuplicateMember(txContext, member.idNumberHmac, member.phone, memberId);
      if (duplicate) return failure<RegisteredMember>(409, duplicateProblem(txContext, actor, duplicate));
      assert(card !== null, 'an approval comes with a new card token');
      const cardNumber = allocateCardNumber(txContext, member.villageCode);
      tx.update(members)
        .set({
          status: 'active',
          statusReason: null,
          cardNumber,
          cardTokenHash: card.hash,
          cardTokenCiphertext: card.ciphertext,
          cardVersion: 1,
          cardIssuedAtMs: at,
          updatedAtMs: at,
        })
        .where(eq(members.id, memberId))
        .run();
      tx.insert(memberStatusEvents).values({ memberId, fromStatus: 'pending', toStatus: 'active', reason: null, actorUserId: actor.userId, atMs: at }).run();
      audit(txContext, actor, 'member.approve', 'member', memberId, member.villageCode);
      return success<RegisteredMember>({ memberId, cardNumber, cardToken: card.token });
    });
}

import { and, eq, or } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { memberGifts, memberRelatives, relationKinds, type RelationKind } from '../../db/schema/redemption.ts';
import { TransferFlags, balanceOf, type TransferInput } from '../../ledger/index.ts';
import { authorize, permission, type Actor } from '../access/authorize.ts';
import { accountIds, accountInputs, countyAccounts, ensureAccounts } from '../bookkeeping/accounts.ts';
import { ownSignedInAction, pinConsentOf, verifyMemberPin } from '../people/members/pin.ts';
import { contentHash } from '../kernel/idempotency.ts';
import {
  applyTransfers, ledgerOf, memberFacts, nowOf, peopleContextOf, refuse, replayKeyed, roleRefusal, success, writeOnceKeyed, writeTransaction,
  type MemberFacts, type Outcome, type RedemptionContext, type Refusal,
} from './context.ts';
import { splitByCap } from './policy.ts';
import { currentPolicy } from './policy-versions.ts';
import { giftRelationRefusal } from './policy-rules.ts';
import { audit } from '../audit/audit.ts';
import { notify } from '../messages/notify.ts';
import { present } from '../../lib/assert.ts';

/**
 * Gifts (member -> member, e.g. to a parent) and donations (member -> the
 * county public-welfare pool), each confirmed with the giver's PIN. Staff in
 * the giver's region may key it in for a member without a phone, but only with
 * a PIN the member chose or confirmed: a PIN set by staff (pin_set_by_staff)
 * authorises no gift or donation keyed by someone else. Members signed in
 * themselves give from their own wallet only.
 */
export const canRegisterRelatives = permission('relatives.register', ['coordinator', 'office', 'admin']);
/** Members give from their own login; staff key it in for a member present with their card and PIN. */
export const canUseGifts = permission('gifts.use', ['volunteer', 'coordinator', 'office', 'admin']);
export const canAssistGifts = permission('gifts.assist', ['coordinator', 'office', 'admin']);

/** Null when the actor may use the gifts page; otherwise the 403 page (issue 15), asked before the form is read. */
export function giftsAccess(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canUseGifts);
}

/** Null when the actor may register relatives (staff); otherwise the 403 page, asked before any member is looked up. */
export function relativesAccess(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canRegisterRelatives);
}

export type Gift = typeof memberGifts.$inferSelect;

/** Who may act for the giver: the giver themself, or staff over the giver's village. */
function mayActFor(actor: Actor, actorMemberId: number | null, giver: MemberFacts): boolean {
  if (actorMemberId !== null && actorMemberId === giver.id) return true;
  return authorize(actor, canAssistGifts, { regionPath: giver.villagePath }) !== null;
}

/** The gifts forms' card lookups: may this actor give from this member's wallet (the member, or staff over the village)? */
export function mayGiveFrom(db: Db, actor: Actor, actorMemberId: number | null, memberId: number): boolean {
  const giver = memberFacts(db, memberId);
  return giver !== undefined && mayActFor(actor, actorMemberId, giver);
}

/** May this actor register relatives for this member (staff over the member's village)? */
export function mayRegisterRelativesOf(db: Db, actor: Actor, memberId: number): boolean {
  const member = memberFacts(db, memberId);
  return member !== undefined && authorize(actor, canRegisterRelatives, { regionPath: member.villagePath }) !== null;
}

export { relationKinds };

export function registerRelative(
  context: RedemptionContext,
  actor: Actor,
  input: { memberId: number; relativeMemberId: number; kind: string; relation?: string },
): Outcome<{ id: number }> {
  const denied = relativesAccess(actor);
  if (denied) return denied;
  const member = memberFacts(context.db, input.memberId);
  const relative = memberFacts(context.db, input.relativeMemberId);
  if (!member || !relative) return refuse(404, 'redemption.error.member_not_found');
  if (member.id === relative.id) return refuse(422, 'redemption.error.relative_self');
  if (!authorize(actor, canRegisterRelatives, { regionPath: member.villagePath })) return refuse(404, 'redemption.error.member_not_found');
  const kind = relationKinds.find((candidate) => candidate === input.kind);
  if (!kind) return refuse(422, 'redemption.error.relation_kind_required', undefined, 'relation_kind');
  const relation = (input.relation ?? '').trim();
  if (relation.length > 20) return refuse(422, 'redemption.error.relation_too_long', undefined, 'relation');
  return writeTransaction(context, () => {
    const existing = relativesRow(context.db, member.id, relative.id);
    if (existing) return success({ id: existing.id });
    const row = context.db
      .insert(memberRelatives)
      .values({ memberId: member.id, relativeMemberId: relative.id, relation, kind, registeredByUserId: actor.userId, registeredAtMs: nowOf(context) })
      .returning({ id: memberRelatives.id })
      .get();
    audit(context, actor, 'relatives.register', 'member', member.id, member.villageCode, { relativeMemberId: relative.id });
    return success({ id: row.id });
  });
}

function relativesRow(db: Db, a: number, b: number) {
  return db
    .select({ id: memberRelatives.id, relation: memberRelatives.relation, kind: memberRelatives.kind })
    .from(memberRelatives)
    .where(or(and(eq(memberRelatives.memberId, a), eq(memberRelatives.relativeMemberId, b)), and(eq(memberRelatives.memberId, b), eq(memberRelatives.relativeMemberId, a))))
    .get();
}

export function areRelatives(db: Db, a: number, b: number): boolean {
  return relativesRow(db, a, b) !== undefined;
}

export function relativesOf(db: Db, memberId: number): { memberId: number; relation: string; kind: RelationKind; realName: string }[] {
  return db.$client
    .prepare(`SELECT CASE WHEN r.member_id = @m THEN r.relative_member_id ELSE r.member_id END AS memberId, r.relation, r.kind, m.real_name AS realName
                FROM member_relatives r JOIN members m ON m.id = (CASE WHEN r.member_id = @m THEN r.relative_member_id ELSE r.member_id END)
               WHERE r.member_id = @m OR r.relative_member_id = @m ORDER BY r.id`)
    .all({ m: memberId }) as { memberId: number; relation: string; kind: RelationKind; realName: string }[];
}

export interface GiftInput {
  fromMemberId: number;
  /** A member (gift) or null with kind 'donation' (to the giver's county pool). */
  toMemberId: number | null;
  kind: 'gift' | 'donation';
  amountMinutes: number;
  pin: string;
  idempotencyKey: string;
  /** The signed-in user's own member id, when the actor is a member. */
  actorMemberId: number | null;
}

function checkGift(context: RedemptionContext, actor: Actor, input: GiftInput): { ok: true; giver: MemberFacts; receiver: MemberFacts | null } | Refusal {
  const giver = memberFacts(context.db, input.fromMemberId);
  if (!giver || giver.status !== 'active') return refuse(404, 'redemption.error.member_not_found');
  // A giver the actor may not act for is answered exactly like a missing one.
  if (!mayActFor(actor, input.actorMemberId, giver)) return refuse(404, 'redemption.error.member_not_found');
  if (!Number.isInteger(input.amountMinutes) || input.amountMinutes <= 0 || input.amountMinutes > 1000 * 60) {
    return refuse(422, 'redemption.error.amount_invalid', undefined, 'amount');
  }
  if (input.kind === 'donation') return { ok: true, giver, receiver: null };
  const receiver = input.toMemberId === null ? undefined : memberFacts(context.db, input.toMemberId);
  if (!receiver || receiver.status !== 'active') return refuse(404, 'redemption.error.receiver_not_found', undefined, 'to');
  if (receiver.id === giver.id) return refuse(422, 'redemption.error.gift_to_self', undefined, 'to');
  const inForce = currentPolicy(context);
  const relationKind = relativesRow(context.db, giver.id, receiver.id)?.kind ?? null;
  if (inForce.rules.giftsRelativesOnly && relationKind === null) {
    return refuse(409, 'redemption.error.gift_relatives_only', { version: inForce.versionNumber ?? 1 }, 'to');
  }
  const closeFamily = giftRelationRefusal(context, inForce, relationKind, receiver.birthDate);
  if (closeFamily) return closeFamily;
  return { ok: true, giver, receiver };
}

/**
 * A gift shown back to someone (the notice after giving): to the giver, to
 * whoever keyed it in, or to staff over the giver's village; to anyone else
 * it does not exist.
 */
export function giftVisibleTo(db: Db, actor: Actor, actorMemberId: number | null, giftId: number): Gift | null {
  const gift = db.select().from(memberGifts).where(eq(memberGifts.id, giftId)).get();
  if (!gift) return null;
  if (gift.actorUserId === actor.userId) return gift;
  const giver = memberFacts(db, gift.fromMemberId);
  return giver && mayActFor(actor, actorMemberId, giver) ? gift : null;
}

/**
 * Gives credits. The PIN is checked first (wrong attempts are counted by the
 * members domain); then one IMMEDIATE transaction moves the credits. Under
 * the balance cap a gift is refused, or its excess goes to the receiver's
 * county pool (code cap_overflow), as the policy says. The same idempotency
 * key returns the first gift; with other content it is refused.
 */
/** The idempotency scope of a gift or donation; migration 0017 copied earlier gifts' keys under it. */
export const giftKeyScope = 'redemption.gift';

export async function giveCredits(context: RedemptionContext, actor: Actor, input: GiftInput): Promise<Outcome<Gift>> {
  const denied = giftsAccess(actor);
  if (denied) return denied;
  const once = {
    key: input.idempotencyKey, scope: giftKeyScope,
    contentHash: contentHash({ fromMemberId: input.fromMemberId, toMemberId: input.toMemberId, kind: input.kind, amountMinutes: input.amountMinutes }),
  };
  const record = { idOf: (gift: Gift) => gift.id, load: (id: number) => context.db.select().from(memberGifts).where(eq(memberGifts.id, id)).get() };
  const done = replayKeyed(context, actor, once, record);
  if (done) return done;
  const checked = checkGift(context, actor, input);
  if (!checked.ok) return checked;
  const { giver, receiver } = checked;
  // A basket whose 15 minutes are over holds none of the giver's credits (the ledger does not count an overdue hold),
  // so the balance checked here is the one the counter shows, swept or not.
  const fromAccount = accountIds.wallet(giver.id);
  const ledger = ledgerOf(context);
  // A PIN staff chose is not the giver's consent to a gift keyed by someone else (docs/WEB.md).
  // Nor is a session whose password staff chose (created or reset) the giver's own action.
  if (!ownSignedInAction(context, { userId: actor.userId, memberId: input.actorMemberId }, giver.id) && pinConsentOf(peopleContextOf(context), giver.id)?.setByStaff) {
    return refuse(409, input.actorMemberId === giver.id ? 'redemption.error.sign_in_set_by_staff' : 'redemption.error.pin_set_by_staff', undefined, 'pin');
  }
  const pinCheck = await verifyMemberPin(peopleContextOf(context), giver.id, input.pin);
  if (!pinCheck.ok) return { ok: false, status: pinCheck.status, problems: pinCheck.problems.map((p) => ({ ...p, field: 'pin' })) };
  // The balance is named only after the giver's PIN: staff keying a gift in must not learn it without the member.
  const giverAvailable = ledger.availableAt(fromAccount, nowOf(context));
  if (giverAvailable < input.amountMinutes) return refuse(409, 'redemption.error.insufficient_balance', { available: giverAvailable, total: input.amountMinutes });
  const inForce = currentPolicy(context);
  const policy = inForce.rules;
  return writeOnceKeyed(context, actor, once, record, () => {
    const row = context.db
      .insert(memberGifts)
      .values({
        idempotencyKey: input.idempotencyKey, kind: input.kind, fromMemberId: giver.id, toMemberId: receiver?.id ?? null,
        poolCountyCode: receiver ? null : giver.countyCode, amountMinutes: input.amountMinutes, transferIds: '[]', actorUserId: actor.userId, atMs: nowOf(context),
        policyVersionId: inForce.id,
      })
      .returning({ id: memberGifts.id })
      .get();
    const transfers: TransferInput[] = [];
    let diverted = 0;
    if (receiver) {
      ensureAccounts(ledger, [accountInputs.wallet(receiver.id), ...countyAccounts(receiver.countyCode)]);
      const receiverAccount = present(ledger.account(accountIds.wallet(receiver.id)), "ensureAccounts has just opened the receiver's wallet");
      const split = splitByCap(policy, balanceOf(receiverAccount).posted + receiverAccount.creditsPending, input.amountMinutes, inForce.versionNumber);
      if (!split.ok) return split;
      diverted = split.value.diverted;
      if (split.value.credited > 0) {
        transfers.push({ id: `gift:${row.id}:1`, debitAccountId: fromAccount, creditAccountId: accountIds.wallet(receiver.id), amount: split.value.credited, code: 'gift', refType: 'gift', refId: String(row.id) });
      }
      if (diverted > 0) {
        transfers.push({ id: `gift:${row.id}:2`, debitAccountId: fromAccount, creditAccountId: accountIds.pool(receiver.countyCode), amount: diverted, code: 'cap_overflow', refType: 'gift', refId: String(row.id) });
      }
    } else {
      ensureAccounts(ledger, countyAccounts(giver.countyCode));
      transfers.push({ id: `gift:${row.id}:1`, debitAccountId: fromAccount, creditAccountId: accountIds.pool(giver.countyCode), amount: input.amountMinutes, code: 'donation', refType: 'gift', refId: String(row.id) });
    }
    const linked = transfers.map((transfer, index) => ({ ...transfer, flags: index < transfers.length - 1 ? TransferFlags.linked : 0 }));
    const applied = applyTransfers(context, linked);
    if (!applied.ok) return applied;
    context.db.update(memberGifts).set({ transferIds: JSON.stringify(linked.map((t) => t.id)), divertedMinutes: diverted }).where(eq(memberGifts.id, row.id)).run();
    audit(context, actor, `redemption.${input.kind}`, 'gift', row.id, giver.villageCode, { amountMinutes: input.amountMinutes, divertedMinutes: diverted, policyVersionId: inForce.id });
    if (receiver) notify(context, { kind: 'credits_gift', to: { memberId: receiver.id }, params: { giftId: row.id, giverName: giver.realName, amountMinutes: input.amountMinutes - diverted } });
    return success(present(context.db.select().from(memberGifts).where(eq(memberGifts.id, row.id)).get(), 'the gift this transaction inserted exists'));
  });
}

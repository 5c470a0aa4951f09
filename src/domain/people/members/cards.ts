import { eq } from 'drizzle-orm';
import { regions } from '../../../db/schema/core.ts';
import { members } from '../../../db/schema/people.ts';
import { memberInScope, writeMemberInScope } from './access.ts';
import { cardTokenHash, isValidCardNumber, newCardToken, openCardToken } from './card.ts';
import { failure, nowMs, roleRefusal, success, type Actor, type Outcome, type PeopleContext } from './context.ts';
import { audit } from '../../audit/audit.ts';
import { awardedStarOf } from '../../stars/notices.ts';

/**
 * Issues a new card token for an active member; the previous token stops
 * working at once (its hash is replaced). The card number stays the same.
 */
export function reissueCard(
  context: PeopleContext,
  actor: Actor,
  memberId: number,
): Outcome<{ memberId: number; cardNumber: string; cardToken: string; cardVersion: number }> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const card = newCardToken(context.keys);
  const at = nowMs(context);
  return writeMemberInScope(context, actor, memberId, (txContext, member) => {
    if (member.status !== 'active' || !member.cardNumber) {
      return failure(409, { code: 'people.error.card_member_not_active', params: { status: member.status } });
    }
    const cardVersion = member.cardVersion + 1;
    txContext.db.update(members)
      .set({ cardTokenHash: card.hash, cardTokenCiphertext: card.ciphertext, cardVersion, cardIssuedAtMs: at, updatedAtMs: at })
      .where(eq(members.id, memberId))
      .run();
    audit(txContext, actor, 'member.card_reissue', 'member', memberId, member.villageCode, { cardVersion });
    return success({ memberId, cardNumber: member.cardNumber, cardToken: card.token, cardVersion });
  });
}

export interface PrintableCard {
  memberId: number;
  realName: string;
  cardNumber: string;
  volunteerNumber: string | null;
  villageName: string;
  villageNameEn: string | null;
  cardToken: string;
  cardVersion: number;
  /** The highest star awarded (0: none), printed on the card. */
  star: number;
}

/**
 * What a printed card shows, for staff in scope: name, card number, village,
 * and the current token (decrypted) for the QR code. Only active members have
 * a working card. Printing is audited. No member asked for is answered like a missing one.
 */
export function printableCards(context: PeopleContext, actor: Actor, memberIds: readonly number[]): Outcome<PrintableCard[]> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  if (memberIds.length === 0) return failure(404, { code: 'people.error.member_not_found' });
  const cards: PrintableCard[] = [];
  for (const memberId of memberIds) {
    const found = memberInScope(context, actor, memberId);
    if (!found.ok) return found;
    const member = found.member;
    if (member.status !== 'active' || !member.cardTokenCiphertext || !member.cardNumber) {
      return failure(409, { code: 'people.error.card_member_not_active', params: { status: member.status } });
    }
    cards.push({
      memberId,
      realName: member.realName,
      cardNumber: member.cardNumber,
      volunteerNumber: member.volunteerNumber,
      villageName: found.village.nameZh,
      villageNameEn: found.village.nameEn,
      cardToken: openCardToken(context.keys, member.cardTokenCiphertext),
      cardVersion: member.cardVersion,
      star: awardedStarOf(context.db, memberId),
    });
  }
  const [first] = cards;
  if (first) {
    audit(context, actor, 'member.card_print', 'member', cards.map((card) => card.memberId).join(','), first.cardNumber.slice(0, 6), { count: cards.length });
  }
  return success(cards);
}

export interface CardHolder {
  memberId: number;
  realName: string;
  cardNumber: string;
  villageCode: string;
  villageName: string;
  status: 'active' | 'suspended';
}

/**
 * The member a scanned token or a typed card number belongs to, for a partner
 * site's counter. Old tokens and unknown numbers find nothing; a suspended
 * member is found but reported as suspended so the clerk can say why.
 */
export function findCardHolder(context: PeopleContext, by: { token: string } | { cardNumber: string }): Outcome<CardHolder> {
  if ('cardNumber' in by && !isValidCardNumber(by.cardNumber.trim())) {
    return failure(422, { code: 'people.error.card_number_invalid', field: 'cardNumber' });
  }
  const condition = 'token' in by ? eq(members.cardTokenHash, cardTokenHash(by.token.trim())) : eq(members.cardNumber, by.cardNumber.trim());
  const row = context.db
    .select({ id: members.id, realName: members.realName, cardNumber: members.cardNumber, villageCode: members.villageCode, status: members.status, villageName: regions.nameZh })
    .from(members)
    .innerJoin(regions, eq(regions.code, members.villageCode))
    .where(condition)
    .get();
  if (!row || !row.cardNumber || (row.status !== 'active' && row.status !== 'suspended')) {
    return failure(404, { code: 'people.error.card_not_found' });
  }
  if (row.status === 'suspended') return failure(423, { code: 'people.error.member_suspended' });
  return success({ memberId: row.id, realName: row.realName, cardNumber: row.cardNumber, villageCode: row.villageCode, villageName: row.villageName, status: row.status });
}

/** The member holding a card number, whatever their status (forms that link a member by card), or null. */
export function memberIdByCardNumber(context: PeopleContext, cardNumber: string): number | null {
  return context.db.select({ id: members.id }).from(members).where(eq(members.cardNumber, cardNumber)).get()?.id ?? null;
}

import { authorize, hasRole, type Actor } from '../../access/authorize.ts';
import { findCardHolder } from './cards.ts';
import type { PeopleContext } from './context.ts';
import { canManageMembers } from './permissions.ts';
import { getMember } from './query.ts';

/** Who holds a scanned card, as the card page may show it. */
export interface ScannedCardHolder {
  memberId: number;
  realName: string;
  cardNumber: string;
}

/**
 * What a scanned card's QR code opens: a clerk goes to the counter; anyone
 * else learns whether the card is valid, and staff who manage the holder's
 * village (checked by getMember, like the member's page) also see the holder.
 * `token` is '' when the address held no well-formed token.
 */
export function scanCard(context: PeopleContext, actor: Actor | null, token: string): { kind: 'counter' } | { kind: 'page'; valid: boolean; holder: ScannedCardHolder | null } {
  if (token && hasRole(actor, 'clerk')) return { kind: 'counter' };
  const found = token ? findCardHolder(context, { token }) : null;
  if (!found?.ok) return { kind: 'page', valid: false, holder: null };
  if (!actor || !authorize(actor, canManageMembers)) return { kind: 'page', valid: true, holder: null };
  const detail = getMember(context, actor, found.value.memberId);
  const holder = detail.ok ? { memberId: found.value.memberId, realName: found.value.realName, cardNumber: found.value.cardNumber } : null;
  return { kind: 'page', valid: true, holder };
}

import { constantTimeEqual, keyedMac, type CryptoProfile } from '../../lib/crypto.ts';
import { nowOf } from '../kernel/context.ts';

/**
 * References to a member or a registered elder at a site's counter, which a
 * clerk cannot forge by editing a URL: a MAC, under the token signing key,
 * over the site and the person. They are made only after the person was
 * identified (card, card number, phone, or name and ID digits).
 *
 * A member who showed their card (its QR token) is "present", and the counter
 * then shows their balance (issue 12 item 6). Presence is a counter visit, not
 * a lasting right: the present reference carries its expiry time inside the
 * MAC, and once that time has passed the same URL answers like a reference
 * made from a typed card number (masked name, no balance), so a clerk who once
 * scanned a card does not keep a link to the member's balance.
 */
export const presenceValidMs = 30 * 60_000;

/** What the references need: the signing key, the crypto profile and the clock (the app's, so tests set time). */
export interface ReferenceContext {
  keys: { readonly tokenSigningKey: Buffer; readonly cryptoProfile?: CryptoProfile };
  now?: () => number;
}

export interface MemberAtCounter {
  memberId: number;
  present: boolean;
}

const macLength = 22;

function mac(context: ReferenceContext, data: string): string {
  return keyedMac(context.keys.cryptoProfile ?? 'international', context.keys.tokenSigningKey, data).toString('base64url').slice(0, macLength);
}

/**
 * "<member id>.<mac>" for a member identified without their card;
 * "<member id>.<expiry, seconds base 36>.<mac>" for a member who showed it.
 */
export function memberReference(context: ReferenceContext, siteId: number, memberId: number, present = false): string {
  if (!present) return `${memberId}.${mac(context, `counter:${siteId}:${memberId}`)}`;
  const expiresAtSeconds = Math.ceil((nowOf(context) + presenceValidMs) / 1000).toString(36);
  return `${memberId}.${expiresAtSeconds}.${mac(context, `counter:${siteId}:${memberId}:present:${expiresAtSeconds}`)}`;
}

/**
 * The member a counter reference names, and whether they are present now;
 * null when the reference is forged. A present reference past its expiry
 * names the member as not present. So does a present reference of the older
 * form without an expiry (made before presence expired), which never expires
 * otherwise.
 */
export function readMemberReference(context: ReferenceContext, siteId: number, reference: string): MemberAtCounter | null {
  const timed = /^(\d{1,10})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})$/.exec(reference ?? '');
  if (timed) {
    const [, id = '', expiresAtSeconds = '', tag = ''] = timed;
    const memberId = Number(id);
    if (!constantTimeEqual(mac(context, `counter:${siteId}:${memberId}:present:${expiresAtSeconds}`), tag)) return null;
    return { memberId, present: nowOf(context) < parseInt(expiresAtSeconds, 36) * 1000 };
  }
  const plain = /^(\d{1,10})\.([A-Za-z0-9_-]{22})$/.exec(reference ?? '');
  if (!plain) return null;
  const [, id = '', given = ''] = plain;
  const memberId = Number(id);
  const known = constantTimeEqual(mac(context, `counter:${siteId}:${memberId}`), given)
    || constantTimeEqual(mac(context, `counter:${siteId}:${memberId}:present`), given);
  return known ? { memberId, present: false } : null;
}

/** The same for a registered elder without a member record, found by name and ID digits at a service station. */
export function elderReference(context: ReferenceContext, siteId: number, elderId: number): string {
  return `${elderId}.${mac(context, `counter-elder:${siteId}:${elderId}`)}`;
}

export function readElderReference(context: ReferenceContext, siteId: number, reference: string): number | null {
  const match = /^(\d{1,10})\.([A-Za-z0-9_-]{22})$/.exec(reference ?? '');
  if (!match) return null;
  const [, id = '', tag = ''] = match;
  const elderId = Number(id);
  return constantTimeEqual(mac(context, `counter-elder:${siteId}:${elderId}`), tag) ? elderId : null;
}

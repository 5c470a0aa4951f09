import type { Db } from '../../db/client.ts';
import { authorize, type Actor, type Permission } from '../access/authorize.ts';
import { exhaustedAllowance, inWriteTransaction, recordAudit } from '../audit/audit.ts';
import { accountPlaces } from './places.ts';
import { findUserByPhone } from './users.ts';

/**
 * A phone number signs in one account in the whole network, so a form that
 * makes an account (an office's /accounts/new, a coordinator's sign-in for a
 * member) must refuse a phone that already has one. Said plainly, that would
 * tell an office whether a number belongs to anyone anywhere.
 *
 * The rule: the form says "this number already has an account" only when
 * that account belongs to the actor's area (they can find it in their own
 * list). An account outside the area gets a neutral refusal that names
 * nobody and no place ("phone_unavailable"); each such refusal is written to
 * the audit log and, per user, at most 10 are given in an hour. Past that,
 * every new account from that user is refused (429) until the hour has moved
 * on, so the answer cannot be read from success versus refusal either.
 * Counted and checked in ONE write transaction.
 */
export const phoneRefusalsPerHour = 10;
export const phoneRefusalWindowMs = 60 * 60_000;
export const phoneRefusalAction = 'accounts.phone_refused';

export type PhoneRefusal = 'phone_taken' | 'phone_unavailable' | 'phone_limit';

/** Null when the phone is free for a new account (and the actor still has allowance); otherwise the refusal to give. */
export function phoneRefusal(db: Db, actor: Actor, phone: string, permission: Permission, atMs: number): PhoneRefusal | null {
  return inWriteTransaction(db, () => {
    if (exhaustedAllowance(db, phoneRefusalAction, atMs, phoneRefusalWindowMs, [{ actorUserId: actor.userId, max: phoneRefusalsPerHour }])) return 'phone_limit';
    const existing = findUserByPhone(db, phone);
    if (!existing) return null;
    if (accountInArea(db, actor, existing.id, permission)) return 'phone_taken';
    // Neither the phone nor the account is recorded: the entry only counts.
    recordAudit(db, { action: phoneRefusalAction, actorUserId: actor.userId, objectType: null, objectId: null, regionCode: null }, atMs);
    return 'phone_unavailable';
  });
}

/** The answer for a phone taken between the check and the insert (a second click): the same rule, not counted. */
export function phoneTakenAnswer(db: Db, actor: Actor, userId: number, permission: Permission): 'phone_taken' | 'phone_unavailable' {
  return accountInArea(db, actor, userId, permission) ? 'phone_taken' : 'phone_unavailable';
}

/** True when the account belongs to the actor's area (as findAccount decides for /accounts/:id). */
function accountInArea(db: Db, actor: Actor, userId: number, permission: Permission): boolean {
  const places = accountPlaces(db, userId);
  if (places.length === 0) return actor.grants.some((grant) => grant.role === 'admin');
  return places.some((regionPath) => authorize(actor, permission, { regionPath }) !== null);
}

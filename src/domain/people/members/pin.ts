import { and, eq, ne, sql, type SQL } from 'drizzle-orm';
import { connectionOf } from '../../../db/client.ts';
import { users } from '../../../db/schema/core.ts';
import { members } from '../../../db/schema/people.ts';
import { constantTimeEqual } from '../../../lib/crypto.ts';
import { ownsMember } from '../../access/authorize.ts';
import { accountIds, ledgerFor } from '../../bookkeeping/accounts.ts';
import { memberSelfOrStaff, type MemberRow } from './access.ts';
import { cardTokenHash } from './card.ts';
import { type Actor, failure, nowMs, type Outcome, type PeopleContext, type Refusal, roleRefusal, success } from './context.ts';
import { checkPinHash, checkPinHashNow, hashPin } from './pin-hash.ts';
import { audit } from '../../audit/audit.ts';
import { present } from '../../../lib/assert.ts';
import { writeTransaction } from '../../kernel/transaction.ts';
import { notify } from '../../messages/notify.ts';

/** Wrong PINs allowed before the PIN locks, and for how long it stays locked. */
export const pinMaximumAttempts = 5;
export const pinLockDurationMs = 30 * 60_000;

/** Six digits, not all the same and not a straight run (123456, 654321): those are guessed first. */
export function checkPinShape(pin: string): string | null {
  if (!/^\d{6}$/.test(pin)) return 'people.error.pin_format';
  // The difference between neighbouring digits (character codes of digits differ as the digits do).
  const steps = new Set(Array.from({ length: pin.length - 1 }, (_, index) => pin.charCodeAt(index + 1) - pin.charCodeAt(index)));
  const [step] = steps;
  if (steps.size === 1 && step !== undefined && [0, 1, -1].includes(step)) return 'people.error.pin_too_simple';
  return null;
}

/**
 * How staff show that the member stands in front of them when they set the
 * member's PIN: the card's QR token (scanned, or its /c/<token> address typed),
 * which only the physical card carries. Without it staff may set a PIN only
 * while the wallet holds nothing (at registration), so nothing can be spent.
 */
export interface PinPresence {
  cardScan?: string;
  /** The member's current PIN, when they change a PIN they chose themself. */
  currentPin?: string;
}

/**
 * The staff user who set the password of this sign-in (created it for a
 * member, or reset it), while the member has not yet proven presence at a
 * counter with their card; null for a password only its holder knows. While
 * set, the session is not the member's own signed-in action (docs/WEB.md).
 */
export function credentialsSetByStaff(context: Pick<PeopleContext, 'db'>, userId: number): number | null {
  return context.db.select({ setBy: users.passwordSetByUserId }).from(users).where(eq(users.id, userId)).get()?.setBy ?? null;
}

/** Whether the actor, signed in as this member, acts on their own (a sign-in only they know the password of). */
export function ownSignedInAction(context: Pick<PeopleContext, 'db'>, actor: { userId: number; memberId?: number | null }, memberId: number): boolean {
  return ownsMember(actor, memberId) && credentialsSetByStaff(context, actor.userId) === null;
}

/**
 * A member changing a PIN they chose (or confirmed) types the current one
 * first (counted on the holder channel, so guesses lock). Replacing a PIN
 * staff set, or setting a first one, needs none.
 */
async function checkCurrentPin(context: PeopleContext, member: MemberRow, currentPin: string | undefined): Promise<Outcome<{ memberId: number }>> {
  if (member.pinHash === null || member.pinSetByStaff) return success({ memberId: member.id });
  if (currentPin === undefined || currentPin === '') return failure(422, { code: 'people.error.pin_current_required', field: 'current_pin' });
  const checked = await verifyMemberPin(context, member.id, currentPin);
  return checked.ok ? checked : { ok: false, status: checked.status, problems: checked.problems.map((problem) => ({ ...problem, field: 'current_pin' })) };
}

/** The token in a scanned card: the whole card address (…/c/<token>) or the bare token. */
export function cardTokenFromScan(scan: string | undefined): string | null {
  const typed = (scan ?? '').trim();
  const match = /(?:^|\/c\/)([A-Za-z0-9_-]{20,100})\/?$/.exec(typed);
  return match?.[1] ?? null;
}

/** Does the scanned card belong to this member (its current token, not a reissued one)? */
export function cardMatches(member: Pick<MemberRow, 'cardTokenHash'>, scan: string | undefined): boolean {
  const token = cardTokenFromScan(scan);
  return token !== null && member.cardTokenHash !== null && constantTimeEqual(cardTokenHash(token), member.cardTokenHash);
}

/** Credits the wallet holds or is about to receive; zero for a wallet never opened. */
function walletHoldings(context: PeopleContext, memberId: number): number {
  const account = ledgerFor(context.db.$client, () => nowMs(context)).account(accountIds.wallet(memberId));
  return account ? account.creditsPosted - account.debitsPosted + account.creditsPending : 0;
}

type StaffProof = { ok: true; proof: 'self' | 'card' | 'empty_wallet' } | Refusal;

/** Staff must prove the member is present: the member's card, or a wallet with nothing in it. */
function staffProof(context: PeopleContext, member: MemberRow, self: boolean, presence: PinPresence): StaffProof {
  if (self) return { ok: true, proof: 'self' };
  if ((presence.cardScan ?? '').trim() !== '') {
    return cardMatches(member, presence.cardScan) ? { ok: true, proof: 'card' } : failure(422, { code: 'people.error.pin_card_mismatch', field: 'card' });
  }
  if (walletHoldings(context, member.id) === 0) return { ok: true, proof: 'empty_wallet' };
  return failure(422, { code: 'people.error.pin_card_required', field: 'card' });
}

/**
 * Sets the redemption PIN: by the member (signed in as themself), or by staff
 * in scope with proof that the member is present (see PinPresence). A PIN set
 * by staff is marked `pin_set_by_staff`: until the member sets their own, or
 * confirms it at a counter with the card scanned, it pays only at a counter
 * with the card present and never authorises a gift or a donation (so whoever
 * chose it cannot move the member's credits with it). Every set is audited and
 * the member's own page shows who reset it and when. The PIN is stored as an
 * HMAC under the PIN key (pin-hash.ts). Setting a PIN clears
 * the locks of both channels. A refusal writes nothing.
 */
export async function setMemberPin(context: PeopleContext, actor: Actor, memberId: number, pin: string, presence: PinPresence = {}): Promise<Outcome<{ memberId: number }>> {
  const shape = checkPinShape(pin);
  if (shape) return failure(422, { code: shape, field: 'pin' });
  const found = memberSelfOrStaff(context, actor, memberId);
  if (!found.ok) return found;
  if (found.member.status !== 'active') return failure(409, { code: 'people.error.not_active', params: { status: found.member.status } });
  const proof = staffProof(context, found.member, found.self, presence);
  if (!proof.ok) return proof;
  if (found.self) {
    const current = await checkCurrentPin(context, found.member, presence.currentPin);
    if (!current.ok) return current;
  }
  // A session whose password staff chose is not the member's own action: the PIN it sets counts as set by that staff user.
  const setBy = found.self ? credentialsSetByStaff(context, actor.userId) : actor.userId;
  const pinHash = hashPin(context.keys, memberId, pin);
  const at = nowMs(context);
  writeTransaction(context.db, (tx) => {
      tx.update(members)
        .set({
          pinHash, pinSetAtMs: at, pinSetByStaff: setBy !== null, pinResetByUserId: setBy,
          ...channelSet('holder', 0, null), ...channelSet('remote', 0, null), updatedAtMs: at,
        })
        .where(eq(members.id, memberId))
        .run();
      audit({ ...context, db: tx as unknown as PeopleContext['db'] }, actor, 'member.pin_set', 'member', memberId, found.member.villageCode, { bySelf: found.self, proof: proof.proof });
    });
  return success({ memberId });
}

/**
 * Staff set a member's PIN from the member's page: the role first (the same
 * 403 whatever the member), then the PIN typed twice must match, then
 * setMemberPin with the scanned card as proof of presence.
 */
export async function setMemberPinByStaff(
  context: PeopleContext,
  actor: Actor,
  memberId: number,
  entry: { pin: string; confirm: string; cardScan: string },
): Promise<Outcome<{ memberId: number }>> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  if (entry.pin !== entry.confirm) return failure(422, { code: 'members.pin.mismatch', field: 'pin_confirm' });
  return setMemberPin(context, actor, memberId, entry.pin, { cardScan: entry.cardScan });
}

/** Whether a member's PIN was set by staff and not yet confirmed by the member, and by whom. */
// Raw SQL on the statement cache (read on every PIN confirmation); pin_set_by_staff mapped to a boolean as drizzle did.
const pinConsentSql = `SELECT pin_set_by_staff AS setByStaff, pin_reset_by_user_id AS resetByUserId, pin_set_at_ms AS setAtMs,
  card_token_hash AS cardTokenHash FROM members WHERE id = ?`;

export function pinConsentOf(context: PeopleContext, memberId: number): { setByStaff: boolean; resetByUserId: number | null; setAtMs: number | null; cardTokenHash: string | null } | undefined {
  const row = connectionOf(context.db).prepare(pinConsentSql).get(memberId) as { setByStaff: number; resetByUserId: number | null; setAtMs: number | null; cardTokenHash: string | null } | undefined;
  return row ? { ...row, setByStaff: row.setByStaff === 1 } : undefined;
}

/**
 * The member confirmed a staff-set PIN at a counter, with their card scanned:
 * from now on it is the member's own PIN. Only the PIN set at `setAtMs` is
 * confirmed (a reset in between stays restricted).
 */
export function confirmStaffSetPin(context: PeopleContext, actor: { userId: number }, memberId: number, setAtMs: number, detail: Record<string, unknown>): void {
  writeTransaction(context.db, (tx) => {
      const changed = tx.update(members)
        .set({ pinSetByStaff: false })
        .where(and(eq(members.id, memberId), eq(members.pinSetByStaff, true), eq(members.pinSetAtMs, setAtMs)))
        .run();
      const villageCode = present(tx.select({ villageCode: members.villageCode }).from(members).where(eq(members.id, memberId)).get(), 'the member whose PIN or sign-in is confirmed exists').villageCode;
      if (changed.changes > 0) audit({ ...context, db: tx as unknown as PeopleContext['db'] }, { userId: actor.userId }, 'member.pin_confirmed', 'member', memberId, villageCode, detail);
    });
}

/**
 * The member proved presence at a counter (paid with their card scanned and
 * their PIN, before a clerk who did not set the sign-in's password): their
 * sign-in is theirs from now on. Done in the same way as confirmStaffSetPin.
 */
export function confirmSignInPresence(context: PeopleContext, actor: { userId: number }, memberId: number, detail: Record<string, unknown>): void {
  writeTransaction(context.db, (tx) => {
      const changed = tx.update(users)
        .set({ passwordSetByUserId: null })
        .where(and(eq(users.memberId, memberId), ne(users.passwordSetByUserId, actor.userId)))
        .run();
      const villageCode = present(tx.select({ villageCode: members.villageCode }).from(members).where(eq(members.id, memberId)).get(), 'the member whose PIN or sign-in is confirmed exists').villageCode;
      if (changed.changes > 0) audit({ ...context, db: tx as unknown as PeopleContext['db'] }, { userId: actor.userId }, 'member.sign_in_confirmed', 'member', memberId, villageCode, detail);
    });
}

export interface PinCheck {
  memberId: number;
}

/**
 * Where a PIN is typed. 'holder': by the member at a counter or for their own
 * gift (the holder's own channel). 'remote': by an elder on a volunteer's phone
 * to confirm a service. Each channel has its own attempt counter and lock, so
 * guesses on a volunteer's phone never lock the elder out of the counter; a lock
 * of the holder's channel stops remote confirmation too.
 */
export type PinChannel = 'holder' | 'remote';

const channelColumns = {
  holder: { attempts: members.pinFailedAttempts, lockedUntil: members.pinLockedUntilMs },
  remote: { attempts: members.pinRemoteFailedAttempts, lockedUntil: members.pinRemoteLockedUntilMs },
} as const;

/**
 * One attempt as its transaction left it. `right`: true when the PIN was
 * checked right in the transaction (nothing counted), false when checked
 * wrong (counted), null when the stored hash is argon2id and the attempt was
 * reserved (counted as if wrong) for the slow check that follows.
 */
type Reservation = { ok: true; right: boolean | null; pinHash: string; attempt: number; lockedUntil: number | null; lockedByThisAttempt: boolean; villageCode: string };

function lockedRefusal(lockedUntil: number, at: number) {
  return failure(423, { code: 'people.error.pin_locked', params: { minutes: Math.ceil((lockedUntil - at) / 60_000) } });
}

/**
 * One attempt in one IMMEDIATE transaction: the lock is read, and an HMAC
 * hash is checked right there (microseconds), so the count and the lock move
 * with the check itself: parallel guesses cannot all pass, and parallel RIGHT
 * PINs of one member never count against each other (they used to: five in
 * flight at once locked the member out). A wrong PIN is counted; the attempt
 * that reaches the limit sets the lock (never earlier than a lock already
 * there); a lock that has run out starts a fresh count. A right PIN resets the
 * count and, when stored under a retired PIN key, is rewritten under the
 * current one in the same statement.
 *
 * An argon2id hash (set before PINs were HMACs) is too slow to check inside
 * the transaction: the attempt is reserved (counted as if wrong) before the
 * awaited check, and settled by settleRight when right.
 */
function attemptInTransaction(context: PeopleContext, memberId: number, channel: PinChannel, pin: string): Reservation | Refusal {
  const columns = channelColumns[channel];
  const at = nowMs(context);
  return writeTransaction(context.db, (tx) => {
      const member = tx
        .select({
          status: members.status, pinHash: members.pinHash, villageCode: members.villageCode,
          attempts: columns.attempts, lockedUntil: columns.lockedUntil, holderLockedUntil: members.pinLockedUntilMs,
        })
        .from(members)
        .where(eq(members.id, memberId))
        .get();
      if (!member || member.status === 'pending' || member.status === 'rejected') return failure(404, { code: 'people.error.member_not_found' });
      if (member.status === 'suspended') return failure(423, { code: 'people.error.member_suspended' });
      const lock = Math.max(member.lockedUntil ?? 0, member.holderLockedUntil ?? 0);
      if (lock > at) return lockedRefusal(lock, at);
      if (!member.pinHash) return failure(409, { code: 'people.error.pin_not_set' });
      const checked = /^\d{6}$/.test(pin) ? checkPinHashNow(context.keys, member.pinHash, memberId, pin) : { right: false, current: true };
      if (checked?.right) {
        const upgraded = checked.current ? {} : { pinHash: hashPin(context.keys, memberId, pin) };
        tx.update(members).set({ ...channelSet(channel, 0, member.lockedUntil), ...upgraded }).where(eq(members.id, memberId)).run();
        return { ok: true as const, right: true, pinHash: member.pinHash, attempt: 0, lockedUntil: member.lockedUntil, lockedByThisAttempt: false, villageCode: member.villageCode };
      }
      const served = member.lockedUntil !== null && member.lockedUntil <= at;
      const attempt = (served ? 0 : member.attempts) + 1;
      const lockedByThisAttempt = attempt >= pinMaximumAttempts;
      // A lock that has run out is cleared with the count it ended: writing it back would make every later guess
      // look like the first after a lock, and the count would never reach the limit again.
      const lockedUntil = lockedByThisAttempt ? Math.max(served ? 0 : member.lockedUntil ?? 0, at + pinLockDurationMs) : served ? null : member.lockedUntil;
      tx.update(members).set(channelSet(channel, attempt, lockedUntil)).where(eq(members.id, memberId)).run();
      return { ok: true as const, right: checked === null ? null : false, pinHash: member.pinHash, attempt, lockedUntil, lockedByThisAttempt, villageCode: member.villageCode };
    });
}

/** The update of one channel's two columns. */
function channelSet(channel: PinChannel, attempts: number, lockedUntil: number | null | SQL) {
  return channel === 'holder' ? { pinFailedAttempts: attempts, pinLockedUntilMs: lockedUntil } : { pinRemoteFailedAttempts: attempts, pinRemoteLockedUntilMs: lockedUntil };
}

/**
 * A right PIN resets the channel's count and lifts the lock only when its own
 * reservation set it (one statement, so a later lock set by a parallel wrong
 * guess stays). A wrong PIN writes nothing more: it was counted when reserved,
 * so it can neither reset the count nor shorten the lock.
 */
function settleRight(context: PeopleContext, memberId: number, channel: PinChannel, reservation: Reservation, upgradedHash: string | null): void {
  const columns = channelColumns[channel];
  const mine = reservation.lockedByThisAttempt ? reservation.lockedUntil : null;
  context.db
    .update(members)
    .set({
      ...channelSet(channel, 0, mine === null ? sql`${columns.lockedUntil}` : sql`CASE WHEN ${columns.lockedUntil} = ${mine} THEN NULL ELSE ${columns.lockedUntil} END`),
      ...(upgradedHash === null ? {} : { pinHash: upgradedHashUnlessChanged(reservation.pinHash, upgradedHash) }),
    })
    .where(eq(members.id, memberId))
    .run();
}

/** The new stored form, unless the PIN was set again since it was read (then the newer PIN stays). */
function upgradedHashUnlessChanged(readHash: string, upgradedHash: string): SQL {
  return sql`CASE WHEN ${members.pinHash} = ${readHash} THEN ${upgradedHash} ELSE ${members.pinHash} END`;
}

/**
 * Checks a PIN on a channel. After `pinMaximumAttempts` wrong PINs in a row on
 * that channel it locks for 30 minutes (status 423); a right PIN resets the
 * count. The check (or, for an argon2id hash, the reservation of the attempt)
 * happens in the transaction that reads the lock, so at most
 * `pinMaximumAttempts` guesses are ever evaluated per lock period, however
 * many arrive at once. Suspended members are refused whatever the PIN. A
 * right PIN stored in an older form (argon2id, or under a retired PIN key) is
 * rewritten as the current HMAC in the statement that records the success.
 */
export async function verifyMemberPin(context: PeopleContext, memberId: number, pin: string, channel: PinChannel = 'holder'): Promise<Outcome<PinCheck>> {
  const reservation = attemptInTransaction(context, memberId, channel, pin);
  if (!reservation.ok) return reservation;
  if (reservation.right === true) return success({ memberId });
  if (reservation.right === null && (await checkPinHash(context.keys, reservation.pinHash, memberId, pin)).right) {
    // An argon2id hash, right: settled now, and rewritten as the current HMAC in the same statement.
    settleRight(context, memberId, channel, reservation, hashPin(context.keys, memberId, pin));
    return success({ memberId });
  }
  if (reservation.lockedByThisAttempt) {
    const lockedUntil = present(reservation.lockedUntil, 'an attempt that locks sets the lock time');
    writeTransaction(context.db, () => {
      audit(context, null, 'member.pin_locked', 'member', memberId, reservation.villageCode, { channel });
      // The member learns that someone tried their PIN, and when it opens again.
      notify(context, { kind: 'pin_locked', to: { memberId }, params: { unlockAtMs: lockedUntil } });
    });
    return lockedRefusal(lockedUntil, nowMs(context));
  }
  return failure(422, { code: 'people.error.pin_wrong', field: 'pin', params: { remaining: pinMaximumAttempts - reservation.attempt } });
}

import { hash, verify } from '@node-rs/argon2';
import { eq, sql, type SQL } from 'drizzle-orm';
import { members } from '../../db/schema/people.ts';
import { memberSelfOrStaff } from './access.ts';
import { audit, failure, nowMs, success, type Actor, type Outcome, type PeopleContext, type Refusal } from './context.ts';

/** Wrong PINs allowed before the PIN locks, and for how long it stays locked. */
export const pinMaximumAttempts = 5;
export const pinLockDurationMs = 30 * 60_000;

/** Six digits, not all the same and not a straight run (123456, 654321): those are guessed first. */
export function checkPinShape(pin: string): string | null {
  if (!/^\d{6}$/.test(pin)) return 'people.error.pin_format';
  const digits = Array.from(pin, Number);
  const steps = new Set(digits.slice(1).map((digit, index) => digit - digits[index]!));
  if (steps.size === 1 && [0, 1, -1].includes([...steps][0]!)) return 'people.error.pin_too_simple';
  return null;
}

/**
 * Sets the redemption PIN: by the member, or by staff in scope with the member
 * present. Hashing (argon2id) happens before the write transaction, which
 * stays synchronous. Setting a PIN clears the locks of both channels.
 */
export async function setMemberPin(context: PeopleContext, actor: Actor, memberId: number, pin: string): Promise<Outcome<{ memberId: number }>> {
  const shape = checkPinShape(pin);
  if (shape) return failure(422, { code: shape, field: 'pin' });
  const found = memberSelfOrStaff(context, actor, memberId);
  if (!found.ok) return found;
  if (found.member.status !== 'active') return failure(409, { code: 'people.error.not_active', params: { status: found.member.status } });
  const pinHash = await hash(pin);
  const at = nowMs(context);
  context.db.transaction(
    (tx) => {
      tx.update(members)
        .set({ pinHash, pinSetAtMs: at, ...channelSet('holder', 0, null), ...channelSet('remote', 0, null), updatedAtMs: at })
        .where(eq(members.id, memberId))
        .run();
      audit({ ...context, db: tx as unknown as PeopleContext['db'] }, actor, 'member.pin_set', 'member', memberId, found.member.villageCode, { bySelf: found.self });
    },
    { behavior: 'immediate' },
  );
  return success({ memberId });
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

type Reservation = { ok: true; pinHash: string; attempt: number; lockedUntil: number | null; lockedByThisAttempt: boolean; villageCode: string };

function lockedRefusal(lockedUntil: number, at: number) {
  return failure(423, { code: 'people.error.pin_locked', params: { minutes: Math.ceil((lockedUntil - at) / 60_000) } });
}

/**
 * Reserves one attempt in one IMMEDIATE transaction, before the slow hash: the
 * lock is checked and the attempt counted as if it failed, so parallel guesses
 * cannot all pass the check. The attempt that reaches the limit sets the lock
 * (never earlier than a lock already there); a lock that has run out starts a
 * fresh count.
 */
function reserveAttempt(context: PeopleContext, memberId: number, channel: PinChannel): Reservation | Refusal {
  const columns = channelColumns[channel];
  const at = nowMs(context);
  return context.db.transaction(
    (tx) => {
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
      const served = member.lockedUntil !== null && member.lockedUntil <= at;
      const attempt = (served ? 0 : member.attempts) + 1;
      const lockedByThisAttempt = attempt >= pinMaximumAttempts;
      const lockedUntil = lockedByThisAttempt ? Math.max(member.lockedUntil ?? 0, at + pinLockDurationMs) : member.lockedUntil;
      tx.update(members).set(channelSet(channel, attempt, lockedUntil)).where(eq(members.id, memberId)).run();
      return { ok: true as const, pinHash: member.pinHash, attempt, lockedUntil, lockedByThisAttempt, villageCode: member.villageCode };
    },
    { behavior: 'immediate' },
  );
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
function settleRight(context: PeopleContext, memberId: number, channel: PinChannel, reservation: Reservation): void {
  const columns = channelColumns[channel];
  const mine = reservation.lockedByThisAttempt ? reservation.lockedUntil : null;
  context.db
    .update(members)
    .set(channelSet(channel, 0, mine === null ? sql`${columns.lockedUntil}` : sql`CASE WHEN ${columns.lockedUntil} = ${mine} THEN NULL ELSE ${columns.lockedUntil} END`))
    .where(eq(members.id, memberId))
    .run();
}

/**
 * Checks a PIN on a channel. After `pinMaximumAttempts` wrong PINs in a row on
 * that channel it locks for 30 minutes (status 423); a right PIN resets the
 * count. The attempt is reserved before the hash is checked, so at most
 * `pinMaximumAttempts` guesses are ever evaluated per lock period, however
 * many arrive at once. Suspended members are refused whatever the PIN.
 */
export async function verifyMemberPin(context: PeopleContext, memberId: number, pin: string, channel: PinChannel = 'holder'): Promise<Outcome<PinCheck>> {
  const reservation = reserveAttempt(context, memberId, channel);
  if (!reservation.ok) return reservation;
  const right = /^\d{6}$/.test(pin) && (await verifyHash(reservation.pinHash, pin));
  if (right) {
    settleRight(context, memberId, channel, reservation);
    return success({ memberId });
  }
  if (reservation.lockedByThisAttempt) {
    audit(context, null, 'member.pin_locked', 'member', memberId, reservation.villageCode, { channel });
    return lockedRefusal(reservation.lockedUntil!, nowMs(context));
  }
  return failure(422, { code: 'people.error.pin_wrong', field: 'pin', params: { remaining: pinMaximumAttempts - reservation.attempt } });
}

async function verifyHash(pinHash: string, pin: string): Promise<boolean> {
  try {
    return await verify(pinHash, pin);
  } catch {
    return false;
  }
}

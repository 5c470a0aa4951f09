import { hash, verify } from '@node-rs/argon2';
import { eq, sql } from 'drizzle-orm';
import { members } from '../../db/schema/people.ts';
import { memberSelfOrStaff } from './access.ts';
import { audit, failure, nowMs, success, type Actor, type Outcome, type PeopleContext } from './context.ts';

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
 * stays synchronous. Setting a PIN clears a lock.
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
        .set({ pinHash, pinSetAtMs: at, pinFailedAttempts: 0, pinLockedUntilMs: null, updatedAtMs: at })
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
 * Checks a PIN typed at a counter. After `pinMaximumAttempts` wrong PINs in a
 * row the PIN is locked for 30 minutes (status 423); a right PIN resets the
 * count. Suspended members are refused whatever the PIN.
 */
export async function verifyMemberPin(context: PeopleContext, memberId: number, pin: string): Promise<Outcome<PinCheck>> {
  const member = context.db
    .select({ status: members.status, pinHash: members.pinHash, lockedUntil: members.pinLockedUntilMs, villageCode: members.villageCode })
    .from(members)
    .where(eq(members.id, memberId))
    .get();
  if (!member || member.status === 'pending' || member.status === 'rejected') return failure(404, { code: 'people.error.member_not_found' });
  if (member.status === 'suspended') return failure(423, { code: 'people.error.member_suspended' });
  const at = nowMs(context);
  if (member.lockedUntil !== null && member.lockedUntil > at) {
    return failure(423, { code: 'people.error.pin_locked', params: { minutes: Math.ceil((member.lockedUntil - at) / 60_000) } });
  }
  if (!member.pinHash) return failure(409, { code: 'people.error.pin_not_set' });
  const right = /^\d{6}$/.test(pin) && (await verify(member.pinHash, pin));
  if (right) {
    context.db.update(members).set({ pinFailedAttempts: 0, pinLockedUntilMs: null }).where(eq(members.id, memberId)).run();
    return success({ memberId });
  }
  // One statement: concurrent wrong attempts cannot both read the same count.
  const updated = context.db
    .update(members)
    .set({
      pinFailedAttempts: sql`CASE WHEN ${members.pinFailedAttempts} + 1 >= ${pinMaximumAttempts} THEN 0 ELSE ${members.pinFailedAttempts} + 1 END`,
      pinLockedUntilMs: sql`CASE WHEN ${members.pinFailedAttempts} + 1 >= ${pinMaximumAttempts} THEN ${at + pinLockDurationMs} ELSE NULL END`,
    })
    .where(eq(members.id, memberId))
    .returning({ attempts: members.pinFailedAttempts, lockedUntil: members.pinLockedUntilMs })
    .get();
  if (updated?.lockedUntil) {
    audit(context, null, 'member.pin_locked', 'member', memberId, member.villageCode);
    return failure(423, { code: 'people.error.pin_locked', params: { minutes: Math.ceil(pinLockDurationMs / 60_000) } });
  }
  return failure(422, { code: 'people.error.pin_wrong', field: 'pin', params: { remaining: pinMaximumAttempts - (updated?.attempts ?? 0) } });
}

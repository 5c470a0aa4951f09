import t from 'tap';
import { pinMaximumAttempts, setMemberPin, verifyMemberPin } from '../../../../src/domain/people/members/pin.ts';
import { registerMember } from '../../../../src/domain/people/members/register.ts';
import { peopleFixture, villages } from '../fixture.ts';

/**
 * Attempts started in the same tick (every check begins before any ends):
 * right PINs of one member never count against each other, and wrong ones
 * still lock after `pinMaximumAttempts`.
 */

function memberWithPin() {
  const f = peopleFixture();
  const created = registerMember(f.context, f.coordinatorA, { realName: '钱五', phone: '13600002222', idNumber: f.idNumber(91), villageCode: villages.hongqi });
  if (!created.ok) throw new Error('register');
  return { f, id: created.value.memberId };
}

const attemptsOf = (f: ReturnType<typeof peopleFixture>, id: number) =>
  f.db.$client.prepare('SELECT pin_failed_attempts AS attempts, pin_locked_until_ms AS lockedUntil FROM members WHERE id = ?').get(id);

t.test('eight right PINs of one member at once: all accepted, nothing counted, no lock', async (t) => {
  const { f, id } = memberWithPin();
  t.ok((await setMemberPin(f.context, f.coordinatorA, id, '246810')).ok);
  const results = await Promise.all(Array.from({ length: 8 }, () => verifyMemberPin(f.context, id, '246810')));
  t.same(results.map((result) => (result.ok ? 'ok' : result.status)), Array(8).fill('ok'), 'none refused as locked');
  t.same(attemptsOf(f, id), { attempts: 0, lockedUntil: null });
});

t.test('twelve wrong PINs at once: four answered wrong, then locked; the right PIN waits', async (t) => {
  const { f, id } = memberWithPin();
  t.ok((await setMemberPin(f.context, f.coordinatorA, id, '246810')).ok);
  const results = await Promise.all(Array.from({ length: 12 }, (_, index) => verifyMemberPin(f.context, id, `90${String(index).padStart(4, '0')}`)));
  t.same(results.map((result) => (result.ok ? 'ok' : result.status)), [...Array(pinMaximumAttempts - 1).fill(422), ...Array(12 - pinMaximumAttempts + 1).fill(423)]);
  t.same(attemptsOf(f, id), { attempts: pinMaximumAttempts, lockedUntil: f.clock.ms + 30 * 60_000 });
  const right = await verifyMemberPin(f.context, id, '246810');
  t.same(right.ok ? null : right.status, 423, 'the right PIN waits for the lock');
});

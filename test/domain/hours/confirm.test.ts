import t from 'tap';
import { logServiceWithPin } from '../../../src/domain/hours/log.ts';
import { walletBalance } from '../../../src/domain/hours/passbook.ts';
import { updatePolicy } from '../../../src/domain/hours/policy.ts';
import { setMemberPin } from '../../../src/domain/people/members/pin.ts';
import { setPolicyRules } from '../../helpers/policy.ts';
import { verifyLedger } from '../../../src/ledger/index.ts';
import { count, hoursFixture, startMs, type HoursFixture } from './fixture.ts';

const pin = '285714';

async function withElderPin(): Promise<HoursFixture> {
  const f = hoursFixture();
  const set = await setMemberPin(f.people, { userId: f.admin.userId, memberId: f.elderMemberId, grants: [] }, f.elderMemberId, pin);
  if (!set.ok) throw new Error(JSON.stringify(set));
  return f;
}

t.test('the elder\'s PIN, typed on the spot, approves the volunteer\'s own record at once', async (t) => {
  const f = await withElderPin();
  const outcome = await logServiceWithPin(f.context, f.volunteer, f.visit({ elderPin: pin }));
  t.ok(outcome.ok && outcome.value.record.status === 'approved' && outcome.value.record.confirmedByCard);
  t.same(walletBalance(f.context, f.volunteerMemberId), { posted: 60, available: 60, pendingIn: 0, pendingOut: 0 });
  t.ok(updatePolicy(f.context, f.admin, { backdateDays: '30', dailyMaxHours: '16', unreviewedExpiryDays: '30', autoApproveCardConfirmed: false }).ok);
  const second = await logServiceWithPin(f.context, f.volunteer, f.visit({ startTime: '14:00', endTime: '15:00', elderPin: pin }));
  t.ok(second.ok && second.value.record.status === 'pending' && second.value.record.confirmedByCard, 'confirmed but waits for review when auto-approval is off');
  t.ok(verifyLedger(f.db.$client).ok);
});

t.test('without a PIN the record waits for review', async (t) => {
  const f = await withElderPin();
  const outcome = await logServiceWithPin(f.context, f.volunteer, f.visit());
  t.ok(outcome.ok && outcome.value.record.status === 'pending' && !outcome.value.record.confirmedByCard);
});

t.test('a wrong PIN is refused with the attempts left, writes no record, and counts toward the lock', async (t) => {
  const f = await withElderPin();
  const wrong = await logServiceWithPin(f.context, f.volunteer, f.visit({ elderPin: '000111' }));
  t.ok(!wrong.ok);
  if (!wrong.ok) {
    t.equal(wrong.status, 422);
    t.same(wrong.problems[0], { code: 'people.error.pin_wrong', field: 'elderPin', params: { remaining: 4 } });
  }
  t.equal(count(f.db, 'service_records'), 0);
  t.equal(count(f.db, 'ledger_transfers'), 0);
  for (let i = 0; i < 4; i += 1) await logServiceWithPin(f.context, f.volunteer, f.visit({ elderPin: '000111' }));
  const locked = await logServiceWithPin(f.context, f.volunteer, f.visit({ elderPin: pin }));
  t.ok(!locked.ok && locked.status === 423 && locked.problems[0]!.code === 'people.error.pin_locked', 'after five wrong PINs even the right one is refused');
  t.equal(count(f.db, 'service_records'), 0);
});

t.test('a coordinator logging for a member cannot confirm with the elder\'s PIN', async (t) => {
  const f = await withElderPin();
  const outcome = await logServiceWithPin(f.context, f.coordinator, f.visit({ volunteerMemberId: f.villagerMemberId, elderPin: pin }));
  t.ok(!outcome.ok && outcome.status === 422 && outcome.problems[0]!.code === 'hours.error.pin_only_self' && outcome.problems[0]!.field === 'elderPin');
  t.equal(count(f.db, 'service_records'), 0);
  const failed = f.db.$client.prepare('SELECT pin_failed_attempts + pin_remote_failed_attempts FROM members WHERE id = ?').pluck().get(f.elderMemberId);
  t.equal(failed, 0, 'the PIN was not even tried');
});

t.test('a PIN for an elder without a member account, or without a recipient, is refused', async (t) => {
  const f = await withElderPin();
  const noMember = await logServiceWithPin(f.context, f.volunteer, f.visit({ elderId: f.elder2Id, elderPin: pin }));
  t.ok(!noMember.ok && noMember.problems[0]!.code === 'hours.error.pin_elder_not_member');
  const noRecipient = await logServiceWithPin(f.context, f.volunteer, f.visit({ serviceTypeCode: 'health_talk', elderId: null, elderPin: pin }));
  t.ok(!noRecipient.ok && noRecipient.problems[0]!.code === 'hours.error.pin_needs_recipient');
  t.equal(count(f.db, 'service_records'), 0);
});

t.test('a replay of a confirmed form returns the first record without a second PIN check', async (t) => {
  const f = await withElderPin();
  const input = f.visit({ elderPin: pin });
  const first = await logServiceWithPin(f.context, f.volunteer, input);
  const again = await logServiceWithPin(f.context, f.volunteer, { ...input, elderPin: '000111' });
  t.ok(first.ok && again.ok && again.value.replayed && again.value.record.id === first.value.record.id);
  t.equal(f.db.$client.prepare('SELECT pin_failed_attempts + pin_remote_failed_attempts FROM members WHERE id = ?').pluck().get(f.elderMemberId), 0);
});

t.test('automatic approval respects the balance cap', async (t) => {
  const setCap = (f: HoursFixture, capMode: 'refuse' | 'divert') => {
    setPolicyRules(f.db, { balanceCapMinutes: 30, capMode });
  };
  const refuse = await withElderPin();
  setCap(refuse, 'refuse');
  const waiting = await logServiceWithPin(refuse.context, refuse.volunteer, refuse.visit({ elderPin: pin }));
  t.ok(waiting.ok && waiting.value.record.status === 'pending', 'refuse mode: not approved automatically');
  t.equal(waiting.ok && waiting.value.capWarning?.code, 'hours.error.over_balance_cap', 'and the volunteer is told why');
  t.ok(verifyLedger(refuse.db.$client).ok);

  const divert = await withElderPin();
  setCap(divert, 'divert');
  const approved = await logServiceWithPin(divert.context, divert.volunteer, divert.visit({ elderPin: pin }));
  t.ok(approved.ok && approved.value.record.status === 'approved');
  t.same(walletBalance(divert.context, divert.volunteerMemberId), { posted: 30, available: 30, pendingIn: 0, pendingOut: 0 });
  t.equal(divert.db.$client.prepare("SELECT credits_posted FROM ledger_accounts WHERE id = 'pool:433123'").pluck().get(), 30);
  t.ok(verifyLedger(divert.db.$client).ok);
});

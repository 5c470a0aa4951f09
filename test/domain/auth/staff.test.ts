import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { createAccountByStaff, grantRole, resetPasswordByStaff, revokeRole } from '../../../src/domain/auth/staff.ts';
import { actorOf, findUserByPhone } from '../../../src/domain/auth/users.ts';
import { seedDemo } from '../../../src/domain/demo/seed.ts';
import { count } from '../../helpers/web.ts';

async function setup() {
  const db = openDatabase(':memory:');
  await seedDemo(db, 1_000);
  const actor = (phone: string) => actorOf(db, findUserByPhone(db, phone)!.id);
  return { db, countyOffice: actor('13800000004'), cityOffice: actor('13800000005'), admin: actor('13800000006'), coordinator: actor('13800000002') };
}

t.test('an office creates an account in its county; the person must change the password', async (t) => {
  const { db, countyOffice } = await setup();
  const result = await createAccountByStaff(
    db,
    countyOffice,
    { phone: '139 0000 0001', displayName: '麻阿婆', temporaryPassword: 'temp-pass-1', roles: [{ role: 'volunteer', regionCode: '433123101002' }] },
    '127.0.0.1',
    2_000,
  );
  t.ok(result.ok);
  const user = findUserByPhone(db, '13900000001');
  t.equal(user?.mustChangePassword, true);
  t.match(db.$client.prepare("SELECT action, actor_user_id, region_code FROM audit_log WHERE action = 'role.granted'").get(), { region_code: '433123101002', actor_user_id: countyOffice.userId });
  t.equal(db.$client.prepare('SELECT password_set_by_user_id FROM users WHERE id = ?').pluck().get(user!.id), countyOffice.userId, 'the account remembers who chose its password');
});

t.test('grants outside the granter scope, staff roles by non-admins, and duplicates are refused without writing', async (t) => {
  const { db, countyOffice, cityOffice, admin, coordinator } = await setup();
  const volunteerId = findUserByPhone(db, '13800000001')!.id;
  const usersBefore = count(db, 'user_roles');
  const auditBefore = count(db, 'audit_log');
  t.same(grantRole(db, countyOffice, volunteerId, { role: 'coordinator', regionCode: '430524101' }, 'ip', 3), { ok: false, reason: 'region_unknown' }, 'another county: like a region that does not exist');
  t.same(grantRole(db, countyOffice, volunteerId, { role: 'office', regionCode: '433123' }, 'ip', 3), { ok: false, reason: 'not_allowed' }, 'office roles are for admins');
  t.same(grantRole(db, coordinator, volunteerId, { role: 'volunteer', regionCode: '433123101001' }, 'ip', 3), { ok: false, reason: 'not_allowed' }, 'coordinators do not grant');
  t.same(grantRole(db, cityOffice, volunteerId, { role: 'coordinator', regionCode: '999999' }, 'ip', 3), { ok: false, reason: 'region_unknown' });
  t.same(grantRole(db, admin, volunteerId, { role: 'volunteer', regionCode: '433123101001' }, 'ip', 3), { ok: false, reason: 'already_granted' });
  const taken = await createAccountByStaff(db, admin, { phone: '13800000001', displayName: 'x', temporaryPassword: 'temp-pass-1', roles: [] }, 'ip', 3);
  t.same(taken, { ok: false, reason: 'phone_taken' });
  t.equal(count(db, 'user_roles'), usersBefore);
  t.equal(count(db, 'audit_log'), auditBefore);
  t.same(grantRole(db, countyOffice, volunteerId, { role: 'coordinator', regionCode: '433123101' }, 'ip', 4), { ok: true });
  t.same(revokeRole(db, countyOffice, volunteerId, { role: 'coordinator', regionCode: '433123101' }, 'ip', 5), { ok: true });
  t.same(
    db.$client.prepare("SELECT action FROM audit_log WHERE action LIKE 'role.%' ORDER BY id").all(),
    [{ action: 'role.granted' }, { action: 'role.revoked' }],
  );
});

t.test('a coordinator resets a forgotten password in their scope; the person must choose a new one', async (t) => {
  const { db, coordinator, cityOffice } = await setup();
  const { startSession, isSessionLive } = await import('../../../src/domain/auth/sessions.ts');
  const { verifyPassword } = await import('../../../src/domain/auth/passwords.ts');
  const volunteer = findUserByPhone(db, '13800000001')!;
  const session = startSession(db, volunteer.id, 10);
  const auditBefore = count(db, 'audit_log');
  t.same(await resetPasswordByStaff(db, cityOffice, { userId: volunteer.id, temporaryPassword: 'temp-pass-2' }, 'ip', 20), { ok: false, reason: 'not_allowed' }, 'another city');
  t.same(await resetPasswordByStaff(db, coordinator, { userId: findUserByPhone(db, '13800000004')!.id, temporaryPassword: 'temp-pass-2' }, 'ip', 20), { ok: false, reason: 'not_allowed' }, 'staff accounts need an admin');
  t.same(await resetPasswordByStaff(db, coordinator, { userId: volunteer.id, temporaryPassword: 'short' }, 'ip', 20), { ok: false, reason: 'password_too_short' });
  t.equal(count(db, 'audit_log'), auditBefore, 'refusals write nothing');
  t.same(await resetPasswordByStaff(db, coordinator, { userId: volunteer.id, temporaryPassword: 'temp-pass-2' }, 'ip', 20), { ok: true });
  const after = findUserByPhone(db, '13800000001')!;
  t.equal(after.mustChangePassword, true);
  t.ok(await verifyPassword(after.passwordHash, 'temp-pass-2'));
  t.notOk(isSessionLive(db, session.familyId, volunteer.id, 30), 'open sessions end');
  t.match(db.$client.prepare("SELECT actor_user_id FROM audit_log WHERE action = 'auth.password_reset'").get(), { actor_user_id: coordinator.userId });
});

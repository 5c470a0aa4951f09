import { readFileSync } from 'node:fs';
import t from 'tap';
import { openDatabase, type Db } from '../../../src/db/client.ts';
import { newAccountChoices } from '../../../src/domain/auth/account-pages.ts';
import { findAccount, liftSignInLock, listAccounts } from '../../../src/domain/auth/accounts.ts';
import { createAccountByStaff } from '../../../src/domain/auth/staff.ts';
import { actorOf, findUserByPhone } from '../../../src/domain/auth/users.ts';
import { seedDemo } from '../../../src/domain/demo/seed.ts';
import { present } from '../../../src/lib/assert.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';

/**
 * Issue 15: the staff-accounts routes no longer call request.authorize; each
 * accounts function a staff page calls checks the role itself (the 403 page,
 * whatever the account or the form) before anything else.
 */

function written(db: Db): Record<string, number> {
  const count = (table: string) => Number(db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
  return Object.fromEntries(['users', 'user_roles', 'audit_log', 'idempotency_keys', 'sign_in_throttle'].map((table) => [table, count(table)]));
}

function answer(outcome: { ok: boolean; reason?: string }): string {
  return outcome.ok ? 'ok' : String(outcome.reason);
}

t.test('without an office or administrator role every accounts function refuses with the 403, and writes nothing', async (t) => {
  const db = openDatabase(':memory:');
  t.teardown(() => db.$client.close());
  await seedDemo(db, 1_000);
  const secrets = testSecrets();
  const actor = (phone: string) => actorOf(db, present(findUserByPhone(db, phone), phone).id);
  const volunteerId = present(findUserByPhone(db, '13800000001'), 'volunteer').id;
  const before = written(db);
  // A coordinator may reset a volunteer's password in the domain, but manages no accounts: the pages refuse it.
  for (const [who, asker] of [['a coordinator', actor('13800000002')], ['a volunteer', actor('13800000001')]] as const) {
    t.equal(answer(listAccounts(db, asker, { query: '', role: '', page: 1, pageSize: 30 })), 'forbidden', `listAccounts, ${who}`);
    t.equal(answer(newAccountChoices(db, asker, 'zh-CN')), 'forbidden', `newAccountChoices, ${who}`);
    for (const id of [volunteerId, 987654]) {
      t.equal(answer(findAccount(db, asker, id)), 'forbidden', `findAccount ${id}, ${who}`);
      t.equal(answer(liftSignInLock(db, secrets, asker, id, '127.0.0.1', 2_000)), 'forbidden', `liftSignInLock ${id}, ${who}`);
    }
    const good = { phone: '13900000001', displayName: '麻阿婆', temporaryPassword: 'temp-pass-1', roles: [{ role: 'volunteer' as const, regionCode: '433123101002' }] };
    t.equal(answer(await createAccountByStaff(db, asker, good, '127.0.0.1', 2_000, 'key-1')), 'forbidden', `createAccountByStaff, ${who}`);
    t.equal(answer(await createAccountByStaff(db, asker, { ...good, phone: 'not a phone', displayName: '' }, '127.0.0.1', 2_000)), 'forbidden', `createAccountByStaff of a bad form, ${who}: the role before the form`);
  }
  t.same(written(db), before, 'nothing was written');
  // With the role the same calls go through (the refusal above is the role's, not the fixture's).
  const countyOffice = actor('13800000004');
  t.equal(answer(findAccount(db, countyOffice, volunteerId)), 'ok');
  t.equal(answer(findAccount(db, countyOffice, 987654)), 'not_found');
  t.equal(answer(listAccounts(db, countyOffice, { query: '', role: '', page: 1, pageSize: 30 })), 'ok');
});

t.test('the staff-accounts routes do not authorize: they parse, call the domain, render', async (t) => {
  const source = readFileSync(new URL('../../../src/routes/accounts/staff.ts', import.meta.url), 'utf8');
  t.notMatch(source, /request\.authorize\(/, 'src/routes/accounts/staff.ts calls no request.authorize');
});

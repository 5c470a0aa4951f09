import tap, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { demoPassword } from '../../../src/domain/demo/seed.ts';
import { translator } from '../../../src/i18n/index.ts';
import type { Role } from '../../../src/domain/access/authorize.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { AddressClient, type HttpAnswer } from '../../helpers/http-client.ts';
import { count, createTestApp, demoPhone, visibleText, type TestApp } from '../../helpers/web.ts';

const zh = translator('zh-CN');
const laojiazhai = '433123101001';

/**
 * Member registration (staff and the public join form), elder registration,
 * team and team-activity creation run once per form key through the kernel
 * (src/domain/kernel/idempotency.ts): six copies of one form at once through
 * a listening server write one row; the key with other content is refused
 * 409 with the kernel's message and writes nothing.
 */

async function listening(role: Role | null) {
  const test = await createTestApp();
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  const client = new AddressClient((test.app.server.address() as { port: number }).port, '127.0.0.1');
  await client.get('/sign-in');
  if (role) {
    const signedIn = await client.post('/sign-in', { phone: demoPhone(role), password: demoPassword, next: '/' });
    if (signedIn.status !== 303) throw new Error(`sign-in as ${role}: ${signedIn.status}`);
  }
  return { ...test, client };
}

function written(test: TestApp, table: string, scope: string) {
  return {
    rows: count(test.db, table),
    keys: Number(test.db.$client.prepare('SELECT count(*) FROM idempotency_keys WHERE scope = ?').pluck().get(scope)),
    audit: count(test.db, 'audit_log'),
  };
}

async function onceThenConflict(t: Test, test: TestApp & { client: AddressClient }, path: string, form: Record<string, string>, changed: Record<string, string>, where: { table: string; scope: string }): Promise<HttpAnswer> {
  const before = written(test, where.table, where.scope);
  const answers = await Promise.all(Array.from({ length: 6 }, () => test.client.post(path, form)));
  t.same(answers.map((answer) => answer.status), Array(6).fill(303), 'every copy answered with a redirect');
  t.equal(new Set(answers.map((answer) => answer.headers.location)).size, 1, 'all to the same place');
  const after = written(test, where.table, where.scope);
  t.equal(after.rows, before.rows + 1, `one ${where.table} row`);
  t.equal(after.keys, before.keys + 1, 'one key row');
  const refused = await test.client.post(path, { ...form, ...changed });
  t.equal(refused.status, 409, 'the key with other content is refused');
  t.match(visibleText(refused.body), zh('common.error.idempotency_conflict'));
  t.same(written(test, where.table, where.scope), after, 'nothing written');
  return answers[0]!;
}

tap.test('a coordinator registers a member: once per key', async (t) => {
  const test = await listening('coordinator');
  t.teardown(() => test.app.close());
  await test.client.get('/members/new');
  const form = { idempotency_key: randomUUID(), real_name: '龙阿妹', phone: '13712345678', id_number: makeIdNumber('433123', '1956-03-03', 17), village_code: laojiazhai };
  await onceThenConflict(t, test, '/members', form, { real_name: '龙二妹' }, { table: 'members', scope: 'members.register' });
});

tap.test('the public join form: once per key', async (t) => {
  const test = await listening(null);
  t.teardown(() => test.app.close());
  await test.client.get('/join');
  const form = { idempotency_key: randomUUID(), real_name: '吴秀英', phone: '13612341234', id_number: makeIdNumber('433123', '1957-07-07', 42), village_code: laojiazhai, consent: 'yes' };
  await onceThenConflict(t, test, '/join', form, { phone: '13612349999' }, { table: 'members', scope: 'members.register' });
});

tap.test('a coordinator registers an elder: once per key', async (t) => {
  const test = await listening('coordinator');
  t.teardown(() => test.app.close());
  await test.client.get('/elders/new');
  const form = {
    idempotency_key: randomUUID(), real_name: '石阿公', id_number: makeIdNumber('433123', '1941-04-04', 72), village_code: laojiazhai, categories: 'empty_nest',
    visit_interval_days: '30', family_contact_phone: '13900002222', consent_given_by: 'self', consent_method: 'written',
  };
  await onceThenConflict(t, test, '/elders', form, { visit_interval_days: '14' }, { table: 'elders', scope: 'elders.register' });
});

tap.test('an office creates a team and a team activity: once per key each', async (t) => {
  const test = await listening('office');
  t.teardown(() => test.app.close());
  await test.client.get('/teams');
  const team = { idempotency_key: randomUUID(), name: '山江镇互助队', sponsor_unit: '凤凰县民政局', sponsor_kind: 'member_unit', region_code: '433123101' };
  const created = await onceThenConflict(t, test, '/teams', team, { sponsor_unit: '凤凰县老龄委' }, { table: 'teams', scope: 'teams.create' });
  const teamUrl = created.headers.location as string;
  await test.client.get(teamUrl);
  const activity = { idempotency_key: randomUUID(), activity_date: '2026-10-29', place: '老家寨村文化广场', theme: '重阳节健康义诊' };
  await onceThenConflict(t, test, `${teamUrl}/activities`, activity, { theme: '冬季防火宣传' }, { table: 'team_activities', scope: 'teams.activity' });
});

async function clientOf(test: TestApp, role: Role): Promise<AddressClient> {
  const client = new AddressClient((test.app.server.address() as { port: number }).port, '127.0.0.1');
  await client.get('/sign-in');
  const signedIn = await client.post('/sign-in', { phone: demoPhone(role), password: demoPassword, next: '/' });
  if (signedIn.status !== 303) throw new Error(`sign-in as ${role}: ${signedIn.status}`);
  return client;
}

tap.test('adding a member to a team by card and a member asking to join: once per key each', async (t) => {
  const test = await listening('coordinator');
  t.teardown(() => test.app.close());
  await test.client.get('/members/new');
  const registered = await test.client.post('/members', { idempotency_key: randomUUID(), real_name: '王秀英', phone: demoPhone('volunteer'), id_number: makeIdNumber('433123', '1959-06-15', 91), village_code: laojiazhai });
  const memberId = Number(/\/members\/(\d+)/.exec(registered.headers.location as string)![1]);
  test.db.$client.prepare('UPDATE users SET member_id = ? WHERE phone = ?').run(memberId, demoPhone('volunteer'));
  const other = await test.client.post('/members', { idempotency_key: randomUUID(), real_name: '龙阿妹', phone: '13712345678', id_number: makeIdNumber('433123', '1956-03-03', 17), village_code: laojiazhai });
  const otherId = Number(/\/members\/(\d+)/.exec(other.headers.location as string)![1]);
  const cardOf = (id: number) => test.db.$client.prepare('SELECT card_number FROM members WHERE id = ?').pluck().get(id) as string;

  const office = await clientOf(test, 'office');
  await office.get('/teams');
  const twoTeams = [];
  for (const name of ['山江镇互助队', '老家寨服务队']) {
    const made = await office.post('/teams', { idempotency_key: randomUUID(), name, sponsor_unit: '凤凰县民政局', sponsor_kind: 'member_unit', region_code: '433123101' });
    twoTeams.push(made.headers.location as string);
  }
  const [addTo, joinTo] = twoTeams as [string, string];
  await office.get(addTo);
  const asOffice = { ...test, client: office };
  const add = { idempotency_key: randomUUID(), card_number: cardOf(otherId) };
  await onceThenConflict(t, asOffice, `${addTo}/members`, add, { card_number: cardOf(memberId) }, { table: 'team_memberships', scope: 'teams.member_add' });

  const volunteer = await clientOf(test, 'volunteer');
  await volunteer.get('/members/me');
  const joinTeamId = joinTo.split('/').pop()!;
  const asMember = { ...test, client: volunteer };
  const ask = { idempotency_key: randomUUID() };
  const before = written(asMember, 'team_memberships', 'teams.member_request');
  const answers = await Promise.all(Array.from({ length: 6 }, () => volunteer.post(`/members/me/teams/${joinTeamId}`, ask)));
  t.same(answers.map((answer) => answer.status), Array(6).fill(303), 'every copy of the request answered with a redirect');
  const after = written(asMember, 'team_memberships', 'teams.member_request');
  t.same(after, { rows: before.rows + 1, keys: before.keys + 1, audit: before.audit + 1 }, 'one request, one key, one audit row');
  const reused = await volunteer.post(`/members/me/teams/${addTo.split('/').pop()!}`, ask);
  t.equal(reused.status, 409, 'the key sent for another team is refused');
  t.match(visibleText(reused.body), zh('common.error.idempotency_conflict'));
  t.same(written(asMember, 'team_memberships', 'teams.member_request'), after, 'nothing written');
});

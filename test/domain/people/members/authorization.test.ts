import { readFileSync } from 'node:fs';
import t from 'tap';
import { createMemberSignIn } from '../../../../src/domain/auth/accounts.ts';
import { getElder, listElders } from '../../../../src/domain/people/elders/query.ts';
import { registerElder, registerElderWithCard } from '../../../../src/domain/people/elders/register.ts';
import { closeElder, updateElderCare } from '../../../../src/domain/people/elders/update.ts';
import { printableCards, reissueCard } from '../../../../src/domain/people/members/cards.ts';
import { registrationChoices } from '../../../../src/domain/people/members/choices.ts';
import type { Actor, Outcome } from '../../../../src/domain/people/members/context.ts';
import { exportMemberDataWithReason } from '../../../../src/domain/people/members/export.ts';
import { setMemberPinByStaff } from '../../../../src/domain/people/members/pin.ts';
import { pendingRegistrations, searchMembers } from '../../../../src/domain/people/members/query.ts';
import { registerMember, reviewSelfRegistration, selfRegisterMember } from '../../../../src/domain/people/members/register.ts';
import { memberPage } from '../../../../src/domain/people/members/sign-in-view.ts';
import { changeMemberStatus } from '../../../../src/domain/people/members/status.ts';
import { teamPage, teamsIndex } from '../../../../src/domain/people/teams/pages.ts';
import {
  addTeamMemberByCard, createActivity, createTeam, decideTeamMembership, requestTeamMembership, setTeamLeader,
} from '../../../../src/domain/people/teams/teams.ts';
import { peopleFixture, villages, type PeopleFixture } from '../fixture.ts';

/**
 * Issue 15: the people routes no longer call request.authorize before the
 * domain; each domain function a staff page calls checks the role itself
 * (403, the same whatever the object) and then the object's scope (outside
 * it: the 404 a missing object gets). These are the answers the routes used
 * to give before the domain ran; test/routes/access-matrix.test.ts checks
 * the same over HTTP for every demo role.
 */

/** What the database holds that any of these functions could write. */
function written(f: PeopleFixture): Record<string, number> {
  const count = (table: string) => Number(f.db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
  return Object.fromEntries(['members', 'member_status_events', 'elders', 'teams', 'team_memberships', 'team_activities', 'users', 'audit_log', 'idempotency_keys'].map((table) => [table, count(table)]));
}

function answer(outcome: Outcome<unknown> | { ok: true } | { ok: false; reason: string }): string {
  if (outcome.ok) return 'ok';
  return 'reason' in outcome ? outcome.reason : `${outcome.status} ${outcome.problems[0]?.code}`;
}

async function setting(f: PeopleFixture) {
  const member = registerMember(f.context, f.coordinatorA, { realName: '麻大姐', phone: '13600000001', idNumber: f.idNumber(1, '1961-04-04'), villageCode: villages.hongqi });
  const pending = selfRegisterMember(f.context, { realName: '吴二哥', phone: '13600000002', idNumber: f.idNumber(2, '1962-04-04'), villageCode: villages.hongqi });
  const elder = registerElder(f.context, f.coordinatorA, { realName: '田秀英', idNumber: f.idNumber(3, '1940-06-01'), villageCode: villages.hongqi, categories: ['living_alone'], consent: { givenBy: 'self', method: 'verbal' } });
  const team = createTeam(f.context, f.countyOffice, { name: '银龄讲师团', sponsorUnit: '凤凰县教育局', sponsorKind: 'member_unit', regionCode: '433123' });
  if (!member.ok || !pending.ok || !elder.ok || !team.ok) throw new Error('fixture');
  const cardNumber = String(f.db.$client.prepare('SELECT card_number FROM members WHERE id = ?').pluck().get(member.value.memberId));
  const self = f.memberUser(member.value.memberId, villages.hongqi);
  const membership = requestTeamMembership(f.context, self, team.value.teamId);
  if (!membership.ok) throw new Error('membership');
  return { memberId: member.value.memberId, pendingId: pending.value.memberId, elderId: elder.value.elderId, teamId: team.value.teamId, membershipId: membership.value.membershipId, cardNumber, self };
}

type Setting = Awaited<ReturnType<typeof setting>>;

/** Every people-domain call a staff page makes, on the objects of the setting (`id` replaces the object's id). */
function staffCalls(f: PeopleFixture, s: Setting, id?: number): [string, (actor: Actor) => Promise<Outcome<unknown> | { ok: true } | { ok: false; reason: string }> | Outcome<unknown>][] {
  const member = id ?? s.memberId;
  const elder = id ?? s.elderId;
  const team = id ?? s.teamId;
  return [
    ['searchMembers', (actor) => searchMembers(f.context, actor, {})],
    ['pendingRegistrations', (actor) => pendingRegistrations(f.context, actor)],
    ['registrationChoices', (actor) => registrationChoices(f.context, actor, 'zh-CN')],
    ['registerMember', (actor) => registerMember(f.context, actor, { realName: '龙三叔', phone: '13600000009', idNumber: f.idNumber(9, '1960-01-01'), villageCode: villages.hongqi })],
    ['reviewSelfRegistration', (actor) => reviewSelfRegistration(f.context, actor, id ?? s.pendingId, { decision: 'approve' })],
    ['memberPage', (actor) => memberPage(f.context, actor, member)],
    ['changeMemberStatus', (actor) => changeMemberStatus(f.context, actor, member, 'suspend', '外出务工')],
    ['setMemberPinByStaff', (actor) => setMemberPinByStaff(f.context, actor, member, { pin: '135790', confirm: '135790', cardScan: '' })],
    ['reissueCard', (actor) => reissueCard(f.context, actor, member)],
    ['printableCards', (actor) => printableCards(f.context, actor, [member])],
    ['exportMemberDataWithReason', (actor) => exportMemberDataWithReason(f.context, actor, member, '本人来办')],
    ['createMemberSignIn', (actor) => createMemberSignIn(f.db, actor, { memberId: member, phone: '13600000077', temporaryPassword: 'temporary-pass-1' }, '127.0.0.1', f.clock.ms)],
    ['listElders', (actor) => listElders(f.context, actor, {})],
    ['getElder', (actor) => getElder(f.context, actor, elder)],
    ['registerElderWithCard', (actor) => registerElderWithCard(f.context, actor, { realName: '田大娘', idNumber: f.idNumber(8, '1941-06-01'), villageCode: villages.hongqi, memberCard: '', categories: ['living_alone'], consent: { givenBy: 'self', method: 'verbal' } })],
    ['updateElderCare', (actor) => updateElderCare(f.context, actor, elder, { categories: ['living_alone'], visitIntervalDays: 14 })],
    ['closeElder', (actor) => closeElder(f.context, actor, elder, '搬去县城')],
    ['teamsIndex', (actor) => teamsIndex(f.context, actor, {}, 'zh-CN')],
    ['teamPage', (actor) => teamPage(f.context, actor, team)],
    ['createTeam', (actor) => createTeam(f.context, actor, { name: '新队', sponsorUnit: '凤凰县卫健局', sponsorKind: 'member_unit', regionCode: '433123' })],
    ['addTeamMemberByCard', (actor) => addTeamMemberByCard(f.context, actor, team, s.cardNumber)],
    ['decideTeamMembership', (actor) => decideTeamMembership(f.context, actor, id ?? s.membershipId, { approve: true })],
    ['setTeamLeader', (actor) => setTeamLeader(f.context, actor, team, s.memberId)],
    ['createActivity', (actor) => createActivity(f.context, actor, team, { activityDate: '2026-11-20', place: '村部', theme: '重阳敬老' })],
  ];
}

t.test('without a staff role every people-domain function a staff page calls refuses with the 403, and writes nothing', async (t) => {
  const f = peopleFixture();
  const s = await setting(f);
  const before = written(f);
  // A clerk (a site role), and the member themself: their own record is no staff page either.
  for (const [who, actor] of [['a clerk', f.nobody], ['the member themself', s.self]] as const) {
    for (const [name, call] of staffCalls(f, s)) {
      t.equal(answer(await call(actor)), name === 'createMemberSignIn' ? 'forbidden' : '403 errors.forbidden.message', `${name}, ${who}`);
    }
    // The same 403 for an id nobody has: the refusal tells nothing about the object.
    for (const [name, call] of staffCalls(f, s, 987654)) {
      t.equal(answer(await call(actor)), name === 'createMemberSignIn' ? 'forbidden' : '403 errors.forbidden.message', `${name}, ${who}, missing object`);
    }
  }
  t.same(written(f), before, 'nothing was written');
});

t.test('a coordinator (no office role) may not found teams or choose their leader: 403 before anything else', async (t) => {
  const f = peopleFixture();
  const s = await setting(f);
  t.equal(answer(createTeam(f.context, f.coordinatorA, { name: '', sponsorUnit: '', sponsorKind: 'member_unit', regionCode: '' })), '403 errors.forbidden.message', 'not a 422 about the empty form');
  t.equal(answer(setTeamLeader(f.context, f.coordinatorA, s.teamId, null)), '403 errors.forbidden.message', 'not a 422 about the missing member');
  t.equal(answer(setTeamLeader(f.context, f.countyOffice, s.teamId, null)), '422 people.error.leader_not_member', 'an office is told to choose a member');
});

t.test('with the role, an object outside the scope is answered exactly like a missing one', async (t) => {
  const f = peopleFixture();
  const s = await setting(f);
  const before = written(f);
  const objectCalls = new Set(['reviewSelfRegistration', 'memberPage', 'changeMemberStatus', 'setMemberPinByStaff', 'reissueCard', 'printableCards', 'exportMemberDataWithReason', 'createMemberSignIn', 'getElder', 'updateElderCare', 'closeElder', 'teamPage', 'decideTeamMembership', 'createActivity']);
  const outside = staffCalls(f, s).filter(([name]) => objectCalls.has(name));
  const missing = new Map(staffCalls(f, s, 987654));
  for (const [name, call] of outside) {
    const away = answer(await call(f.coordinatorB));
    t.match(away, /^(404 |member_not_found$)/, `${name}: 404 for the coordinator of another county`);
    t.equal(away, answer(await missing.get(name)!(f.coordinatorB)), `${name}: the same as a missing one`);
  }
  t.same(written(f), before, 'nothing was written');
});

t.test('the people routes do not authorize: they parse, call the domain, render', async (t) => {
  for (const area of ['members', 'elders', 'teams']) {
    const source = readFileSync(new URL(`../../../../src/routes/people/${area}/routes.ts`, import.meta.url), 'utf8');
    t.notMatch(source, /request\.authorize\(/, `src/routes/people/${area}/routes.ts calls no request.authorize`);
  }
});

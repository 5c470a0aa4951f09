import t from 'tap';
import { listAudit } from '../../../../src/domain/audit/audit.ts';
import { teamMemberships, teams } from '../../../../src/db/schema/people.ts';
import { registerMember } from '../../../../src/domain/people/members/register.ts';
import { changeMemberStatus } from '../../../../src/domain/people/members/status.ts';
import {
  activitiesBySponsor, addTeamMember, createActivity, createTeam, decideTeamMembership, getTeam, listTeams, requestTeamMembership, setTeamLeader,
} from '../../../../src/domain/people/teams/teams.ts';
import { peopleFixture, villages } from '../fixture.ts';

t.test('teams: an office creates them; members join directly or by request; leader; activities', async (t) => {
  const f = peopleFixture();
  const member = (sequence: number, name: string, village: string = villages.hongqi) => {
    const result = registerMember(f.context, f.countyOffice, { realName: name, phone: `1360000${String(sequence).padStart(4, '0')}`, idNumber: f.idNumber(sequence, '1961-04-04'), villageCode: village });
    if (!result.ok) throw new Error(JSON.stringify(result));
    return result.value.memberId;
  };
  const a = member(1, '麻大姐');
  const b = member(2, '吴二哥', villages.dongzheng);
  const c = member(3, '龙三叔');

  const byCoordinator = createTeam(f.context, f.coordinatorA, { name: '银龄讲师团', sponsorUnit: '凤凰县教育局', sponsorKind: 'member_unit', regionCode: '433123' });
  t.equal(byCoordinator.ok ? 0 : byCoordinator.status, 403, 'coordinators do not create teams');
  const wrongRegion = createTeam(f.context, f.countyOffice, { name: '县老龄委志愿队', sponsorUnit: '凤凰县老龄委', sponsorKind: 'county_committee', regionCode: '433123100' });
  t.same(wrongRegion.ok ? null : wrongRegion.problems.map((p) => p.code), ['people.error.county_committee_region']);
  const missing = createTeam(f.context, f.countyOffice, { name: ' ', sponsorUnit: '', sponsorKind: 'other' as never, regionCode: '433123' });
  t.same(missing.ok ? null : missing.problems.map((p) => p.field), ['name', 'sponsorUnit', 'sponsorKind']);
  const otherCounty = createTeam(f.context, f.countyOffice, { name: '泸溪队', sponsorUnit: '泸溪县老龄委', sponsorKind: 'county_committee', regionCode: '433122' });
  const noRegion = createTeam(f.context, f.countyOffice, { name: '泸溪队', sponsorUnit: '泸溪县老龄委', sponsorKind: 'county_committee', regionCode: '433199' });
  // Another county answers exactly like a region that does not exist.
  t.same(otherCounty.ok ? null : [otherCounty.status, otherCounty.problems.map((p) => p.code)], [422, ['people.error.region_unknown']]);
  t.same(noRegion.ok ? null : [noRegion.status, noRegion.problems.map((p) => p.code)], [422, ['people.error.region_unknown']]);
  t.equal(f.db.select().from(teams).all().length, 0, 'refusals write nothing');

  const created = createTeam(f.context, f.countyOffice, { name: '银龄讲师团', sponsorUnit: '凤凰县教育局', sponsorKind: 'member_unit', regionCode: '433123' });
  if (!created.ok) return t.fail('create');
  const teamId = created.value.teamId;
  const duplicateName = createTeam(f.context, f.countyOffice, { name: '银龄讲师团', sponsorUnit: '凤凰县卫健局', sponsorKind: 'member_unit', regionCode: '433123' });
  t.equal(duplicateName.ok ? 0 : duplicateName.status, 409);

  t.ok(addTeamMember(f.context, f.coordinatorA, teamId, a).ok, 'the coordinator of the member village adds them');
  t.same((() => { const r = addTeamMember(f.context, f.coordinatorA, teamId, b); return r.ok ? null : [r.status, r.problems[0]!.code]; })(), [422, 'people.error.card_not_found'], "not another village's member: answered as an unknown card");
  t.equal((() => { const r = addTeamMember(f.context, f.coordinatorA, teamId, a); return r.ok ? 0 : r.status; })(), 409, 'not twice');
  t.ok(changeMemberStatus(f.context, f.coordinatorA, c, 'suspend', '核查').ok);
  const suspended = addTeamMember(f.context, f.countyOffice, teamId, c);
  t.same(suspended.ok ? null : suspended.problems[0]!.code, 'people.error.not_active', 'a suspended member cannot join');

  const asB = f.memberUser(b, villages.dongzheng);
  const request = requestTeamMembership(f.context, asB, teamId);
  if (!request.ok) return t.fail('request');
  t.equal((() => { const r = requestTeamMembership(f.context, asB, teamId); return r.ok ? 0 : r.status; })(), 409);
  t.equal((() => { const r = decideTeamMembership(f.context, f.coordinatorB, request.value.membershipId, { approve: true }); return r.ok ? 0 : r.status; })(), 404);
  const noReason = decideTeamMembership(f.context, f.countyOffice, request.value.membershipId, { approve: false, reason: '' });
  t.same(noReason.ok ? null : noReason.problems[0]!.code, 'people.error.reason_required');
  t.ok(decideTeamMembership(f.context, f.countyOffice, request.value.membershipId, { approve: true }).ok);
  t.same(
    listAudit(f.db, { regionPaths: ['/430000/433100/433123/'], includeUnscoped: false, limit: 50 }).filter((a) => a.action === 'team.member_approve').map((a) => a.regionCode),
    ['433123'],
    "the decision is filed under the team's region, so the county office sees it",
  );
  t.same(f.db.select().from(teamMemberships).all().map((m) => [m.memberId, m.status]), [[a, 'active'], [b, 'active']]);

  t.same((() => { const r = setTeamLeader(f.context, f.countyOffice, teamId, c); return r.ok ? null : r.problems[0]!.code; })(), 'people.error.leader_not_member');
  t.ok(setTeamLeader(f.context, f.countyOffice, teamId, a).ok);

  const badActivity = createActivity(f.context, f.countyOffice, teamId, { activityDate: '2026-02-30', place: '', theme: '防诈骗讲座' });
  t.same(badActivity.ok ? null : badActivity.problems.map((p) => p.code), ['people.error.activity_date_invalid', 'people.error.activity_place_required']);
  t.ok(createActivity(f.context, f.countyOffice, teamId, { activityDate: '2026-10-09', place: '红旗村文化广场', theme: '重阳节防诈骗讲座' }).ok);
  const villageCoordinator = createActivity(f.context, f.coordinatorA, teamId, { activityDate: '2025-10-09', place: '红旗村', theme: '健康科普' });
  t.equal(villageCoordinator.ok ? 0 : villageCoordinator.status, 404, 'a village coordinator cannot add activities to a county team');
  const detail = getTeam(f.context, f.countyOffice, teamId);
  t.same(detail.ok && [detail.value.leaderName, detail.value.activeMembers, detail.value.activities], ['麻大姐', 2, 1]);
});

t.test('team lists per scope and per sponsoring unit', async (t) => {
  const f = peopleFixture();
  const one = createTeam(f.context, f.countyOffice, { name: '凤凰银龄医疗队', sponsorUnit: '凤凰县卫健局', sponsorKind: 'member_unit', regionCode: '433123' });
  const two = createTeam(f.context, f.countyOffice, { name: '沱江镇互助队', sponsorUnit: '凤凰县老龄委', sponsorKind: 'member_unit', regionCode: '433123100' });
  const three = createTeam(f.context, f.admin, { name: '泸溪县老龄委银龄队', sponsorUnit: '泸溪县老龄委', sponsorKind: 'county_committee', regionCode: '433122' });
  t.ok(one.ok && two.ok && three.ok);
  if (!one.ok) return;
  t.ok(createActivity(f.context, f.countyOffice, one.value.teamId, { activityDate: '2026-03-05', place: '县医院', theme: '义诊' }).ok);
  t.ok(createActivity(f.context, f.countyOffice, one.value.teamId, { activityDate: '2025-03-05', place: '县医院', theme: '义诊' }).ok);
  const names = (actor = f.countyOffice) => { const r = listTeams(f.context, actor); return r.ok ? r.value.map((team) => team.name) : r.status; };
  t.same((names() as string[]).sort(), ['凤凰银龄医疗队', '沱江镇互助队'].sort(), 'the office sees its county teams only');
  t.same((names(f.admin) as string[]).length, 3);
  t.same(names(f.nobody), 403);
  const bySponsor = activitiesBySponsor(f.context, f.countyOffice, 2026);
  t.same(bySponsor.ok && bySponsor.value.map((row) => [row.sponsorUnit, row.teams, row.activities]), [['凤凰县卫健局', 1, 1], ['凤凰县老龄委', 1, 0]]);
  const detail = getTeam(f.context, f.countyOffice, one.value.teamId);
  t.same(detail.ok && detail.value.activityList.map((a) => a.activityDate), ['2026-03-05', '2025-03-05']);
  t.equal((() => { const r = getTeam(f.context, f.coordinatorB, one.value.teamId); return r.ok ? 0 : r.status; })(), 404);
});

t.test("members join teams of their own area only; a village coordinator cannot pull them into another county's team", async (t) => {
  const f = peopleFixture();
  const member = registerMember(f.context, f.coordinatorA, { realName: '龙一', phone: '13600009991', idNumber: f.idNumber(9, '1961-04-04'), villageCode: villages.hongqi });
  if (!member.ok) return t.fail('register');
  const luxi = createTeam(f.context, f.admin, { name: '泸溪县银龄队', sponsorUnit: '泸溪县老龄委', sponsorKind: 'county_committee', regionCode: '433122' });
  const fenghuang = createTeam(f.context, f.admin, { name: '凤凰县银龄队', sponsorUnit: '凤凰县老龄委', sponsorKind: 'county_committee', regionCode: '433123' });
  if (!luxi.ok || !fenghuang.ok) return t.fail('teams');
  const self = f.memberUser(member.value.memberId, villages.hongqi);
  const elsewhere = requestTeamMembership(f.context, self, luxi.value.teamId);
  t.equal(elsewhere.ok ? 0 : elsewhere.status, 404, "another county's team is not offered");
  const pulled = addTeamMember(f.context, f.coordinatorA, luxi.value.teamId, member.value.memberId);
  t.equal(pulled.ok ? 0 : pulled.status, 404, "the member's coordinator cannot add them to another county's team");
  t.ok(addTeamMember(f.context, f.coordinatorA, fenghuang.value.teamId, member.value.memberId).ok, 'but can to a team of their county');
  t.ok(addTeamMember(f.context, f.admin, luxi.value.teamId, member.value.memberId).ok, 'an office over the team region can add anyone');
});

t.test("a county office cannot add a member of another county to its team by card number", async (t) => {
  const f = peopleFixture();
  const team = createTeam(f.context, f.countyOffice, { name: '凤凰县银龄队', sponsorUnit: '凤凰县老龄委', sponsorKind: 'county_committee', regionCode: '433123' });
  if (!team.ok) return t.fail('team');
  // A member of 泸溪县 (433122), registered by the province admin.
  const outsider = registerMember(f.context, f.admin, { realName: '外县人', phone: '13600009992', idNumber: f.idNumber(10, '1960-05-05', '433122'), villageCode: villages.xinqiao });
  if (!outsider.ok) return t.fail(JSON.stringify(outsider));
  const before = f.db.select().from(teamMemberships).all().length;
  const refused = addTeamMember(f.context, f.countyOffice, team.value.teamId, outsider.value.memberId);
  t.same(refused.ok ? null : [refused.status, refused.problems[0]!.code], [422, 'people.error.card_not_found'], 'answered as a card that does not exist');
  t.equal(f.db.select().from(teamMemberships).all().length, before, 'nothing written');
  const insider = registerMember(f.context, f.countyOffice, { realName: '本县人', phone: '13600009993', idNumber: f.idNumber(11, '1960-06-06'), villageCode: villages.hongqi });
  if (!insider.ok) return t.fail('insider');
  t.ok(addTeamMember(f.context, f.countyOffice, team.value.teamId, insider.value.memberId).ok, 'a member of the county is added');
});

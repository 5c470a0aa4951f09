import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { regions, settings, users } from '../../db/schema/core.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';
import { demoIdNumber } from './id-numbers.ts';
import type { Actor, Outcome, PeopleContext } from '../people/members/context.ts';
import { registerElder } from '../people/elders/register.ts';
import { registerMember, selfRegisterMember } from '../people/members/register.ts';
import { addTeamMember, createActivity, createTeam, setTeamLeader } from '../people/teams/teams.ts';
import { actorOf } from '../auth/users.ts';
import { present } from '../../lib/assert.ts';

const seededKey = 'demo.people_seeded_at_ms';

const surnames = ['龙', '吴', '石', '麻', '杨', '田', '向', '彭', '滕', '张', '欧阳', '单'];
const givenNames = ['秀英', '桂花', '金生', '玉兰', '德明', '春梅', '老三', '银花', '建国', '翠莲', '光荣', '凤英'];
/** Given names read as men's; the others as women's. The ID number's gender digit follows the name. */
const mensNames = new Set(['金生', '德明', '老三', '建国', '光荣']);

/** Villages that get demo members, with how many each. */
const memberVillages: [string, number][] = [
  ['433123101001', 8], // 凤凰县 山江镇 老家寨村 (the demo coordinator's township)
  ['433123101002', 6], // 黄茅坪村
  ['433123102001', 4], // 阿拉营镇 天星村
  ['433123100001', 4], // 沱江镇 虹桥社区
  ['430524101001', 6], // 隆回县 旺溪村
  ['430524101002', 4], // 白竹坪村
  ['433101001001', 4], // 吉首市 世纪社区
];

const elderSeeds: { village: string; categories: string[]; birth: string; family: [string, string, string] }[] = [
  { village: '433123101001', categories: ['living_alone', 'advanced_age'], birth: '1940-03-12', family: ['龙大明', '儿子', '13917000001'] },
  { village: '433123101001', categories: ['empty_nest', 'minimum_allowance'], birth: '1948-07-01', family: ['吴小芳', '女儿', '13917000002'] },
  { village: '433123101001', categories: ['semi_disabled', 'left_behind'], birth: '1951-10-20', family: ['石建军', '侄子', '13917000003'] },
  { village: '433123101002', categories: ['living_alone', 'extreme_poverty'], birth: '1944-01-30', family: ['麻春生', '儿子', '13917000004'] },
  { village: '433123101002', categories: ['severe_disability', 'advanced_age'], birth: '1937-05-05', family: ['杨秀梅', '女儿', '13917000005'] },
  { village: '433123101002', categories: ['family_planning_special', 'empty_nest'], birth: '1955-09-09', family: ['田国庆', '侄子', '13917000006'] },
  { village: '433123102001', categories: ['left_behind'], birth: '1953-12-24', family: ['向红', '孙女', '13917000007'] },
  { village: '433123102001', categories: ['disabled', 'minimum_allowance'], birth: '1946-02-14', family: ['彭立新', '儿子', '13917000008'] },
  { village: '430524101001', categories: ['living_alone', 'advanced_age'], birth: '1939-08-15', family: ['滕小兵', '儿子', '13917000009'] },
  { village: '430524101001', categories: ['empty_nest'], birth: '1957-04-04', family: ['张丽', '女儿', '13917000010'] },
  { village: '430524101002', categories: ['extreme_poverty', 'living_alone'], birth: '1949-06-18', family: ['欧阳军', '外甥', '13917000011'] },
  { village: '433101001001', categories: ['empty_nest', 'advanced_age'], birth: '1942-11-11', family: ['单文', '儿子', '13917000012'] },
];

function must<T>(outcome: Outcome<T>, what: string): T {
  if (!outcome.ok) throw new Error(`demo people seed: ${what}: ${outcome.problems.map((problem) => problem.code).join(', ')}`);
  return outcome.value;
}

/**
 * Demo members, a pending self-registration, registered elders (some with
 * health categories and their separate consent), and silver-age teams with
 * themed activities, in the demo villages. Runs once: a second call, or a
 * database without the demo regions, writes nothing and returns false.
 */
export function seedPeople(db: Db, keys: PeopleKeys, nowMs: number = Date.now()): boolean {
  if (db.select().from(settings).where(eq(settings.key, seededKey)).get()) return false;
  if (!db.select().from(regions).where(eq(regions.code, '433123101001')).get()) return false;
  const adminUser = db.select({ id: users.id }).from(users).where(eq(users.phone, '13800000006')).get();
  if (!adminUser) return false;
  const context: PeopleContext = { db, keys, now: () => nowMs };
  const admin: Actor = actorOf(db, adminUser.id);

  const memberIds: Record<string, number[]> = {};
  let index = 0;
  for (const [village, howMany] of memberVillages) {
    for (let number = 0; number < howMany; number += 1) {
      index += 1;
      const givenName = present(givenNames[(index * 5) % givenNames.length], 'given names are listed');
      const name = present(surnames[index % surnames.length], 'surnames are listed') + givenName;
      const birth = `${1950 + (index % 20)}-${String(1 + (index % 12)).padStart(2, '0')}-${String(1 + (index % 27)).padStart(2, '0')}`;
      const registered = must(registerMember(context, admin, {
        realName: name,
        // Every fourth member has no phone, like many villagers.
        phone: index % 4 === 0 ? null : `1391234${String(index).padStart(4, '0')}`,
        idNumber: demoIdNumber(village.slice(0, 6), birth, 200 + 2 * index, mensNames.has(givenName) ? 'male' : 'female'),
        villageCode: village,
      }), name);
      (memberIds[village] ??= []).push(registered.memberId);
    }
  }
  must(selfRegisterMember(context, { realName: '吴春花', phone: '13912349001', idNumber: demoIdNumber('433123', '1961-03-08', 298, 'female'), villageCode: '433123101001' }), 'self-registration');

  for (const [position, elder] of elderSeeds.entries()) {
    // Registered over the last weeks (every fourth today), so the never-visited are due and the coverage page has work to show.
    const registeredDaysAgo = position % 4 === 3 ? 0 : 10 + position * 6;
    const elderContext: PeopleContext = { db, keys, now: () => nowMs - registeredDaysAgo * 24 * 3600_000 };
    const name = present(surnames[(position + 3) % surnames.length], 'surnames are listed') + present(['阿婆', '阿公', '奶奶', '爷爷'][position % 4], 'four forms of address');
    const sensitive = elder.categories.some((category) => ['disabled', 'semi_disabled', 'severe_disability'].includes(category));
    must(registerElder(elderContext, admin, {
      realName: name,
      idNumber: demoIdNumber(elder.village.slice(0, 6), elder.birth, 400 + position, position % 2 === 1 ? 'male' : 'female'),
      villageCode: elder.village,
      categories: elder.categories,
      visitIntervalDays: elder.categories.includes('advanced_age') ? 14 : 30,
      familyContactName: elder.family[0],
      familyContactRelation: elder.family[1],
      familyContactPhone: elder.family[2],
      consent: { givenBy: position % 3 === 0 ? 'family' : 'self', givenByName: position % 3 === 0 ? elder.family[0] : null, method: 'written' },
      sensitiveConsent: sensitive ? { givenBy: 'family', givenByName: elder.family[0], method: 'written' } : null,
    }), name);
  }

  const teams: { name: string; sponsorUnit: string; sponsorKind: 'member_unit' | 'county_committee'; regionCode: string; villages: string[]; activities: [string, string, string][] }[] = [
    { name: '凤凰县银龄医疗服务队', sponsorUnit: '凤凰县卫生健康局', sponsorKind: 'member_unit', regionCode: '433123', villages: ['433123101001', '433123101002'],
      activities: [['2026-03-05', '山江镇卫生院', '学雷锋义诊'], ['2026-10-29', '老家寨村文化广场', '重阳节健康义诊']] },
    { name: '凤凰县老龄委银龄志愿服务队', sponsorUnit: '凤凰县老龄委', sponsorKind: 'county_committee', regionCode: '433123', villages: ['433123102001', '433123100001'],
      activities: [['2026-06-15', '阿拉营镇天星村', '防范养老诈骗宣讲']] },
    { name: '隆回县银龄讲师团', sponsorUnit: '隆回县教育局', sponsorKind: 'member_unit', regionCode: '430524', villages: ['430524101001', '430524101002'],
      activities: [['2026-09-10', '旺溪村小学', '教师节传统文化课']] },
    { name: '吉首市银龄文艺队', sponsorUnit: '吉首市文化旅游广电局', sponsorKind: 'member_unit', regionCode: '433101', villages: ['433101001001'], activities: [] },
  ];
  for (const team of teams) {
    const teamId = must(createTeam(context, admin, { name: team.name, sponsorUnit: team.sponsorUnit, sponsorKind: team.sponsorKind, regionCode: team.regionCode }), team.name).teamId;
    const joined = team.villages.flatMap((village) => (memberIds[village] ?? []).slice(0, 3));
    for (const memberId of joined) must(addTeamMember(context, admin, teamId, memberId), `${team.name} member`);
    if (joined[0] !== undefined) must(setTeamLeader(context, admin, teamId, joined[0]), `${team.name} leader`);
    for (const [activityDate, place, theme] of team.activities) must(createActivity(context, admin, teamId, { activityDate, place, theme }), theme);
  }
  db.insert(settings).values({ key: seededKey, value: String(nowMs), updatedAtMs: nowMs }).run();
  return true;
}

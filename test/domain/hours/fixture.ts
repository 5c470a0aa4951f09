import { randomUUID } from 'node:crypto';
import { openDatabase, type Db } from '../../../src/db/client.ts';
import { regions, userRoles, users } from '../../../src/db/schema/core.ts';
import { teamActivities, teams } from '../../../src/db/schema/people.ts';
import type { Actor } from '../../../src/domain/access/authorize.ts';
import { actorOf } from '../../../src/domain/auth/users.ts';
import { registerElder } from '../../../src/domain/people/elders/register.ts';
import type { PeopleContext } from '../../../src/domain/people/members/context.ts';
import type { Role as RoleName } from '../../../src/domain/access/authorize.ts';
import { registerMember } from '../../../src/domain/people/members/register.ts';
import type { DomainContext } from '../../../src/domain/kernel/context.ts';
import { seedFirstStandard } from '../../../src/domain/hours/first-standard.ts';
import type { LogInput } from '../../../src/domain/hours/log.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { instants } from '../../helpers/clock.ts';
import { testPeopleKeys } from '../../helpers/crypto-profile.ts';
import { actorWithRoles } from '../../helpers/actor.ts';

/** 2026-11-23 10:00 in Shanghai (02:00 UTC). */
export const startMs = instants.suiteDefault;

export const villages = {
  laojiazhai: '433123101001',
  huangmaoping: '433123101002',
  xinqiao: '433122100201',
} as const;

function region(code: string, parentCode: string | null, level: 'province' | 'city' | 'county' | 'township' | 'village', nameZh: string, path: string) {
  return { code, parentCode, level, nameZh, nameEn: `${nameZh} (en)`, rural: level === 'village' ? true : null, path, createdAtMs: startMs };
}

export interface HoursFixture {
  db: Db;
  clock: { ms: number };
  /** The one domain context (with its clock always set, so a test may hand it to the ledger). */
  context: Required<DomainContext>;
  people: PeopleContext;
  /** Coordinator of 山江镇 (both villages of 凤凰县 below). */
  coordinator: Actor;
  /** A second coordinator of the same township. */
  coordinator2: Actor;
  /** Coordinator in 泸溪县: out of scope for 凤凰县 records. */
  otherCoordinator: Actor;
  admin: Actor;
  countyOffice: Actor;
  volunteer: Actor;
  volunteerMemberId: number;
  /** A member without a phone login. */
  villagerMemberId: number;
  /** An elder who is also a member with a card. */
  elderId: number;
  elderCardNumber: string;
  elderMemberId: number;
  /** An elder in the registry who is not a member. */
  elder2Id: number;
  /** An elder record of the volunteer themself. */
  selfElderId: number;
  teamId: number;
  activityId: number;
  /** A fresh idempotency key. */
  key: () => string;
  /** A valid logging form for the volunteer: a 60-minute visit yesterday. */
  visit: (overrides?: Partial<LogInput>) => LogInput;
}

function addUser(db: Db, name: string, phone: string, role: RoleName, regionCode: string, memberId: number | null = null): Actor {
  const user = db.insert(users).values({ phone, displayName: name, passwordHash: 'x', memberId, createdAtMs: startMs, passwordChangedAtMs: startMs }).returning({ id: users.id }).get();
  db.insert(userRoles).values({ userId: user.id, role, regionCode, grantedAtMs: startMs }).run();
  return actorOf(db, user.id);
}

export function hoursFixture(): HoursFixture {
  const db = openDatabase(':memory:');
  db.insert(regions).values([
    region('430000', null, 'province', '湖南省', '/430000/'),
    region('433100', '430000', 'city', '湘西州', '/430000/433100/'),
    region('433123', '433100', 'county', '凤凰县', '/430000/433100/433123/'),
    region('433123101', '433123', 'township', '山江镇', '/430000/433100/433123/433123101/'),
    region(villages.laojiazhai, '433123101', 'village', '老家寨村', `/430000/433100/433123/433123101/${villages.laojiazhai}/`),
    region(villages.huangmaoping, '433123101', 'village', '黄茅坪村', `/430000/433100/433123/433123101/${villages.huangmaoping}/`),
    region('433122', '433100', 'county', '泸溪县', '/430000/433100/433122/'),
    region('433122100', '433122', 'township', '白沙镇', '/430000/433100/433122/433122100/'),
    region(villages.xinqiao, '433122100', 'village', '新桥村', `/430000/433100/433122/433122100/${villages.xinqiao}/`),
  ]).run();
  const clock = { ms: startMs };
  const now = () => clock.ms;
  const context = { db, keys: testPeopleKeys(), now };
  const people: PeopleContext = context;
  const admin = addUser(db, '张明', '13900000001', 'admin', '430000');
  const peopleAdmin = actorWithRoles(db, { userId: admin.userId, roles: [{ role: 'admin' as const, regionCode: '430000' }] });
  const member = (name: string, sequence: number, village: string, phone: string | null) => {
    const result = registerMember(people, peopleAdmin, { realName: name, phone, idNumber: makeIdNumber('433123', '1958-03-07', sequence), villageCode: village });
    if (!result.ok) throw new Error(`fixture member: ${JSON.stringify(result.problems)}`);
    return result.value;
  };
  const volunteerMember = member('王秀英', 11, villages.laojiazhai, '13700000001');
  const villager = member('石老三', 12, villages.laojiazhai, null);
  const elderMember = member('龙奶奶', 13, villages.laojiazhai, null);
  const elder = (name: string, sequence: number, village: string, memberId: number | null) => {
    const result = registerElder(people, peopleAdmin, {
      realName: name, idNumber: makeIdNumber('433123', '1940-05-01', sequence), villageCode: village, memberId, categories: ['living_alone'],
      visitIntervalDays: 30, consent: { givenBy: 'self', method: 'written' },
    });
    if (!result.ok) throw new Error(`fixture elder: ${JSON.stringify(result.problems)}`);
    return result.value.elderId;
  };
  const elderId = elder('龙奶奶', 13, villages.laojiazhai, elderMember.memberId);
  const elder2Id = elder('吴爷爷', 21, villages.huangmaoping, null);
  const selfElderId = elder('王秀英', 11, villages.laojiazhai, volunteerMember.memberId);
  const coordinator = addUser(db, '龙德福', '13900000002', 'coordinator', '433123101');
  const coordinator2 = addUser(db, '麻建华', '13900000003', 'coordinator', '433123101');
  const otherCoordinator = addUser(db, '泸溪协管员', '13900000004', 'coordinator', '433122');
  const countyOffice = addUser(db, '田建国', '13900000005', 'office', '433123');
  const volunteer = addUser(db, '王秀英', '13700000001', 'volunteer', villages.laojiazhai, volunteerMember.memberId);
  const team = db.insert(teams).values({ name: '山江银龄服务队', sponsorUnit: '凤凰县老龄委', sponsorKind: 'county_committee', regionCode: '433123101', createdAtMs: startMs, updatedAtMs: startMs }).returning({ id: teams.id }).get();
  const activity = db.insert(teamActivities).values({ teamId: team.id, activityDate: '2026-11-23', place: '老家寨村文化广场', theme: '重阳敬老文艺汇演', createdAtMs: startMs }).returning({ id: teamActivities.id }).get();
  seedFirstStandard(db, '2026-01-01', startMs, admin.userId);
  return {
    db, clock, context, people, coordinator, coordinator2, otherCoordinator, admin, countyOffice, volunteer,
    volunteerMemberId: volunteerMember.memberId, villagerMemberId: villager.memberId,
    elderId, elderCardNumber: elderMember.cardNumber!, elderMemberId: elderMember.memberId, elder2Id, selfElderId,
    teamId: team.id, activityId: activity.id,
    key: () => randomUUID(),
    visit: (overrides = {}) => ({
      idempotencyKey: randomUUID(), serviceTypeCode: 'visit', elderId, date: '2026-11-22', startTime: '09:00', endTime: '10:00', note: '聊天、打扫院子',
      ...overrides,
    }),
  };
}

export function count(db: Db, table: string): number {
  return (db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

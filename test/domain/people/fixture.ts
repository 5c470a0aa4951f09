import { openDatabase, type Db } from '../../../src/db/client.ts';
import { regions, userRoles, users } from '../../../src/db/schema/core.ts';
import type { Role } from '../../../src/domain/access/authorize.ts';
import { actorOf } from '../../../src/domain/auth/users.ts';
import type { Actor, PeopleContext } from '../../../src/domain/people/members/context.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { instants } from '../../helpers/clock.ts';
import { testPeopleKeys } from '../../helpers/crypto-profile.ts';

/** 2026-11-23 10:00 in Shanghai. */
export const fixedNowMs = instants.suiteDefault;

export const villages = {
  /** 凤凰县 > 沱江镇 > 红旗村 (coordinator A's village) */
  hongqi: '433123100201',
  /** 凤凰县 > 沱江镇 > 东正村 (same township, not coordinator A's) */
  dongzheng: '433123100202',
  /** 泸溪县 > 白沙镇 > 新桥村 (coordinator B's village) */
  xinqiao: '433122100201',
} as const;

function region(code: string, parentCode: string | null, level: 'province' | 'city' | 'county' | 'township' | 'village', nameZh: string, path: string) {
  return { code, parentCode, level, nameZh, nameEn: null, rural: level === 'village' ? true : null, path, createdAtMs: fixedNowMs };
}

export interface PeopleFixture {
  db: Db;
  context: PeopleContext;
  clock: { ms: number };
  coordinatorA: Actor;
  coordinatorB: Actor;
  countyOffice: Actor;
  admin: Actor;
  nobody: Actor;
  idNumber: (sequence: number, birthDate?: string, addressCode?: string) => string;
  /** A sign-in for a member (volunteer role in their village). */
  memberUser: (memberId: number, villageCode: string) => Actor;
}

let nextUserId = 1;

function addUser(db: Db, name: string, role: Role, regionCode: string): Actor {
  const id = nextUserId++;
  db.insert(users).values({ id, phone: `1990000${String(id).padStart(4, '0')}`, displayName: name, passwordHash: 'x', createdAtMs: fixedNowMs, passwordChangedAtMs: fixedNowMs }).run();
  db.insert(userRoles).values({ userId: id, role, regionCode, grantedAtMs: fixedNowMs }).run();
  return actorOf(db, id);
}

export function peopleFixture(): PeopleFixture {
  nextUserId = 1;
  const db = openDatabase(':memory:');
  db.insert(regions).values([
    region('430000', null, 'province', '湖南省', '/430000/'),
    region('433100', '430000', 'city', '湘西土家族苗族自治州', '/430000/433100/'),
    region('433123', '433100', 'county', '凤凰县', '/430000/433100/433123/'),
    region('433123100', '433123', 'township', '沱江镇', '/430000/433100/433123/433123100/'),
    region(villages.hongqi, '433123100', 'village', '红旗村', '/430000/433100/433123/433123100/433123100201/'),
    region(villages.dongzheng, '433123100', 'village', '东正村', '/430000/433100/433123/433123100/433123100202/'),
    region('433122', '433100', 'county', '泸溪县', '/430000/433100/433122/'),
    region('433122100', '433122', 'township', '白沙镇', '/430000/433100/433122/433122100/'),
    region(villages.xinqiao, '433122100', 'village', '新桥村', '/430000/433100/433122/433122100/433122100201/'),
  ]).run();
  const clock = { ms: fixedNowMs };
  const context: PeopleContext = {
    db,
    keys: testPeopleKeys(),
    now: () => clock.ms,
  };
  return {
    db,
    context,
    clock,
    coordinatorA: addUser(db, 'coordinator A', 'coordinator', villages.hongqi),
    coordinatorB: addUser(db, 'coordinator B', 'coordinator', villages.xinqiao),
    countyOffice: addUser(db, 'Fenghuang office', 'office', '433123'),
    admin: addUser(db, 'admin', 'admin', '430000'),
    nobody: { userId: 999, memberId: null, grants: [{ role: 'clerk', regionCode: null, regionPath: null, siteId: 1 }] },
    idNumber: (sequence, birthDate = '1958-03-07', addressCode = '433123') => makeIdNumber(addressCode, birthDate, sequence),
    memberUser: (memberId, villageCode) => ({ ...addUser(db, `member ${memberId}`, 'volunteer', villageCode), memberId }),
  };
}

import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { regions, userRoles, users } from '../../../src/db/schema/core.ts';
import { allowsRegion, ownsMember, permission, type Actor } from '../../../src/domain/access/authorize.ts';
import { actorOf } from '../../../src/domain/auth/users.ts';
import { instants } from '../../helpers/clock.ts';

const atMs = instants.suiteDefault;
const canManage = permission('test.manage', ['coordinator', 'office', 'admin']);

t.test('the own-member rule: a member reaches their own record whatever their roles, nobody else does', async (t) => {
  const member: Actor = { userId: 1, memberId: 42, grants: [] };
  t.ok(ownsMember(member, 42), 'their own member id');
  t.notOk(ownsMember(member, 43), 'another member');
  const staffOnly: Actor = { userId: 2, memberId: null, grants: [] };
  const noMemberId: Actor = { userId: 3, grants: [] };
  t.notOk(ownsMember(staffOnly, 42), 'a staff sign-in with no member record');
  t.notOk(ownsMember(noMemberId, 42), 'an actor built without a member id');
  t.notOk(ownsMember(null, 42), 'nobody signed in');
});

t.test('allowsRegion: the permission\'s roles over the region subtree, as the people features check villages', async (t) => {
  const coordinator: Actor = { userId: 1, grants: [{ role: 'coordinator', regionCode: '433123101', regionPath: '/430000/433100/433123/433123101/', siteId: null }] };
  t.ok(allowsRegion(coordinator, canManage, '/430000/433100/433123/433123101/433123101001/'), 'a village of their township');
  t.notOk(allowsRegion(coordinator, canManage, '/430000/433100/433123/433123102/433123102001/'), 'a village of another township');
  const volunteer: Actor = { userId: 2, memberId: 9, grants: [{ role: 'volunteer', regionCode: '433123101', regionPath: '/430000/433100/433123/433123101/', siteId: null }] };
  t.notOk(allowsRegion(volunteer, canManage, '/430000/433100/433123/433123101/433123101001/'), 'a role the permission does not name');
  t.notOk(allowsRegion(null, canManage, '/430000/'), 'nobody signed in (the public form)');
});

t.test('actorOf: the one actor carries the member id from the user row, resolved region paths, the locale and the address', async (t) => {
  const db = openDatabase(':memory:');
  db.insert(regions).values([
    { code: '430000', parentCode: null, level: 'province', nameZh: '湖南省', nameEn: 'Hunan', path: '/430000/', createdAtMs: atMs },
    { code: '433100', parentCode: '430000', level: 'city', nameZh: '湘西州', nameEn: 'Xiangxi', path: '/430000/433100/', createdAtMs: atMs },
  ]).run();
  const office = db.insert(users).values({ phone: '13700000006', displayName: '张明', passwordHash: 'x', createdAtMs: atMs, passwordChangedAtMs: atMs }).returning({ id: users.id }).get();
  db.insert(userRoles).values({ userId: office.id, role: 'office', regionCode: '433100', grantedAtMs: atMs }).run();
  const staff = actorOf(db, office.id, { locale: 'en', ipAddress: '192.0.2.1' });
  t.same(staff, { userId: office.id, memberId: null, locale: 'en', ipAddress: '192.0.2.1', grants: [{ role: 'office', regionCode: '433100', regionPath: '/430000/433100/', siteId: null }] });
  t.equal(actorOf(db, office.id).ipAddress, null, 'no request: no address');
  const member = db.insert(users).values({ phone: '13700000001', displayName: '王秀英', passwordHash: 'x', memberId: 42, createdAtMs: atMs, passwordChangedAtMs: atMs }).returning({ id: users.id }).get();
  t.equal(actorOf(db, member.id).memberId, 42, 'a member sign-in carries its member id: no domain function reads the user row again');
  t.equal(actorOf(db, 999).memberId, null, 'an unknown user has no member id');
});

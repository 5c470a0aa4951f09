import { test } from 'tap';
import { asc, eq } from 'drizzle-orm';
import { openDatabase } from '../../../src/db/client.ts';
import { regions, userRoles, users } from '../../../src/db/schema/core.ts';
import { actorOf, findUser, grantsOf } from '../../../src/domain/auth/users.ts';
import { seedDemo } from '../../../src/domain/demo/seed.ts';

// The reads every request makes (the session's user, grants and member id) are
// raw SQL on the connection's statement cache. They must answer exactly what
// the drizzle queries they replace answer, for every user, so a column added
// to the schema but not to the SQL fails here.

test('findUser, grantsOf and the actor\'s member id answer what drizzle answers', async (t) => {
  const db = openDatabase(':memory:');
  t.teardown(() => db.$client.close());
  await seedDemo(db, Date.UTC(2026, 2, 14, 2, 0, 0));
  const ids = db.select({ id: users.id }).from(users).all().map((row) => row.id);
  t.ok(ids.length >= 6, 'the demo network has users');
  db.update(users).set({ mustChangePassword: true }).where(eq(users.id, ids[0]!)).run();
  for (const id of ids) {
    t.strictSame(findUser(db, id), db.select().from(users).where(eq(users.id, id)).get(), `user ${id}`);
    t.strictSame(grantsOf(db, id), db
      .select({ role: userRoles.role, regionCode: userRoles.regionCode, regionPath: regions.path, siteId: userRoles.siteId })
      .from(userRoles).leftJoin(regions, eq(regions.code, userRoles.regionCode)).where(eq(userRoles.userId, id)).orderBy(asc(userRoles.id)).all(), `grants of ${id}`);
    t.equal(actorOf(db, id).memberId, db.select({ memberId: users.memberId }).from(users).where(eq(users.id, id)).get()!.memberId, `member of ${id}`);
  }
  t.equal(findUser(db, ids[0]!)!.mustChangePassword, true, 'booleans come back as booleans');
  t.equal(findUser(db, ids[1]!)!.mustChangePassword, false);
  t.equal(findUser(db, 999_999), undefined);
  t.same(grantsOf(db, 999_999), []);
  t.equal(actorOf(db, 999_999).memberId, null);
});

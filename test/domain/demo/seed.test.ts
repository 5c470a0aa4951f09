import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { seedDemo } from '../../../src/domain/demo/seed.ts';
import { count } from '../../helpers/web.ts';

t.test('the demo seeds an empty database once and a second start keeps data', async (t) => {
  const db = openDatabase(':memory:');
  t.equal(await seedDemo(db, 1_000), true);
  const regions = count(db, 'regions');
  const users = count(db, 'users');
  t.ok(regions >= 40, `${regions} regions`);
  t.equal(users, 6);
  const roles = db.$client.prepare('SELECT role FROM user_roles ORDER BY role').all().map((row) => (row as { role: string }).role);
  t.same(roles, ['admin', 'clerk', 'coordinator', 'office', 'office', 'volunteer']);
  for (const code of ['433101', '433122', '433123', '433124', '433125', '433126', '433127', '433130', '430502', '430503', '430511', '430522', '430523', '430524', '430525', '430527', '430528', '430529', '430581', '430582']) {
    t.ok(db.$client.prepare('SELECT 1 FROM regions WHERE code = ? AND level = ?').get(code, 'county'), `county ${code}`);
  }
  const badPaths = db.$client.prepare("SELECT code FROM regions WHERE path NOT LIKE '%/' || code || '/'").all();
  t.same(badPaths, [], 'every path ends with its code');
  db.$client.prepare("INSERT INTO regions (code, parent_code, level, name_zh, path, created_at_ms) VALUES ('433123109', '433123', 'township', '测试镇', '/430000/433100/433123/433123109/', 2)").run();
  t.equal(await seedDemo(db, 2_000), false, 'the second run does nothing');
  t.equal(count(db, 'regions'), regions + 1, 'data added after the seed is kept');
  t.equal(count(db, 'users'), users);
});

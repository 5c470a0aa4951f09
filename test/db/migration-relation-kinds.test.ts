import { join } from 'node:path';
import t from 'tap';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { migrationsFolder, openDatabase } from '../../src/db/client.ts';
import { migrationsBefore } from '../helpers/migrations.ts';
import { isSpouseOrLineal } from '../../src/domain/redemption/policy-rules.ts';
import type { RelationKind } from '../../src/db/schema/redemption.ts';

/**
 * The relation-kinds migration on a database written before it: each
 * registered relation gets a kind from the words typed until then, read as
 * the gift rule read them (collateral and in-law words first), so no pair
 * changes whether it counts as spouse or lineal; then godparent and sworn kin
 * (干亲、义亲) become 'other' with an audit entry each (migration 0035).
 */
const expected: [string, RelationKind][] = [
  ['夫妻', 'spouse'], ['老伴', 'spouse'], ['丈夫', 'spouse'], ['父女', 'parent_child'], ['母子', 'parent_child'], ['儿子', 'parent_child'],
  ['祖孙', 'grandparent_grandchild'], ['外婆', 'grandparent_grandchild'], ['孙女', 'grandparent_grandchild'],
  ['兄妹', 'sibling'], ['姐妹', 'sibling'], ['女婿', 'in_law'], ['儿媳', 'in_law'], ['岳父', 'in_law'], ['孙媳妇', 'in_law'],
  ['姐夫', 'in_law'], ['叔侄', 'other'], ['表兄', 'other'], ['堂妹', 'other'], ['邻居', 'other'],
  // Godparent and sworn kin are not relatives in law (migration 0035): 'other' whatever their other words say.
  ['干女儿', 'other'], ['义父', 'other'], ['干孙子', 'other'], ['干姐妹', 'other'],
];

t.test('existing relations are classified by the words the rule read; whether a pair counts does not change', async (t) => {
  const dir = t.testdir();
  const db = openDatabase(join(dir, 'legacy.db'), { migrate: false });
  t.teardown(() => db.$client.close());
  migrate(db, { migrationsFolder: migrationsBefore(dir, 'relation_kinds') });
  db.$client.pragma('foreign_keys = OFF');
  const insert = db.$client.prepare('INSERT INTO member_relatives (member_id, relative_member_id, relation, registered_at_ms) VALUES (?, ?, ?, 1700000000000)');
  expected.forEach(([relation], index) => insert.run(index + 1, index + 1001, relation));
  migrate(db, { migrationsFolder });
  const kinds = db.$client.prepare('SELECT relation, kind FROM member_relatives ORDER BY id').all() as { relation: string; kind: RelationKind }[];
  t.same(kinds.map((row) => [row.relation, row.kind]), expected, 'each typed relation has its kind; the words are kept for display');
  const counting = kinds.filter((row) => isSpouseOrLineal(row.kind)).map((row) => row.relation);
  t.same(counting, ['夫妻', '老伴', '丈夫', '父女', '母子', '儿子', '祖孙', '外婆', '孙女'], 'the same pairs count as spouse or lineal as before, except godparent and sworn kin');
  const audited = db.$client.prepare("SELECT object_id AS memberId, actor_user_id AS actor, detail FROM audit_log WHERE action = 'relatives.kind_reclassified' ORDER BY id").all() as { memberId: string; actor: number | null; detail: string }[];
  t.same(audited.map((row) => [row.memberId, row.actor, JSON.parse(row.detail)]), [
    ['21', null, { relativeMemberId: 1021, relation: '干女儿', from: 'parent_child', to: 'other' }],
    ['22', null, { relativeMemberId: 1022, relation: '义父', from: 'parent_child', to: 'other' }],
    ['23', null, { relativeMemberId: 1023, relation: '干孙子', from: 'grandparent_grandchild', to: 'other' }],
    ['24', null, { relativeMemberId: 1024, relation: '干姐妹', from: 'sibling', to: 'other' }],
  ], 'each reclassified relation is in the audit log with its old kind, by no one (the migration)');
  t.throws(() => db.$client.prepare("UPDATE member_relatives SET kind = 'cousin' WHERE id = 1").run(), /CHECK constraint failed/, 'only the listed kinds');
});

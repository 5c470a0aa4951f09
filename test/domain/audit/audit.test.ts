import { test } from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { audit, recordAudit } from '../../../src/domain/audit/audit.ts';

// src/domain/audit is the one audit writer. Its three call shapes (an entry on
// a drizzle database, the same on the raw connection the reports domain uses,
// and the context-shaped audit() of the people and redemption domains) must
// write the same row for the same facts, and a write inside a transaction must
// roll back with it.

const atMs = Date.UTC(2026, 2, 14, 2, 0, 0); // 2026-03-14 10:00 in Shanghai
const columns = 'at_ms AS atMs, action, actor_user_id AS actorUserId, object_type AS objectType, object_id AS objectId, region_code AS regionCode, ip_address AS ipAddress, detail';

test('every call shape writes the same row', (t) => {
  const db = openDatabase(':memory:');
  t.teardown(() => db.$client.close());
  const facts = { action: 'site.register', actorUserId: 7, objectType: 'site', objectId: 12, regionCode: '433123101001', detail: { kind: 'canteen' } };
  recordAudit(db, facts, atMs);
  recordAudit(db.$client, facts, atMs);
  audit({ db, now: () => atMs }, { userId: 7 }, 'site.register', 'site', 12, '433123101001', { kind: 'canteen' });
  const rows = db.$client.prepare(`SELECT ${columns} FROM audit_log ORDER BY id`).all();
  const expected = { atMs, action: 'site.register', actorUserId: 7, objectType: 'site', objectId: '12', regionCode: '433123101001', ipAddress: null, detail: '{"kind":"canteen"}' };
  t.same(rows, [expected, expected, expected]);
  t.end();
});

test('missing facts are written as NULL, an address when the actor carries one', (t) => {
  const db = openDatabase(':memory:');
  t.teardown(() => db.$client.close());
  recordAudit(db.$client, { action: 'reports.targets.update', actorUserId: 3, objectType: 'report_targets', detail: { visit_rate_permille: 900 } }, atMs);
  audit({ db, now: () => atMs }, null, 'hours.expired', 'service_record', 'r-1', null);
  audit({ db, now: () => atMs }, { userId: 4, ipAddress: '127.0.0.1' }, 'member.view_id', 'member', 5, '433123101001');
  t.same(db.$client.prepare(`SELECT ${columns} FROM audit_log ORDER BY id`).all(), [
    { atMs, action: 'reports.targets.update', actorUserId: 3, objectType: 'report_targets', objectId: null, regionCode: null, ipAddress: null, detail: '{"visit_rate_permille":900}' },
    { atMs, action: 'hours.expired', actorUserId: null, objectType: 'service_record', objectId: 'r-1', regionCode: null, ipAddress: null, detail: null },
    { atMs, action: 'member.view_id', actorUserId: 4, objectType: 'member', objectId: '5', regionCode: '433123101001', ipAddress: '127.0.0.1', detail: null },
  ]);
  t.end();
});

test('an entry written inside a drizzle transaction rolls back with it', (t) => {
  const db = openDatabase(':memory:');
  t.teardown(() => db.$client.close());
  t.throws(() => db.transaction((tx) => {
    audit({ db: tx as unknown as typeof db, now: () => atMs }, { userId: 1 }, 'member.register', 'member', 1, null);
    throw new Error('refused after the audit line');
  }), /refused after the audit line/);
  t.equal(db.$client.prepare('SELECT count(*) FROM audit_log').pluck().get(), 0, 'no audit row outlives its transaction');
  db.transaction((tx) => audit({ db: tx as unknown as typeof db, now: () => atMs }, { userId: 1 }, 'member.register', 'member', 1, null));
  t.equal(db.$client.prepare('SELECT count(*) FROM audit_log').pluck().get(), 1, 'a committed transaction keeps it');
  t.end();
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { migrationsFolder, openDatabase, type Db } from '../../src/db/client.ts';
import { migrationsBefore } from '../helpers/migrations.ts';
import { requestNetworkFigures, seedRequestNetwork } from '../domain/reports/requests-network.ts';

/**
 * Migration 0019 on a database written before it: the demo network with
 * service requests in every state is built with today's code, then copied row
 * by row into a database migrated only up to 0018, leaving out what 0019
 * makes (the request records and their keys) and the report aggregates. The
 * real migrations then run on that copy.
 */
const expected = JSON.parse(readFileSync(new URL('../domain/reports/expected-request-figures.json', import.meta.url), 'utf8'));
const recordColumns = `request_id, idempotency_key, volunteer_member_id, service_type_id, service_type_code, elder_id, village_code, county_code, service_date,
  start_at_ms, end_at_ms, duration_minutes, credit_minutes, note, source, entered_by_user_id, confirmed_by_card, activity_id, status, hold_transfer_id, reviewed_by_user_id, created_at_ms`;

const skipped = new Set(['__drizzle_migrations', 'sqlite_sequence', 'report_figures', 'report_member_months', 'report_elder_months', 'report_cursors', 'report_registry', 'report_elder_last_visits']);

/** Copies every row of `source` into `legacy` (same column names), without what 0019 writes. */
function copyAsBeforeMigration(legacy: Db, sourcePath: string): void {
  const sqlite = legacy.$client;
  sqlite.pragma('foreign_keys = OFF');
  sqlite.prepare('ATTACH DATABASE ? AS source').run(sourcePath);
  const tables = sqlite.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  sqlite.transaction(() => {
    for (const table of tables) {
      if (skipped.has(table)) continue;
      const columns = (sqlite.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[]).map((name) => `"${name}"`).join(', ');
      const where = table === 'service_records' ? ' WHERE request_id IS NULL' : table === 'idempotency_keys' ? " WHERE scope <> 'hours.request_record'" : '';
      sqlite.exec(`DELETE FROM main."${table}"`);
      sqlite.exec(`INSERT INTO main."${table}" (${columns}) SELECT ${columns} FROM source."${table}"${where}`);
    }
  })();
  sqlite.exec('DETACH DATABASE source');
  sqlite.pragma('foreign_keys = ON');
}

t.test('0019 copies each completed request into service_records once, with its link, and report figures do not change', async (t) => {
  const dir = t.testdir();
  const sourcePath = join(dir, 'today.db');
  const today = openDatabase(sourcePath);
  const { clock, completed } = await seedRequestNetwork(today);
  const written = today.$client.prepare(`SELECT ${recordColumns} FROM service_records WHERE request_id IS NOT NULL ORDER BY request_id`).all();
  const keysWritten = today.$client.prepare("SELECT key, scope, actor_user_id FROM idempotency_keys WHERE scope = 'hours.request_record' ORDER BY key").all();
  today.$client.pragma('wal_checkpoint(TRUNCATE)');
  t.equal(written.length, 3, 'confirmRequest wrote one record per completed request');

  const legacy = openDatabase(join(dir, 'legacy.db'), { migrate: false });
  migrate(legacy, { migrationsFolder: migrationsBefore(dir, 'service_records_from_requests') });
  t.notOk(legacy.$client.prepare("SELECT 1 FROM pragma_table_info('service_records') WHERE name = 'request_id'").get(), 'the copy starts without request_id');
  copyAsBeforeMigration(legacy, sourcePath);
  // An activity whose attendance points at a record: the table 0019 rebuilds along with service_records.
  const record = legacy.$client.prepare("SELECT id, volunteer_member_id AS memberId FROM service_records WHERE status = 'approved' ORDER BY id LIMIT 1").get() as { id: number; memberId: number };
  const session = legacy.$client.prepare(`INSERT INTO activity_sessions (activity_id, service_type_code, village_code, secret, opened_by_user_id, opened_at_ms)
    SELECT min(id), 'visit', '433123101001', 'secret', 1, ? FROM team_activities`).run(clock.ms).lastInsertRowid;
  legacy.$client.prepare('INSERT INTO activity_attendance (session_id, member_id, signed_in_at_ms, signed_out_at_ms, record_id) VALUES (?, ?, ?, ?, ?)')
    .run(session, record.memberId, clock.ms - 7200_000, clock.ms - 3600_000, record.id);
  const attendance = legacy.$client.prepare('SELECT * FROM activity_attendance ORDER BY id').all();
  const otherRecords = legacy.$client.prepare('SELECT * FROM service_records ORDER BY id').all();
  t.ok(attendance.length > 0 && otherRecords.length > 0, 'the copy holds service records and activity attendance');
  t.equal(legacy.$client.prepare("SELECT count(*) FROM service_requests WHERE status = 'completed'").pluck().get(), 3);

  migrate(legacy, { migrationsFolder });
  const sqlite = legacy.$client;
  const migrated = sqlite.prepare(`SELECT ${recordColumns} FROM service_records WHERE request_id IS NOT NULL ORDER BY request_id`).all();
  t.same(migrated, written, 'the migration writes the records confirmRequest writes: same type, date, minutes, credit, recipient, link');
  t.same(migrated.map((row) => (row as { request_id: number }).request_id), completed, 'linked to the three completed requests, not the cancelled or accepted ones');
  t.same(sqlite.prepare("SELECT key, scope, actor_user_id FROM idempotency_keys WHERE scope = 'hours.request_record' ORDER BY key").all(), keysWritten, 'their keys are in the idempotency table');
  t.same(sqlite.prepare('SELECT * FROM activity_attendance ORDER BY id').all(), attendance, 'activity attendance survives the rebuild');
  const kept = sqlite.prepare('SELECT * FROM service_records WHERE request_id IS NULL ORDER BY id').all().map((row) => {
    const { request_id: _link, ...rest } = row as Record<string, unknown>;
    return rest;
  });
  t.same(kept, otherRecords, 'every other record is kept as it was');
  t.same(sqlite.pragma('foreign_key_check'), [], 'no foreign key is broken');
  const schema = (db: Db) => db.$client.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
  t.same(schema(legacy), schema(openDatabase(':memory:')), 'the schema is the one a new database gets (attendance refers to service_records, not the rebuild table)');
  t.equal(sqlite.prepare("SELECT count(*) FROM service_records WHERE status = 'pending' AND request_id IS NOT NULL").pluck().get(), 0);

  migrate(legacy, { migrationsFolder });
  const statements = readFileSync(join(migrationsFolder, '0019_service_records_from_requests.sql'), 'utf8').split('--> statement-breakpoint');
  for (const statement of statements.slice(-2)) sqlite.exec(statement); // the copy itself, run a second time
  t.equal(sqlite.prepare('SELECT count(*) FROM service_records WHERE request_id IS NOT NULL').pluck().get(), 3, 'migrating again, or copying again, adds nothing');

  const figures = requestNetworkFigures(sqlite, clock.ms);
  t.same(figures.months, expected.months, 'month figures and categories recomputed from the migrated database are the ones recorded before');
  t.same(figures.serviceFigures, expected.serviceFigures);
  t.same(figures.memberMonths, expected.memberMonths);
  t.same(figures.elderMonths, expected.elderMonths);
  t.same(figures.visits, expected.visits);
});

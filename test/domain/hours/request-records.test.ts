import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { migrationsFolder } from '../../../src/db/client.ts';
import { acceptRequest, confirmRequest, postRequest } from '../../../src/domain/redemption/requests.ts';
import { grantVouchers } from '../../../src/domain/redemption/vouchers.ts';
import { places, redemptionFixture, type Fixture } from '../redemption/fixture.ts';

/**
 * The service type a completed request's record gets (src/domain/hours/request-records.ts):
 * the type of its category in the version in force on the confirmation day
 * (the earliest version before the first took effect), else 互助服务, else the
 * version's first type; no record without any standard. Migration 0019 spells
 * the same rule in SQL: run on the same requests, it writes the same rows.
 */
function addVersion(f: Fixture, effectiveDate: string, types: [code: string, category: string, active?: boolean][]): void {
  const sqlite = f.db.$client;
  const version = sqlite.prepare('INSERT INTO service_standard_versions (effective_date, published_at_ms) VALUES (?, ?)').run(effectiveDate, f.clock.ms).lastInsertRowid;
  for (const [code, category, active = true] of types) {
    sqlite.prepare(`INSERT INTO service_types (version_id, code, name_zh, name_en, category, coefficient_milli, max_minutes, recipient_required, active)
      VALUES (?, ?, ?, ?, ?, 1000, 240, 0, ?)`).run(version, code, code, code, category, active ? 1 : 0);
  }
}

async function completer(f: Fixture) {
  const elder = f.addElder('吴爷爷', places.fenghuangVillage, ['semi_disabled']);
  if (!grantVouchers(f.context, f.fenghuangOffice, { source: 'issuance', regionCode: places.fenghuangVillage, elderId: elder, amountPerElderMinutes: 600, reason: '助浴券', idempotencyKey: randomUUID() }).ok) throw new Error('vouchers');
  const volunteer = await f.addMember('杨志愿', places.fenghuangVillage2, { birthDate: '1962-05-05' });
  return (category: string, atMs: number) => {
    const posted = postRequest(f.context, f.coordinator, { elderId: elder, payer: 'voucher', serviceCategory: category, description: '服务', scheduledFor: '2026-11-25', place: '家中',
      offeredMinutes: 30, idempotencyKey: randomUUID(), actorMemberId: null });
    if (!posted.ok) throw new Error(JSON.stringify(posted));
    if (!acceptRequest(f.context, f.coordinator, posted.value.id, volunteer.memberId, null).ok) throw new Error('accept');
    const was = f.clock.ms;
    f.clock.ms = atMs;
    const confirmed = confirmRequest(f.context, f.coordinator, posted.value.id, null);
    f.clock.ms = was;
    if (!confirmed.ok) throw new Error(JSON.stringify(confirmed));
    return posted.value.id;
  };
}

const typeOf = (f: Fixture, requestId: number) => f.db.$client.prepare('SELECT service_type_code FROM service_records WHERE request_id = ?').pluck().get(requestId);
const rows = (f: Fixture) => f.db.$client.prepare(`SELECT request_id, idempotency_key, volunteer_member_id, service_type_id, service_type_code, elder_id, village_code, county_code, service_date,
  start_at_ms, end_at_ms, duration_minutes, credit_minutes, note, source, entered_by_user_id, status, hold_transfer_id, created_at_ms FROM service_records WHERE request_id IS NOT NULL ORDER BY request_id`).all();

t.test("a request's type: its category in the version in force, else mutual aid, else the first type; the migration picks the same", async (t) => {
  const f = redemptionFixture();
  addVersion(f, '2026-01-01', [['visit', 'visiting'], ['old_meal', 'meal', false], ['meal_delivery', 'meal'], ['mutual_aid', 'mutual_aid']]);
  addVersion(f, '2026-12-01', [['visit', 'visiting'], ['chat', 'companionship']]);
  const complete = await completer(f);
  const november = Date.UTC(2026, 10, 23, 2, 0);
  const meal = complete('meals', november);
  const bathing = complete('bathing', november);
  const december = complete('meals', Date.UTC(2026, 11, 2, 2, 0));
  const chat = complete('companionship', Date.UTC(2026, 11, 2, 2, 0));
  const early = complete('visiting', Date.UTC(2025, 5, 1, 2, 0));
  t.equal(typeOf(f, meal), 'meal_delivery', "'meals' is the standard's 'meal', the active type first");
  t.equal(typeOf(f, bathing), 'mutual_aid', 'no bathing type in force: 互助服务');
  t.equal(typeOf(f, december), 'visit', 'neither meal nor mutual aid in the December version: its first type');
  t.equal(typeOf(f, chat), 'chat');
  t.equal(typeOf(f, early), 'visit', 'before the first version took effect: the first version');

  const written = rows(f);
  t.equal(written.length, 5);
  // What migration 0019 writes for the same requests: take the records away (and their keys), run its copy.
  const sqlite = f.db.$client;
  sqlite.pragma('foreign_keys = OFF');
  sqlite.exec("DELETE FROM service_records WHERE request_id IS NOT NULL; DELETE FROM idempotency_keys WHERE scope = 'hours.request_record'");
  sqlite.pragma('foreign_keys = ON');
  const statements = readFileSync(join(migrationsFolder, '0019_service_records_from_requests.sql'), 'utf8').split('--> statement-breakpoint');
  for (const statement of statements.slice(-2)) sqlite.exec(statement);
  t.same(rows(f), written, 'the migration writes the same rows');
});

t.test('a network without any standard: the request is completed and paid, with no record to type', async (t) => {
  const f = redemptionFixture();
  const complete = await completer(f);
  const id = complete('cleaning', f.clock.ms);
  t.equal(f.db.$client.prepare('SELECT status FROM service_requests WHERE id = ?').pluck().get(id), 'completed', 'the payment is not held back');
  t.equal(f.db.$client.prepare('SELECT count(*) FROM service_records').pluck().get(), 0);
  t.equal(f.db.$client.prepare("SELECT count(*) FROM idempotency_keys WHERE scope = 'hours.request_record'").pluck().get(), 0, 'and no key is kept, so nothing claims a record exists');
});

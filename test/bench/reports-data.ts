/**
 * What `bench:reports` adds to a seeded network before it measures (each
 * step idempotent, so a database kept with --data is prepared once):
 *   - a member whose wallet has 10,000 transfers (the passbook figure);
 *   - 100,000 service records waiting for review, with their pending holds
 *     (the verification-queue figure).
 * Everything goes through the ledger's batch API, so `ledger verify` still
 * passes on the result.
 */
import type { Sqlite } from '../../src/db/client.ts';
import { Ledger, TransferFlags, type TransferInput } from '../../src/ledger/index.ts';

const chunk = 5_000;

function apply(ledger: Ledger, transfers: readonly TransferInput[]): void {
  for (let i = 0; i < transfers.length; i += chunk) {
    const part = transfers.slice(i, i + chunk);
    const results = ledger.createTransfers(part);
    const bad = results.findIndex((result) => result !== 'ok' && result !== 'exists');
    if (bad >= 0) throw new Error(`bench data: transfer ${part[bad]!.id} ${results[bad]}`);
  }
}

interface MemberHome {
  id: number;
  county: string;
}

/** The first generated member (phone 199…), with the county of their village. */
function firstGeneratedMember(sqlite: Sqlite): MemberHome {
  const row = sqlite.prepare(`SELECT m.id, substr(m.village_code, 1, 6) AS county FROM members m
    WHERE m.phone >= '199' AND m.phone < '19a' ORDER BY m.phone LIMIT 1`).get() as MemberHome | undefined;
  if (row) return row;
  // A network seeded before members had phones: the first member of a generated village.
  const fallback = sqlite.prepare(`SELECT id, substr(village_code, 1, 6) AS county FROM members
    WHERE length(village_code) = 12 AND source = 'import' ORDER BY id LIMIT 1`).get() as MemberHome | undefined;
  if (!fallback) throw new Error('bench data: no generated member (seed big first)');
  return fallback;
}

/**
 * The member of the demo volunteer (13800000001), whose own passbook the bench opens through the real
 * route. A generated network has the demo's sign-ins but no member behind the volunteer's: the first
 * generated member is then linked to that sign-in (once; the bench's own data, like the rest of this file).
 */
export function demoVolunteer(sqlite: Sqlite): MemberHome {
  const linked = () => sqlite.prepare(`SELECT m.id, substr(m.village_code, 1, 6) AS county FROM users u JOIN members m ON m.id = u.member_id
    WHERE u.phone = '13800000001'`).get() as MemberHome | undefined;
  const row = linked();
  if (row) return row;
  const changed = sqlite.prepare("UPDATE users SET member_id = ? WHERE phone = '13800000001' AND member_id IS NULL").run(firstGeneratedMember(sqlite).id).changes;
  if (changed !== 1) throw new Error('bench data: no demo volunteer 13800000001 (seed the demo first)');
  return linked()!;
}

/**
 * A member with `transfers` transfers on the wallet: credits for service and spending at a site of the
 * county, alternating. The first generated member by default; `member` picks another (the demo volunteer).
 */
export function ensureBusyMember(sqlite: Sqlite, nowMs: number, transfers = 10_000, member: MemberHome = firstGeneratedMember(sqlite)): number {
  const site = sqlite.prepare('SELECT id FROM partner_sites WHERE county_code = ? ORDER BY id LIMIT 1').pluck().get(member.county) as number | undefined;
  if (site === undefined) throw new Error(`bench data: no site in county ${member.county}`);
  const list: TransferInput[] = [];
  for (let i = 0; i < transfers; i += 1) {
    list.push(i % 2 === 0
      ? { id: `bench-passbook:${member.id}:${i}`, debitAccountId: `issuance:${member.county}`, creditAccountId: `wallet:m${member.id}`, amount: 30, code: 'service_credit' }
      : { id: `bench-passbook:${member.id}:${i}`, debitAccountId: `wallet:m${member.id}`, creditAccountId: `site:${site}`, amount: 20, code: 'redemption' });
  }
  apply(new Ledger(sqlite, { now: () => nowMs }), list);
  return member.id;
}

/** `count` service records waiting for review in one county's villages, each with its pending hold. */
export function ensurePendingRecords(sqlite: Sqlite, nowMs: number, count = 100_000): number {
  const existing = sqlite.prepare("SELECT count(*) FROM service_records WHERE idempotency_key >= 'bench-pending-' AND idempotency_key < 'bench-pending.'").pluck().get() as number;
  if (existing >= count) return existing;
  const county = '433123';
  const villages = sqlite.prepare("SELECT code FROM regions WHERE level = 'village' AND code LIKE ? ORDER BY code").pluck().all(`${county}%`) as string[];
  const volunteers = sqlite.prepare('SELECT id FROM members WHERE substr(village_code, 1, 6) = ? ORDER BY id LIMIT 2000').pluck().all(county) as number[];
  const type = sqlite.prepare(`SELECT id, code, coefficient_milli AS coefficient FROM service_types WHERE recipient_required = 0 AND active = 1 ORDER BY id LIMIT 1`).get() as { id: number; code: string; coefficient: number };
  if (villages.length === 0 || volunteers.length === 0 || !type) throw new Error('bench data: no villages, volunteers or service type in 凤凰县');
  const insert = sqlite.prepare(`INSERT OR IGNORE INTO service_records (idempotency_key, volunteer_member_id, service_type_id, service_type_code, village_code, county_code,
    service_date, start_at_ms, end_at_ms, duration_minutes, credit_minutes, source, status, hold_transfer_id, created_at_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 60, ?, 'self', 'pending', ?, ?)`);
  const ledger = new Ledger(sqlite, { now: () => nowMs });
  const day = new Date(nowMs + 8 * 3600_000).toISOString().slice(0, 10);
  for (let from = 0; from < count; from += chunk) {
    sqlite.transaction(() => {
      const holds: TransferInput[] = [];
      for (let i = from; i < Math.min(count, from + chunk); i += 1) {
        const key = `bench-pending-${String(i).padStart(6, '0')}`;
        const volunteer = volunteers[i % volunteers.length]!;
        const startAtMs = nowMs - 86_400_000 + (i % 600) * 60_000;
        const credit = Math.floor((60 * type.coefficient) / 1000);
        const result = insert.run(key, volunteer, type.id, type.code, villages[i % villages.length]!, county, day, startAtMs, startAtMs + 3_600_000, credit, `svc-hold:${key}`, nowMs - count + i);
        const recordId = result.changes > 0 ? Number(result.lastInsertRowid) : (sqlite.prepare('SELECT id FROM service_records WHERE idempotency_key = ?').pluck().get(key) as number);
        holds.push({ id: `svc-hold:${key}`, debitAccountId: `issuance:${county}`, creditAccountId: `wallet:m${volunteer}`, amount: credit, code: 'service_credit', flags: TransferFlags.pending, refType: 'service_record', refId: String(recordId) });
      }
      apply(ledger, holds);
    }).immediate();
  }
  return count;
}

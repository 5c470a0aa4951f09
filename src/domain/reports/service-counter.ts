import type { Sqlite } from '../../db/client.ts';
import { metric } from './metrics.ts';
import { monthOfDate, silverBornOnOrBefore } from './months.ts';
import type { Accumulator, Lookups, ServiceFact } from './refresh-parts.ts';

interface MemberMonth { memberId: number; month: string; serviceMinutes: number; creditedMinutes: number; records: number }
interface ElderMonth { elderId: number; month: string; records: number }

/**
 * The service figures of report_member_months and report_elder_months, and
 * the "active volunteer" / "elder visited" counts that follow from them.
 * Within one write transaction the rows are folded in memory (each read from
 * the table on first use, unless the table is empty) and `flush` writes each
 * changed row once, with its new values; the refresh calls it before its
 * transaction commits, so between transactions the tables are exact and
 * another process may write them.
 */
export class ServiceCounter {
  private readonly members = new Map<string, MemberMonth>();
  private readonly elders = new Map<string, ElderMonth>();
  /** Whether each table was empty when this transaction first read it (no row to read then). */
  private empty: { members: boolean; elders: boolean } | undefined;
  private readonly statements;

  constructor(sqlite: Sqlite, private readonly lookups: Lookups, private readonly figures: Accumulator) {
    this.statements = {
      member: sqlite.prepare(`SELECT member_id AS memberId, month, service_minutes AS serviceMinutes, credited_minutes AS creditedMinutes, records
        FROM report_member_months WHERE member_id = ? AND month = ?`),
      elder: sqlite.prepare('SELECT elder_id AS elderId, month, records FROM report_elder_months WHERE elder_id = ? AND month = ?'),
      emptiness: sqlite.prepare(`SELECT NOT EXISTS (SELECT 1 FROM report_member_months) AS members,
        NOT EXISTS (SELECT 1 FROM report_elder_months) AS elders`),
      writeMember: sqlite.prepare(`INSERT INTO report_member_months (member_id, month, service_minutes, credited_minutes, records)
        VALUES (@memberId, @month, @serviceMinutes, @creditedMinutes, @records)
        ON CONFLICT(member_id, month) DO UPDATE SET service_minutes = excluded.service_minutes,
          credited_minutes = excluded.credited_minutes, records = excluded.records`),
      writeElder: sqlite.prepare(`INSERT INTO report_elder_months (elder_id, month, records) VALUES (@elderId, @month, @records)
        ON CONFLICT(elder_id, month) DO UPDATE SET records = excluded.records`),
    };
  }

  /** sign +1 when the record's credit (or the request's payment) is posted, -1 when it is reversed. */
  count(record: ServiceFact, sign: 1 | -1): void {
    const month = monthOfDate(record.serviceDate);
    this.figures.add(record.villageCode, month, metric.serviceMinutes, record.category, sign * record.durationMinutes);
    this.figures.add(record.villageCode, month, metric.serviceRecords, record.category, sign);

    const row = this.memberMonth(record.volunteerMemberId, month);
    row.serviceMinutes += sign * record.durationMinutes;
    row.creditedMinutes += sign * record.creditMinutes;
    row.records += sign;
    // A volunteer becomes active in a month with their first credited record, and stops being so when the last is reversed.
    const volunteer = this.lookups.member(record.volunteerMemberId);
    if (volunteer && ((sign === 1 && row.records === 1) || (sign === -1 && row.records === 0))) {
      this.figures.add(volunteer.villageCode, month, metric.volunteersActive, '', sign);
      if (volunteer.birthDate <= silverBornOnOrBefore(month)) this.figures.add(volunteer.villageCode, month, metric.volunteersActiveSilver, '', sign);
    }

    if (record.elderId !== null) {
      const elder = this.lookups.elder(record.elderId);
      const elderRow = this.elderMonth(record.elderId, month);
      elderRow.records += sign;
      if (elder && ((sign === 1 && elderRow.records === 1) || (sign === -1 && elderRow.records === 0))) {
        this.figures.add(elder.villageCode, month, metric.eldersVisited, '', sign);
        if (elder.ruralDisabled) this.figures.add(elder.villageCode, month, metric.ruralDisabledHelped, '', sign);
      }
    }
  }

  /** Writes every row this transaction changed, once, and forgets them (call inside the transaction, at its end). */
  flush(): void {
    for (const row of this.members.values()) this.statements.writeMember.run(row);
    for (const row of this.elders.values()) this.statements.writeElder.run(row);
    this.members.clear();
    this.elders.clear();
    this.empty = undefined;
  }

  private emptiness(): { members: boolean; elders: boolean } {
    if (!this.empty) {
      const row = this.statements.emptiness.get() as { members: number; elders: number };
      this.empty = { members: row.members === 1, elders: row.elders === 1 };
    }
    return this.empty;
  }

  private memberMonth(memberId: number, month: string): MemberMonth {
    const key = `${memberId}|${month}`;
    let row = this.members.get(key);
    if (!row) {
      const stored = this.emptiness().members ? undefined : (this.statements.member.get(memberId, month) as MemberMonth | undefined);
      row = stored ?? { memberId, month, serviceMinutes: 0, creditedMinutes: 0, records: 0 };
      this.members.set(key, row);
    }
    return row;
  }

  private elderMonth(elderId: number, month: string): ElderMonth {
    const key = `${elderId}|${month}`;
    let row = this.elders.get(key);
    if (!row) {
      const stored = this.emptiness().elders ? undefined : (this.statements.elder.get(elderId, month) as ElderMonth | undefined);
      row = stored ?? { elderId, month, records: 0 };
      this.elders.set(key, row);
    }
    return row;
  }
}

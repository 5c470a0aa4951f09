import type { Sqlite } from '../../db/client.ts';
import { checkpointVerdict, lastFullVerification, type CheckpointVerdict, type FullVerification } from '../bookkeeping/verification.ts';
import { Ledger } from '../../ledger/index.ts';
import { maskName } from '../../lib/mask.ts';
import { maskPhone } from '../../lib/mask.ts';
import { byMostOverdue, isDue, lastVisitDates, visitState } from '../hours/visits.ts';
import { metric, registryMetric } from './metrics.ts';
import { monthBoundsMs } from './months.ts';
import type { RegionNode } from './regions-cache.ts';

/** Lists behind the reports: overdue elders, the volunteer roster, settlements, the public page. Personal data masked. */

export interface OverdueElder {
  elderId: number;
  maskedName: string;
  villageCode: string;
  villageName: string;
  visitIntervalDays: number;
  lastServiceDate: string | null;
  /** Days since the last visit, or since registration when never visited (due from that day). */
  daysSince: number;
  overdueDays: number;
}

/**
 * Elders of the region overdue for a visit, most overdue first. The
 * definition (what is a visit, when is an elder overdue) is the one the
 * coverage page uses (src/domain/hours/visits.ts), read from the records
 * themselves, so a reversal takes a visit back at once.
 */
export function overdueElders(sqlite: Sqlite, region: RegionNode, today: string, limit = 200): { total: number; active: number; elders: OverdueElder[] } {
  const rows = sqlite.prepare(`SELECT e.id AS elderId, e.real_name AS realName, e.village_code AS villageCode, r.name_zh AS villageName,
      e.visit_interval_days AS visitIntervalDays, e.created_at_ms AS createdAtMs
    FROM elders e JOIN regions r ON r.code = e.village_code WHERE r.path LIKE ? AND e.status = 'active'`).all(`${region.path}%`) as
    { elderId: number; realName: string; villageCode: string; villageName: string; visitIntervalDays: number; createdAtMs: number }[];
  const lastVisits = lastVisitDates(sqlite, rows.map((row) => row.elderId), today);
  const overdue = rows
    .map((row) => ({ row, state: visitState(lastVisits.get(row.elderId) ?? null, row.createdAtMs, row.visitIntervalDays, today) }))
    .filter(({ state }) => isDue(state))
    .map(({ row, state }) => ({ elderId: row.elderId, ...state, row }))
    .sort(byMostOverdue);
  return {
    total: overdue.length,
    active: rows.length,
    elders: overdue.slice(0, limit).map(({ row, lastVisitDate, daysSince, overdueDays }) => ({
      elderId: row.elderId, maskedName: maskName(row.realName), villageCode: row.villageCode, villageName: row.villageName,
      visitIntervalDays: row.visitIntervalDays, lastServiceDate: lastVisitDate, daysSince, overdueDays,
    })),
  };
}

export interface RosterRow {
  memberId: number;
  volunteerNumber: string | null;
  maskedName: string;
  maskedPhone: string;
  villageName: string;
  silver: boolean;
  serviceMinutes: number;
  creditedMinutes: number;
  records: number;
  balanceMinutes: number;
}

export function volunteerRoster(sqlite: Sqlite, region: RegionNode, fromMonth: string, toMonth: string, silverBornOnOrBefore: string, page = { limit: 100, offset: 0 }): { total: number; rows: RosterRow[] } {
  const prefix = `${region.path}%`;
  const total = sqlite.prepare(`SELECT count(*) FROM members m JOIN regions r ON r.code = m.village_code WHERE r.path LIKE ? AND m.status IN ('active','suspended')`).pluck().get(prefix) as number;
  const rows = sqlite.prepare(`SELECT m.id AS memberId, m.volunteer_number AS volunteerNumber, m.real_name AS realName, m.phone AS phone, r.name_zh AS villageName, m.birth_date <= @silver AS silver,
      coalesce((SELECT sum(service_minutes) FROM report_member_months mm WHERE mm.member_id = m.id AND mm.month BETWEEN @from AND @to), 0) AS serviceMinutes,
      coalesce((SELECT sum(credited_minutes) FROM report_member_months mm WHERE mm.member_id = m.id AND mm.month BETWEEN @from AND @to), 0) AS creditedMinutes,
      coalesce((SELECT sum(records) FROM report_member_months mm WHERE mm.member_id = m.id AND mm.month BETWEEN @from AND @to), 0) AS records,
      coalesce((SELECT credits_posted - debits_posted FROM ledger_accounts a WHERE a.id = 'wallet:m' || m.id), 0) AS balanceMinutes
    FROM members m JOIN regions r ON r.code = m.village_code
    WHERE r.path LIKE @prefix AND m.status IN ('active','suspended')
    ORDER BY serviceMinutes DESC, m.id LIMIT @limit OFFSET @offset`).all({ prefix, from: fromMonth, to: toMonth, silver: silverBornOnOrBefore, ...page }) as (Omit<RosterRow, 'maskedName' | 'maskedPhone' | 'silver'> & { realName: string; phone: string | null; silver: number })[];
  return {
    total,
    rows: rows.map(({ realName, phone, silver, ...row }) => ({ ...row, silver: silver === 1, maskedName: maskName(realName), maskedPhone: phone ? maskPhone(phone) : '' })),
  };
}

export interface SettlementRow {
  id: number;
  fromCountyCode: string;
  toCountyCode: string;
  amountMinutes: number;
  note: string;
  atMs: number;
}

export function settlementsIn(sqlite: Sqlite, counties: readonly string[], month: string): SettlementRow[] {
  if (counties.length === 0) return [];
  const { startMs, endMs } = monthBoundsMs(month);
  const marks = counties.map(() => '?').join(',');
  return sqlite.prepare(`SELECT id, from_county_code AS fromCountyCode, to_county_code AS toCountyCode, amount_minutes AS amountMinutes, note, at_ms AS atMs
    FROM clearing_settlements WHERE at_ms >= ? AND at_ms < ? AND (from_county_code IN (${marks}) OR to_county_code IN (${marks})) ORDER BY at_ms, id`)
    .all(startMs, endMs, ...counties, ...counties) as SettlementRow[];
}

export interface TransparencyCounty {
  county: RegionNode;
  volunteers: number;
  serviceMinutes: number;
  creditsIssued: number;
  creditsRedeemed: number;
  sites: number;
}

export interface Transparency {
  counties: TransparencyCounty[];
  head: { seq: number; hash: string; timestampMs: number };
  checkpoints: { seq: number; hash: string; transferCount: number; accountCount: number; timestampMs: number; verdict: CheckpointVerdict }[];
  /** The last full verification the server ran (at start-up and nightly), or null before the first. */
  verification: FullVerification | null;
}

/**
 * Network aggregates per county (all time), the last full verification of the
 * ledger and the published checkpoints, each judged by that verification and
 * by the hash stored at its sequence number now.
 */
export function transparency(sqlite: Sqlite, counties: readonly RegionNode[]): Transparency {
  const sums = sqlite.prepare(`SELECT metric, dimension, sum(value) AS value FROM report_figures WHERE region_code = ? AND metric IN (?, ?, ?, ?) GROUP BY metric`);
  const registry = sqlite.prepare('SELECT metric, sum(value) AS value FROM report_registry WHERE region_code = ? AND metric IN (?, ?) GROUP BY metric');
  const rows = counties.map((county) => {
    const figures = new Map((sums.all(county.code, metric.serviceMinutes, metric.creditsIssued, metric.creditsRedeemed, metric.serviceRecords) as { metric: string; value: number }[]).map((row) => [row.metric, row.value]));
    const stock = new Map((registry.all(county.code, registryMetric.membersJoined, registryMetric.sites) as { metric: string; value: number }[]).map((row) => [row.metric, row.value]));
    return {
      county,
      volunteers: stock.get(registryMetric.membersJoined) ?? 0,
      serviceMinutes: figures.get(metric.serviceMinutes) ?? 0,
      creditsIssued: figures.get(metric.creditsIssued) ?? 0,
      creditsRedeemed: figures.get(metric.creditsRedeemed) ?? 0,
      sites: stock.get(registryMetric.sites) ?? 0,
    };
  });
  const ledger = new Ledger(sqlite);
  const verification = lastFullVerification(sqlite);
  const checkpoints = ledger.checkpoints(24).map((checkpoint) => ({
    ...checkpoint,
    verdict: checkpointVerdict(checkpoint, checkpoint.seq === 0 ? undefined : ledger.transferAt(checkpoint.seq)?.hash, verification),
  }));
  return { counties: rows, head: ledger.head(), checkpoints, verification };
}

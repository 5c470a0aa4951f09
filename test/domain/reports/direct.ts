import type { Sqlite } from '../../../src/db/client.ts';

/**
 * Report figures computed directly from the records and the ledger, with
 * none of the aggregation code: the reference the pre-aggregated figures
 * must equal. Months are Shanghai months.
 */
const offset = 8 * 3600_000;
export function bounds(month: string): [number, number] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return [Date.UTC(y, m - 1, 1) - offset, Date.UTC(y, m, 1) - offset];
}

/**
 * Every service given: approved service records, and completed service
 * requests (dated the Shanghai day they were confirmed; recipient the
 * request's elder or the registered elder who asked; category as the
 * standard names it: requests say 'meals' for 'meal').
 */
export const servicesCte = `WITH services AS (
  SELECT s.volunteer_member_id AS volunteer, s.elder_id AS elder, s.village_code AS village, s.service_date AS date, s.duration_minutes AS minutes, t.category AS category
    FROM service_records s JOIN service_types t ON t.id = s.service_type_id WHERE s.status = 'approved'
  UNION ALL
  SELECT q.volunteer_member_id, coalesce(q.elder_id, (SELECT min(e.id) FROM elders e WHERE e.member_id = q.requester_member_id)), q.village_code,
    date((q.closed_at_ms + 28800000) / 1000, 'unixepoch'), q.offered_minutes, CASE q.service_category WHEN 'meals' THEN 'meal' ELSE q.service_category END
    FROM service_requests q WHERE q.status = 'completed')`;

/** Service minutes and count by the standard's category, in a region and month. */
export function directCategories(sqlite: Sqlite, regionCode: string, month: string): Record<string, { minutes: number; records: number }> {
  const path = (sqlite.prepare('SELECT path FROM regions WHERE code = ?').pluck().get(regionCode) as string) + '%';
  const rows = sqlite.prepare(`${servicesCte} SELECT s.category, sum(s.minutes) AS minutes, count(*) AS records FROM services s JOIN regions r ON r.code = s.village
    WHERE r.path LIKE ? AND substr(s.date, 1, 7) = ? GROUP BY s.category`).all(path, month) as { category: string; minutes: number; records: number }[];
  return Object.fromEntries(rows.map((row) => [row.category, { minutes: row.minutes, records: row.records }]));
}

export function directFigures(sqlite: Sqlite, regionCode: string, month: string) {
  const path = (sqlite.prepare('SELECT path FROM regions WHERE code = ?').pluck().get(regionCode) as string) + '%';
  const [start, end] = bounds(month);
  const [y, m] = month.split('-').map(Number) as [number, number];
  const lastDay = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const silverBorn = `${y - 60}-${month.slice(5)}-${String(lastDay).padStart(2, '0')}`;
  const holders = new Set<string>([
    ...(sqlite.prepare('SELECT \'wallet:m\' || m.id FROM members m JOIN regions r ON r.code = m.village_code WHERE r.path LIKE ?').pluck().all(path) as string[]),
    ...(sqlite.prepare('SELECT \'voucher:e\' || e.id FROM elders e JOIN regions r ON r.code = e.village_code WHERE r.path LIKE ?').pluck().all(path) as string[]),
  ]);
  const sites = new Set(sqlite.prepare("SELECT 'site:' || s.id FROM partner_sites s JOIN regions r ON r.code = s.village_code WHERE r.path LIKE ?").pluck().all(path) as string[]);
  const posted = sqlite.prepare('SELECT debit_account_id AS d, credit_account_id AS c, amount, code, timestamp_ms AS at FROM ledger_transfers WHERE (flags & 10) = 0 ORDER BY seq').all() as { d: string; c: string; amount: number; code: string; at: number }[];
  let issued = 0, redeemed = 0, redeemedAtSites = 0, outstanding = 0, vouchersGranted = 0, vouchersUsed = 0;
  for (const t of posted) {
    if (t.at >= end) continue;
    if (holders.has(t.c)) outstanding += t.amount;
    if (holders.has(t.d)) outstanding -= t.amount;
    if (t.at < start) continue;
    if (t.code === 'service_credit' && t.d.startsWith('issuance:') && holders.has(t.c) && t.c.startsWith('wallet:')) issued += t.amount;
    if (t.code === 'correction' && t.c.startsWith('issuance:') && holders.has(t.d) && t.d.startsWith('wallet:')) issued -= t.amount;
    if (t.code === 'redemption' && holders.has(t.d)) redeemed += t.amount;
    if (t.code === 'correction' && holders.has(t.c) && (t.d.startsWith('site:') || t.d.startsWith('clearing:'))) redeemed -= t.amount;
    if (t.code === 'redemption' && sites.has(t.c)) redeemedAtSites += t.amount;
    if (t.code === 'correction' && sites.has(t.d)) redeemedAtSites -= t.amount;
    if (t.code === 'voucher' && holders.has(t.c) && t.c.startsWith('voucher:')) vouchersGranted += t.amount;
    if (holders.has(t.d) && t.d.startsWith('voucher:') && (t.code === 'redemption' || t.code === 'service_payment')) vouchersUsed += t.amount;
  }
  const one = (sql: string, ...params: unknown[]) => (sqlite.prepare(sql.includes('services s') ? `${servicesCte} ${sql}` : sql).pluck().get(...params) as number | null) ?? 0;
  const approvedIn = `FROM services s JOIN regions r ON r.code = s.village WHERE r.path LIKE ? AND substr(s.date, 1, 7) = ?`;
  const rate = (numerator: number, denominator: number) => (denominator > 0 ? Math.floor((numerator * 1000) / denominator) : null);
  const figures = {
    volunteersRegistered: one("SELECT count(*) FROM members m JOIN regions r ON r.code = m.village_code WHERE r.path LIKE ? AND m.status IN ('active','suspended') AND m.created_at_ms < ?", path, end),
    volunteersRegisteredSilver: one("SELECT count(*) FROM members m JOIN regions r ON r.code = m.village_code WHERE r.path LIKE ? AND m.status IN ('active','suspended') AND m.created_at_ms < ? AND m.birth_date <= ?", path, end, silverBorn),
    volunteersActive: one(`SELECT count(DISTINCT s.volunteer) FROM services s JOIN members m ON m.id = s.volunteer JOIN regions r ON r.code = m.village_code
      WHERE r.path LIKE ? AND substr(s.date, 1, 7) = ?`, path, month),
    volunteersActiveSilver: one(`SELECT count(DISTINCT s.volunteer) FROM services s JOIN members m ON m.id = s.volunteer JOIN regions r ON r.code = m.village_code
      WHERE r.path LIKE ? AND substr(s.date, 1, 7) = ? AND m.birth_date <= ?`, path, month, silverBorn),
    serviceMinutes: one(`SELECT sum(s.minutes) ${approvedIn}`, path, month),
    serviceRecords: one(`SELECT count(*) ${approvedIn}`, path, month),
    creditsIssued: issued,
    creditsRedeemed: redeemed,
    redeemedAtSites,
    outstanding,
    vouchersGranted,
    vouchersUsed,
    eldersRegistered: one("SELECT count(*) FROM elders e JOIN regions r ON r.code = e.village_code WHERE r.path LIKE ? AND e.status = 'active' AND e.created_at_ms < ?", path, end),
    eldersVisited: one(`SELECT count(DISTINCT s.elder) FROM services s JOIN elders e ON e.id = s.elder JOIN regions r ON r.code = e.village_code
      WHERE r.path LIKE ? AND substr(s.date, 1, 7) = ?`, path, month),
    ruralDisabledElders: one(`SELECT count(*) FROM elders e JOIN regions r ON r.code = e.village_code WHERE r.path LIKE ? AND e.status = 'active' AND e.created_at_ms < ? AND r.rural = 1
      AND EXISTS (SELECT 1 FROM elder_categories c WHERE c.elder_id = e.id AND c.category IN ('disabled','semi_disabled'))`, path, end),
    ruralDisabledHelped: one(`SELECT count(DISTINCT s.elder) FROM services s JOIN elders e ON e.id = s.elder JOIN regions r ON r.code = e.village_code
      WHERE r.path LIKE ? AND substr(s.date, 1, 7) = ? AND r.rural = 1
      AND EXISTS (SELECT 1 FROM elder_categories c WHERE c.elder_id = e.id AND c.category IN ('disabled','semi_disabled'))`, path, month),
  };
  return {
    ...figures,
    visitRatePermille: rate(figures.eldersVisited, figures.eldersRegistered),
    helpRatePermille: rate(figures.ruralDisabledHelped, figures.ruralDisabledElders),
  };
}

/** Cross-county redemptions member county -> site county in a month, straight from the redemption records and their ledger legs. */
export function directClearing(sqlite: Sqlite, month: string): Map<string, number> {
  const [start, end] = bounds(month);
  const rows = sqlite.prepare(`SELECT member_county_code AS a, site_county_code AS b, sum(total_minutes) AS n FROM redemptions
    WHERE status = 'confirmed' AND member_county_code <> site_county_code AND confirmed_at_ms >= ? AND confirmed_at_ms < ? GROUP BY a, b`).all(start, end) as { a: string; b: string; n: number }[];
  return new Map(rows.map((row) => [`${row.a}>${row.b}`, row.n]));
}

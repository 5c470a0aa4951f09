import type { Sqlite } from '../../db/client.ts';
import { shanghaiDate } from '../../lib/idcard.ts';
import { isCalendarDate } from '../hours/time.ts';
import type { Actor } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { fenOfYuan } from './amounts.ts';
import { keepsNetworkFund } from './fund.ts';

/**
 * The valuation rate of one hour of credits (fen per hour, 3000 = ¥30/h),
 * versioned by effective date like the service standard: the top office
 * publishes a rate from tomorrow or a later date (never for today or the past; one per date), and the
 * rate in force on a date is the one with the latest effective date on or
 * before it. Coverage and the 5-year projection read it (liability.ts).
 */
export interface ValuationRate {
  id: number;
  effectiveFrom: string;
  fenPerHour: number;
  createdAtMs: number;
}

export function valuationRates(sqlite: Sqlite): ValuationRate[] {
  return sqlite.prepare(`SELECT id, effective_from AS effectiveFrom, fen_per_hour AS fenPerHour, created_at_ms AS createdAtMs
      FROM fund_valuation_rates ORDER BY effective_from DESC, id DESC`).all() as ValuationRate[];
}

/** The rate in force on a Shanghai date 'YYYY-MM-DD', or null when none applies yet. */
export function rateOn(sqlite: Sqlite, date: string): number | null {
  return (sqlite.prepare(`SELECT fen_per_hour FROM fund_valuation_rates WHERE effective_from <= ?
      ORDER BY effective_from DESC, id DESC LIMIT 1`).pluck().get(date) as number | undefined) ?? null;
}

/** Publishes a rate from `effectiveFrom` (tomorrow or later, Shanghai; one per date); only the top office. */
export function publishValuationRate(context: KeylessContext, actor: Actor, input: { effectiveFrom: string; yuanPerHour: string }): Outcome<ValuationRate> {
  if (!keepsNetworkFund(actor)) return failure(403, { code: 'errors.forbidden.message' });
  const effectiveFrom = input.effectiveFrom.trim();
  const at = nowOf(context);
  // A day that exists (2027-02-29 or 2027-04-31 do not: Date.parse takes them and rolls them over).
  if (!isCalendarDate(effectiveFrom)) {
    return failure(422, { code: 'liability.error.date_invalid', field: 'effectiveFrom' });
  }
  // From tomorrow at the earliest, like every dated version: a rate for today would rewrite the coverage already shown today.
  if (effectiveFrom <= shanghaiDate(at)) return failure(422, { code: 'liability.error.date_not_future', field: 'effectiveFrom', params: { today: shanghaiDate(at) } });
  const fen = fenOfYuan(input.yuanPerHour, 'yuanPerHour');
  if (!fen.ok) return fen;
  const sqlite = context.db.$client;
  return writeTransaction(sqlite, (): Outcome<ValuationRate> => {
    // One rate per date: a second one for the same date would win silently by its id.
    if (sqlite.prepare('SELECT 1 FROM fund_valuation_rates WHERE effective_from = ?').get(effectiveFrom)) {
      return failure(409, { code: 'liability.error.date_taken', field: 'effectiveFrom', params: { date: effectiveFrom } });
    }
    const id = Number(sqlite.prepare('INSERT INTO fund_valuation_rates (effective_from, fen_per_hour, created_at_ms, created_by_user_id) VALUES (?, ?, ?, ?)')
      .run(effectiveFrom, fen.value, at, actor.userId).lastInsertRowid);
    recordAudit(sqlite, { action: 'fund.rate_published', actorUserId: actor.userId, objectType: 'fund_valuation_rate', objectId: id, ipAddress: actor.ipAddress ?? null,
      detail: { effectiveFrom, fenPerHour: fen.value } }, at);
    return success({ id, effectiveFrom, fenPerHour: fen.value, createdAtMs: at });
  });
}

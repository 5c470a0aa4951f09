import type { Db } from '../../db/client.ts';
import { shanghaiDate } from '../../lib/idcard.ts';
import { bookFundEntry } from '../fund/fund.ts';

/**
 * The demo guarantee fund (issue 20): a network fund with a finance-bureau
 * grant and a charity donation, 凤凰县's own fund with a county grant, one
 * small payout, and a valuation of ¥30 per hour from the start of the year.
 * Runs once (it is skipped when any fund entry exists).
 */
export function seedFund(db: Db, nowMs: number): boolean {
  const sqlite = db.$client;
  if (sqlite.prepare('SELECT 1 FROM fund_entries LIMIT 1').get()) return false;
  const admin = sqlite.prepare("SELECT id FROM users WHERE phone = '13800000006'").pluck().get() as number | undefined;
  const office = sqlite.prepare("SELECT id FROM users WHERE phone = '13800000004'").pluck().get() as number | undefined;
  if (admin === undefined) return false;
  const context = { db, now: () => nowMs };
  const book = (userId: number, scope: string, kind: 'contribution' | 'payout', amountFen: number, source: string, note: string) => {
    const outcome = bookFundEntry(context, userId, scope, kind, { amountFen, source, note });
    if (!outcome.ok) throw new Error(`demo fund entry: ${JSON.stringify(outcome.problems)}`);
  };
  book(admin, 'network', 'contribution', 20_000_000, 'fiscal', '省民政厅 2026 年度时间银行保障资金');
  book(admin, 'network', 'contribution', 5_000_000, 'charity', '省慈善总会定向捐赠');
  book(admin, 'network', 'payout', 120_000, 'payout', '兑付补偿：站点停业，成员改为现金补偿');
  book(office ?? admin, '433123', 'contribution', 3_000_000, 'fiscal', '凤凰县财政拨款');
  sqlite.prepare('INSERT INTO fund_valuation_rates (effective_from, fen_per_hour, created_at_ms, created_by_user_id) VALUES (?, ?, ?, ?)')
    .run(`${shanghaiDate(nowMs).slice(0, 4)}-01-01`, 3000, nowMs, admin);
  return true;
}

import type { Sqlite } from '../../db/client.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { monthOfMs } from './months.ts';
import { regionTree } from './regions-cache.ts';
import { Accumulator, Lookups, partyOf, pendingOrVoid, type TransferRow } from './refresh-parts.ts';

/**
 * The liability figures (issue 20), kept like the other report figures in
 * report_figures (rolled up to every ancestor region) but by their own cursor
 * ('liability'), so a database refreshed before they existed folds in its
 * whole history on the next refresh without recounting anything else.
 * Only posted transfers of ledger 1 (minutes) that touch a member wallet
 * count, at the member's home village (month of the transfer, Shanghai):
 * - liability_balance, dimension = the holder's birth month 'YYYY-MM': every
 *   movement in (+) and out (-) of member wallets; the sum over months <= M
 *   is what the network owes its members at the end of M, by birth month
 *   (so by exact age on any month's last day);
 * - liability_inflow: every amount into a member wallet (service credits,
 *   gifts and payments received, refunds): the layers the FIFO age of the
 *   balance is read from;
 * - liability_issued: service_credit issuance -> wallet, less correction
 *   wallet -> issuance (as credits_issued);
 * - liability_redeemed: redemption and service_payment out of a member wallet
 *   (credits spent on care and services), less correction from a site or
 *   clearing account back into a wallet (a voided basket).
 */
export const liabilityMetric = {
  balance: 'liability_balance',
  inflow: 'liability_inflow',
  issued: 'liability_issued',
  redeemed: 'liability_redeemed',
} as const;

/** The liability figures' cursor in report_cursors (refresh.ts moves it with the ledger's when the two stand together). */
export const liabilityCursor = 'liability';
const cursorName = liabilityCursor;
const pageSize = 50_000;

/** What one transfer adds to the liability figures (posted transfers of ledger 1 only). */
export function countLiabilityTransfer(row: TransferRow, lookups: Lookups, figures: Accumulator): void {
  if ((row.flags & pendingOrVoid) !== 0 || (row.ledger !== undefined && row.ledger !== 1)) return;
  const month = monthOfMs(row.timestampMs);
  const debit = partyOf(row.debitAccountId);
  const credit = partyOf(row.creditAccountId);
  const memberOf = (party: ReturnType<typeof partyOf>) => (party.kind === 'member' ? lookups.member(party.id) : null);
  const payer = memberOf(debit);
  const payee = memberOf(credit);
  if (payee) {
    figures.add(payee.villageCode, month, liabilityMetric.balance, payee.birthDate.slice(0, 7), row.amount);
    figures.add(payee.villageCode, month, liabilityMetric.inflow, '', row.amount);
    if (row.code === 'service_credit' && debit.kind === 'issuance') figures.add(payee.villageCode, month, liabilityMetric.issued, '', row.amount);
    if (row.code === 'correction' && (debit.kind === 'site' || debit.kind === 'clearing')) figures.add(payee.villageCode, month, liabilityMetric.redeemed, '', -row.amount);
  }
  if (payer) {
    figures.add(payer.villageCode, month, liabilityMetric.balance, payer.birthDate.slice(0, 7), -row.amount);
    if (row.code === 'correction' && credit.kind === 'issuance') figures.add(payer.villageCode, month, liabilityMetric.issued, '', -row.amount);
    if (row.code === 'redemption' || row.code === 'service_payment') figures.add(payer.villageCode, month, liabilityMetric.redeemed, '', row.amount);
  }
}

/**
 * Folds the transfers after the cursor into the liability figures, in
 * batches of one IMMEDIATE transaction each (cursor read and moved inside, so
 * two processes never count a transfer twice). Answers the transfers read.
 */
export function refreshLiabilityFigures(sqlite: Sqlite, nowMs: number, batchSize = 20_000): number {
  const head = (sqlite.prepare('SELECT max(seq) FROM ledger_transfers').pluck().get() as number | null) ?? 0;
  const cursor = sqlite.prepare('SELECT position FROM report_cursors WHERE name = ?').pluck();
  if (((cursor.get(cursorName) as number | undefined) ?? 0) >= head) return 0;
  const tree = regionTree(sqlite);
  const lookups = new Lookups(sqlite, tree);
  const figures = new Accumulator(tree);
  const page = sqlite.prepare(`SELECT seq, debit_account_id AS debitAccountId, credit_account_id AS creditAccountId, amount, code, flags,
      pending_id AS pendingId, ref_type AS refType, ref_id AS refId, timestamp_ms AS timestampMs
    FROM ledger_transfers WHERE seq > ? AND ledger = 1 ORDER BY seq LIMIT ?`);
  const last = sqlite.prepare('SELECT max(seq) FROM (SELECT seq FROM ledger_transfers WHERE seq > ? ORDER BY seq LIMIT ?)').pluck();
  const move = sqlite.prepare(`INSERT INTO report_cursors (name, position, updated_at_ms) VALUES (?, ?, ?)
    ON CONFLICT(name) DO UPDATE SET position = excluded.position, updated_at_ms = excluded.updated_at_ms`);
  let read = 0;
  for (;;) {
    const moved = writeTransaction(sqlite, () => {
      const from = (cursor.get(cursorName) as number | undefined) ?? 0;
      const to = last.get(from, batchSize) as number | null;
      if (to === null) return 0;
      // Read in pages; the figures are written once, at the end of the transaction.
      for (let after = from, rows: TransferRow[] = []; after < to; after = rows.at(-1)?.seq ?? to) {
        rows = (page.all(after, Math.min(pageSize, batchSize)) as TransferRow[]).filter((row) => row.seq <= to);
        if (rows.length === 0) break;
        for (const row of rows) countLiabilityTransfer(row, lookups, figures);
      }
      figures.flush(sqlite);
      move.run(cursorName, to, nowMs);
      return to - from;
    });
    if (moved === 0) return read;
    read += moved;
  }
}

import type { LedgerStatements, TransferRow } from './statements.ts';
import type { Account, Transfer } from './types.ts';

/** An account's four totals. */
export type Totals = Pick<Account, 'debitsPending' | 'debitsPosted' | 'creditsPending' | 'creditsPosted'>;

export interface HistoryEntry {
  transfer: Transfer;
  /** Signed from the account's point of view: + money in, - money out, 0 for a hold or a void. */
  direction: 'in' | 'out';
  /** Account totals after this transfer. */
  after: Totals;
}

/** An account's transfers, newest first, with its totals after each (every row stores both sides' totals). */
export function historyOf(statements: LedgerStatements, accountId: string, options: { limit?: number; beforeSeq?: number }): HistoryEntry[] {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
  const before = options.beforeSeq ?? Number.MAX_SAFE_INTEGER;
  const rows = statements.historyPage.all({ account: accountId, before, limit }) as TransferRow[];
  return rows.map((row) => {
    const side = row.debitAccountId === accountId ? 'debit' : 'credit';
    return { transfer: stripAfter(row), direction: side === 'debit' ? 'out' : 'in', after: totalsAfter(row, side) };
  });
}

/** An account's four totals right after sequence number `seq`: from its last transfer on either side. */
export function totalsAt(statements: LedgerStatements, accountId: string, seq: number): Totals {
  const asDebit = statements.lastDebitAt.get(accountId, seq) as TransferRow | undefined;
  const asCredit = statements.lastCreditAt.get(accountId, seq) as TransferRow | undefined;
  if (asDebit && (!asCredit || asDebit.seq > asCredit.seq)) return totalsAfter(asDebit, 'debit');
  if (asCredit) return totalsAfter(asCredit, 'credit');
  return { debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 0 };
}

function totalsAfter(row: TransferRow, side: 'debit' | 'credit'): Totals {
  return side === 'debit'
    ? { debitsPending: row.debitDebitsPendingAfter, debitsPosted: row.debitDebitsPostedAfter,
      creditsPending: row.debitCreditsPendingAfter, creditsPosted: row.debitCreditsPostedAfter }
    : { debitsPending: row.creditDebitsPendingAfter, debitsPosted: row.creditDebitsPostedAfter,
      creditsPending: row.creditCreditsPendingAfter, creditsPosted: row.creditCreditsPostedAfter };
}

function stripAfter(row: TransferRow): Transfer {
  return {
    seq: row.seq, id: row.id, debitAccountId: row.debitAccountId, creditAccountId: row.creditAccountId,
    amount: row.amount, code: row.code, flags: row.flags, pendingId: row.pendingId, timeoutSeconds: row.timeoutSeconds,
    refType: row.refType, refId: row.refId, timestampMs: row.timestampMs, ledger: row.ledger, previousHash: row.previousHash, hash: row.hash,
  };
}

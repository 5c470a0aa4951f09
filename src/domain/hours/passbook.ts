import { and, desc, eq, gte, inArray, lte, sql } from 'drizzle-orm';
import { serviceRecords, serviceTypes, type ServiceRecordStatus } from '../../db/schema/hours.ts';
import type { ServiceRecord } from './records.ts';
import { elders, members } from '../../db/schema/people.ts';
import { maskName } from '../../lib/mask.ts';
import { balanceOf, type Balance, type HistoryEntry, type Transfer, TransferFlags } from '../../ledger/index.ts';
import { accountIds, ledgerFor } from '../bookkeeping/accounts.ts';
import type { KeylessContext } from './context.ts';
import { monthBounds, shanghaiMonthOf, shanghaiToUtcMs, addDays } from './time.ts';
import { present } from '../../lib/assert.ts';
import { clockOf, nowOf } from '../kernel/context.ts';

const zeroBalance: Balance = { posted: 0, available: 0, pendingIn: 0, pendingOut: 0 };

export function walletBalance(context: KeylessContext, memberId: number): Balance {
  const account = ledgerFor(context.db.$client, clockOf(context)).account(accountIds.wallet(memberId));
  return account ? balanceOf(account) : zeroBalance;
}

export interface RecordSummary {
  id: number;
  serviceDate: string;
  startAtMs: number;
  durationMinutes: number;
  creditMinutes: number;
  status: ServiceRecordStatus;
  typeNameZh: string;
  typeNameEn: string;
  elderName: string | null;
  rejectionReason: string | null;
  reversalReason: string | null;
  source: ServiceRecord['source'];
}

export function recentRecords(context: KeylessContext, memberId: number, limit = 10): RecordSummary[] {
  return context.db
    .select({
      id: serviceRecords.id, serviceDate: serviceRecords.serviceDate, startAtMs: serviceRecords.startAtMs,
      durationMinutes: serviceRecords.durationMinutes, creditMinutes: serviceRecords.creditMinutes, status: serviceRecords.status,
      typeNameZh: serviceTypes.nameZh, typeNameEn: serviceTypes.nameEn, elderName: elders.realName,
      rejectionReason: serviceRecords.rejectionReason, reversalReason: serviceRecords.reversalReason, source: serviceRecords.source,
    })
    .from(serviceRecords)
    .innerJoin(serviceTypes, eq(serviceTypes.id, serviceRecords.serviceTypeId))
    .leftJoin(elders, eq(elders.id, serviceRecords.elderId))
    .where(eq(serviceRecords.volunteerMemberId, memberId))
    .orderBy(desc(serviceRecords.startAtMs), desc(serviceRecords.id))
    .limit(limit)
    .all();
}

export interface HoursHome {
  balance: Balance;
  month: string;
  /** Minutes served this Shanghai month, approved and waiting. */
  monthApprovedMinutes: number;
  monthPendingMinutes: number;
  recent: RecordSummary[];
}

export function hoursHome(context: KeylessContext, memberId: number): HoursHome {
  const month = shanghaiMonthOf(nowOf(context));
  const { first, last } = monthBounds(month);
  const rows = context.db
    .select({ status: serviceRecords.status, minutes: sql<number>`sum(${serviceRecords.durationMinutes})` })
    .from(serviceRecords)
    .where(and(eq(serviceRecords.volunteerMemberId, memberId), gte(serviceRecords.serviceDate, first),
      lte(serviceRecords.serviceDate, last), inArray(serviceRecords.status, ['pending', 'approved'])))
    .groupBy(serviceRecords.status)
    .all();
  return {
    balance: walletBalance(context, memberId),
    month,
    monthApprovedMinutes: rows.find((row) => row.status === 'approved')?.minutes ?? 0,
    monthPendingMinutes: rows.find((row) => row.status === 'pending')?.minutes ?? 0,
    recent: recentRecords(context, memberId, 10),
  };
}

export type PassbookKind = 'hold' | 'post' | 'void' | 'expiry' | 'in' | 'out' | 'correction';

export interface PassbookLine {
  seq: number;
  atMs: number;
  code: Transfer['code'];
  kind: PassbookKind;
  /** The i18n key naming what happened, by transfer code first (a redemption hold is not a service record). */
  label: string;
  /** Change of the posted balance (what the member owns): + in, - out, 0 for holds and voids. */
  postedChange: number;
  /** Change of what is waiting: + for credits coming in (service records under review), - for amounts held to go out (a redemption basket, a paid request). */
  pendingChange: number;
  balanceAfter: number;
  availableAfter: number;
  pendingAfter: number;
  refType: string | null;
  refId: string | null;
  /** The service record's type, for service transfers. */
  description: { typeNameZh: string; typeNameEn: string; serviceDate: string } | null;
}

function kindOf(transfer: Transfer, direction: 'in' | 'out'): PassbookKind {
  if (transfer.code === 'expiry') return 'expiry';
  if (transfer.code === 'correction') return 'correction';
  if (transfer.flags & TransferFlags.pending) return 'hold';
  if (transfer.flags & TransferFlags.postPending) return 'post';
  if (transfer.flags & TransferFlags.voidPending) return 'void';
  return direction;
}

/** Labels that depend on the phase of a two-phase transfer or on the direction; otherwise one label per code. */
const specificLabels = new Set([
  'service_credit.hold', 'service_credit.post', 'service_credit.void',
  'redemption.hold', 'redemption.post', 'redemption.void', 'redemption.in',
  'service_payment.hold', 'service_payment.post', 'service_payment.void', 'service_payment.in',
  'gift.in', 'gift.out', 'cap_overflow.void', 'correction.in', 'voucher.out',
]);

/** The passbook label of a transfer, as seen from the wallet: the code decides, the phase and direction refine. */
export function labelOf(transfer: Pick<Transfer, 'code' | 'flags'>, direction: 'in' | 'out'): string {
  const phase = transfer.flags & TransferFlags.pending ? 'hold'
    : transfer.flags & TransferFlags.postPending ? 'post'
      : transfer.flags & TransferFlags.voidPending ? 'void'
        : direction;
  const specific = `${transfer.code}.${phase}`;
  return `hours.passbook.label.${specificLabels.has(specific) ? specific : transfer.code}`;
}

function describe(context: KeylessContext, entries: HistoryEntry[]): Map<string, PassbookLine['description']> {
  const ids = [...new Set(entries.filter((e) => e.transfer.refType === 'service_record' && e.transfer.refId).map((e) => Number(e.transfer.refId)))];
  const map = new Map<string, PassbookLine['description']>();
  if (ids.length === 0) return map;
  const rows = context.db
    .select({ id: serviceRecords.id, serviceDate: serviceRecords.serviceDate, typeNameZh: serviceTypes.nameZh, typeNameEn: serviceTypes.nameEn })
    .from(serviceRecords)
    .innerJoin(serviceTypes, eq(serviceTypes.id, serviceRecords.serviceTypeId))
    .where(inArray(serviceRecords.id, ids))
    .all();
  for (const row of rows) map.set(String(row.id), { typeNameZh: row.typeNameZh, typeNameEn: row.typeNameEn, serviceDate: row.serviceDate });
  return map;
}

function linesOf(context: KeylessContext, entries: HistoryEntry[], older: HistoryEntry | undefined): PassbookLine[] {
  const descriptions = describe(context, entries);
  return entries.map((entry, index) => {
    const previous = entries[index + 1] ?? older;
    const before = previous ? balanceOf(previous.after) : zeroBalance;
    const after = balanceOf(entry.after);
    return {
      seq: entry.transfer.seq,
      atMs: entry.transfer.timestampMs,
      code: entry.transfer.code,
      kind: kindOf(entry.transfer, entry.direction),
      label: labelOf(entry.transfer, entry.direction),
      postedChange: after.posted - before.posted,
      pendingChange: (after.pendingIn - before.pendingIn) - (after.pendingOut - before.pendingOut),
      balanceAfter: after.posted,
      availableAfter: after.available,
      pendingAfter: after.pendingIn,
      refType: entry.transfer.refType,
      refId: entry.transfer.refId,
      description: entry.transfer.refType === 'service_record' && entry.transfer.refId ? descriptions.get(entry.transfer.refId) ?? null : null,
    };
  });
}

export interface PassbookPage {
  lines: PassbookLine[];
  /** Pass as `beforeSeq` for the next (older) page; null on the last page. */
  nextBeforeSeq: number | null;
}

/** Every transfer on the member's wallet, newest first, with the running balance after each. */
export function passbookPage(context: KeylessContext, memberId: number, options: { beforeSeq?: number; pageSize?: number } = {}): PassbookPage {
  const pageSize = Math.min(Math.max(options.pageSize ?? 20, 1), 100);
  const ledger = ledgerFor(context.db.$client, clockOf(context));
  const entries = ledger.history(accountIds.wallet(memberId), { limit: pageSize + 1, ...(options.beforeSeq ? { beforeSeq: options.beforeSeq } : {}) });
  const shown = entries.slice(0, pageSize);
  const lines = linesOf(context, shown, entries[pageSize]);
  return { lines, nextBeforeSeq: entries.length > pageSize ? present(shown.at(-1), 'a page with more after it shows a line').transfer.seq : null };
}

export interface Statement {
  from: string;
  to: string;
  openingBalance: number;
  closingBalance: number;
  totalIn: number;
  totalOut: number;
  /** Oldest first, as a printed statement reads. */
  lines: PassbookLine[];
}

/** A statement for the Shanghai dates [from, to]: opening balance, every transfer, closing balance. */
export function statement(context: KeylessContext, memberId: number, from: string, to: string): Statement {
  const ledger = ledgerFor(context.db.$client, clockOf(context));
  const fromMs = shanghaiToUtcMs(from);
  const toMs = shanghaiToUtcMs(addDays(to, 1));
  const inRange: HistoryEntry[] = [];
  let older: HistoryEntry | undefined;
  let beforeSeq: number | undefined;
  for (;;) {
    const page = ledger.history(accountIds.wallet(memberId), { limit: 500, ...(beforeSeq ? { beforeSeq } : {}) });
    for (const entry of page) {
      if (entry.transfer.timestampMs >= toMs) continue;
      if (entry.transfer.timestampMs >= fromMs) inRange.push(entry);
      else if (!older) older = entry;
    }
    if (older || page.length < 500) break;
    beforeSeq = present(page.at(-1), 'a full page of history has a last entry').transfer.seq;
  }
  const lines = linesOf(context, inRange, older);
  const opening = older ? balanceOf(older.after).posted : 0;
  const newest = inRange[0];
  const closing = newest ? balanceOf(newest.after).posted : opening;
  return {
    from, to, openingBalance: opening, closingBalance: closing,
    totalIn: lines.reduce((sum, line) => sum + Math.max(line.postedChange, 0), 0),
    totalOut: lines.reduce((sum, line) => sum + Math.max(-line.postedChange, 0), 0),
    lines: lines.reverse(),
  };
}

/** Lines on one printed page of a statement, like a bank passbook's page. */
export const statementLinesPerPage = 20;

export interface StatementPage {
  /** 1-based. */
  number: number;
  lines: PassbookLine[];
  /** 承前页: the posted balance at the top of the page (the opening balance on page 1). */
  broughtForward: number;
  /** 过次页: the posted balance at the foot of the page (the closing balance on the last page). */
  carriedForward: number;
}

/**
 * A statement split into printed pages of `linesPerPage` lines. Each page
 * carries forward what the next brings forward, so every page can be checked
 * on its own. A statement with no lines is one page with no lines.
 */
export function statementPages(statement: Statement, linesPerPage = statementLinesPerPage): StatementPage[] {
  if (!Number.isInteger(linesPerPage) || linesPerPage < 1) throw new Error(`linesPerPage must be a positive integer: ${linesPerPage}`);
  const pages: StatementPage[] = [];
  let broughtForward = statement.openingBalance;
  for (let start = 0; start === 0 || start < statement.lines.length; start += linesPerPage) {
    const lines = statement.lines.slice(start, start + linesPerPage);
    const carriedForward = broughtForward + lines.reduce((sum, line) => sum + line.postedChange, 0);
    const last = lines.at(-1);
    if (last && carriedForward !== last.balanceAfter) {
      throw new Error(`statement page ${pages.length + 1}: carried forward ${carriedForward} is not the last line's balance ${last.balanceAfter}`);
    }
    pages.push({ number: pages.length + 1, lines, broughtForward, carriedForward });
    broughtForward = carriedForward;
  }
  if (broughtForward !== statement.closingBalance) throw new Error(`statement pages end at ${broughtForward}, the closing balance is ${statement.closingBalance}`);
  return pages;
}

export interface StatementHolder {
  /** Masked (张*丰): a printed page can be left on a counter. */
  maskedName: string;
  cardNumber: string | null;
  volunteerNumber: string | null;
}

/** The holder block printed at the top of every statement page. */
export function statementHolder(context: KeylessContext, memberId: number): StatementHolder | null {
  const row = context.db.select({ realName: members.realName, cardNumber: members.cardNumber, volunteerNumber: members.volunteerNumber })
    .from(members).where(eq(members.id, memberId)).get();
  return row ? { maskedName: maskName(row.realName), cardNumber: row.cardNumber, volunteerNumber: row.volunteerNumber } : null;
}

import type { Sqlite } from '../../db/client.ts';
import { LedgerCodes } from '../../ledger/index.ts';
import { authorize, grantsFor, permission, type Actor } from '../access/authorize.ts';
import { recordAudit } from '../audit/audit.ts';
import { ensureAccounts, ledgerFor } from '../bookkeeping/accounts.ts';
import { nowOf, type KeylessContext } from '../kernel/context.ts';
import { failure, success, type Outcome } from '../kernel/outcome.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { contentHash, idempotencyConflictKey, writeOnceValue } from '../kernel/idempotency.ts';
import { regionTree } from '../reports/regions-cache.ts';
import { fundAccountIds, fundAccountInputs, fundSources, type FundScope, type FundSource } from './accounts.ts';
import { fenOfYuan, yuanText } from './amounts.ts';

/**
 * Contributions to and payouts from the guarantee fund (issue 20). The top
 * office (an administrator of the root region) keeps the network fund; a
 * county office (office or admin whose scope covers the county) keeps that
 * county's own fund. Each entry is a row of fund_entries and the ledger
 * transfer `fund:<entry id>` on ledger 2, in one IMMEDIATE transaction with
 * its audit record: a payout above the balance is refused by the ledger
 * (the fund account may never go below zero) and leaves no trace.
 */
export const canKeepFund = permission('fund.keep', ['office', 'admin']);
const canKeepNetworkFund = permission('fund.network', ['admin']);

export interface FundEntryInput {
  scope: FundScope;
  kind: 'contribution' | 'payout';
  /** Yuan as typed; stored as integer fen. */
  amount: string;
  /** Contributions: one of fundSources. Payouts: ignored. */
  source?: string;
  note?: string;
}

export interface FundEntry {
  id: number;
  scope: string;
  kind: 'contribution' | 'payout';
  amountFen: number;
  source: string;
  note: string;
  createdAtMs: number;
}

/** Whether the actor keeps the network fund: an administrator whose scope is a root region. */
export function keepsNetworkFund(actor: Actor | null): boolean {
  return grantsFor(actor, canKeepNetworkFund).some((grant) => grant.regionPath !== null && grant.regionPath.split('/').filter(Boolean).length === 1);
}

/** The funds the actor may record entries for: 'network' and/or county codes. */
export function fundScopesOf(sqlite: Sqlite, actor: Actor | null): FundScope[] {
  const scopes: FundScope[] = keepsNetworkFund(actor) ? ['network'] : [];
  for (const node of regionTree(sqlite).values()) {
    if (node.level === 'county' && authorize(actor, canKeepFund, { regionPath: node.path })) scopes.push(node.code);
  }
  return scopes.sort((a, b) => (a === 'network' ? -1 : b === 'network' ? 1 : a.localeCompare(b)));
}

/** A fund the actor may not keep answers like one that does not exist (404). */
function scopeRefusal(sqlite: Sqlite, actor: Actor | null, scope: FundScope) {
  if (scope === 'network') return keepsNetworkFund(actor) ? null : failure(actor && grantsFor(actor, canKeepFund).length > 0 ? 404 : 403, { code: 'liability.error.fund_not_found' });
  const county = regionTree(sqlite).get(scope);
  if (!county || county.level !== 'county' || !authorize(actor, canKeepFund, { regionPath: county.path })) {
    return failure(grantsFor(actor, canKeepFund).length > 0 ? 404 : 403, { code: 'liability.error.fund_not_found' });
  }
  return null;
}

function entryValues(input: FundEntryInput): Outcome<{ amountFen: number; source: string; note: string }> {
  if (input.kind !== 'contribution' && input.kind !== 'payout') return failure(422, { code: 'liability.error.kind_invalid', field: 'kind' });
  const amount = fenOfYuan(input.amount);
  if (!amount.ok) return amount;
  const note = (input.note ?? '').trim();
  if (note.length > 200) return failure(422, { code: 'liability.error.note_too_long', field: 'note' });
  if (input.kind === 'payout') {
    if (note.length === 0) return failure(422, { code: 'liability.error.payout_note_required', field: 'note' });
    return success({ amountFen: amount.value, source: 'payout', note });
  }
  if (!(fundSources as readonly string[]).includes(input.source ?? '')) return failure(422, { code: 'liability.error.source_invalid', field: 'source' });
  return success({ amountFen: amount.value, source: input.source as FundSource, note });
}

/**
 * Records one contribution or payout: the entry, its ledger transfer and the
 * audit record, or nothing. Under the form's idempotency key (the kernel's one
 * mechanism) a double click or a reload records it once and answers the first
 * entry again (`replayed`); the key with other content is refused (409).
 */
export function recordFundEntry(context: KeylessContext, actor: Actor, input: FundEntryInput, idempotencyKey: string | null = null): Outcome<FundEntry & { replayed?: boolean }> {
  const sqlite = context.db.$client;
  const denied = scopeRefusal(sqlite, actor, input.scope);
  if (denied) return denied;
  const values = entryValues(input);
  if (!values.ok) return values;
  const request = idempotencyKey === null ? null
    : { key: idempotencyKey, scope: 'fund.entry', contentHash: contentHash({ scope: input.scope, kind: input.kind, ...values.value }) };
  return writeOnceValue(context.db, request, actor.userId, nowOf(context), { conflict: () => failure(409, { code: idempotencyConflictKey }) },
    () => bookFundEntry(context, actor.userId, input.scope, input.kind, values.value, actor.ipAddress ?? null));
}

class Refused extends Error {
  constructor(readonly refusal: ReturnType<typeof failure>) {
    super('refused');
  }
}

/** Books a checked entry (also the demo seed's way in): the check of the balance and the write are one IMMEDIATE transaction. */
export function bookFundEntry(context: KeylessContext, userId: number, scope: FundScope, kind: 'contribution' | 'payout',
  values: { amountFen: number; source: string; note: string }, ipAddress: string | null = null): Outcome<FundEntry> {
  const sqlite = context.db.$client;
  const at = nowOf(context);
  try {
    return writeTransaction(sqlite, () => {
      const ledger = ledgerFor(sqlite, () => at);
      ensureAccounts(ledger, fundAccountInputs(scope));
      const id = Number(sqlite.prepare(`INSERT INTO fund_entries (scope, kind, amount_fen, source, note, transfer_id, created_at_ms, created_by_user_id)
        VALUES (?, ?, ?, ?, ?, '', ?, ?)`).run(scope, kind, values.amountFen, values.source, values.note, at, userId).lastInsertRowid);
      const transferId = `fund:${id}`;
      sqlite.prepare('UPDATE fund_entries SET transfer_id = ? WHERE id = ?').run(transferId, id);
      const [fund, source] = [fundAccountIds.fund(scope), fundAccountIds.source(scope)];
      const [result] = ledger.createTransfers([{
        id: transferId, debitAccountId: kind === 'contribution' ? source : fund, creditAccountId: kind === 'contribution' ? fund : source,
        amount: values.amountFen, code: kind === 'contribution' ? 'fund_contribution' : 'fund_payout', ledger: LedgerCodes.fen, refType: 'fund_entry', refId: String(id),
      }]);
      if (result === 'exceeds_credits') throw new Refused(failure(409, { code: 'liability.error.exceeds_balance', field: 'amount', params: { balance: yuanText(fundBalanceFen(sqlite, scope)) } }));
      if (result !== 'ok') throw new Error(`fund transfer ${transferId}: ${result}`);
      recordAudit(sqlite, { action: `fund.${kind}`, actorUserId: userId, objectType: 'fund_entry', objectId: id, regionCode: scope === 'network' ? null : scope, ipAddress,
        detail: { scope, amountFen: values.amountFen, source: values.source } }, at);
      return success({ id, scope, kind, amountFen: values.amountFen, source: values.source, note: values.note, createdAtMs: at });
    });
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}

/** A fund's balance in fen, now or (with `beforeMs`) from its posted transfers before that instant (the account indexes: no scan). */
export function fundBalanceFen(sqlite: Sqlite, scope: FundScope, beforeMs?: number): number {
  const id = fundAccountIds.fund(scope);
  if (beforeMs === undefined) {
    return (sqlite.prepare('SELECT credits_posted - debits_posted FROM ledger_accounts WHERE id = ?').pluck().get(id) as number | undefined) ?? 0;
  }
  const side = (column: 'credit_account_id' | 'debit_account_id') => sqlite.prepare(`SELECT coalesce(sum(amount), 0) FROM ledger_transfers
      WHERE ${column} = ? AND ledger = 2 AND timestamp_ms < ? AND (flags & 10) = 0`).pluck().get(id, beforeMs) as number;
  return side('credit_account_id') - side('debit_account_id');
}

/** Every fund's balance before an instant: 'network' and each county that has a fund. */
export function fundBalancesBefore(sqlite: Sqlite, beforeMs: number): Map<FundScope, number> {
  const ids = sqlite.prepare("SELECT id FROM ledger_accounts WHERE kind = 'fund'").pluck().all() as string[];
  return new Map(ids.map((id) => {
    const scope = id.slice('fund:'.length);
    return [scope, fundBalanceFen(sqlite, scope, beforeMs)];
  }));
}

/** The latest entries of the funds named, newest first. */
export function fundEntries(sqlite: Sqlite, scopes: readonly FundScope[], limit = 50): FundEntry[] {
  if (scopes.length === 0) return [];
  return sqlite.prepare(`SELECT id, scope, kind, amount_fen AS amountFen, source, note, created_at_ms AS createdAtMs FROM fund_entries
      WHERE scope IN (${scopes.map(() => '?').join(',')}) ORDER BY id DESC LIMIT ?`).all(...scopes, limit) as FundEntry[];
}

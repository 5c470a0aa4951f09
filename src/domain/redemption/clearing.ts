import { eq } from 'drizzle-orm';
import { clearingSettlements } from '../../db/schema/redemption.ts';
import { balanceOf } from '../../ledger/index.ts';
import { grantsFor, permission, regionScopes, type Actor } from '../access/authorize.ts';
import { accountIds, countyAccounts, ensureAccounts } from '../bookkeeping/accounts.ts';
import { countyCodeOfPath } from '../regions/path.ts';
import { contentHash } from '../kernel/idempotency.ts';
import {
  applyTransfers, ledgerOf, nowOf, refuse, regionOf, replayKeyed, roleRefusal, success, writeOnceKeyed, type Outcome, type RedemptionContext, type Refusal,
} from './context.ts';
import { audit } from '../audit/audit.ts';
import { codesOfPath, isAboveCounty, sharedDepth } from '../regions/path.ts';
import { present } from '../../lib/assert.ts';

/**
 * Inter-county clearing (通存通兑), read straight from the ledger.
 *
 * A cross-county redemption credits the member's home county clearing account
 * and debits the site's county clearing account (see counter-core.ts). For a county X:
 * - outbound: what X's members spent at other counties' sites (credits, code
 *   redemption, less corrections debited);
 * - inbound: what other counties' members spent at X's sites (debits, code
 *   redemption, less corrections credited);
 * - settled paid / received: settlements debited / credited;
 * - position = the clearing account's balance (credits - debits):
 *   > 0 X owes the network, < 0 X is owed. All positions sum to zero.
 * Only posted effects count: pending holds and voids are left out, a
 * post_pending transfer counts with its posted amount. Months are Asia/Shanghai.
 */
export const canViewClearing = permission('clearing.view', ['office', 'admin']);
export const canSettle = permission('clearing.settle', ['office', 'admin']);

/** Null when the actor may see the clearing page; otherwise the 403 page (issue 15). */
export function clearingAccess(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canViewClearing);
}

/** Null when the actor may record settlements (an office; which pairs is asked later); otherwise the 403 page, asked before the form is read. */
export function settlementAccess(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canSettle);
}

export interface CountyMonth {
  countyCode: string;
  month: string;
  outboundMinutes: number;
  inboundMinutes: number;
  settledPaidMinutes: number;
  settledReceivedMinutes: number;
}

export interface CountyPosition {
  countyCode: string;
  countyName: string;
  countyNameEn: string | null;
  outboundMinutes: number;
  inboundMinutes: number;
  settledPaidMinutes: number;
  settledReceivedMinutes: number;
  /** Clearing balance: > 0 owes, < 0 is owed. */
  positionMinutes: number;
}

export interface ClearingView {
  counties: CountyPosition[];
  months: CountyMonth[];
  /** Sum of all positions in the network: always 0. */
  networkSumMinutes: number;
  settlements: Settlement[];
  /** County pairs (from the counter's records) by month: who redeemed where. */
  pairs: { month: string; fromCountyCode: string; toCountyCode: string; minutes: number; count: number }[];
}

const monthSql = `strftime('%Y-%m', (t.timestamp_ms + 8 * 3600000) / 1000, 'unixepoch')`;
// Flags: pending = 2, void_pending = 8. Posted effects only.
const postedOnly = '(t.flags & 2) = 0 AND (t.flags & 8) = 0';

/** The clearing view, for the whole network or the counties inside `regionPath`. */
export function clearingView(context: RedemptionContext, regionPath?: string): ClearingView {
  const sqlite = context.db.$client;
  const rows = sqlite
    .prepare(`SELECT a.id AS accountId, ${monthSql} AS month,
        sum(CASE WHEN t.credit_account_id = a.id AND t.code = 'redemption' THEN t.amount WHEN t.debit_account_id = a.id AND t.code = 'correction' THEN -t.amount ELSE 0 END) AS outbound,
        sum(CASE WHEN t.debit_account_id = a.id AND t.code = 'redemption' THEN t.amount WHEN t.credit_account_id = a.id AND t.code = 'correction' THEN -t.amount ELSE 0 END) AS inbound,
        sum(CASE WHEN t.debit_account_id = a.id AND t.code = 'settlement' THEN t.amount ELSE 0 END) AS paid,
        sum(CASE WHEN t.credit_account_id = a.id AND t.code = 'settlement' THEN t.amount ELSE 0 END) AS received
      FROM ledger_accounts a JOIN ledger_transfers t ON (t.debit_account_id = a.id OR t.credit_account_id = a.id)
      WHERE a.kind = 'clearing' AND ${postedOnly}
      GROUP BY a.id, month ORDER BY month, a.id`)
    .all() as { accountId: string; month: string; outbound: number; inbound: number; paid: number; received: number }[];
  const accounts = sqlite.prepare(`SELECT id FROM ledger_accounts WHERE kind = 'clearing' ORDER BY id`).all() as { id: string }[];
  const ledger = ledgerOf(context);
  let networkSum = 0;
  const counties: CountyPosition[] = [];
  const included = (countyCode: string) => {
    if (!regionPath) return true;
    const county = regionOf(context.db, countyCode);
    return county !== undefined && county.path.startsWith(regionPath);
  };
  for (const { id } of accounts) {
    const countyCode = id.slice('clearing:'.length);
    const balance = balanceOf(present(ledger.account(id), 'a clearing account just listed exists (accounts are never deleted)')).posted;
    networkSum += balance;
    if (!included(countyCode)) continue;
    const own = rows.filter((row) => row.accountId === id);
    const total = (key: 'outbound' | 'inbound' | 'paid' | 'received') => own.reduce((sum, row) => sum + row[key], 0);
    if (own.length === 0 && balance === 0) continue;
    const county = regionOf(context.db, countyCode);
    counties.push({
      countyCode, countyName: county?.nameZh ?? countyCode, countyNameEn: county?.nameEn ?? null,
      outboundMinutes: total('outbound'), inboundMinutes: total('inbound'), settledPaidMinutes: total('paid'), settledReceivedMinutes: total('received'),
      positionMinutes: balance,
    });
  }
  const months = rows
    .filter((row) => included(row.accountId.slice('clearing:'.length)))
    .map((row) => ({
      countyCode: row.accountId.slice('clearing:'.length), month: row.month, outboundMinutes: row.outbound, inboundMinutes: row.inbound,
      settledPaidMinutes: row.paid, settledReceivedMinutes: row.received,
    }));
  const pairs = (sqlite
    .prepare(`SELECT strftime('%Y-%m', (confirmed_at_ms + 8 * 3600000) / 1000, 'unixepoch') AS month, member_county_code AS fromCountyCode,
                     site_county_code AS toCountyCode, sum(total_minutes) AS minutes, count(*) AS count
                FROM redemptions WHERE status = 'confirmed' AND member_county_code <> site_county_code
               GROUP BY month, fromCountyCode, toCountyCode ORDER BY month, fromCountyCode, toCountyCode`)
    .all() as ClearingView['pairs']).filter((pair) => included(pair.fromCountyCode) || included(pair.toCountyCode));
  const settlements = listSettlements(context).filter((s) => included(s.fromCountyCode) || included(s.toCountyCode));
  return { counties, months, networkSumMinutes: networkSum, settlements, pairs };
}

export interface Settlement {
  id: number;
  fromCountyCode: string;
  fromCountyName: string;
  toCountyCode: string;
  toCountyName: string;
  amountMinutes: number;
  note: string;
  transferId: string;
  recordedBy: string | null;
  atMs: number;
}

export function listSettlements(context: RedemptionContext): Settlement[] {
  return context.db.$client
    .prepare(`SELECT s.id, s.from_county_code AS fromCountyCode, f.name_zh AS fromCountyName, s.to_county_code AS toCountyCode, o.name_zh AS toCountyName,
                     s.amount_minutes AS amountMinutes, s.note, s.transfer_id AS transferId, u.display_name AS recordedBy, s.at_ms AS atMs
                FROM clearing_settlements s JOIN regions f ON f.code = s.from_county_code JOIN regions o ON o.code = s.to_county_code
                LEFT JOIN users u ON u.id = s.recorded_by_user_id ORDER BY s.id DESC`)
    .all() as Settlement[];
}

export interface SettlementInput {
  fromCountyCode: string;
  toCountyCode: string;
  amountMinutes: number;
  note: string;
  idempotencyKey: string;
}

/**
 * A higher-level office (one whose region holds both counties and is above
 * county level) records a settlement: clearing:from -> clearing:to, code
 * 'settlement'. `from` must owe at least the amount and `to` be owed at least
 * as much, so a settlement never turns a position around.
 */
/** The idempotency scope of a settlement; migration 0017 copied earlier settlements' keys under it. */
export const settlementKeyScope = 'redemption.settlement';

export function recordSettlement(context: RedemptionContext, actor: Actor, input: SettlementInput): Outcome<Settlement> {
  const denied = settlementAccess(actor);
  if (denied) return denied;
  const once = {
    key: input.idempotencyKey, scope: settlementKeyScope,
    contentHash: contentHash({ from: input.fromCountyCode ?? '', to: input.toCountyCode ?? '', amountMinutes: input.amountMinutes, note: (input.note ?? '').trim() }),
  };
  const record = { idOf: (settlement: Settlement) => settlement.id, load: (id: number) => listSettlements(context).find((s) => s.id === id) };
  const replayed = replayKeyed(context, actor, once, record);
  if (replayed) return replayed;
  const from = regionOf(context.db, input.fromCountyCode ?? '');
  const to = regionOf(context.db, input.toCountyCode ?? '');
  if (!from || from.level !== 'county' || !to || to.level !== 'county') return refuse(422, 'redemption.error.county_unknown', undefined, 'from');
  if (from.code === to.code) return refuse(422, 'redemption.error.counties_same', undefined, 'to');
  if (!maySettlePair(actor, from.path, to.path)) return refuse(403, 'redemption.error.settle_higher_office');
  if (!Number.isInteger(input.amountMinutes) || input.amountMinutes <= 0) return refuse(422, 'redemption.error.amount_invalid', undefined, 'amount');
  const note = (input.note ?? '').trim();
  if (note.length === 0 || note.length > 200) return refuse(422, 'redemption.error.note_required', undefined, 'note');
  return writeOnceKeyed(context, actor, once, record, () => {
    const ledger = ledgerOf(context);
    ensureAccounts(ledger, [...countyAccounts(from.code), ...countyAccounts(to.code)]);
    const owes = balanceOf(present(ledger.account(accountIds.clearing(from.code)), 'ensureAccounts has just opened the clearing accounts')).posted;
    const owed = -balanceOf(present(ledger.account(accountIds.clearing(to.code)), 'ensureAccounts has just opened the clearing accounts')).posted;
    const most = Math.max(0, Math.min(owes, owed));
    if (input.amountMinutes > most) return refuse(409, 'redemption.error.settlement_exceeds', { most }, 'amount');
    const row = context.db
      .insert(clearingSettlements)
      .values({ idempotencyKey: input.idempotencyKey, fromCountyCode: from.code, toCountyCode: to.code, amountMinutes: input.amountMinutes, note, transferId: '', recordedByUserId: actor.userId, atMs: nowOf(context) })
      .returning({ id: clearingSettlements.id })
      .get();
    const transferId = `stl:${row.id}`;
    const applied = applyTransfers(context, [{
      id: transferId, debitAccountId: accountIds.clearing(from.code), creditAccountId: accountIds.clearing(to.code), amount: input.amountMinutes,
      code: 'settlement', refType: 'settlement', refId: String(row.id),
    }]);
    if (!applied.ok) return applied;
    context.db.update(clearingSettlements).set({ transferId }).where(eq(clearingSettlements.id, row.id)).run();
    audit(context, actor, 'clearing.settle', 'settlement', row.id, countyCodeOfPath(from.path) ?? null, { to: to.code, amountMinutes: input.amountMinutes });
    return success(present(listSettlements(context).find((s) => s.id === row.id), 'the settlement this transaction inserted is listed'));
  });
}

/**
 * Who may settle between two counties: an office whose region holds both and
 * is above county level (a city or prefecture for two of its counties, the
 * province for counties of different cities).
 */
export function maySettlePair(actor: Actor, fromPath: string, toPath: string): boolean {
  return grantsFor(actor, canSettle).some((grant) => grant.regionPath !== null
    && fromPath.startsWith(grant.regionPath) && toPath.startsWith(grant.regionPath) && isAboveCounty(grant.regionPath));
}

export interface CountyName {
  code: string;
  nameZh: string;
  nameEn: string | null;
}

export interface SettlementCell {
  from: CountyName;
  to: CountyName;
  /** The most a settlement between them may move: what `from` owes, up to what `to` is owed. */
  mostMinutes: number;
  maySettle: boolean;
  /** The smallest region whose office may settle this pair (city or province). */
  settledBy: CountyName | null;
}

export interface SettlementMatrix {
  /** Counties that owe the network (position > 0), rows; counties owed (< 0), columns: at least one of each pair in the actor's scope. */
  owing: (CountyName & { positionMinutes: number })[];
  owed: (CountyName & { positionMinutes: number })[];
  cells: SettlementCell[];
  /** Counties the actor may pick in the settlement form (every county under a grant that may settle). */
  settleCounties: CountyName[];
}

const nameOf = (region: { code: string; nameZh: string; nameEn: string | null }): CountyName => ({ code: region.code, nameZh: region.nameZh, nameEn: region.nameEn });

/** The positions in the actor's scope as a matrix of who owes whom, and which pairs the actor may settle. */
export function settlementMatrix(context: RedemptionContext, actor: Actor): SettlementMatrix {
  const scopes = regionScopes(actor, canViewClearing);
  const view = clearingView(context);
  const regions = new Map(view.counties.map((county) => [county.countyCode, regionOf(context.db, county.countyCode)]));
  const inScope = (code: string) => { const path = regions.get(code)?.path; return path !== undefined && scopes.some((scope) => path.startsWith(scope)); };
  const withName = (county: CountyPosition) => ({ ...nameOf(regions.get(county.countyCode) ?? { code: county.countyCode, nameZh: county.countyName, nameEn: county.countyNameEn }), positionMinutes: county.positionMinutes });
  const owingAll = view.counties.filter((county) => county.positionMinutes > 0);
  const owedAll = view.counties.filter((county) => county.positionMinutes < 0);
  const cells: SettlementCell[] = [];
  for (const from of owingAll) {
    for (const to of owedAll) {
      if (!inScope(from.countyCode) && !inScope(to.countyCode)) continue;
      const fromPath = regions.get(from.countyCode)?.path ?? '';
      const toPath = regions.get(to.countyCode)?.path ?? '';
      cells.push({
        from: withName(from), to: withName(to), mostMinutes: Math.min(from.positionMinutes, -to.positionMinutes),
        maySettle: maySettlePair(actor, fromPath, toPath), settledBy: commonOffice(context, fromPath, toPath),
      });
    }
  }
  const used = (code: string) => cells.some((cell) => cell.from.code === code || cell.to.code === code);
  const settlePaths = regionScopes(actor, canSettle).filter(isAboveCounty);
  const settleCounties = settlePaths.length === 0 ? [] : (context.db.$client
    .prepare(`SELECT code, name_zh AS nameZh, name_en AS nameEn FROM regions WHERE level = 'county' AND (${settlePaths.map(() => 'path LIKE ?').join(' OR ')}) ORDER BY code`)
    .all(...settlePaths.map((path) => `${path}%`)) as CountyName[]);
  return {
    owing: owingAll.filter((county) => used(county.countyCode)).map(withName),
    owed: owedAll.filter((county) => used(county.countyCode)).map(withName),
    cells,
    settleCounties,
  };
}

/** The deepest region holding both counties: its office settles between them. */
function commonOffice(context: RedemptionContext, fromPath: string, toPath: string): CountyName | null {
  const code = codesOfPath(fromPath)[Math.min(sharedDepth(fromPath, toPath), 2) - 1];
  const region = code ? regionOf(context.db, code) : undefined;
  return region ? nameOf(region) : null;
}

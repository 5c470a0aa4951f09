import { eq } from 'drizzle-orm';
import { voucherGrantLines, voucherGrants } from '../../db/schema/redemption.ts';
import { TransferFlags, balanceOf } from '../../ledger/index.ts';
import { authorize, permission, regionScopes, type Actor } from '../access/authorize.ts';
import { likeLiteral } from '../../lib/like.ts';
import { isElderCategory } from '../people/elders/categories.ts';
import { contentHash } from '../kernel/idempotency.ts';
import { accountIds, countyAccounts, ensureAccounts } from '../bookkeeping/accounts.ts';
import { countyCodeOfPath } from '../regions/path.ts';
import {
  applyTransfers, ledgerOf, nowOf, redemptionAccounts, refuse, regionOf, replayKeyed, roleRefusal, success, writeOnceKeyed,
  type Outcome, type RedemptionContext, type Refusal,
} from './context.ts';
import { audit } from '../audit/audit.ts';
import { notify } from '../messages/notify.ts';
import { assert, present } from '../../lib/assert.ts';

/**
 * Vouchers (消费券) for registered elders: an office grants credits from its
 * county's issuance account or public-welfare pool to one elder, or to every
 * active elder of a category in a region at once. Each elder's voucher
 * balance is its own ledger account (voucher:e<id>), spent only at service
 * stations (see counter-core.ts) or on service requests. The grant is one linked
 * chain: all elders get it or none (a pool short of credits refuses it all).
 */
export const canGrantVouchers = permission('vouchers.grant', ['office', 'admin']);

export type VoucherGrant = typeof voucherGrants.$inferSelect;

export interface VoucherGrantInput {
  source: 'issuance' | 'pool';
  /** A county or a region below it. */
  regionCode: string;
  /** One elder, or every active elder of `category` in the region. */
  elderId?: number | null;
  category?: string | null;
  amountPerElderMinutes: number;
  reason: string;
  idempotencyKey: string;
}

/** The idempotency scope of a voucher grant; migration 0017 copied earlier grants' keys under it. */
export const voucherGrantKeyScope = 'redemption.voucher_grant';

/** Null when the actor may open the vouchers page (an office); otherwise the 403 page (issue 15), asked before the form is read. */
export function vouchersAccess(actor: Actor | null): Refusal | null {
  return roleRefusal(actor, canGrantVouchers);
}

/** The elders a grant goes to: the one named (active, in the region), or every active elder of the category there. */
function grantRecipients(context: RedemptionContext, input: VoucherGrantInput, regionPath: string): { elderIds: number[]; category: string | null } | Refusal {
  if (input.elderId) {
    const row = context.db.$client
      .prepare(`SELECT e.id FROM elders e JOIN regions r ON r.code = e.village_code WHERE e.id = ? AND e.status = 'active' AND r.path LIKE ?`)
      .get(input.elderId, `${regionPath}%`) as { id: number } | undefined;
    if (!row) return refuse(404, 'redemption.error.elder_not_found', undefined, 'elder');
    return { elderIds: [row.id], category: null };
  }
  if (!input.category || !isElderCategory(input.category)) return refuse(422, 'redemption.error.category_required', undefined, 'category');
  const elderIds = (context.db.$client
    .prepare(`SELECT e.id FROM elders e JOIN regions r ON r.code = e.village_code JOIN elder_categories c ON c.elder_id = e.id
               WHERE e.status = 'active' AND c.category = ? AND r.path LIKE ? ORDER BY e.id`)
    .all(input.category, `${regionPath}%`) as { id: number }[]).map((row) => row.id);
  if (elderIds.length === 0) return refuse(409, 'redemption.error.no_elders');
  return { elderIds, category: input.category };
}

export function grantVouchers(context: RedemptionContext, actor: Actor, input: VoucherGrantInput): Outcome<VoucherGrant> {
  const denied = vouchersAccess(actor);
  if (denied) return denied;
  const once = {
    key: input.idempotencyKey, scope: voucherGrantKeyScope,
    contentHash: contentHash({
      source: input.source, regionCode: (input.regionCode ?? '').trim(), elderId: input.elderId ?? null, category: input.category ?? null,
      amountPerElderMinutes: input.amountPerElderMinutes, reason: (input.reason ?? '').trim(),
    }),
  };
  const record = { idOf: (grant: VoucherGrant) => grant.id, load: (id: number) => context.db.select().from(voucherGrants).where(eq(voucherGrants.id, id)).get() };
  const replayed = replayKeyed(context, actor, once, record);
  if (replayed) return replayed;
  // One elder needs no region typed: the elder's own village is the region of the grant.
  const regionCode = (input.regionCode ?? '').trim() || (input.elderId ? elderVillageCode(context, input.elderId) : '');
  const region = regionOf(context.db, regionCode);
  // A region outside the office's area answers exactly like one that does not exist.
  const grantable = region && ['county', 'township', 'village'].includes(region.level) && authorize(actor, canGrantVouchers, { regionPath: region.path });
  if (!grantable) return refuse(422, 'redemption.error.region_in_county', undefined, 'region');
  if (input.source !== 'issuance' && input.source !== 'pool') return refuse(422, 'redemption.error.source_invalid', undefined, 'source');
  if (!Number.isInteger(input.amountPerElderMinutes) || input.amountPerElderMinutes <= 0 || input.amountPerElderMinutes > 100 * 60) {
    return refuse(422, 'redemption.error.amount_invalid', undefined, 'amount');
  }
  const reason = (input.reason ?? '').trim();
  if (reason.length === 0 || reason.length > 200) return refuse(422, 'redemption.error.reason_required', undefined, 'reason');
  const countyCode = countyCodeOfPath(region.path);
  assert(countyCode !== undefined, 'a voucher region lies in a county');
  const recipients = grantRecipients(context, input, region.path);
  if (!('elderIds' in recipients)) return recipients;
  const { elderIds, category } = recipients;
  const sourceAccount = input.source === 'issuance' ? accountIds.issuance(countyCode) : accountIds.pool(countyCode);
  return writeOnceKeyed(context, actor, once, record, () => {
    const ledger = ledgerOf(context);
    ensureAccounts(ledger, [...countyAccounts(countyCode), ...elderIds.map((id) => redemptionAccounts.voucher(id))]);
    const grant = context.db
      .insert(voucherGrants)
      .values({
        idempotencyKey: input.idempotencyKey, source: input.source, countyCode, regionCode: region.code, category,
        elderId: input.elderId ?? null, amountPerElderMinutes: input.amountPerElderMinutes, elderCount: elderIds.length, reason, grantedByUserId: actor.userId, atMs: nowOf(context),
      })
      .returning({ id: voucherGrants.id })
      .get();
    const transferIdOf = (elderId: number) => `vch:${grant.id}:${elderId}`;
    const transfers = elderIds.map((elderId, index) => ({
      id: transferIdOf(elderId), debitAccountId: sourceAccount, creditAccountId: redemptionAccounts.voucher(elderId).id,
      amount: input.amountPerElderMinutes, code: 'voucher' as const, flags: index < elderIds.length - 1 ? TransferFlags.linked : 0,
      refType: 'voucher_grant', refId: String(grant.id),
    }));
    const applied = applyTransfers(context, transfers);
    if (!applied.ok) {
      const pool = ledger.account(sourceAccount);
      return refuse(409, 'redemption.error.pool_insufficient', { available: pool ? balanceOf(pool).available : 0, total: input.amountPerElderMinutes * elderIds.length });
    }
    for (const elderId of elderIds) {
      context.db.insert(voucherGrantLines).values({ grantId: grant.id, elderId, transferId: transferIdOf(elderId) }).run();
    }
    for (const memberId of membersOfElders(context, elderIds)) {
      notify(context, { kind: 'credits_voucher', to: { memberId }, params: { grantId: grant.id, amountMinutes: input.amountPerElderMinutes } });
    }
    audit(context, actor, 'voucher.grant', 'voucher_grant', grant.id, region.code, {
      source: input.source, elderCount: elderIds.length, amountPerElderMinutes: input.amountPerElderMinutes,
    });
    return success(present(context.db.select().from(voucherGrants).where(eq(voucherGrants.id, grant.id)).get(), 'the grant this transaction inserted exists'));
  });
}

/** The member records of the elders that have one (an elder without one has no inbox). */
function membersOfElders(context: RedemptionContext, elderIds: readonly number[]): number[] {
  const memberOf = context.db.$client.prepare("SELECT member_id FROM elders WHERE id = ? AND member_id IS NOT NULL").pluck();
  return elderIds.map((id) => memberOf.get(id) as number | undefined).filter((id): id is number => id !== undefined);
}

function elderVillageCode(context: RedemptionContext, elderId: number): string {
  const row = context.db.$client.prepare('SELECT village_code AS code FROM elders WHERE id = ?').get(elderId) as { code: string } | undefined;
  return row?.code ?? '';
}

export interface GrantableRegion {
  code: string;
  nameZh: string;
  nameEn: string | null;
  level: 'county' | 'township' | 'village';
}

/** The regions an office may grant in (counties, townships, villages of its scopes), in tree order, for a picker. */
export function grantableRegions(context: RedemptionContext, actor: Actor): GrantableRegion[] {
  const statement = context.db.$client.prepare(`SELECT code, name_zh AS nameZh, name_en AS nameEn, level FROM regions
     WHERE path LIKE ? AND level IN ('county', 'township', 'village') ORDER BY path`);
  const seen = new Set<string>();
  return regionScopes(actor, canGrantVouchers)
    .flatMap((scope) => statement.all(`${scope}%`) as GrantableRegion[])
    .filter((region) => !seen.has(region.code) && seen.add(region.code));
}

export interface GrantableElder {
  id: number;
  realName: string;
  villageName: string;
  townshipName: string | null;
}

/**
 * Active registered elders in the office's scope, found by name (汉字), pinyin
 * (full or initials, "liudeshun" or "lds") or village name; at most `limit`.
 * `elderId` finds one elder again (the one picked, when the form is shown again).
 */
export function findGrantableElders(context: RedemptionContext, actor: Actor, by: { query: string } | { elderId: number }, limit = 20): GrantableElder[] {
  const scopes = regionScopes(actor, canGrantVouchers);
  if (scopes.length === 0) return [];
  const inScope = scopes.map(() => 'r.path LIKE ?').join(' OR ');
  const select = `SELECT e.id, e.real_name AS realName, r.name_zh AS villageName, t.name_zh AS townshipName
                    FROM elders e JOIN regions r ON r.code = e.village_code LEFT JOIN regions t ON t.code = r.parent_code
                   WHERE e.status = 'active' AND (${inScope})`;
  const scopeValues = scopes.map((scope) => `${scope}%`);
  if ('elderId' in by) return context.db.$client.prepare(`${select} AND e.id = ?`).all(...scopeValues, by.elderId) as GrantableElder[];
  const query = by.query.trim().slice(0, 40);
  if (query === '') return [];
  const letters = query.toLowerCase().replace(/[^a-z]/g, '');
  const latin = /^[A-Za-z\s]+$/.test(query);
  const match = latin
    ? `(e.name_pinyin LIKE ? OR (' ' || e.name_initials) LIKE ?)`
    : `(e.real_name LIKE ? ESCAPE '\\' OR r.name_zh LIKE ? ESCAPE '\\' OR t.name_zh LIKE ? ESCAPE '\\')`;
  const values = latin ? [`%${letters}%`, `% ${letters}%`] : [0, 1, 2].map(() => `%${likeLiteral(query)}%`);
  return context.db.$client.prepare(`${select} AND ${match} ORDER BY r.path, e.name_pinyin LIMIT ?`).all(...scopeValues, ...values, limit) as GrantableElder[];
}

/** The names of a grant's elders, the first `limit` of them, in the order they were granted. */
function elderNamesOf(context: RedemptionContext, grantId: number, limit: number): string[] {
  return (context.db.$client
    .prepare('SELECT e.real_name AS name FROM voucher_grant_lines l JOIN elders e ON e.id = l.elder_id WHERE l.grant_id = ? ORDER BY l.id LIMIT ?')
    .all(grantId, limit) as { name: string }[]).map((row) => row.name);
}

export function voucherBalance(context: RedemptionContext, elderId: number): { granted: number; available: number } {
  const ledger = ledgerOf(context);
  const account = ledger.account(redemptionAccounts.voucher(elderId).id);
  if (!account) return { granted: 0, available: 0 };
  // A hold whose 15 minutes are over does not count, swept or not (as at the counter).
  return { granted: account.creditsPosted, available: ledger.availableAt(account.id, nowOf(context)) };
}

/** Grants in a region subtree, newest first, each naming its elders (the first five). */
export function grantsIn(context: RedemptionContext, regionPath: string, limit = 50) {
  const grants = context.db.$client
    .prepare(`SELECT g.id, g.source, g.county_code AS countyCode, g.region_code AS regionCode, r.name_zh AS regionName, g.category,
                     g.amount_per_elder_minutes AS amountPerElderMinutes, g.elder_count AS elderCount, g.reason, g.at_ms AS atMs
                FROM voucher_grants g JOIN regions r ON r.code = g.region_code
               WHERE r.path LIKE ? ORDER BY g.id DESC LIMIT ?`)
    .all(`${regionPath}%`, limit) as {
    id: number; source: string; countyCode: string; regionCode: string; regionName: string; category: string | null;
    amountPerElderMinutes: number; elderCount: number; reason: string; atMs: number;
  }[];
  return grants.map((grant) => ({ ...grant, elderNames: elderNamesOf(context, grant.id, 5) }));
}

import type { Sqlite } from '../../db/client.ts';
import { disabledCategories, metric } from './metrics.ts';
import { lineageOf, type RegionNode } from './regions-cache.ts';
import { RowBuffer } from '../../db/multi-row.ts';

/** The building blocks of the report refresh: the party an account belongs to, the rows it reads, the cached lookups, the delta accumulator and the service counter (see refresh.ts). */

export const pendingOrVoid = 2 | 8;
export const postPending = 4;
export type Party =
  | { kind: 'member'; id: number }
  | { kind: 'elder'; id: number }
  | { kind: 'issuance' | 'clearing' | 'pool' | 'escrow'; county: string }
  | { kind: 'site'; id: number }
  | { kind: 'other' };

export function partyOf(accountId: string): Party {
  const colon = accountId.indexOf(':');
  const prefix = accountId.slice(0, colon);
  const rest = accountId.slice(colon + 1);
  switch (prefix) {
    case 'wallet':
      return rest.startsWith('m') ? { kind: 'member', id: Number(rest.slice(1)) } : { kind: 'other' };
    case 'voucher':
      return rest.startsWith('e') ? { kind: 'elder', id: Number(rest.slice(1)) } : { kind: 'other' };
    case 'issuance':
    case 'clearing':
    case 'pool':
    case 'escrow':
      return { kind: prefix, county: rest };
    case 'site':
      return { kind: 'site', id: Number(rest) };
    default:
      return { kind: 'other' };
  }
}

export interface TransferRow {
  seq: number;
  debitAccountId: string;
  creditAccountId: string;
  amount: number;
  code: string;
  flags: number;
  pendingId: string | null;
  refType: string | null;
  refId: string | null;
  timestampMs: number;
  /** The commodity; read by the ledger cursor, which folds the liability figures too when their cursors stand together. */
  ledger?: number;
}

interface RecordRow {
  id: number;
  volunteerMemberId: number;
  serviceTypeId: number;
  elderId: number | null;
  villageCode: string;
  serviceDate: string;
  durationMinutes: number;
  creditMinutes: number;
}

/** What the service figures need to know about one service record (a logged service or a completed service request). */
export interface ServiceFact {
  volunteerMemberId: number;
  /** The standard's category (service_types.category). */
  category: string;
  elderId: number | null;
  villageCode: string;
  serviceDate: string;
  durationMinutes: number;
  creditMinutes: number;
}

interface MemberInfo {
  villageCode: string;
  birthDate: string;
}
interface ElderInfo {
  villageCode: string;
  ruralDisabled: boolean;
}

/**
 * Adds deltas keyed region\0month\0metric\0dimension at the region where
 * they happened; `flush` rolls them up to every ancestor and upserts.
 */
export class Accumulator {
  readonly deltas = new Map<string, number>();
  private rows: RowBuffer | undefined;
  constructor(private readonly tree: Map<string, RegionNode>) {}
  add(regionCode: string, month: string, metricName: string, dimension: string, value: number): void {
    if (value === 0) return;
    const key = `${regionCode}\u0000${month}\u0000${metricName}\u0000${dimension}`;
    this.deltas.set(key, (this.deltas.get(key) ?? 0) + value);
  }
  flush(sqlite: Sqlite): void {
    const rolled = new Map<string, number>();
    for (const [key, value] of this.deltas) {
      if (value === 0) continue;
      const separator = key.indexOf('\u0000');
      const rest = key.slice(separator);
      for (const code of lineageOf(this.tree, key.slice(0, separator))) {
        const full = code + rest;
        rolled.set(full, (rolled.get(full) ?? 0) + value);
      }
    }
    // Many rows per statement; in key order, i.e. the table's primary-key order, so a large flush
    // appends to the b-tree instead of inserting at random.
    this.rows ??= new RowBuffer(sqlite, 'INSERT INTO report_figures (region_code, month, metric, dimension, value)', 5, 64,
      'ON CONFLICT(region_code, month, metric, dimension) DO UPDATE SET value = value + excluded.value');
    const rows = this.rows;
    for (const key of [...rolled.keys()].sort()) {
      const value = rolled.get(key) ?? 0;
      if (value === 0) continue;
      const [regionCode, month, metricName, dimension] = key.split('\u0000') as [string, string, string, string];
      rows.push(regionCode, month, metricName, dimension, value);
    }
    rows.flush();
    this.deltas.clear();
  }
}

/** Reads what the cursor needs about members, elders, sites, records; cached for one refresh. */
export class Lookups {
  private readonly members = new Map<number, MemberInfo | null>();
  private readonly elders = new Map<number, ElderInfo | null>();
  private readonly sites = new Map<number, string | null>();
  private readonly categories = new Map<number, string>();
  private readonly statements;

  constructor(private readonly sqlite: Sqlite, private readonly tree: Map<string, RegionNode>) {
    const recordColumns = `id, volunteer_member_id AS volunteerMemberId, service_type_id AS serviceTypeId, elder_id AS elderId,
      village_code AS villageCode, service_date AS serviceDate, duration_minutes AS durationMinutes, credit_minutes AS creditMinutes`;
    this.statements = {
      member: sqlite.prepare('SELECT village_code AS villageCode, birth_date AS birthDate FROM members WHERE id = ?'),
      elder: sqlite.prepare(`SELECT village_code AS villageCode,
          EXISTS (SELECT 1 FROM elder_categories c WHERE c.elder_id = elders.id AND c.category IN (${disabledCategories.map(() => '?').join(',')})) AS disabled
        FROM elders WHERE id = ?`),
      site: sqlite.prepare('SELECT village_code AS villageCode FROM partner_sites WHERE id = ?'),
      recordByHold: sqlite.prepare(`SELECT ${recordColumns} FROM service_records WHERE hold_transfer_id = ?`),
      recordById: sqlite.prepare(`SELECT ${recordColumns} FROM service_records WHERE id = ?`),
      transferAt: sqlite.prepare('SELECT debit_account_id AS debitAccountId, credit_account_id AS creditAccountId, code, flags FROM ledger_transfers WHERE seq = ?'),
      category: sqlite.prepare('SELECT category FROM service_types WHERE id = ?').pluck(),
      // A completed service request is the record linked to it (src/domain/hours/request-records.ts).
      recordByRequest: sqlite.prepare(`SELECT ${recordColumns} FROM service_records WHERE request_id = ? AND status = 'completed'`),
    };
  }

  member(id: number): MemberInfo | null {
    let info = this.members.get(id);
    if (info === undefined) {
      info = (this.statements.member.get(id) as MemberInfo | undefined) ?? null;
      this.members.set(id, info);
    }
    return info;
  }

  elder(id: number): ElderInfo | null {
    let info = this.elders.get(id);
    if (info === undefined) {
      const row = this.statements.elder.get(...disabledCategories, id) as { villageCode: string; disabled: number } | undefined;
      info = row ? { villageCode: row.villageCode, ruralDisabled: row.disabled === 1 && this.tree.get(row.villageCode)?.rural === true } : null;
      this.elders.set(id, info);
    }
    return info;
  }

  siteVillage(id: number): string | null {
    let village = this.sites.get(id);
    if (village === undefined) {
      village = (this.statements.site.get(id) as { villageCode: string } | undefined)?.villageCode ?? null;
      this.sites.set(id, village);
    }
    return village;
  }

  recordForTransfer(transfer: TransferRow): ServiceFact | undefined {
    let record: RecordRow | undefined;
    if (transfer.refType === 'service_record' && transfer.refId && /^\d+$/.test(transfer.refId)) {
      record = this.statements.recordById.get(Number(transfer.refId)) as RecordRow | undefined;
    } else if (transfer.pendingId) {
      record = this.statements.recordByHold.get(transfer.pendingId) as RecordRow | undefined;
    }
    if (!record) return undefined;
    const { id: _id, serviceTypeId, ...rest } = record;
    return { ...rest, category: this.category(serviceTypeId) };
  }

  /** The service record of the completed service request whose hold this posted transfer settles. */
  requestForTransfer(transfer: TransferRow): ServiceFact | undefined {
    if (transfer.refType !== 'service_request' || !transfer.refId || !/^\d+$/.test(transfer.refId)) return undefined;
    const record = this.statements.recordByRequest.get(Number(transfer.refId)) as RecordRow | undefined;
    if (!record) return undefined;
    const { id: _id, serviceTypeId, ...rest } = record;
    return { ...rest, category: this.category(serviceTypeId) };
  }

  /** The posted redemption leg at `seq - 1` that a second leg pairs with, if any. */
  legBefore(seq: number): OpenLeg | null {
    const row = this.statements.transferAt.get(seq - 1) as { debitAccountId: string; creditAccountId: string; code: string; flags: number } | undefined;
    if (!row || (row.flags & pendingOrVoid) !== 0) return null;
    const debit = partyOf(row.debitAccountId);
    const credit = partyOf(row.creditAccountId);
    if (row.code === 'redemption' && isHolder(debit) && credit.kind === 'clearing') return { seq: seq - 1, county: credit.county, sign: 1 };
    if (row.code === 'correction' && debit.kind === 'site' && credit.kind === 'clearing') return { seq: seq - 1, county: credit.county, sign: -1 };
    return null;
  }

  category(serviceTypeId: number): string {
    let category = this.categories.get(serviceTypeId);
    if (category === undefined) {
      category = (this.statements.category.get(serviceTypeId) as string | undefined) ?? 'other';
      this.categories.set(serviceTypeId, category);
    }
    return category;
  }
}

/** The region code where an account's holder lives, or null when it has none. */
export function regionOfParty(party: Party, lookups: Lookups): string | null {
  switch (party.kind) {
    case 'member':
      return lookups.member(party.id)?.villageCode ?? null;
    case 'elder':
      return lookups.elder(party.id)?.villageCode ?? null;
    case 'site':
      return lookups.siteVillage(party.id);
    case 'issuance':
    case 'clearing':
    case 'pool':
    case 'escrow':
      return party.county;
    default:
      return null;
  }
}

export const isHolder = (party: Party): party is { kind: 'member' | 'elder'; id: number } => party.kind === 'member' || party.kind === 'elder';

/**
 * A cross-county redemption is two adjacent linked legs, payer -> clearing:A
 * then clearing:B -> site (src/domain/redemption/counter-core.ts); a void reverses
 * them in the opposite order. The first leg seen waits here for the second,
 * so the clearing matrix can say "members of A spent this much at sites of B".
 */
export interface OpenLeg {
  seq: number;
  county: string;
  sign: 1 | -1;
}

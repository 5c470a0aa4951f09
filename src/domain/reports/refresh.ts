import type { Sqlite } from '../../db/client.ts';
import { disabledCategories, metric, registryMetric, serviceTypeOfRequest } from './metrics.ts';
import { monthOfDate, monthOfMs, silverBornOnOrBefore } from './months.ts';
import { lineageOf, regionTree, type RegionNode } from './regions-cache.ts';

/**
 * Keeps the pre-aggregated report figures up to date, incrementally:
 * - the ledger cursor reads ledger_transfers after the last seq it saw (an
 *   index range on the primary key) and adds what each posted transfer means
 *   (metrics.ts) to report_figures, for the region and all its ancestors;
 * - service figures ride on the same cursor: a service record counts when
 *   the transfer that posts its credit appears, and is taken back when its
 *   reversal appears, so no second cursor over edited rows is needed;
 * - the registry (members, elders, villages, sites) is rebuilt whole when
 *   it is older than `registryMaxAgeMs`, on the timer.
 * There are no triggers on the ledger's tables: its hot path stays as it is.
 * Each batch is one synchronous transaction that also moves the cursor, so
 * a crash never counts a transfer twice or loses one.
 */

const pendingOrVoid = 2 | 8;
const postPending = 4;
const ledgerCursor = 'ledger';
const registryCursor = 'registry';

type Party =
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

interface TransferRow {
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

/** What the service figures need to know about one service: a service record or a completed service request. */
interface ServiceFact {
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

export interface RefreshOptions {
  /** Transfers per transaction. */
  batchSize?: number;
  /** Stop after this many transfers (a request never waits long; the timer does the rest). */
  maxTransfers?: number;
}

function tableExists(sqlite: Sqlite, name: string): boolean {
  return sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function readCursor(sqlite: Sqlite, name: string): number {
  const row = sqlite.prepare('SELECT position FROM report_cursors WHERE name = ?').get(name) as { position: number } | undefined;
  return row?.position ?? 0;
}

function writeCursor(sqlite: Sqlite, name: string, position: number, nowMs: number): void {
  sqlite
    .prepare('INSERT INTO report_cursors (name, position, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position, updated_at_ms = excluded.updated_at_ms')
    .run(name, position, nowMs);
}

/**
 * Adds deltas keyed region\0month\0metric\0dimension at the region where
 * they happened; `flush` rolls them up to every ancestor and upserts.
 */
class Accumulator {
  readonly deltas = new Map<string, number>();
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
    const upsert = sqlite.prepare(`INSERT INTO report_figures (region_code, month, metric, dimension, value) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(region_code, month, metric, dimension) DO UPDATE SET value = value + excluded.value`);
    for (const [key, value] of rolled) {
      if (value === 0) continue;
      const [regionCode, month, metricName, dimension] = key.split('\u0000') as [string, string, string, string];
      upsert.run(regionCode, month, metricName, dimension, value);
    }
    this.deltas.clear();
  }
}

/** Reads what the cursor needs about members, elders, sites, records; cached for one refresh. */
class Lookups {
  private readonly members = new Map<number, MemberInfo | null>();
  private readonly elders = new Map<number, ElderInfo | null>();
  private readonly sites = new Map<number, string | null>();
  private readonly categories = new Map<number, string>();
  private readonly statements;
  readonly hasHours: boolean;
  readonly hasSites: boolean;
  readonly hasRequests: boolean;

  constructor(private readonly sqlite: Sqlite, private readonly tree: Map<string, RegionNode>) {
    this.hasHours = tableExists(sqlite, 'service_records');
    this.hasSites = tableExists(sqlite, 'partner_sites');
    this.hasRequests = tableExists(sqlite, 'service_requests');
    const recordColumns = `id, volunteer_member_id AS volunteerMemberId, service_type_id AS serviceTypeId, elder_id AS elderId,
      village_code AS villageCode, service_date AS serviceDate, duration_minutes AS durationMinutes, credit_minutes AS creditMinutes`;
    this.statements = {
      member: sqlite.prepare('SELECT village_code AS villageCode, birth_date AS birthDate FROM members WHERE id = ?'),
      elder: sqlite.prepare(`SELECT village_code AS villageCode,
          EXISTS (SELECT 1 FROM elder_categories c WHERE c.elder_id = elders.id AND c.category IN (${disabledCategories.map(() => '?').join(',')})) AS disabled
        FROM elders WHERE id = ?`),
      site: this.hasSites ? sqlite.prepare('SELECT village_code AS villageCode FROM partner_sites WHERE id = ?') : null,
      recordByHold: this.hasHours ? sqlite.prepare(`SELECT ${recordColumns} FROM service_records WHERE hold_transfer_id = ?`) : null,
      recordById: this.hasHours ? sqlite.prepare(`SELECT ${recordColumns} FROM service_records WHERE id = ?`) : null,
      transferAt: sqlite.prepare('SELECT debit_account_id AS debitAccountId, credit_account_id AS creditAccountId, code, flags FROM ledger_transfers WHERE seq = ?'),
      category: this.hasHours ? sqlite.prepare('SELECT category FROM service_types WHERE id = ?').pluck() : null,
      // A completed request: the service date is the Shanghai date of confirmation; the recipient is
      // the request's elder, or the registered elder who is the requesting member.
      request: this.hasRequests ? sqlite.prepare(`SELECT q.volunteer_member_id AS volunteerMemberId, q.service_category AS requestCategory,
          coalesce(q.elder_id, (SELECT min(e.id) FROM elders e WHERE e.member_id = q.requester_member_id)) AS elderId,
          q.village_code AS villageCode, date((q.closed_at_ms + 28800000) / 1000, 'unixepoch') AS serviceDate, q.offered_minutes AS durationMinutes,
          coalesce((SELECT t.amount FROM ledger_transfers t WHERE t.id = 'req:' || q.id || ':pay'), 0) AS creditMinutes
        FROM service_requests q WHERE q.id = ? AND q.status = 'completed' AND q.volunteer_member_id IS NOT NULL AND q.closed_at_ms IS NOT NULL`) : null,
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
    if (!this.statements.site) return null;
    let village = this.sites.get(id);
    if (village === undefined) {
      village = (this.statements.site.get(id) as { villageCode: string } | undefined)?.villageCode ?? null;
      this.sites.set(id, village);
    }
    return village;
  }

  recordForTransfer(transfer: TransferRow): ServiceFact | undefined {
    if (!this.statements.recordByHold || !this.statements.recordById) return undefined;
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

  /** The completed service request whose hold this posted transfer settles. */
  requestForTransfer(transfer: TransferRow): ServiceFact | undefined {
    if (!this.statements.request || transfer.refType !== 'service_request' || !transfer.refId || !/^\d+$/.test(transfer.refId)) return undefined;
    const row = this.statements.request.get(Number(transfer.refId)) as (Omit<ServiceFact, 'category'> & { requestCategory: string }) | undefined;
    if (!row) return undefined;
    const { requestCategory, ...rest } = row;
    return { ...rest, category: serviceTypeOfRequest(requestCategory) };
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
      category = (this.statements.category?.get(serviceTypeId) as string | undefined) ?? 'other';
      this.categories.set(serviceTypeId, category);
    }
    return category;
  }
}

/** The region code where an account's holder lives, or null when it has none. */
function regionOfParty(party: Party, lookups: Lookups): string | null {
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

const isHolder = (party: Party): party is { kind: 'member' | 'elder'; id: number } => party.kind === 'member' || party.kind === 'elder';

class ServiceCounter {
  private readonly upsertMember;
  private readonly upsertElder;
  constructor(private readonly sqlite: Sqlite, private readonly lookups: Lookups, private readonly figures: Accumulator) {
    this.upsertMember = sqlite.prepare(`INSERT INTO report_member_months (member_id, month, service_minutes, credited_minutes, records)
      VALUES (@memberId, @month, @serviceMinutes, @creditedMinutes, @records)
      ON CONFLICT(member_id, month) DO UPDATE SET service_minutes = service_minutes + excluded.service_minutes,
        credited_minutes = credited_minutes + excluded.credited_minutes, records = records + excluded.records
      RETURNING records`).pluck();
    this.upsertElder = sqlite.prepare(`INSERT INTO report_elder_months (elder_id, month, records) VALUES (?, ?, ?)
      ON CONFLICT(elder_id, month) DO UPDATE SET records = records + excluded.records RETURNING records`).pluck();
  }

  /** sign +1 when the record's credit (or the request's payment) is posted, -1 when it is reversed. */
  count(record: ServiceFact, sign: 1 | -1): void {
    const month = monthOfDate(record.serviceDate);
    const category = record.category;
    this.figures.add(record.villageCode, month, metric.serviceMinutes, category, sign * record.durationMinutes);
    this.figures.add(record.villageCode, month, metric.serviceRecords, category, sign);

    const volunteer = this.lookups.member(record.volunteerMemberId);
    const records = this.upsertMember.get({
      memberId: record.volunteerMemberId, month, serviceMinutes: sign * record.durationMinutes, creditedMinutes: sign * record.creditMinutes, records: sign,
    }) as number;
    // A volunteer becomes active in a month with their first credited record, and stops being so when the last is reversed.
    const becameActive = sign === 1 && records === 1;
    const stoppedActive = sign === -1 && records === 0;
    if (volunteer && (becameActive || stoppedActive)) {
      this.figures.add(volunteer.villageCode, month, metric.volunteersActive, '', sign);
      if (volunteer.birthDate <= silverBornOnOrBefore(month)) this.figures.add(volunteer.villageCode, month, metric.volunteersActiveSilver, '', sign);
    }

    if (record.elderId !== null) {
      const elder = this.lookups.elder(record.elderId);
      const elderRecords = this.upsertElder.get(record.elderId, month, sign) as number;
      if (elder && ((sign === 1 && elderRecords === 1) || (sign === -1 && elderRecords === 0))) {
        this.figures.add(elder.villageCode, month, metric.eldersVisited, '', sign);
        if (elder.ruralDisabled) this.figures.add(elder.villageCode, month, metric.ruralDisabledHelped, '', sign);
      }
    }
  }
}

/**
 * A cross-county redemption is two adjacent linked legs, payer -> clearing:A
 * then clearing:B -> site (src/domain/redemption/counter.ts); a void reverses
 * them in the opposite order. The first leg seen waits here for the second,
 * so the clearing matrix can say "members of A spent this much at sites of B".
 */
interface OpenLeg {
  seq: number;
  county: string;
  sign: 1 | -1;
}

function applyTransfer(transfer: TransferRow, lookups: Lookups, figures: Accumulator, service: ServiceCounter, legs: { open: OpenLeg | null }): void {
  if ((transfer.flags & pendingOrVoid) !== 0) return;
  // The leg just before, from memory or (when a batch boundary fell between the legs) from the ledger.
  const remembered = legs.open;
  const openLeg = () => (remembered?.seq === transfer.seq - 1 ? remembered : lookups.legBefore(transfer.seq));
  legs.open = null;
  const month = monthOfMs(transfer.timestampMs);
  const amount = transfer.amount;
  const debit = partyOf(transfer.debitAccountId);
  const credit = partyOf(transfer.creditAccountId);
  const debitRegion = regionOfParty(debit, lookups);
  const creditRegion = regionOfParty(credit, lookups);
  const add = (region: string | null, name: string, value: number, dimension = '') => {
    if (region !== null) figures.add(region, month, name, dimension, value);
  };

  // wallet_net by transfer code: every movement of the balance belongs to a named flow (dashboard.ts).
  if (isHolder(credit)) add(creditRegion, metric.walletNet, amount, transfer.code);
  if (isHolder(debit)) add(debitRegion, metric.walletNet, -amount, transfer.code);
  if (debit.kind === 'clearing' && credit.kind === 'clearing' && transfer.code === 'settlement') add(debit.county, metric.settlementFlow, amount, credit.county);

  switch (transfer.code) {
    case 'service_credit': {
      if (debit.kind === 'issuance' && credit.kind === 'member') {
        add(creditRegion, metric.creditsIssued, amount);
        const record = lookups.recordForTransfer(transfer);
        if (record) service.count(record, 1);
      }
      break;
    }
    case 'redemption': {
      if (isHolder(debit)) add(debitRegion, metric.creditsRedeemed, amount);
      if (debit.kind === 'elder') add(debitRegion, metric.vouchersUsed, amount);
      if (credit.kind === 'site') add(creditRegion, metric.redeemedAtSites, amount);
      if (isHolder(debit) && credit.kind === 'clearing') legs.open = { seq: transfer.seq, county: credit.county, sign: 1 };
      const first = debit.kind === 'clearing' && credit.kind === 'site' ? openLeg() : null;
      if (first?.sign === 1) {
        add(first.county, metric.clearingFlow, amount, debit.kind === 'clearing' ? debit.county : '');
      }
      break;
    }
    case 'service_payment': {
      if (debit.kind === 'elder') add(debitRegion, metric.vouchersUsed, amount);
      // Posting a request's hold (confirmRequest) completes the service: it counts once, like an approved record.
      if ((transfer.flags & postPending) !== 0) {
        const request = lookups.requestForTransfer(transfer);
        if (request) service.count(request, 1);
      }
      break;
    }
    case 'voucher': {
      if (credit.kind === 'elder') add(creditRegion, metric.vouchersGranted, amount);
      break;
    }
    case 'correction': {
      if (debit.kind === 'member' && credit.kind === 'issuance') {
        add(debitRegion, metric.creditsIssued, -amount);
        const record = lookups.recordForTransfer(transfer);
        if (record) service.count(record, -1);
      }
      if (isHolder(credit) && (debit.kind === 'site' || debit.kind === 'clearing')) add(creditRegion, metric.creditsRedeemed, -amount);
      if (credit.kind === 'elder' && (debit.kind === 'site' || debit.kind === 'clearing' || debit.kind === 'escrow')) add(creditRegion, metric.vouchersUsed, -amount);
      if (debit.kind === 'site') add(debitRegion, metric.redeemedAtSites, -amount);
      if (debit.kind === 'site' && credit.kind === 'clearing') legs.open = { seq: transfer.seq, county: credit.county, sign: -1 };
      const reversedFirst = debit.kind === 'clearing' && isHolder(credit) ? openLeg() : null;
      if (reversedFirst?.sign === -1 && debit.kind === 'clearing') {
        add(debit.county, metric.clearingFlow, -amount, reversedFirst.county);
      }
      break;
    }
    default:
      break;
  }
}

/**
 * Brings report_figures up to the ledger's head (or `maxTransfers` further).
 * Returns how many transfers it read. Synchronous: call it outside any
 * other transaction.
 */
export function refreshLedgerFigures(sqlite: Sqlite, nowMs: number, options: RefreshOptions = {}): number {
  const batchSize = options.batchSize ?? 20_000;
  const maxTransfers = options.maxTransfers ?? Number.POSITIVE_INFINITY;
  const head = (sqlite.prepare('SELECT max(seq) AS seq FROM ledger_transfers').get() as { seq: number | null }).seq ?? 0;
  // A cheap early exit; the position that counts is read again inside each write transaction.
  if (readCursor(sqlite, ledgerCursor) >= head) return 0;

  const tree = regionTree(sqlite);
  const lookups = new Lookups(sqlite, tree);
  const figures = new Accumulator(tree);
  const service = new ServiceCounter(sqlite, lookups, figures);
  const legs: { open: OpenLeg | null } = { open: null };
  const page = sqlite.prepare(`SELECT seq, debit_account_id AS debitAccountId, credit_account_id AS creditAccountId, amount, code, flags,
      pending_id AS pendingId, ref_type AS refType, ref_id AS refId, timestamp_ms AS timestampMs
    FROM ledger_transfers WHERE seq > ? ORDER BY seq LIMIT ?`);
  let read = 0;
  // The cursor is read and advanced in the same IMMEDIATE transaction: another process (a second
  // server on the same file) that moved it meanwhile is seen here, so no transfer is counted twice.
  const runBatch = sqlite.transaction((limit: number) => {
    const from = readCursor(sqlite, ledgerCursor);
    const rows = page.all(from, limit) as TransferRow[];
    for (const row of rows) applyTransfer(row, lookups, figures, service, legs);
    figures.flush(sqlite);
    const last = rows.at(-1)?.seq ?? from;
    if (rows.length > 0) writeCursor(sqlite, ledgerCursor, last, nowMs);
    return { last, count: rows.length };
  });
  let position = 0;
  while (position < head && read < maxTransfers) {
    const { last, count } = runBatch.immediate(Math.min(batchSize, maxTransfers - read));
    if (count === 0) break;
    position = last;
    read += count;
  }
  return read;
}

/** When the registry was last rebuilt (ms), or 0. */
export function registryBuiltAtMs(sqlite: Sqlite): number {
  return readCursor(sqlite, registryCursor);
}

/** Rebuilds report_registry from members, elders, regions and sites in one transaction. */
export function rebuildRegistry(sqlite: Sqlite, nowMs: number): void {
  const tree = regionTree(sqlite);
  const hasSites = tableExists(sqlite, 'partner_sites');
  const rows = new Map<string, number>();
  const add = (regionCode: string, name: string, dimension: string, value: number) => {
    for (const code of lineageOf(tree, regionCode)) {
      const key = `${code}\u0000${name}\u0000${dimension}`;
      rows.set(key, (rows.get(key) ?? 0) + value);
    }
  };
  // created_at_ms -> Shanghai month in SQL: shift by 8 hours, then format.
  const monthSql = (column: string) => `strftime('%Y-%m', (${column} + 28800000) / 1000, 'unixepoch')`;
  const memberRows = sqlite.prepare(`SELECT village_code AS village, ${monthSql('created_at_ms')} AS month, count(*) AS n
    FROM members WHERE status IN ('active', 'suspended') GROUP BY village_code, month`).all() as { village: string; month: string; n: number }[];
  for (const row of memberRows) add(row.village, registryMetric.membersJoined, row.month, row.n);
  // A member is a silver-age volunteer at the end of month M when registered by then and 60 or older on
  // M's last day, i.e. when both the join month and the month of the 60th birthday are <= M: the
  // dimension is the later of the two, so "silver at the end of M" sums dimension <= M like the others.
  const silverRows = sqlite.prepare(`SELECT village_code AS village,
      max(${monthSql('created_at_ms')}, printf('%04d-%s', CAST(substr(birth_date, 1, 4) AS INTEGER) + 60, substr(birth_date, 6, 2))) AS month, count(*) AS n
    FROM members WHERE status IN ('active', 'suspended') GROUP BY village_code, month`).all() as { village: string; month: string; n: number }[];
  for (const row of silverRows) add(row.village, registryMetric.membersSilverJoined, row.month, row.n);
  const elderRows = sqlite.prepare(`SELECT e.village_code AS village, ${monthSql('e.created_at_ms')} AS month, count(*) AS n,
      sum(EXISTS (SELECT 1 FROM elder_categories c WHERE c.elder_id = e.id AND c.category IN (${disabledCategories.map(() => '?').join(',')}))) AS disabled
    FROM elders e WHERE e.status = 'active' GROUP BY e.village_code, month`).all(...disabledCategories) as { village: string; month: string; n: number; disabled: number }[];
  for (const row of elderRows) {
    add(row.village, registryMetric.eldersJoined, row.month, row.n);
    if (tree.get(row.village)?.rural === true) add(row.village, registryMetric.ruralDisabledJoined, row.month, row.disabled);
  }
  const villagesWithSite = new Set<string>();
  if (hasSites) {
    const siteRows = sqlite.prepare('SELECT village_code AS village, count(*) AS n FROM partner_sites WHERE active = 1 GROUP BY village_code').all() as { village: string; n: number }[];
    for (const row of siteRows) {
      add(row.village, registryMetric.sites, '', row.n);
      villagesWithSite.add(row.village);
    }
  }
  for (const node of tree.values()) {
    if (node.level !== 'village' || node.rural !== true) continue;
    add(node.code, registryMetric.villagesRural, '', 1);
    if (villagesWithSite.has(node.code)) add(node.code, registryMetric.villagesWithPoint, '', 1);
  }
  sqlite.transaction(() => {
    sqlite.prepare('DELETE FROM report_registry').run();
    const insert = sqlite.prepare('INSERT INTO report_registry (region_code, metric, dimension, value) VALUES (?, ?, ?, ?)');
    for (const [key, value] of rows) {
      const [regionCode, name, dimension] = key.split('\u0000') as [string, string, string];
      insert.run(regionCode, name, dimension, value);
    }
    writeCursor(sqlite, registryCursor, nowMs, nowMs);
  }).immediate();
}

export interface RefreshAllOptions extends RefreshOptions {
  /** Rebuild the registry when older than this (default 60 s); 0 rebuilds now. */
  registryMaxAgeMs?: number;
}

/** What the timer and the dashboard call: ledger cursor always, registry when stale or never built. */
export function refreshReports(sqlite: Sqlite, nowMs: number, options: RefreshAllOptions = {}): { transfers: number; registryRebuilt: boolean } {
  const transfers = refreshLedgerFigures(sqlite, nowMs, options);
  const builtAt = registryBuiltAtMs(sqlite);
  const maxAge = options.registryMaxAgeMs ?? 60_000;
  const stale = builtAt === 0 || nowMs - builtAt >= maxAge;
  if (stale) rebuildRegistry(sqlite, nowMs);
  return { transfers, registryRebuilt: stale };
}

/** Databases being drained now: one drain at a time per database (the reports job and a page that found the figures behind). */
const draining = new WeakSet<Sqlite>();

/**
 * Brings the aggregates up to the ledger's head in slices, yielding to
 * requests between slices (a big backlog never blocks the server for long),
 * then rebuilds the registry when it is over a minute old. Returns the
 * transfers folded in; 0 when another drain of this database is running.
 */
export async function drainReports(sqlite: Sqlite, clock: () => number, sliceTransfers = 20_000): Promise<number> {
  if (draining.has(sqlite)) return 0;
  draining.add(sqlite);
  try {
    let folded = 0;
    for (let slice = refreshLedgerFigures(sqlite, clock(), { maxTransfers: sliceTransfers }); slice > 0; slice = refreshLedgerFigures(sqlite, clock(), { maxTransfers: sliceTransfers })) {
      folded += slice;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return folded + refreshReports(sqlite, clock(), { registryMaxAgeMs: 60_000, maxTransfers: sliceTransfers }).transfers;
  } finally {
    draining.delete(sqlite);
  }
}

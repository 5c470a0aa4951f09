import type { Sqlite } from '../../db/client.ts';
import { disabledCategories, metric, registryMetric } from './metrics.ts';
import { monthOfMs } from './months.ts';
import { lineageOf, regionTree } from './regions-cache.ts';
import { ServiceCounter } from './service-counter.ts';
import { Accumulator, Lookups, type OpenLeg, type Party, type TransferRow, isHolder, partyOf, pendingOrVoid, postPending, regionOfParty } from './refresh-parts.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { countLiabilityTransfer, liabilityCursor, refreshLiabilityFigures } from './liability-refresh.ts';

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

const ledgerCursor = 'ledger';
/** Transfers read at once inside one transaction (so a large batch does not hold all its rows in memory). */
const pageSize = 50_000;
const registryCursor = 'registry';

export interface RefreshOptions {
  /**
   * Transfers per transaction (read in pages of at most `pageSize`): each report row a transaction
   * changes is written once, at its end. The first aggregation of a big network passes a large one.
   */
  batchSize?: number;
  /** Stop after this many transfers (a request never waits long; the timer does the rest). */
  maxTransfers?: number;
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

/** One posted transfer as the figures read it: its parties, their regions, and where its deltas go. */
interface TransferView {
  transfer: TransferRow;
  amount: number;
  debit: Party;
  credit: Party;
  debitRegion: string | null;
  creditRegion: string | null;
  add: (region: string | null, name: string, value: number, dimension?: string) => void;
  /** The leg just before, from memory or (when a batch boundary fell between the legs) from the ledger. */
  openLeg: () => OpenLeg | null;
  legs: { open: OpenLeg | null };
  lookups: Lookups;
  service: ServiceCounter;
}

/** A redemption: credits redeemed, vouchers used, what sites took in, and the clearing flow of a cross-county pair of legs. */
function countRedemption({ transfer, amount, debit, credit, debitRegion, creditRegion, add, openLeg, legs }: TransferView): void {
  if (isHolder(debit)) add(debitRegion, metric.creditsRedeemed, amount);
  if (debit.kind === 'elder') add(debitRegion, metric.vouchersUsed, amount);
  if (credit.kind === 'site') add(creditRegion, metric.redeemedAtSites, amount);
  if (isHolder(debit) && credit.kind === 'clearing') legs.open = { seq: transfer.seq, county: credit.county, sign: 1 };
  const first = debit.kind === 'clearing' && credit.kind === 'site' ? openLeg() : null;
  if (first?.sign === 1) {
    add(first.county, metric.clearingFlow, amount, debit.kind === 'clearing' ? debit.county : '');
  }
}

/** A correction: takes back an issued credit (and its service), a redemption's effects, and a reversed clearing flow. */
function countCorrection({ transfer, amount, debit, credit, debitRegion, creditRegion, add, openLeg, legs, lookups, service }: TransferView): void {
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
  const view: TransferView = { transfer, amount, debit, credit, debitRegion, creditRegion, add, openLeg, legs, lookups, service };

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
    case 'redemption':
      countRedemption(view);
      break;
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
    case 'correction':
      countCorrection(view);
      break;
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
      pending_id AS pendingId, ref_type AS refType, ref_id AS refId, timestamp_ms AS timestampMs, ledger
    FROM ledger_transfers WHERE seq > ? ORDER BY seq LIMIT ?`);
  let read = 0;
  // The cursor is read and advanced in the same IMMEDIATE transaction: another process (a second
  // server on the same file) that moved it meanwhile is seen here, so no transfer is counted twice.
  const runBatch = (limit: number) => writeTransaction(sqlite, () => {
    const from = readCursor(sqlite, ledgerCursor);
    // When the liability cursor stands at the same place (as usual), this one read of the transfers
    // folds the liability figures too and moves both cursors; otherwise refreshLiabilityFigures catches up alone.
    const liabilityToo = readCursor(sqlite, liabilityCursor) === from;
    let last = from;
    let count = 0;
    for (let rows: TransferRow[] = []; count < limit; count += rows.length) {
      rows = page.all(last, Math.min(pageSize, limit - count)) as TransferRow[];
      if (rows.length === 0) break;
      for (const row of rows) {
        applyTransfer(row, lookups, figures, service, legs);
        if (liabilityToo) countLiabilityTransfer(row, lookups, figures);
      }
      last = rows.at(-1)?.seq ?? last;
    }
    service.flush();
    figures.flush(sqlite);
    if (count > 0) writeCursor(sqlite, ledgerCursor, last, nowMs);
    if (count > 0 && liabilityToo) writeCursor(sqlite, liabilityCursor, last, nowMs);
    return { last, count };
  });
  let position = 0;
  while (position < head && read < maxTransfers) {
    const { last, count } = runBatch(Math.min(batchSize, maxTransfers - read));
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
  const siteRows = sqlite.prepare('SELECT village_code AS village, count(*) AS n FROM partner_sites WHERE active = 1 GROUP BY village_code').all() as { village: string; n: number }[];
  for (const row of siteRows) {
    add(row.village, registryMetric.sites, '', row.n);
    villagesWithSite.add(row.village);
  }
  for (const node of tree.values()) {
    if (node.level !== 'village' || node.rural !== true) continue;
    add(node.code, registryMetric.villagesRural, '', 1);
    if (villagesWithSite.has(node.code)) add(node.code, registryMetric.villagesWithPoint, '', 1);
  }
  writeTransaction(sqlite, () => {
    sqlite.prepare('DELETE FROM report_registry').run();
    const insert = sqlite.prepare('INSERT INTO report_registry (region_code, metric, dimension, value) VALUES (?, ?, ?, ?)');
    for (const [key, value] of rows) {
      const [regionCode, name, dimension] = key.split('\u0000') as [string, string, string];
      insert.run(regionCode, name, dimension, value);
    }
    writeCursor(sqlite, registryCursor, nowMs, nowMs);
  });
}

export interface RefreshAllOptions extends RefreshOptions {
  /** Rebuild the registry when older than this (default 60 s); 0 rebuilds now. */
  registryMaxAgeMs?: number;
}

/** What the timer and the dashboard call: ledger cursor always, registry when stale or never built. */
export function refreshReports(sqlite: Sqlite, nowMs: number, options: RefreshAllOptions = {}): { transfers: number; registryRebuilt: boolean } {
  const transfers = refreshLedgerFigures(sqlite, nowMs, options);
  // The liability figures (issue 20) run on their own cursor: cheap, and a database from before them catches up here.
  refreshLiabilityFigures(sqlite, nowMs, options.batchSize);
  const builtAt = registryBuiltAtMs(sqlite);
  const maxAge = options.registryMaxAgeMs ?? 60_000;
  const stale = builtAt === 0 || nowMs - builtAt >= maxAge;
  if (stale) rebuildRegistry(sqlite, nowMs);
  return { transfers, registryRebuilt: stale };
}

/** Transfers per transaction of the first aggregation of a generated network: 2.9M at 100k members, so one transaction there. */
export const firstAggregationBatch = 5_000_000;

/**
 * The first aggregation of a freshly generated network (`seed big`): the same refresh, in
 * transactions of up to `firstAggregationBatch` transfers, so each report row is written about
 * once instead of once per 20,000 transfers, and the cursors end where the incremental refresh puts them.
 */
export function firstAggregation(sqlite: Sqlite, nowMs: number): { transfers: number; registryRebuilt: boolean } {
  return refreshReports(sqlite, nowMs, { registryMaxAgeMs: 0, batchSize: firstAggregationBatch });
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

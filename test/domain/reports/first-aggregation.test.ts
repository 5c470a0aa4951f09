import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { seedBig } from '../../../src/domain/demo/big.ts';
import { firstAggregation, refreshLedgerFigures, refreshReports } from '../../../src/domain/reports/refresh.ts';

// `seed big` folds its whole ledger in one large transaction (firstAggregation), the member-month
// and elder-month rows in memory, each written once. The figures must be exactly those of the
// incremental refresh in small transactions (the server's path), which reads and writes each row
// per transaction and carries redemption legs across transaction boundaries.

const nowMs = Date.UTC(2026, 10, 23, 2, 0, 0); // 2026-11-23 10:00 Shanghai

function network() {
  const db = openDatabase(':memory:');
  const result = seedBig(db, { members: 300, months: 2, nowMs, seed: 5 });
  return { sqlite: db.$client, result };
}

type Sqlite = ReturnType<typeof network>['sqlite'];

function snapshot(sqlite: Sqlite) {
  return {
    figures: sqlite.prepare('SELECT region_code, month, metric, dimension, value FROM report_figures WHERE value <> 0 ORDER BY 1, 2, 3, 4').all(),
    members: sqlite.prepare('SELECT * FROM report_member_months ORDER BY member_id, month').all(),
    elders: sqlite.prepare('SELECT * FROM report_elder_months ORDER BY elder_id, month').all(),
    registry: sqlite.prepare('SELECT * FROM report_registry ORDER BY 1, 2, 3').all(),
    cursors: sqlite.prepare('SELECT name, position FROM report_cursors WHERE name <> \'registry\' ORDER BY name').all(),
  };
}

function clearReports(sqlite: Sqlite): void {
  for (const table of ['report_figures', 'report_member_months', 'report_elder_months', 'report_registry', 'report_cursors']) sqlite.exec(`DELETE FROM ${table}`);
}

t.test('the first aggregation of seed big gives the figures of the incremental refresh', async (t) => {
  const { sqlite, result } = network();
  t.ok(result.serviceRecords > 300 && result.redemptions > 50, 'a network with records and redemptions');
  t.ok((sqlite.prepare("SELECT count(*) FROM service_records WHERE status = 'reversed'").pluck().get() as number) > 0, 'and a reversed record');

  const folded = firstAggregation(sqlite, nowMs);
  t.equal(folded.transfers, result.transfers, 'every transfer folded');
  const fast = snapshot(sqlite);
  t.ok(fast.figures.length > 1000 && fast.members.length > 100 && fast.elders.length > 10, 'the report tables are filled');
  t.same(fast.cursors, [{ name: 'ledger', position: result.transfers }, { name: 'liability', position: result.transfers }], 'the cursors stand at the head');

  clearReports(sqlite);
  // The server's path: many small transactions (37 transfers each), so rows are read back and legs cross boundaries.
  refreshReports(sqlite, nowMs, { registryMaxAgeMs: 0, batchSize: 37 });
  t.same(snapshot(sqlite), fast, 'the same figures, member-months, elder-months, registry and cursors');

  // Half folded by the small path first: the fast path then reads the rows already stored.
  clearReports(sqlite);
  refreshLedgerFigures(sqlite, nowMs, { batchSize: 53, maxTransfers: Math.floor(result.transfers / 2) });
  firstAggregation(sqlite, nowMs);
  t.same(snapshot(sqlite), fast, 'the same again when the large transaction starts from stored rows');

  // The liability cursor behind the ledger's (a database from before the liability figures): the two
  // cursors no longer share one read of the transfers, and the liability figures catch up on their own.
  clearReports(sqlite);
  refreshLedgerFigures(sqlite, nowMs, { batchSize: 41, maxTransfers: Math.floor(result.transfers / 3) });
  sqlite.exec("DELETE FROM report_figures WHERE metric LIKE 'liability%'; DELETE FROM report_cursors WHERE name = 'liability'");
  firstAggregation(sqlite, nowMs);
  t.same(snapshot(sqlite), fast, 'the same when the liability figures catch up alone');
});

import t, { type Test } from 'tap';
import { openDatabase, type Db } from '../../../src/db/client.ts';
import { seedBig } from '../../../src/domain/demo/big.ts';
import { seedDemoNetwork } from '../../../src/domain/demo/network.ts';
import { balanceFlows, ReportReader } from '../../../src/domain/reports/dashboard.ts';
import { balanceRows } from '../../../src/domain/reports/exports.ts';
import { refreshReports } from '../../../src/domain/reports/refresh.ts';
import { instants } from '../../helpers/clock.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';

const nowMs = instants.suiteDefault;

/** Every region and every month the figures hold, and one month before the first. */
function checkEveryRegionAndMonth(t: Test, db: Db): number {
  const sqlite = db.$client;
  refreshReports(sqlite, nowMs, { registryMaxAgeMs: 0 });
  const reader = new ReportReader(sqlite);
  const months = sqlite.prepare("SELECT DISTINCT month FROM report_figures WHERE metric = 'wallet_net' ORDER BY month").pluck().all() as string[];
  t.ok(months.length > 0, 'the network has balances');
  // Every dimension of wallet_net is a named flow: nothing falls into "earlier".
  const dimensions = sqlite.prepare("SELECT DISTINCT dimension FROM report_figures WHERE metric = 'wallet_net'").pluck().all() as string[];
  t.ok(dimensions.every((dimension) => (balanceFlows as readonly string[]).includes(dimension) && dimension !== 'earlier'), `named flows only: ${dimensions.join(', ')}`);
  const regions = sqlite.prepare('SELECT code FROM regions').pluck().all() as string[];
  let failures = 0;
  let checked = 0;
  for (const region of regions) {
    for (const month of months) {
      const figures = reader.monthFigures(region, month);
      const rows = balanceRows(figures);
      const flows = rows.slice(1, -1).reduce((sum, row) => sum + row.minutes, 0);
      if (figures.openingOutstanding + flows !== figures.outstanding) {
        failures += 1;
        if (failures < 5) t.fail(`${region} ${month}: ${figures.openingOutstanding} + ${flows} != ${figures.outstanding}`);
      }
      checked += 1;
    }
  }
  t.equal(failures, 0, `opening + flows = closing in ${checked} region-months`);
  // And the closing balance of the network is what the ledger's accounts hold.
  const ledgerSum = sqlite.prepare("SELECT sum(credits_posted - debits_posted) FROM ledger_accounts WHERE id LIKE 'wallet:m%' OR id LIKE 'voucher:e%'").pluck().get();
  t.equal(reader.monthFigures('430000', months.at(-1)!).outstanding, ledgerSum, 'the last closing balance equals the ledger');
  return checked;
}

t.test('the demo network: opening + flows = closing for every region and month, opening transfers included', async (t) => {
  const db = openDatabase(':memory:');
  await seedDemoNetwork(db, testSecrets(), nowMs);
  checkEveryRegionAndMonth(t, db);
  const reader = new ReportReader(db.$client);
  const month = db.$client.prepare("SELECT DISTINCT month FROM report_figures WHERE metric = 'wallet_net' AND dimension = 'opening' AND region_code = '433123'").pluck().get() as string;
  const opening = reader.monthFigures('433123', month).walletFlows.find((entry) => entry.flow === 'opening');
  t.ok(opening && opening.minutes > 0, `凤凰县 ${month}: demo opening balances are a named flow (${opening?.minutes} minutes)`);
});

t.test('seed big: opening + flows = closing for every region and month', async (t) => {
  const db = openDatabase(':memory:');
  seedBig(db, { members: 120, months: 4, nowMs, seed: 11 });
  checkEveryRegionAndMonth(t, db);
});

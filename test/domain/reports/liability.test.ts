import t from 'tap';
import { accountIds, accountInputs, ensureAccounts, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { fundBalanceFen, recordFundEntry } from '../../../src/domain/fund/fund.ts';
import { publishValuationRate, rateOn } from '../../../src/domain/fund/rates.ts';
import { liabilityReport } from '../../../src/domain/reports/liability.ts';
import { regionTree } from '../../../src/domain/reports/regions-cache.ts';
import { refreshReports } from '../../../src/domain/reports/refresh.ts';
import { places, redemptionFixture } from '../redemption/fixture.ts';

/**
 * Issue 20: the liability, fund and coverage figures against a small data set
 * computed by hand (every expected figure is worked out in the comments).
 * Now: 2026-11-23 (Shanghai); month M = 2026-11; redemption age 60.
 *   凤凰 (433123): A born 1990-05 earns 600 min in 2026-03; B born 1962-03 earns 1200 in 2026-01 and redeems 300 in 2026-06;
 *                  C born 1950-01 earns 600 in 2026-02.
 *   隆回 (430524): D born 1970-12 earns 2400 in 2026-04 and redeems 1200 in 2026-10.
 *   Network fund: +¥1,000 fiscal, +¥500 charity, -¥200 payout = 130,000 fen; 凤凰's own fund +¥300 = 30,000 fen.
 *   Valuation: ¥30/h from 2026-10-01, ¥36/h from 2029-01-01.
 */
const at = (isoShanghai: string) => Date.parse(`${isoShanghai}T10:00:00+08:00`);

async function handComputed() {
  const fixture = redemptionFixture();
  const { clock, context, admin, fenghuangOffice } = fixture;
  const ledger = ledgerFor(context.db.$client, () => clock.ms);
  ensureAccounts(ledger, [accountInputs.site(901)]);
  let sequence = 0;
  const redeem = (memberId: number, minutes: number, when: string) => {
    clock.ms = at(when);
    sequence += 1;
    const [result] = ledger.createTransfers([{ id: `liability-redeem-${sequence}`, debitAccountId: accountIds.wallet(memberId), creditAccountId: accountIds.site(901), amount: minutes, code: 'redemption' }]);
    if (result !== 'ok') throw new Error(result);
  };
  const earn = async (name: string, village: string, birthDate: string, minutes: number, when: string) => {
    clock.ms = at(when);
    const { memberId } = await fixture.addMember(name, village, { birthDate });
    fixture.credit(memberId, village.slice(0, 6), minutes);
    return memberId;
  };
  // In time order: the ledger never stamps a transfer earlier than the one before it.
  const b = await earn('乙', places.fenghuangVillage, '1962-03-02', 1200, '2026-01-10');
  await earn('丙', places.fenghuangVillage2, '1950-01-15', 600, '2026-02-10');
  await earn('甲', places.fenghuangVillage, '1990-05-20', 600, '2026-03-10');
  const d = await earn('丁', places.longhuiVillage, '1970-12-28', 2400, '2026-04-10');
  redeem(b, 300, '2026-06-10');
  // A rate takes effect from tomorrow at the earliest: published the day before.
  clock.ms = at('2026-09-30');
  const published = [
    publishValuationRate(context, admin, { effectiveFrom: '2026-10-01', yuanPerHour: '30' }),
    publishValuationRate(context, admin, { effectiveFrom: '2029-01-01', yuanPerHour: '36.00' }),
  ];
  clock.ms = at('2026-10-01');
  const entries = [
    recordFundEntry(context, admin, { scope: 'network', kind: 'contribution', amount: '1000', source: 'fiscal', note: '财政拨款' }),
    recordFundEntry(context, admin, { scope: 'network', kind: 'contribution', amount: '500.00', source: 'charity' }),
    recordFundEntry(context, admin, { scope: 'network', kind: 'payout', amount: '200', note: '兑付补偿' }),
    recordFundEntry(context, fenghuangOffice, { scope: '433123', kind: 'contribution', amount: '300', source: 'fiscal' }),
  ];
  redeem(d, 1200, '2026-10-10');
  clock.ms = at('2026-11-23');
  refreshReports(context.db.$client, clock.ms);
  return { fixture, published, entries, sqlite: context.db.$client };
}

t.test('coverage, redemption rate, FIFO age and age bands of the hand-computed network', async (t) => {
  const { sqlite, published, entries } = await handComputed();
  t.ok(published.every((outcome) => outcome.ok), 'both rates published');
  t.ok(entries.every((outcome) => outcome.ok), 'all fund entries recorded');
  t.equal(fundBalanceFen(sqlite, 'network'), 130_000);
  t.equal(fundBalanceFen(sqlite, '433123'), 30_000);
  t.equal(rateOn(sqlite, '2026-11-30'), 3000);
  t.equal(rateOn(sqlite, '2029-11-30'), 3600);
  const tree = regionTree(sqlite);
  const report = liabilityReport(sqlite, tree.get('430000')!, '2026-11', { careAgeYears: 60 });
  // 600 + 900 + 600 + 1200
  t.equal(report.outstandingMinutes, 3300);
  t.equal(report.issuedMinutes12, 4800);
  t.equal(report.redeemedMinutes12, 1500);
  t.equal(report.redemptionRatePermille, 312, '1500 / 4800 = 31.25%');
  // FIFO: 2400 of 2026-04 aged 7.5, 600 of 2026-03 aged 8.5, 300 of 2026-02 aged 9.5: 25950 / 3300 = 7.86 months
  t.equal(report.averageAgeTenths, 79, `network FIFO age ${report.averageAgeTenths}`);
  t.same(report.bands.map((band) => [band.key, band.minutes, band.eligibleMinutes, band.reachFrom, band.reachTo]), [
    ['under50', 600, 0, '2050-05', '2050-05'],
    ['from50', 1200, 0, '2030-12', '2030-12'],
    ['from60', 900, 900, null, null],
    ['from65', 0, 0, null, null],
    ['from70', 600, 600, null, null],
    ['from80', 0, 0, null, null],
  ]);
  // Fund behind the network: 130,000 + 凤凰's 30,000 = 160,000 fen; debt 55 h x 3000 fen = 165,000 fen: 969 per mille.
  t.equal(report.fundFen, 160_000);
  t.equal(report.fenPerHour, 3000);
  t.equal(report.coveragePermille, 969);
  const counties = new Map(report.counties.map((row) => [row.county.code, row]));
  const fenghuang = counties.get('433123')!;
  const longhui = counties.get('430524')!;
  t.same([fenghuang.outstandingMinutes, fenghuang.issuedMinutes12, fenghuang.redeemedMinutes12, fenghuang.redemptionRatePermille, fenghuang.belowTarget], [2100, 2400, 300, 125, true],
    '凤凰 redeems 12.5% < 20%: 易存难兑');
  t.same([longhui.outstandingMinutes, longhui.issuedMinutes12, longhui.redeemedMinutes12, longhui.redemptionRatePermille, longhui.belowTarget], [1200, 2400, 1200, 500, false]);
  // 凤凰: (600x8.5 + 600x9.5 + 900x10.5) / 2100 = 9.64; 隆回: 1200 of 2026-04 = 7.5
  t.equal(fenghuang.averageAgeTenths, 96, `fenghuang ${fenghuang.averageAgeTenths}`);
  t.equal(longhui.averageAgeTenths, 75);
  // 凤凰: floor(130000 x 2100 / 3300) = 82727 + 30000 = 112727 fen over 35 h x 3000: 1073; 隆回: 47272 over 20 h x 3000: 787
  t.same([fenghuang.fundFen, fenghuang.coveragePermille], [112_727, 1073]);
  t.same([longhui.fundFen, longhui.coveragePermille], [47_272, 787]);
  t.equal(counties.get('433101')?.redemptionRatePermille, null, 'a county that issued nothing has no rate, and is not flagged');
  t.equal(counties.get('433101')?.belowTarget, false);
});

t.test('the 5-year projection follows the stated formula', async (t) => {
  const { sqlite } = await handComputed();
  const report = liabilityReport(sqlite, regionTree(sqlite).get('430000')!, '2026-11', { careAgeYears: 60 });
  // q = R / E0 = 1500 / 1500 = 1; I = 4800; e_y = 1500/3300 until D turns 60 in 2030-12, then 2700/3300.
  // H1 = 3300 + 4800 - 1500 = 6600; H2 = 6600 + 4800 - 3000 = 8400; H3 = 8400 + 4800 - round(3818.18) = 9382;
  // H4 = 9382 + 4800 - round(4264.55) = 9917; H5 = 9917 + 4800 - round(8113.91) = 6603.
  // Coverage = floor(160000 x 60000 / (H x rate)), rate 3000 until 2028, 3600 from 2029-01-01.
  t.same(report.projection.map((year) => [year.month, year.redeemedMinutes, year.outstandingMinutes, year.fenPerHour, year.coveragePermille]), [
    ['2027-11', 1500, 6600, 3000, 484],
    ['2028-11', 3000, 8400, 3000, 380],
    ['2029-11', 3818, 9382, 3600, 284],
    ['2030-11', 4265, 9917, 3600, 268],
    ['2031-11', 8114, 6603, 3600, 403],
  ]);
});

t.test('a city sees only its counties; a village gets its county fund in proportion', async (t) => {
  const { sqlite } = await handComputed();
  const tree = regionTree(sqlite);
  const city = liabilityReport(sqlite, tree.get('433100')!, '2026-11', { careAgeYears: 60 });
  t.equal(city.outstandingMinutes, 2100);
  t.notOk(city.counties.some((row) => row.county.code === '430524'), '隆回 is in another city');
  t.equal(city.fundFen, 112_727);
  const earlier = liabilityReport(sqlite, tree.get('430000')!, '2026-02', { careAgeYears: 60 });
  t.equal(earlier.outstandingMinutes, 1800, 'at the end of 2026-02: B 1200 + C 600');
  t.equal(earlier.fundFen, 0, 'no fund yet then');
  t.equal(earlier.coveragePermille, null, 'no rate in force then');
  const older = liabilityReport(sqlite, tree.get('430000')!, '2026-11', { careAgeYears: 65 });
  t.same(older.bands.find((band) => band.key === 'from60')?.reachFrom, '2027-03', 'with age 65, B (born 1962-03) reaches it in 2027-03');
});

import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { seedBig } from '../../../src/domain/demo/big.ts';
import { accountInputs, countyAccounts } from '../../../src/domain/bookkeeping/accounts.ts';
import { demoRegions } from '../../../src/domain/demo/regions.ts';
import { insertRegion } from '../../../src/domain/regions/regions.ts';
import { ReportReader } from '../../../src/domain/reports/dashboard.ts';
import { addMonths, monthOfMs } from '../../../src/domain/reports/months.ts';
import { refreshLedgerFigures, refreshReports } from '../../../src/domain/reports/refresh.ts';
import { readTargets, updateTargets } from '../../../src/domain/reports/targets.ts';
import { Ledger } from '../../../src/ledger/index.ts';
import { randomUUID } from 'node:crypto';
import { acceptRequest, cancelRequest, confirmRequest, postRequest } from '../../../src/domain/redemption/requests.ts';
import { grantVouchers } from '../../../src/domain/redemption/vouchers.ts';
import { places, redemptionFixture } from '../redemption/fixture.ts';
import { seedFirstStandard } from '../../../src/domain/hours/first-standard.ts';
import { directCategories, directClearing, directFigures } from './direct.ts';

const nowMs = Date.UTC(2026, 10, 23, 2, 0, 0); // 2026-11-23 10:00 Shanghai
const month = '2026-11';

function seeded(members = 400) {
  const db = openDatabase(':memory:');
  const result = seedBig(db, { members, months: 14, nowMs, seed: 7 });
  return { db, sqlite: db.$client, result };
}

const compared = ['volunteersRegistered', 'volunteersRegisteredSilver', 'visitRatePermille', 'helpRatePermille', 'volunteersActive', 'volunteersActiveSilver', 'serviceMinutes', 'serviceRecords', 'creditsIssued', 'creditsRedeemed',
  'redeemedAtSites', 'outstanding', 'vouchersGranted', 'vouchersUsed', 'eldersRegistered', 'eldersVisited', 'ruralDisabledElders', 'ruralDisabledHelped'] as const;

t.test('every figure equals direct computation from the records and the ledger', async (t) => {
  const { sqlite, result } = seeded();
  t.ok(result.serviceRecords > 3000 && result.redemptions > 500, 'the dataset has records and redemptions');
  refreshReports(sqlite, nowMs);
  const reader = new ReportReader(sqlite);
  const village = sqlite.prepare("SELECT village_code FROM members GROUP BY village_code ORDER BY count(*) DESC LIMIT 1").pluck().get() as string;
  const regions = ['430000', '433100', '430500', '433123', village.slice(0, 9), village];
  for (const regionCode of regions) {
    for (const when of [month, addMonths(month, -1), addMonths(month, -12), '2026-02']) {
      const figures = reader.monthFigures(regionCode, when);
      const direct = directFigures(sqlite, regionCode, when);
      const got = Object.fromEntries(compared.map((key) => [key, figures[key]]));
      t.same(got, direct, `${regionCode} ${when}`);
    }
  }
  const totals = reader.monthFigures('430000', month);
  t.ok(totals.creditsIssued > 0 && totals.creditsRedeemed > 0 && totals.eldersVisited > 0 && totals.vouchersUsed > 0, 'figures are not trivially zero');
  const walletSum = sqlite.prepare("SELECT sum(credits_posted - debits_posted) FROM ledger_accounts WHERE id LIKE 'wallet:m%' OR id LIKE 'voucher:e%'").pluck().get();
  t.equal(totals.outstanding, walletSum, 'outstanding now equals the sum of wallet and voucher balances in the ledger');
});

t.test('clearing matrix, settlements and county rows come from the ledger', async (t) => {
  const { sqlite } = seeded(300);
  refreshReports(sqlite, nowMs);
  const dashboard = new ReportReader(sqlite).dashboard('430000', addMonths(month, -1))!;
  const direct = directClearing(sqlite, addMonths(month, -1));
  const got = new Map(dashboard.clearing.map((cell) => [`${cell.from}>${cell.to}`, cell.minutes]));
  t.ok(direct.size > 0, 'there are cross-county redemptions');
  t.same(Object.fromEntries(got), Object.fromEntries(direct));
  const settlements = sqlite.prepare("SELECT from_county_code || '>' || to_county_code AS k, amount_minutes AS n FROM clearing_settlements WHERE note LIKE ?").all(`${addMonths(month, -1)}%`) as { k: string; n: number }[];
  t.same(Object.fromEntries(dashboard.settlements.map((cell) => [`${cell.from}>${cell.to}`, cell.minutes])), Object.fromEntries(settlements.map((row) => [row.k, row.n])));
  for (const row of dashboard.counties) {
    const balance = sqlite.prepare('SELECT credits_posted - debits_posted FROM ledger_accounts WHERE id = ?').pluck().get(`clearing:${row.county.code}`) ?? 0;
    t.equal(row.clearingBalance, balance, `clearing position of ${row.county.code}`);
  }
  t.equal(dashboard.counties.reduce((sum, row) => sum + row.clearingBalance, 0), 0, 'clearing positions sum to zero');
});

t.test('incremental refresh in small steps gives the same figures as one pass', async (t) => {
  const { sqlite } = seeded(200);
  let steps = 0;
  while (refreshLedgerFigures(sqlite, nowMs, { maxTransfers: 777, batchSize: 101 }) > 0) steps++;
  t.ok(steps > 5, 'many small steps');
  refreshReports(sqlite, nowMs);
  const stepped = sqlite.prepare('SELECT region_code, month, metric, dimension, value FROM report_figures WHERE value <> 0 ORDER BY 1, 2, 3, 4').all();
  const fresh = seeded(200).sqlite;
  refreshReports(fresh, nowMs);
  const once = fresh.prepare('SELECT region_code, month, metric, dimension, value FROM report_figures WHERE value <> 0 ORDER BY 1, 2, 3, 4').all();
  t.same(stepped, once);
  t.equal(refreshLedgerFigures(sqlite, nowMs), 0, 'nothing left to read at the head');
});

t.test('Asia/Shanghai month edges: 2026-01-31T17:30Z belongs to February', async (t) => {
  t.equal(monthOfMs(Date.UTC(2026, 0, 31, 17, 30)), '2026-02');
  t.equal(monthOfMs(Date.UTC(2026, 0, 31, 15, 59, 59)), '2026-01');
  t.equal(addMonths('2026-01', -1), '2025-12');
  const db = openDatabase(':memory:');
  for (const region of demoRegions) insertRegion(db, { code: region.code, parentCode: region.parent, level: region.level, nameZh: region.zh, nameEn: region.en, rural: region.rural ?? null }, nowMs);
  const sqlite = db.$client;
  sqlite.prepare(`INSERT INTO members (id, real_name, name_pinyin, name_initials, id_number_ciphertext, id_number_hmac, birth_date, gender, village_code, status, source, created_at_ms, updated_at_ms)
    VALUES (1, '王秀英', 'wang xiuying', 'wx', 'x', 'h', '1958-03-01', 'female', '433123101001', 'active', 'coordinator', ?, ?)`).run(Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 1));
  let clock = Date.UTC(2026, 0, 31, 17, 30);
  const ledger = new Ledger(sqlite, { now: () => clock });
  ledger.createAccounts([...countyAccounts('433123'), accountInputs.wallet(1)]);
  t.same(ledger.createTransfers([{ id: 'edge-1', debitAccountId: 'issuance:433123', creditAccountId: 'wallet:m1', amount: 60, code: 'service_credit' }]), ['ok']);
  refreshReports(sqlite, clock);
  const reader = new ReportReader(sqlite);
  t.equal(reader.monthFigures('433123', '2026-02').creditsIssued, 60, 'counted in February');
  t.equal(reader.monthFigures('433123', '2026-01').creditsIssued, 0, 'not in January');
  t.equal(reader.monthFigures('433123', '2026-01').outstanding, 0);
  t.equal(reader.monthFigures('433123', '2026-02').outstanding, 60);
  // A later transfer is picked up by the next refresh.
  clock = Date.UTC(2026, 1, 28, 16, 0); // 2026-03-01 00:00 Shanghai
  ledger.createTransfers([{ id: 'edge-2', debitAccountId: 'issuance:433123', creditAccountId: 'wallet:m1', amount: 30, code: 'service_credit' }]);
  t.equal(refreshReports(sqlite, clock).transfers, 1);
  t.equal(reader.monthFigures('433123101001', '2026-03').creditsIssued, 30, 'March, at the village and every ancestor');
  t.equal(reader.monthFigures('430000', '2026-03').creditsIssued, 30);
});

t.test('targets are data: defaults, edits by the top office, met / not met follows them', async (t) => {
  const { sqlite } = seeded(200);
  refreshReports(sqlite, nowMs);
  t.equal(readTargets(sqlite).village_point_share_permille, 500);
  const before = new ReportReader(sqlite).dashboard('430000', month)!;
  const share = before.targets.find((target) => target.key === 'village_point_share')!;
  t.equal(share.actual, Math.floor((before.villagesWithPoint * 1000) / before.villagesRural));
  t.equal(share.met, before.villagesWithPoint * 1000 >= 500 * before.villagesRural);
  t.same(updateTargets(sqlite, { village_point_share_permille: '100.5' }, 1, nowMs), { ok: false, errors: { village_point_share_permille: 'reports.targets.error.range' } }, 'over 100% refused');
  t.same(updateTargets(sqlite, { nonsense: '1' }, 1, nowMs), { ok: false, errors: { nonsense: 'reports.targets.error.unknown' } });
  t.equal(readTargets(sqlite).village_point_share_permille, 500, 'nothing written on refusal');
  t.same(updateTargets(sqlite, { village_point_share_permille: '100', visit_rate_permille: '0' }, 1, nowMs), { ok: true });
  const after = new ReportReader(sqlite).dashboard('430000', month)!;
  t.equal(after.targets.find((target) => target.key === 'village_point_share')!.met, before.villagesWithPoint * 1000 >= 1000 * before.villagesRural);
  t.equal(after.targets.find((target) => target.key === 'visit_rate')!.met, true, 'a 0% target is met');
  const sponsorTarget = after.targets.find((target) => target.key === 'teams_and_activities')!;
  t.equal(sponsorTarget.met, false, 'some county committees have no team or no activity');
  t.ok(after.sponsors.some((row) => row.sponsorKind === 'county_committee' && row.teams === 0), 'a county without a team is listed');
  t.ok(after.sponsors.some((row) => row.sponsorKind === 'member_unit' && row.met));
});

t.test('completed service requests count as service: hours by type (meals -> meal), active volunteers, visits to elders', async (t) => {
  const f = redemptionFixture();
  // A completed request is typed by the unified standard (src/domain/hours/request-records.ts): the network has one.
  seedFirstStandard(f.db, '2025-01-01', f.clock.ms);
  const sqlite = f.db.$client;
  const grandma = await f.addMember('龙奶奶', places.fenghuangVillage, { credits: 300, birthDate: '1945-02-02' });
  const grandmaElder = f.addElder('龙奶奶', places.fenghuangVillage, ['disabled'], grandma.memberId);
  const grandpa = f.addElder('吴爷爷', places.fenghuangVillage, ['semi_disabled']);
  t.ok(grantVouchers(f.context, f.fenghuangOffice, { source: 'issuance', regionCode: places.fenghuangVillage, elderId: grandpa, amountPerElderMinutes: 200, reason: '助浴券', idempotencyKey: randomUUID() }).ok);
  const volunteer = await f.addMember('杨志愿', places.fenghuangVillage2, { birthDate: '1962-05-05' });
  const grandmaUser = f.addUser('龙奶奶', 'volunteer', { regionCode: places.fenghuangVillage });
  const ask = (input: { requesterMemberId?: number; elderId?: number; payer: 'wallet' | 'voucher'; category: string; minutes: number }) => {
    const actor = input.requesterMemberId ? grandmaUser : f.coordinator;
    const posted = postRequest(f.context, actor, { requesterMemberId: input.requesterMemberId ?? null, elderId: input.elderId ?? null, payer: input.payer, serviceCategory: input.category,
      description: '服务', scheduledFor: '2026-11-25', place: '家中', offeredMinutes: input.minutes, idempotencyKey: randomUUID(), actorMemberId: input.requesterMemberId ?? null });
    if (!posted.ok) throw new Error(JSON.stringify(posted));
    return { id: posted.value.id, actor, actorMemberId: input.requesterMemberId ?? null };
  };
  const meal = ask({ requesterMemberId: grandma.memberId, payer: 'wallet', category: 'meals', minutes: 60 });
  const bath = ask({ elderId: grandpa, payer: 'voucher', category: 'bathing', minutes: 90 });
  const cancelled = ask({ elderId: grandpa, payer: 'voucher', category: 'cleaning', minutes: 30 });
  const acceptedOnly = ask({ requesterMemberId: grandma.memberId, payer: 'wallet', category: 'cleaning', minutes: 45 });
  for (const request of [meal, bath, acceptedOnly]) t.ok(acceptRequest(f.context, f.coordinator, request.id, volunteer.memberId, null).ok);
  t.ok(confirmRequest(f.context, meal.actor, meal.id, meal.actorMemberId).ok);
  t.ok(confirmRequest(f.context, bath.actor, bath.id, bath.actorMemberId).ok);
  t.ok(cancelRequest(f.context, cancelled.actor, cancelled.id, cancelled.actorMemberId).ok);

  refreshReports(sqlite, f.clock.ms);
  const reader = new ReportReader(sqlite);
  for (const regionCode of ['430000', '433123', '433123101', places.fenghuangVillage, places.fenghuangVillage2]) {
    const figures = reader.monthFigures(regionCode, month);
    t.same(Object.fromEntries(compared.map((key) => [key, figures[key]])), directFigures(sqlite, regionCode, month), `${regionCode} equals direct computation`);
  }
  const county = reader.monthFigures('433123', month);
  t.equal(county.serviceMinutes, 150, 'the two completed requests, not the cancelled or unconfirmed ones');
  t.equal(county.serviceRecords, 2);
  t.equal(county.volunteersActive, 1);
  t.equal(county.volunteersActiveSilver, 1, 'the volunteer is 60 or older');
  t.equal(county.eldersVisited, 2, 'the elder asked for and the elder who asked');
  t.equal(county.ruralDisabledHelped, 2);
  const dashboard = reader.dashboard('433123', month)!;
  const categories = Object.fromEntries(dashboard.serviceCategories.map((row) => [row.category, { minutes: row.minutes, records: row.records }]));
  t.same(categories, directCategories(sqlite, '433123', month));
  t.same(categories, { meal: { minutes: 60, records: 1 }, bathing: { minutes: 90, records: 1 } }, "requests' 'meals' is the standard's 'meal'");
  const roster = sqlite.prepare('SELECT sum(service_minutes) AS service, sum(credited_minutes) AS credited, sum(records) AS records FROM report_member_months WHERE member_id = ?').get(volunteer.memberId);
  t.same(roster, { service: 150, credited: 150, records: 2 }, 'the roster counts the paid requests');
  t.ok(grandmaElder > 0);
  t.equal(refreshReports(sqlite, f.clock.ms).transfers, 0, 'a second refresh counts nothing twice');
  t.equal(reader.monthFigures('433123', month).serviceMinutes, 150);
});

t.test('silver-age registered volunteers are counted with the age at the month in question, not today', async (t) => {
  const db = openDatabase(':memory:');
  for (const region of demoRegions) insertRegion(db, { code: region.code, parentCode: region.parent, level: region.level, nameZh: region.zh, nameEn: region.en, rural: region.rural ?? null }, nowMs);
  const sqlite = db.$client;
  const insert = sqlite.prepare(`INSERT INTO members (id, real_name, name_pinyin, name_initials, id_number_ciphertext, id_number_hmac, birth_date, gender, village_code, status, source, created_at_ms, updated_at_ms)
    VALUES (?, '王秀英', 'wang xiuying', 'wx', 'x', ?, ?, 'female', '433123101001', 'active', 'coordinator', ?, ?)`);
  const joined = Date.UTC(2024, 0, 10);
  insert.run(1, 'h1', '1966-03-15', joined, joined); // 60 in March 2026
  insert.run(2, 'h2', '1950-01-01', joined, joined); // silver all along
  insert.run(3, 'h3', '1980-01-01', joined, joined); // never
  insert.run(4, 'h4', '1940-01-01', Date.UTC(2026, 5, 30, 17, 0), Date.UTC(2026, 5, 30, 17, 0)); // joins 2026-07 (Shanghai)
  refreshReports(sqlite, nowMs, { registryMaxAgeMs: 0 });
  const reader = new ReportReader(sqlite);
  const silver = (when: string) => reader.monthFigures('433123', when).volunteersRegisteredSilver;
  t.equal(silver('2026-02'), 1, 'before the 60th birthday month only the old member');
  t.equal(silver('2026-03'), 2, 'from the month of the 60th birthday');
  t.equal(silver('2026-06'), 2);
  t.equal(silver('2026-07'), 3, 'a silver member counts from the month they join');
  t.equal(silver(month), 3);
  for (const when of ['2025-11', '2026-02', '2026-03', '2026-07', month]) {
    t.equal(silver(when), directFigures(sqlite, '433123', when).volunteersRegisteredSilver, `${when} equals direct computation`);
  }
});

import { assignVolunteerNumber } from '../people/members/volunteer-number.ts';
import type { Db, Sqlite } from '../../db/client.ts';
import { withoutGroupCommit } from '../../db/writer.ts';
import { Ledger, TransferFlags, wholeChainBatches, type AccountInput, type TransferInput } from '../../ledger/index.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';
import { makeIdNumber } from '../../lib/idcard.ts';
import { accountInputs, countyAccounts } from '../bookkeeping/accounts.ts';
import { idNumberHash, sealIdNumber } from '../people/members/identity.ts';
import { insertRegion } from '../regions/regions.ts';
import { demoRegions } from './regions.ts';
import { present } from '../../lib/assert.ts';
import { writeTransaction } from '../kernel/transaction.ts';
import { RowBuffer } from '../../db/multi-row.ts';

/**
 * A province-scale synthetic network for reports and benchmarks (`seed big`):
 * generated townships and villages under every demo county, members (about
 * 45% silver-age), registered elders with categories, partner sites, teams
 * and activities, and `months` months of activity written through the real
 * ledger: service records (pending hold then approval, some rejected, a few
 * reversed), redemptions at sites (a chain through the clearing accounts
 * when the site is in another county), vouchers for elders, and monthly
 * settlements between counties. Deterministic for a given `seed`.
 *
 * The data is synthetic: names are generated, ID numbers are valid-looking
 * numbers encrypted with `keys` when given (otherwise a placeholder that
 * cannot be decrypted). Use a separate DATA_DIR.
 */
export interface BigSeedOptions {
  members: number;
  months: number;
  /** The last month generated, 'YYYY-MM' (default: the month of `nowMs`). */
  endMonth?: string;
  nowMs?: number;
  seed?: number;
  keys?: PeopleKeys;
  /** Service records per member per month, on average (default 0.9). */
  recordsPerMemberMonth?: number;
  /** Redemptions per member per month, on average (default 0.5). */
  redemptionsPerMemberMonth?: number;
  onProgress?: (message: string) => void;
}

export interface BigSeedResult {
  members: number;
  elders: number;
  villages: number;
  sites: number;
  serviceRecords: number;
  redemptions: number;
  transfers: number;
  months: string[];
}

const categories = ['meal', 'bathing', 'emergency', 'mobility', 'medical_escort', 'cleaning', 'daily_care', 'visiting', 'companionship', 'culture_sport', 'health_education', 'mutual_aid'] as const;
const typeNames: Record<string, [string, string]> = {
  meal: ['助餐', 'Meal help'], bathing: ['助浴', 'Bathing'], emergency: ['助急', 'Emergency help'], mobility: ['助行', 'Mobility'],
  medical_escort: ['助医', 'Medical escort'], cleaning: ['助洁', 'Cleaning'], daily_care: ['日常护理', 'Daily care'],
  visiting: ['探访关爱', 'Visiting'], companionship: ['精神慰藉', 'Companionship'], culture_sport: ['文体活动', 'Culture and sport'],
  health_education: ['健康科普', 'Health education'], mutual_aid: ['互助服务', 'Mutual aid'],
};
const surnames: [string, string][] = [['王', 'wang'], ['李', 'li'], ['张', 'zhang'], ['刘', 'liu'], ['陈', 'chen'], ['杨', 'yang'], ['龙', 'long'], ['吴', 'wu'], ['田', 'tian'], ['彭', 'peng'], ['向', 'xiang'], ['石', 'shi']];
const givenNames: [string, string][] = [['秀英', 'xiuying'], ['桂兰', 'guilan'], ['建国', 'jianguo'], ['德福', 'defu'], ['小梅', 'xiaomei'], ['志强', 'zhiqiang'], ['玉珍', 'yuzhen'], ['金花', 'jinhua'], ['明', 'ming'], ['红', 'hong']];
const elderCategoryCodes = ['living_alone', 'empty_nest', 'left_behind', 'disabled', 'semi_disabled', 'advanced_age', 'extreme_poverty', 'minimum_allowance'] as const;
const sensitiveCategories = new Set(['disabled', 'semi_disabled', 'severe_disability']);
const dayMs = 86_400_000;
const shanghaiOffsetMs = 8 * 3600_000;

/** mulberry32: small, fast, deterministic. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function monthList(endMonth: string, count: number): string[] {
  const [year, month] = endMonth.split('-').map(Number) as [number, number];
  const result: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const index = year * 12 + month - 1 - i;
    result.push(`${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`);
  }
  return result;
}

function daysIn(month: string): number {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
}

/** UTC ms of a Shanghai wall-clock time on a day of a month. */
function shanghaiMs(month: string, day: number, hour: number, minute = 0): number {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  return Date.UTC(year, monthNumber - 1, day, hour, minute) - shanghaiOffsetMs;
}

interface Village { code: string; county: string; rural: boolean }
interface Member { id: number; village: Village; balance: number }
interface Elder { id: number; village: Village; memberId: number | null; voucherBalance: number }

export function seedBig(db: Db, options: BigSeedOptions): BigSeedResult {
  // Its pragmas and checkpoint refuse to run inside a transaction: no write batch may stay open meanwhile.
  return withoutGroupCommit(db.$client, () => seedBigAlone(db, options));
}

function seedBigAlone(db: Db, options: BigSeedOptions): BigSeedResult {
  const sqlite: Sqlite = db.$client;
  const random = randomSource(options.seed ?? 20260101);
  const pick = <T>(items: readonly T[]): T => present(items[Math.floor(random() * items.length)], 'pick draws from a non-empty list');
  const nowMs = options.nowMs ?? Date.now();
  const endMonth = options.endMonth ?? new Date(nowMs + shanghaiOffsetMs).toISOString().slice(0, 7);
  const months = monthList(endMonth, options.months);
  const progress = options.onProgress ?? (() => {});
  let clockMs = shanghaiMs(present(months[0], 'demo data holds months[0]'), 1, 0) - 40 * dayMs;
  const ledger = new Ledger(sqlite, { now: () => clockMs });
  const large = options.members >= 5000;
  // A generator into a fresh DATA_DIR: trade durability for speed while it runs, restore after.
  const synchronousBefore = sqlite.pragma('synchronous', { simple: true }) as number;
  const cacheBefore = sqlite.pragma('cache_size', { simple: true }) as number;
  sqlite.pragma('synchronous = OFF');
  sqlite.pragma('cache_size = -262144');
  // Indexes nobody reads while generating are built once at the end (a sorted build, instead of a
  // random b-tree insert per row); the unique ones stay, as the ledger and the inserts rely on them.
  const deferred = dropPlainIndexes(sqlite, deferredIndexTables);
  try {
    const result = generate();
    progress('building indexes');
    for (const sql of deferred) sqlite.exec(sql);
    return result;
  } finally {
    // Fold the (large) write-ahead log into the database file so readers start fast.
    if (sqlite.pragma('journal_mode', { simple: true }) === 'wal') sqlite.pragma('wal_checkpoint(TRUNCATE)');
    sqlite.pragma(`synchronous = ${synchronousBefore}`);
    sqlite.pragma(`cache_size = ${cacheBefore}`);
  }

  function generate(): BigSeedResult {

  // ---- regions
  const existing = new Set((sqlite.prepare('SELECT code FROM regions').pluck().all() as string[]));
  const villages: Village[] = [];
  const counties = demoRegions.filter((region) => region.level === 'county');
  writeTransaction(sqlite, () => {
    for (const region of demoRegions) {
      if (!existing.has(region.code)) insertRegion(db, { code: region.code, parentCode: region.parent, level: region.level, nameZh: region.zh, nameEn: region.en, rural: region.rural ?? null }, clockMs);
    }
    const townships = large ? 4 : 1;
    const villagesPerTownship = large ? 8 : 2;
    for (const county of counties) {
      for (let t = 0; t < townships; t++) {
        const townshipCode = `${county.code}${200 + t}`;
        if (!existing.has(townshipCode)) insertRegion(db, { code: townshipCode, parentCode: county.code, level: 'township', nameZh: `${county.zh}第${t + 1}镇`, nameEn: `${county.en} Town ${t + 1}` }, clockMs);
        for (let v = 0; v < villagesPerTownship; v++) {
          const code = `${townshipCode}${200 + v}`;
          const rural = v % 4 !== 3;
          if (!existing.has(code)) insertRegion(db, { code, parentCode: townshipCode, level: 'village', nameZh: `${county.zh}第${t + 1}镇${v + 1}${rural ? '村' : '社区'}`, nameEn: `${county.en} T${t + 1} ${rural ? 'Village' : 'Community'} ${v + 1}`, rural }, clockMs);
          villages.push({ code, county: county.code, rural });
        }
      }
    }
  });
  const villagesByCounty = new Map<string, Village[]>();
  for (const village of villages) {
    const list = villagesByCounty.get(village.county) ?? [];
    list.push(village);
    villagesByCounty.set(village.county, list);
  }

  // ---- service standard: reuse the version in force, or publish one
  let types = sqlite.prepare(`SELECT t.id, t.code, t.category, t.coefficient_milli AS coefficient, t.max_minutes AS maxMinutes, t.recipient_required AS recipientRequired
    FROM service_types t WHERE t.version_id = (SELECT id FROM service_standard_versions ORDER BY effective_date LIMIT 1) AND t.active = 1`).all() as { id: number; code: string; category: string; coefficient: number; maxMinutes: number; recipientRequired: number }[];
  if (types.length === 0) {
    writeTransaction(sqlite, () => {
      const versionId = Number(sqlite.prepare('INSERT INTO service_standard_versions (effective_date, note, published_at_ms) VALUES (?, ?, ?)').run('2020-01-01', 'seed big', clockMs).lastInsertRowid);
      const insert = sqlite.prepare('INSERT INTO service_types (version_id, code, name_zh, name_en, category, coefficient_milli, max_minutes, recipient_required) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      categories.forEach((category, index) => {
        const [zh, en] = present(typeNames[category], 'demo data holds typeNames[category]');
        insert.run(versionId, `S${String(index + 1).padStart(2, '0')}`, zh, en, category, category === 'daily_care' || category === 'bathing' ? 1500 : 1000, 240, category === 'culture_sport' || category === 'health_education' ? 0 : 1);
      });
    });
    types = sqlite.prepare(`SELECT id, code, category, coefficient_milli AS coefficient, max_minutes AS maxMinutes, recipient_required AS recipientRequired FROM service_types WHERE active = 1`).all() as typeof types;
  }

  // ---- people
  const members: Member[] = [];
  const elders: Elder[] = [];
  // With keys, ID numbers are sealed and hashed exactly as registration does, so
  // member pages, the duplicate check and `keys rotate` work on a big network too.
  const idPlaceholder = (value: string) => (options.keys ? sealIdNumber(options.keys, value) : `synthetic:${value.slice(0, 6)}`);
  const idHash = (value: string) => (options.keys ? idNumberHash(options.keys, value) : `synthetic:${value}`);
  const usedMemberIds = new Set<string>();
  const usedElderIds = new Set<string>();
  const firstMonthMs = shanghaiMs(present(months[0], 'demo data holds months[0]'), 1, 9);
  writeTransaction(sqlite, () => {
    const insertMember = sqlite.prepare(`INSERT INTO members (real_name, name_pinyin, name_initials, phone, phone_last4, id_number_ciphertext, id_number_hmac,
      birth_date, gender, village_code, status, source, created_at_ms, updated_at_ms, volunteer_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', 'import', ?, ?, ?)`);
    for (let i = 0; i < options.members; i++) {
      const village = pick(villages);
      const [surname, surnamePinyin] = pick(surnames);
      const [given, givenPinyin] = pick(givenNames);
      const silver = random() < 0.45;
      const year = silver ? 1946 + Math.floor(random() * 20) : 1967 + Math.floor(random() * 30);
      const birthDate = `${year}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
      const idNumber = uniqueIdNumber(usedMemberIds, village.county, birthDate, i % 1000);
      // Members join over the first half of the period (and before it).
      const createdAtMs = firstMonthMs - 30 * dayMs + Math.floor(random() * (months.length / 2 + 1) * 30) * dayMs;
      // A synthetic mobile number per member (unique, 199 + the member's index), so search by phone has rows to find.
      const phone = `199${String(i).padStart(8, '0')}`;
      const id = Number(insertMember.run(`${surname}${given}`, `${surnamePinyin} ${givenPinyin}`, `${surnamePinyin[0]}${givenPinyin[0]}`, phone, phone.slice(-4),
        idPlaceholder(idNumber), idHash(idNumber), birthDate, random() < 0.5 ? 'male' : 'female', village.code, createdAtMs, createdAtMs,
        assignVolunteerNumber(sqlite, village.code)).lastInsertRowid);
      members.push({ id, village, balance: 0 });
    }
    const insertElder = sqlite.prepare(`INSERT INTO elders (member_id, real_name, name_pinyin, name_initials, id_number_ciphertext, id_number_hmac, birth_date, gender,
      village_code, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insertCategory = sqlite.prepare('INSERT INTO elder_categories (elder_id, category, sensitive) VALUES (?, ?, ?)');
    const elderCount = Math.max(4, Math.floor(options.members / 10));
    for (let i = 0; i < elderCount; i++) {
      const village = pick(villages);
      const [surname, surnamePinyin] = pick(surnames);
      const [given, givenPinyin] = pick(givenNames);
      const birthDate = `${1930 + Math.floor(random() * 20)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`;
      const idNumber = uniqueIdNumber(usedElderIds, village.county, birthDate, 500 + (i % 500));
      const createdAtMs = firstMonthMs - 30 * dayMs + Math.floor(random() * (months.length / 2 + 1) * 30) * dayMs;
      const id = Number(insertElder.run(null, `${surname}${given}`, `${surnamePinyin} ${givenPinyin}`, `${surnamePinyin[0]}${givenPinyin[0]}`,
        idPlaceholder(idNumber), idHash(idNumber), birthDate, random() < 0.5 ? 'male' : 'female', village.code, createdAtMs, createdAtMs).lastInsertRowid);
      const chosen = new Set<string>([pick(elderCategoryCodes)]);
      if (random() < 0.25) chosen.add(random() < 0.5 ? 'disabled' : 'semi_disabled');
      for (const category of chosen) insertCategory.run(id, category, sensitiveCategories.has(category) ? 1 : 0);
      elders.push({ id, village, memberId: null, voucherBalance: 0 });
    }
  });
  progress(`members ${members.length}, elders ${elders.length}`);

  // ---- sites, teams
  const sitesByCounty = new Map<string, { id: number; county: string }[]>();
  const allSites: { id: number; county: string }[] = [];
  writeTransaction(sqlite, () => {
    const insertSite = sqlite.prepare(`INSERT INTO partner_sites (name, kind, village_code, county_code, address, opening_hours, active, created_at_ms)
      VALUES (?, ?, ?, ?, ?, ?, 1, ?)`);
    villages.forEach((village, index) => {
      if (index % 5 === 4 && present(villagesByCounty.get(village.county), 'demo data holds villagesByCounty.get(village.county)').length > 1) return; // some villages have no site
      const kind = index % 3 === 0 ? 'service_station' : 'love_supermarket';
      const id = Number(insertSite.run(`${kind === 'service_station' ? '互助服务站' : '爱心超市'} ${village.code}`, kind, village.code, village.county, '村委会旁', '08:00-18:00', clockMs).lastInsertRowid);
      const site = { id, county: village.county };
      allSites.push(site);
      const list = sitesByCounty.get(village.county) ?? [];
      list.push(site);
      sitesByCounty.set(village.county, list);
    });
    const insertTeam = sqlite.prepare('INSERT INTO teams (name, sponsor_unit, sponsor_kind, region_code, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?)');
    const insertActivity = sqlite.prepare('INSERT INTO team_activities (team_id, activity_date, place, theme, created_at_ms) VALUES (?, ?, ?, ?, ?)');
    counties.forEach((county, index) => {
      if (index % 7 === 6) return; // a few county committees still have no team
      const teamId = Number(insertTeam.run(`${county.zh}银龄行动队`, `${county.zh}老龄委`, 'county_committee', county.code, clockMs, clockMs).lastInsertRowid);
      if (index % 5 !== 4) insertActivity.run(teamId, `${present(months.at(-1), 'demo data holds months.at(-1)')}-05`, '县老年活动中心', '健康科普进村', clockMs);
    });
    for (const [unit, cityCode] of [['州卫健委', '433100'], ['市民政局', '430500'], ['市教育局', '430500']] as const) {
      const teamId = Number(insertTeam.run(`${unit}银龄志愿服务队`, unit, 'member_unit', cityCode, clockMs, clockMs).lastInsertRowid);
      if (unit !== '市教育局') insertActivity.run(teamId, `${present(months.at(-1), 'demo data holds months.at(-1)')}-10`, '社区活动室', '探访关爱', clockMs);
    }
  });

  // ---- ledger accounts
  const accounts: AccountInput[] = [];
  for (const county of counties) accounts.push(...countyAccounts(county.code));
  for (const member of members) accounts.push(accountInputs.wallet(member.id));
  for (const elder of elders) accounts.push({ id: `voucher:e${elder.id}`, kind: 'wallet', ownerRef: `elder:${elder.id}`, flags: 2 });
  for (const site of allSites) accounts.push(accountInputs.site(site.id));
  for (let i = 0; i < accounts.length; i += 5000) {
    const results = ledger.createAccounts(accounts.slice(i, i + 5000));
    const bad = results.find((result) => result !== 'ok' && result !== 'exists');
    if (bad) throw new Error(`seed big: account ${bad}`);
  }

  // ---- activity, day by day
  const apply = (transfers: TransferInput[]) => {
    // 4,000 per call, never cutting a redemption's linked legs apart (at 1M members a day's holds pass 4,000).
    for (const chunk of wholeChainBatches(transfers, 4000)) {
      const results = ledger.createTransfers(chunk);
      const index = results.findIndex((result) => result !== 'ok' && result !== 'exists');
      if (index >= 0) throw new Error(`seed big: transfer ${chunk[index]?.id} ${results[index]}`);
    }
  };
  // Records and redemptions go in by multi-row INSERTs; a record's id is known before its row is written
  // (this generator is the only writer of a fresh DATA_DIR: the ids are checked at each flush).
  const records = new RowBuffer(sqlite, `INSERT INTO service_records (idempotency_key, volunteer_member_id, service_type_id, service_type_code, elder_id, village_code, county_code,
    service_date, start_at_ms, end_at_ms, duration_minutes, credit_minutes, source, status, hold_transfer_id, reviewed_at_ms, created_at_ms,
    reversal_transfer_id, reversal_reason, reversed_at_ms)`, 20);
  let nextRecordId = (sqlite.prepare('SELECT coalesce(max(id), 0) + 1 FROM service_records').pluck().get() as number);
  const flushRecords = () => {
    const last = records.flush();
    if (last !== 0 && last !== nextRecordId - 1) throw new Error(`seed big: service record ids moved (${last}, expected ${nextRecordId - 1})`);
  };
  const redemptions = new RowBuffer(sqlite, `INSERT INTO redemptions (idempotency_key, site_id, member_id, payer, payer_account_id, elder_id, status, total_minutes,
    member_county_code, site_county_code, hold_transfer_ids, created_at_ms, expires_at_ms, confirmed_at_ms, closed_at_ms)`, 15);
  const insertSettlement = sqlite.prepare(`INSERT INTO clearing_settlements (idempotency_key, from_county_code, to_county_code, amount_minutes, note, transfer_id, at_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const eldersByCounty = new Map<string, Elder[]>();
  for (const elder of elders) {
    const list = eldersByCounty.get(elder.village.county) ?? [];
    list.push(elder);
    eldersByCounty.set(elder.village.county, list);
  }
  const volunteers = members.filter(() => random() < 0.7);
  const recordsPerDay = (options.recordsPerMemberMonth ?? 0.9) * options.members / 30;
  const redemptionsPerDay = (options.redemptionsPerMemberMonth ?? 0.5) * options.members / 30;
  const clearingBalance = new Map<string, number>(counties.map((county) => [county.code, 0]));
  let recordCount = 0;
  let redemptionCount = 0;
  let sequence = 0;

  // One write transaction a month (fewer commits, each hot page written to the log once a month);
  // each day inside it is a nested batch, the accounts its ledger calls read cached from call to call.
  for (const month of months) {
    ledger.batch(() => generateMonth(month));
    progress(`${month}: records ${recordCount}, redemptions ${redemptionCount}`);
  }
  ledger.checkpoint(clockMs);
  const transfers = (sqlite.prepare('SELECT max(seq) FROM ledger_transfers').pluck().get() as number | null) ?? 0;
  return { members: members.length, elders: elders.length, villages: villages.length, sites: allSites.length, serviceRecords: recordCount, redemptions: redemptionCount, transfers, months };

  /** A month of activity, day by day (each day a nested batch), then its month end. */
  function generateMonth(month: string): void {
    for (let day = 1; day <= daysIn(month); day++) {
      const dayStartMs = shanghaiMs(month, day, 8);
      if (dayStartMs > nowMs) break;
      ledger.batch(() => {
        logServices(dayStartMs, `${month}-${String(day).padStart(2, '0')}`);
        redeem(dayStartMs);
        flushRecords();
        redemptions.flush();
      });
    }
    ledger.batch(() => monthEnd(month));
  }

  /** A day's services: logged in the morning with a pending hold, reviewed in the evening. */
  function logServices(dayStartMs: number, date: string): void {
    clockMs = dayStartMs;
    const holds: TransferInput[] = [];
    const decisions: { holdId: string; recordId: number; member: Member; credit: number; county: string; approve: boolean; reverse: boolean }[] = [];
    const count = Math.floor(recordsPerDay) + (random() < recordsPerDay % 1 ? 1 : 0);
    for (let i = 0; i < count; i++) {
      const member = pick(volunteers);
      const type = pick(types);
      const countyElders = eldersByCounty.get(member.village.county) ?? [];
      const elder = type.recipientRequired && countyElders.length > 0 ? pick(countyElders) : null;
      const village = elder ? elder.village : member.village;
      const duration = 30 + Math.floor(random() * 6) * 15;
      const credit = Math.floor((duration * type.coefficient) / 1000);
      const key = `big-${++sequence}`;
      const holdId = `svc-hold:${key}`;
      const startAtMs = dayStartMs + Math.floor(random() * 8) * 3600_000;
      const approve = random() < 0.97;
      const reverse = approve && random() < 0.005;
      const recordId = nextRecordId++;
      // A reversed record is written reversed at once (the evening's review reverses it, below).
      const reversal = reverse ? [`svc-reverse:${recordId}`, '重复登记', dayStartMs + 10 * 3600_000] : [null, null, null];
      records.push(key, member.id, type.id, type.code, elder?.id ?? null, village.code, village.county, date, startAtMs, startAtMs + duration * 60_000,
        duration, credit, 'coordinator', reverse ? 'reversed' : approve ? 'approved' : 'rejected', holdId, dayStartMs + 10 * 3600_000, startAtMs, ...reversal);
      holds.push({ id: holdId, debitAccountId: `issuance:${village.county}`, creditAccountId: `wallet:m${member.id}`, amount: credit, code: 'service_credit', flags: TransferFlags.pending, refType: 'service_record', refId: String(recordId) });
      decisions.push({ holdId, recordId, member, credit, county: village.county, approve, reverse });
    }
    apply(holds);
    // Reviewed in the evening: approval posts the hold, rejection voids it.
    clockMs = dayStartMs + 10 * 3600_000;
    apply(decisions.map((decision) => ({
      id: `svc-${decision.approve ? 'post' : 'void'}:${decision.recordId}`, pendingId: decision.holdId, code: 'service_credit' as const,
      flags: decision.approve ? TransferFlags.postPending : TransferFlags.voidPending, refType: 'service_record', refId: String(decision.recordId),
    })));
    const reversals: TransferInput[] = [];
    for (const decision of decisions) {
      if (!decision.approve) continue;
      if (decision.reverse) {
        const id = `svc-reverse:${decision.recordId}`;
        reversals.push({ id, debitAccountId: `wallet:m${decision.member.id}`, creditAccountId: `issuance:${decision.county}`, amount: decision.credit, code: 'correction', refType: 'service_record', refId: String(decision.recordId) });
      } else decision.member.balance += decision.credit;
    }
    recordCount += decisions.length;
    clockMs += 60_000;
    apply(reversals);
  }

  /** A day's redemptions in the afternoon: hold every leg, then the PIN posts them. */
  function redeem(dayStartMs: number): void {
    clockMs = dayStartMs + 11 * 3600_000;
    const redemptionHolds: TransferInput[] = [];
    const posts: TransferInput[] = [];
    const redemptionCountToday = Math.floor(redemptionsPerDay) + (random() < redemptionsPerDay % 1 ? 1 : 0);
    for (let i = 0; i < redemptionCountToday; i++) {
      const useVoucher = random() < 0.1;
      const member = pick(members);
      const elder = useVoucher ? pick(elders) : null;
      const holder = elder ? { county: elder.village.county, account: `voucher:e${elder.id}`, balance: elder.voucherBalance } : { county: member.village.county, account: `wallet:m${member.id}`, balance: member.balance };
      const price = 20 + Math.floor(random() * 6) * 10;
      if (holder.balance < price) continue;
      const crossCounty = random() < 0.15;
      const site = crossCounty ? pick(allSites) : pick(sitesByCounty.get(holder.county) ?? allSites);
      const id = ++redemptionCount;
      const legs = site.county === holder.county
        ? [{ debit: holder.account, credit: `site:${site.id}` }]
        : [{ debit: holder.account, credit: `clearing:${holder.county}` }, { debit: `clearing:${site.county}`, credit: `site:${site.id}` }];
      legs.forEach((leg, index) => {
        const linked = index < legs.length - 1 ? TransferFlags.linked : 0;
        redemptionHolds.push({ id: `big-rdm:${id}:hold:${index + 1}`, debitAccountId: leg.debit, creditAccountId: leg.credit, amount: price, code: 'redemption', flags: TransferFlags.pending | linked, timeoutSeconds: 900, refType: 'redemption', refId: String(id) });
        posts.push({ id: `big-rdm:${id}:post:${index + 1}`, pendingId: `big-rdm:${id}:hold:${index + 1}`, code: 'redemption', flags: TransferFlags.postPending | linked, refType: 'redemption', refId: String(id) });
      });
      if (site.county !== holder.county) {
        clearingBalance.set(holder.county, present(clearingBalance.get(holder.county), 'demo data holds clearingBalance.get(holder.county)') + price);
        clearingBalance.set(site.county, present(clearingBalance.get(site.county), 'demo data holds clearingBalance.get(site.county)') - price);
      }
      if (elder) elder.voucherBalance -= price;
      else member.balance -= price;
      redemptions.push(`big-rdm-${id}`, site.id, elder ? (elder.memberId ?? member.id) : member.id, elder ? 'voucher' : 'wallet', holder.account, elder?.id ?? null, 'confirmed', price,
        holder.county, site.county, JSON.stringify(legs.map((_, index) => `big-rdm:${id}:hold:${index + 1}`)), clockMs, clockMs + 900_000, clockMs + 120_000, clockMs + 120_000);
    }
    apply(redemptionHolds);
    clockMs += 120_000;
    apply(posts);
  }

  /** Month end: vouchers for a fifth of the elders, and settlements between counties. */
  function monthEnd(month: string): void {
    clockMs = Math.max(clockMs + 60_000, Math.min(shanghaiMs(month, daysIn(month), 20), nowMs));
    const vouchers: TransferInput[] = [];
    for (const elder of elders) {
      if (random() >= 0.2) continue;
      vouchers.push({ id: `big-voucher:${month}:${elder.id}`, debitAccountId: `issuance:${elder.village.county}`, creditAccountId: `voucher:e${elder.id}`, amount: 120, code: 'voucher', refType: 'voucher_grant', refId: month });
      elder.voucherBalance += 120;
    }
    apply(vouchers);
    const owing = [...clearingBalance].filter(([, balance]) => balance > 0).sort((a, b) => b[1] - a[1]);
    const owed = [...clearingBalance].filter(([, balance]) => balance < 0).sort((a, b) => a[1] - b[1]);
    for (let i = 0; i < Math.min(3, owing.length, owed.length); i++) {
      const [from, fromBalance] = present(owing[i], 'demo data holds owing[i]');
      const [to, toBalance] = present(owed[i], 'demo data holds owed[i]');
      const amount = Math.floor(Math.min(fromBalance, -toBalance) / 2);
      if (amount <= 0) continue;
      const id = `big-settle:${month}:${from}:${to}`;
      apply([{ id, debitAccountId: `clearing:${from}`, creditAccountId: `clearing:${to}`, amount, code: 'settlement', refType: 'settlement', refId: month }]);
      insertSettlement.run(id, from, to, amount, `${month} 月度结算`, id, clockMs);
      clearingBalance.set(from, fromBalance - amount);
      clearingBalance.set(to, toBalance + amount);
    }
  }
}
}

/** Tables whose plain (non-unique) indexes `seedBig` builds after the rows: nothing it runs reads them. */
const deferredIndexTables = ['ledger_transfers', 'service_records', 'redemptions'];

/** Drops the plain indexes of `tables` and answers the SQL that creates them again. */
function dropPlainIndexes(sqlite: Sqlite, tables: readonly string[]): string[] {
  const rows = sqlite.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql LIKE 'CREATE INDEX%'
    AND tbl_name IN (${tables.map(() => '?').join(', ')})`).all(...tables) as { name: string; sql: string }[];
  for (const row of rows) sqlite.exec(`DROP INDEX "${row.name}"`);
  return rows.map((row) => row.sql);
}

/** An ID number not yet in `used`: the sequence moves on (no random draw, so the network stays the same) until it is new. */
function uniqueIdNumber(used: Set<string>, county: string, birthDate: string, sequence: number): string {
  for (let step = 0; step < 1000; step++) {
    const idNumber = makeIdNumber(county, birthDate, (sequence + step) % 1000);
    if (!used.has(idNumber)) {
      used.add(idNumber);
      return idNumber;
    }
  }
  throw new Error(`seed big: no free ID number for ${county} ${birthDate}`);
}

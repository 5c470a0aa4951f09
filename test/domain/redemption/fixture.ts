import { randomUUID } from 'node:crypto';
import { openDatabase, type Db } from '../../../src/db/client.ts';
import { users, userRoles } from '../../../src/db/schema/core.ts';
import type { Actor } from '../../../src/domain/access/authorize.ts';
import { grantsOf } from '../../../src/domain/auth/users.ts';
import { demoRegions } from '../../../src/domain/demo/regions.ts';
import { accountIds, accountInputs, countyAccounts, ensureAccounts, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { setMemberPin } from '../../../src/domain/people/members/pin.ts';
import { registerMember } from '../../../src/domain/people/members/register.ts';
import { registerElder } from '../../../src/domain/people/elders/register.ts';
import type { RedemptionContext } from '../../../src/domain/redemption/context.ts';
import { insertRegion } from '../../../src/domain/regions/regions.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { TransferFlags } from '../../../src/ledger/index.ts';
import { instants } from '../../helpers/clock.ts';
import { testPeopleKeys } from '../../helpers/crypto-profile.ts';
import { actorWithRoles } from '../../helpers/actor.ts';

/** 2026-11-23 10:00 in Shanghai. */
export const startMs = instants.suiteDefault;
export const pin = '258036';

export const places = {
  /** 凤凰县 山江镇 老家寨村 */
  fenghuangVillage: '433123101001',
  fenghuangVillage2: '433123101002',
  /** 隆回县 小沙江镇 旺溪村 */
  longhuiVillage: '430524101001',
} as const;

export interface Fixture {
  db: Db;
  context: RedemptionContext;
  clock: { ms: number };
  admin: Actor;
  fenghuangOffice: Actor;
  cityOffice: Actor;
  coordinator: Actor;
  addUser: (name: string, role: 'clerk' | 'coordinator' | 'office' | 'admin' | 'volunteer', scope: { regionCode?: string; siteId?: number }) => Actor;
  addMember: (name: string, villageCode: string, options?: { credits?: number; birthDate?: string; phone?: string }) => Promise<{ memberId: number; cardNumber: string; cardToken: string }>;
  credit: (memberId: number, countyCode: string, minutes: number) => void;
  addElder: (name: string, villageCode: string, categories: string[], memberId?: number | null) => number;
  fundPool: (countyCode: string, minutes: number) => void;
  actorOf: (userId: number) => Actor;
}

let transferSequence = 0;

/** An in-memory (or file) database with the demo regions, a few staff, and helpers to add members with credits. */
export function redemptionFixture(path = ':memory:', options: { migrate?: boolean } = {}): Fixture {
  const db = openDatabase(path, { migrate: options.migrate });
  const clock = { ms: startMs };
  const keys = testPeopleKeys();
  const context: RedemptionContext = { db, keys, now: () => clock.ms };
  if (options.migrate !== false) {
    for (const region of demoRegions) {
      insertRegion(db, { code: region.code, parentCode: region.parent, level: region.level, nameZh: region.zh, nameEn: region.en, rural: region.rural ?? null }, startMs);
    }
  }
  let phoneSequence = Number(db.$client.prepare('SELECT count(*) AS n FROM users').pluck().get());
  const actorOf = (userId: number): Actor => ({ userId, grants: grantsOf(db, userId) });
  const addUser: Fixture['addUser'] = (name, role, scope) => {
    phoneSequence += 1;
    const row = db.insert(users).values({ phone: `1990000${String(phoneSequence).padStart(4, '0')}`, displayName: name, passwordHash: 'x', createdAtMs: startMs, passwordChangedAtMs: startMs }).returning({ id: users.id }).get();
    db.insert(userRoles).values({ userId: row.id, role, regionCode: scope.regionCode ?? null, siteId: scope.siteId ?? null, grantedAtMs: startMs }).run();
    return actorOf(row.id);
  };
  const admin = addUser('admin', 'admin', { regionCode: '430000' });
  const peopleAdmin = actorWithRoles(db, { userId: admin.userId, roles: [{ role: 'admin' as const, regionCode: '430000' }] });
  const peopleContext = { db, keys, now: () => clock.ms };
  let idSequence = 0;
  const ledger = ledgerFor(db.$client, () => clock.ms);
  const credit: Fixture['credit'] = (memberId, countyCode, minutes) => {
    ensureAccounts(ledger, [...countyAccounts(countyCode), accountInputs.wallet(memberId)]);
    transferSequence += 1;
    const [result] = ledger.createTransfers([{
      id: `test-credit-${process.pid}-${transferSequence}-${memberId}-${randomUUID()}`, debitAccountId: accountIds.issuance(countyCode),
      creditAccountId: accountIds.wallet(memberId), amount: minutes, code: 'service_credit', flags: TransferFlags.none,
    }]);
    if (result !== 'ok') throw new Error(`credit: ${result}`);
  };
  const addMember: Fixture['addMember'] = async (name, villageCode, memberOptions = {}) => {
    idSequence += 1;
    const registered = registerMember(peopleContext, peopleAdmin, {
      realName: name,
      phone: memberOptions.phone ?? null,
      idNumber: makeIdNumber(villageCode.slice(0, 6), memberOptions.birthDate ?? '1958-03-07', idSequence + Math.floor(Math.random() * 400)),
      villageCode,
    });
    if (!registered.ok) throw new Error(`register ${name}: ${JSON.stringify(registered.problems)}`);
    const set = await setMemberPin(peopleContext, { ...peopleAdmin, memberId: registered.value.memberId, grants: [] }, registered.value.memberId, pin);
    if (!set.ok) throw new Error(`pin: ${JSON.stringify(set.problems)}`);
    const memberId = registered.value.memberId;
    ensureAccounts(ledger, [accountInputs.wallet(memberId)]);
    if (memberOptions.credits) credit(memberId, villageCode.slice(0, 6), memberOptions.credits);
    return { memberId, cardNumber: registered.value.cardNumber!, cardToken: registered.value.cardToken! };
  };
  let elderSequence = 500;
  const addElder: Fixture['addElder'] = (name, villageCode, categories, memberId = null) => {
    elderSequence += 1;
    const registered = registerElder(peopleContext, peopleAdmin, {
      realName: name, idNumber: makeIdNumber(villageCode.slice(0, 6), '1940-05-01', elderSequence), villageCode, memberId, categories,
      consent: { givenBy: 'self', method: 'written' }, sensitiveConsent: { givenBy: 'family', givenByName: '家属', method: 'written' },
    });
    if (!registered.ok) throw new Error(`elder ${name}: ${JSON.stringify(registered.problems)}`);
    return registered.value.elderId;
  };
  const fundPool: Fixture['fundPool'] = (countyCode, minutes) => {
    ensureAccounts(ledger, countyAccounts(countyCode));
    transferSequence += 1;
    const [result] = ledger.createTransfers([{ id: `test-pool-${transferSequence}-${randomUUID()}`, debitAccountId: accountIds.issuance(countyCode), creditAccountId: accountIds.pool(countyCode), amount: minutes, code: 'opening' }]);
    if (result !== 'ok') throw new Error(`pool: ${result}`);
  };
  return {
    db,
    context,
    addElder,
    fundPool,
    clock,
    admin,
    fenghuangOffice: addUser('凤凰县老龄办', 'office', { regionCode: '433123' }),
    cityOffice: addUser('邵阳市老龄办', 'office', { regionCode: '430500' }),
    coordinator: addUser('山江镇协管员', 'coordinator', { regionCode: '433123101' }),
    addUser,
    addMember,
    credit,
    actorOf,
  };
}

export function walletAvailable(db: Db, memberId: number): number {
  const account = ledgerFor(db.$client, () => startMs).account(accountIds.wallet(memberId)); // a read: no transfer takes this clock
  return account ? account.creditsPosted - account.debitsPosted - account.debitsPending : 0;
}

export function rowCount(db: Db, table: string): number {
  return Number(db.$client.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
}

/** Counts of every table a refusal must leave alone. */
export function snapshot(db: Db): Record<string, number> {
  const tables = ['ledger_transfers', 'ledger_failed_transfers', 'redemptions', 'redemption_lines', 'stock_movements', 'member_gifts', 'voucher_grants', 'voucher_grant_lines', 'service_requests', 'clearing_settlements', 'member_relatives'];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = rowCount(db, table);
  counts.reserved = Number(db.$client.prepare('SELECT coalesce(sum(reserved),0) FROM site_items').pluck().get());
  counts.stock = Number(db.$client.prepare('SELECT coalesce(sum(stock),0) FROM site_items').pluck().get());
  return counts;
}

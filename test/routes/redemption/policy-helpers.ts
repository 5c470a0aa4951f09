import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../../src/db/client.ts';
import { seedHours } from '../../../src/domain/demo/hours.ts';
import { demoRedemptionPin, seedRedemption } from '../../../src/domain/demo/redemption.ts';
import { accountIds, accountInputs, countyAccounts, ensureAccounts, ledgerFor } from '../../../src/domain/bookkeeping/accounts.ts';
import { setMemberPin } from '../../../src/domain/people/members/pin.ts';
import { registerMember } from '../../../src/domain/people/members/register.ts';
import { registerElder } from '../../../src/domain/people/elders/register.ts';
import { makeIdNumber } from '../../../src/lib/idcard.ts';
import { actorWithRoles } from '../../helpers/actor.ts';
import { testSecrets } from '../../helpers/crypto-profile.ts';
import { createTestApp, demoPhone, visibleText, type TestBrowser } from '../../helpers/web.ts';

/** Site 2 of the demo is 老家寨村互助服务站 (凤凰县, care services); the demo coordinator works its counter. */
export const station = 2;
export const pin = demoRedemptionPin;

/**
 * The demo app with the hours seed (volunteers with verified service) and the
 * redemption seed (sites, members with PINs), and a way to add a member of a
 * chosen age with credits and a PIN.
 */
export async function policyApp() {
  const secrets = testSecrets();
  const db = openDatabase(':memory:');
  const test = await createTestApp({ db, secrets });
  seedHours(db, secrets, test.clock.now());
  await seedRedemption(db, secrets, test.clock.now());
  const adminId = Number(db.$client.prepare('SELECT id FROM users WHERE phone = ?').pluck().get(demoPhone('admin')));
  const admin = actorWithRoles(db, { userId: adminId, roles: [{ role: 'admin', regionCode: '430000' }] });
  const people = { db, keys: secrets, now: test.clock.now };
  let sequence = 700;
  /** A member born on `birthDate` (of a 凤凰县 village unless told), with `credits` minutes in the wallet and the demo PIN. */
  async function addMember(name: string, birthDate: string, credits: number, villageCode = '433123101001') {
    sequence += 1;
    const county = villageCode.slice(0, 6);
    const registered = registerMember(people, admin, { realName: name, phone: null, idNumber: makeIdNumber(county, birthDate, sequence), villageCode });
    if (!registered.ok) throw new Error(JSON.stringify(registered.problems));
    const memberId = registered.value.memberId;
    const set = await setMemberPin(people, { ...admin, memberId, grants: [] }, memberId, pin);
    if (!set.ok) throw new Error(JSON.stringify(set.problems));
    const ledger = ledgerFor(db.$client, test.clock.now);
    ensureAccounts(ledger, [...countyAccounts(county), accountInputs.wallet(memberId)]);
    const [result] = credits === 0 ? ['ok']
      : ledger.createTransfers([{ id: `test:${randomUUID()}`, debitAccountId: accountIds.issuance(county), creditAccountId: accountIds.wallet(memberId), amount: credits, code: 'service_credit' }]);
    if (result !== 'ok') throw new Error(result);
    return { id: memberId, cardNumber: registered.value.cardNumber! };
  }
  const memberNamed = (name: string) => db.$client.prepare('SELECT id, card_number AS cardNumber FROM members WHERE real_name = ? ORDER BY id LIMIT 1').get(name) as { id: number; cardNumber: string };
  const itemId = (siteId: number, name: string) => Number(db.$client.prepare('SELECT id FROM site_items WHERE site_id = ? AND name = ?').pluck().get(siteId, name));
  const setPin = async (memberId: number) => {
    const set = await setMemberPin(people, { ...admin, memberId, grants: [] }, memberId, pin);
    if (!set.ok) throw new Error(JSON.stringify(set.problems));
  };
  /** Registers a member in the registry of elders with special difficulties, in the member's village. */
  const registerAsElder = (member: { id: number }, name: string, birthDate: string, villageCode: string, categories: string[]) => {
    sequence += 1;
    const registered = registerElder(people, admin, {
      realName: name, idNumber: makeIdNumber(villageCode.slice(0, 6), birthDate, sequence), villageCode, memberId: member.id, categories,
      familyContactName: null, familyContactRelation: null, familyContactPhone: null, consent: { givenBy: 'self', method: 'written' }, sensitiveConsent: null,
    });
    if (!registered.ok) throw new Error(JSON.stringify(registered.problems));
  };
  return { ...test, secrets, addMember, memberNamed, itemId, setPin, registerAsElder };
}

/** The counter of a site opened for a member by card number: the basket page's URL. */
export async function openCounter(browser: TestBrowser, siteId: number, cardNumber: string): Promise<string> {
  await browser.get(`/counter/${siteId}`);
  const found = await browser.post(`/counter/${siteId}/identify`, { lookup: cardNumber });
  if (found.statusCode !== 303) throw new Error(`identify: ${found.statusCode} ${visibleText(found.body).slice(0, 200)}`);
  const url = found.headers.location as string;
  await browser.get(url);
  return url;
}

/** The policy form as the administrator fills it, with the rules in force in the demo and `overrides`. */
export function policyForm(overrides: Record<string, string>): Record<string, string> {
  return { idempotency_key: randomUUID(), effective_date: '', cap_hours: '1500', cap_minutes: '', cap_mode: 'refuse', care_age: '60', care_age_registered: '', relatives_only: '1', minimum_hours: '', minimum_minutes: '', yearly_hours: '', yearly_minutes: '', note: '', ...overrides };
}

export const scalarOf = (db: ReturnType<typeof openDatabase>, sql: string, ...parameters: unknown[]) => db.$client.prepare(sql).pluck().get(...parameters);

import { eq } from 'drizzle-orm';
import { members } from '../../db/schema/people.ts';
import { hasRefusedNameCharacters } from '../../lib/display-name.ts';
import { normalizePhone } from '../../lib/phone.ts';
import type { Actor } from '../access/authorize.ts';
import { accountIds } from '../bookkeeping/accounts.ts';
import { countyCodeOfPath } from '../regions/path.ts';
import { findCardHolder } from '../people/members/cards.ts';
import { openIdNumber } from '../people/members/identity.ts';
import { ledgerOf, memberFacts, peopleContextOf, redemptionAccounts, refuse, success, type Outcome, type RedemptionContext } from './context.ts';
import { audit } from '../audit/audit.ts';
import { countyPathOf } from '../regions/path.ts';
import { type CounterMember, availableNow, pinLockedUntil, siteForCounter, voucherElderOf } from './counter-core.ts';
import { assert, present } from '../../lib/assert.ts';

/** Finding the member or the registered elder at the counter (see counter-core.ts for the ledger form). */

export function counterMember(context: RedemptionContext, memberId: number): CounterMember | undefined {
  const facts = memberFacts(context.db, memberId);
  if (!facts) return undefined;
  const elderId = voucherElderOf(context, memberId);
  const village = context.db.$client.prepare('SELECT name_zh AS name FROM regions WHERE code = ?').get(facts.villageCode) as { name: string };
  return {
    memberId,
    realName: facts.realName,
    cardNumber: facts.cardNumber,
    villageName: village.name,
    countyCode: facts.countyCode,
    walletAvailableMinutes: availableNow(context, accountIds.wallet(memberId)),
    elderId,
    voucherAvailableMinutes: elderId === null ? null : availableNow(context, redemptionAccounts.voucher(elderId).id),
    pinLockedUntilMs: pinLockedUntil(context, memberId),
  };
}

/**
 * Finds the member at the counter: by the card's QR token, by the typed card
 * number, or by phone. Uses the members domain for cards (suspended members
 * are refused with the reason).
 */
export function identifyMember(
  context: RedemptionContext,
  by: { token: string } | { cardNumber: string } | { phone: string },
): Outcome<CounterMember> {
  let memberId: number;
  if ('phone' in by) {
    const phone = normalizePhone(by.phone);
    if (!phone) return refuse(422, 'redemption.error.phone_invalid', undefined, 'lookup');
    const row = context.db.select({ id: members.id, status: members.status }).from(members).where(eq(members.phone, phone)).get();
    if (!row || (row.status !== 'active' && row.status !== 'suspended')) return refuse(404, 'redemption.error.member_not_found', undefined, 'lookup');
    if (row.status === 'suspended') return refuse(423, 'people.error.member_suspended', undefined, 'lookup');
    memberId = row.id;
  } else {
    const found = findCardHolder(peopleContextOf(context), by);
    if (!found.ok) return { ok: false, status: found.status, problems: found.problems.map((p) => ({ ...p, field: 'lookup' })) };
    memberId = found.value.memberId;
  }
  return success(present(counterMember(context, memberId), 'a member found a moment ago exists (members are never deleted)'));
}

/**
 * A registered elder at the counter of a service station. Elders usually have
 * no login and often no member record (no card, no PIN): they spend their
 * vouchers (消费券) through the clerk, see identifyElder and confirmAttested.
 */
export interface CounterElder {
  elderId: number;
  realName: string;
  villageName: string;
  countyCode: string;
  /** Set when the elder is also a member: then the member's card and PIN are used instead. */
  memberId: number | null;
  voucherAvailableMinutes: number | null;
  familyContactName: string | null;
  familyContactRelation: string | null;
}

export function counterElder(context: RedemptionContext, elderId: number): CounterElder | undefined {
  const row = context.db.$client
    .prepare(`SELECT e.id, e.real_name AS realName, e.member_id AS memberId, e.family_contact_name AS familyContactName,
                     e.family_contact_relation AS familyContactRelation, r.name_zh AS villageName, r.path
                FROM elders e JOIN regions r ON r.code = e.village_code WHERE e.id = ? AND e.status = 'active'`)
    .get(elderId) as { id: number; realName: string; memberId: number | null; familyContactName: string | null; familyContactRelation: string | null; villageName: string; path: string } | undefined;
  if (!row) return undefined;
  const voucher = ledgerOf(context).account(redemptionAccounts.voucher(row.id).id);
  return {
    elderId: row.id, realName: row.realName, villageName: row.villageName, countyCode: countyCodeOfPath(row.path) ?? '',
    memberId: row.memberId, voucherAvailableMinutes: voucher ? availableNow(context, voucher.id) : null,
    familyContactName: row.familyContactName, familyContactRelation: row.familyContactRelation,
  };
}

/**
 * Finds a registered elder at the counter of a service station: the full
 * name as registered plus either the whole ID-card number or its last four
 * characters (what the elder's ID card or 老年证 shows). Only elders of the
 * site's county are searched; the answer never says whether someone is
 * registered elsewhere. Two elders with the same name and last four digits
 * ask for the whole number. A successful lookup is audited (it shows a
 * voucher balance).
 */
export function identifyElder(
  context: RedemptionContext,
  actor: Actor,
  siteId: number,
  by: { name: string; idDigits: string },
): Outcome<CounterElder> {
  const counter = siteForCounter(context, actor, siteId);
  if (!counter.ok) return counter;
  const site = counter.site;
  if (site.kind !== 'service_station') return refuse(409, 'redemption.error.voucher_only_service_station', undefined, 'elderName');
  // Spaces as the register keeps them (one between parts), so 龙  玉兰 finds 龙 玉兰 and 龙玉兰 finds 龙玉兰.
  const name = (by.name ?? '').trim().replace(/\s+/g, ' ');
  if (name.length === 0 || Array.from(name).length > 40) return refuse(422, 'redemption.error.elder_name_required', undefined, 'elderName');
  if (hasRefusedNameCharacters(name)) return refuse(422, 'redemption.error.elder_name_invalid', undefined, 'elderName');
  const digits = (by.idDigits ?? '').replace(/\s/g, '').toUpperCase();
  if (!/^(\d{3}[\dX]|\d{17}[\dX])$/.test(digits)) return refuse(422, 'redemption.error.elder_digits_invalid', undefined, 'elderDigits');
  const candidates = context.db.$client
    .prepare(`SELECT e.id, e.id_number_ciphertext AS ciphertext FROM elders e JOIN regions r ON r.code = e.village_code
               WHERE e.status = 'active' AND e.real_name = ? AND r.path LIKE ? ORDER BY e.id LIMIT 50`)
    .all(name, `${countyPathOf(site.villagePath) ?? site.villagePath}%`) as { id: number; ciphertext: string }[];
  const matches = candidates.filter((candidate) => {
    const idNumber = openIdNumber(context.keys, candidate.ciphertext).toUpperCase();
    return digits.length === 18 ? idNumber === digits : idNumber.endsWith(digits);
  });
  if (matches.length === 0) return refuse(404, 'redemption.error.counter_elder_not_found', undefined, 'elderName');
  if (matches.length > 1) return refuse(409, 'redemption.error.elder_ambiguous', undefined, 'elderDigits');
  const [match] = matches;
  assert(match !== undefined && matches.length === 1, 'exactly one elder matched');
  const elder = present(counterElder(context, match.id), 'an elder found a moment ago exists (elders are never deleted)');
  audit(context, actor, 'redemption.elder_identified', 'elder', elder.elderId, site.villageCode, { siteId: site.id });
  return success(elder);
}

import { eq } from 'drizzle-orm';
import { elderCategories, elderConsents, elders, members } from '../../../db/schema/people.ts';
import { ageOn, type IdCardInfo } from '../../../lib/idcard.ts';
import { hasRefusedNameCharacters } from '../../../lib/display-name.ts';
import { maskName } from '../../../lib/mask.ts';
import { compactPhone, isMobileOrLandline } from '../../../lib/phone.ts';
import { namePinyin } from '../../../lib/pinyin.ts';
import {
  checkName, failure, prepared, nowMs, roleRefusal, success, todayInShanghai, villageInScope,
  type Actor, type Outcome, type PeopleContext, type Problem, type RegionRow,
} from '../members/context.ts';
import { checkIdNumber, idNumberHash, inActorScope, registrationLimitReached, registrationLimitRefusal, sealIdNumber } from '../members/identity.ts';
import { isElderCategory, isSensitiveCategory, type ElderCategory } from './categories.ts';
import { audit } from '../../audit/audit.ts';
import { keyOf, registerOnce } from '../members/once.ts';
import { memberIdByCardNumber } from '../members/cards.ts';

export interface ConsentInput {
  givenBy: 'self' | 'guardian' | 'family';
  givenByName?: string | null;
  method: 'written' | 'verbal' | 'electronic';
}

export interface ElderInput {
  realName: string;
  idNumber: string;
  phone?: string | null;
  villageCode: string;
  memberId?: number | null;
  categories: readonly string[];
  visitIntervalDays?: number | null;
  familyContactName?: string | null;
  familyContactRelation?: string | null;
  familyContactPhone?: string | null;
  /** Consent to being in the registry at all. */
  consent: ConsentInput | null;
  /** Separate consent for health and disability categories (PIPL art. 29). */
  sensitiveConsent?: ConsentInput | null;
}

export interface CheckedElder {
  realName: string;
  id: IdCardInfo;
  idHmac: string;
  phone: string | null;
  village: RegionRow;
  memberId: number | null;
  categories: ElderCategory[];
  visitIntervalDays: number;
  familyContactName: string | null;
  familyContactRelation: string | null;
  familyContactPhone: string | null;
  consent: ConsentInput;
  sensitiveConsent: ConsentInput | null;
}


function checkConsent(consent: ConsentInput | null | undefined, field: string): Problem | null {
  if (!consent) return null;
  if (!['self', 'guardian', 'family'].includes(consent.givenBy)) return { code: 'people.error.consent_given_by_invalid', field };
  if (!['written', 'verbal', 'electronic'].includes(consent.method)) return { code: 'people.error.consent_method_invalid', field };
  return null;
}

function optionalText(value: string | null | undefined): string | null {
  const trimmed = (value ?? '').trim();
  return trimmed === '' ? null : trimmed;
}

/** The longest family contact name, relation and consent giver's name kept (characters, not UTF-16 units). */
const familyTextLimits = { familyContactName: 30, familyContactRelation: 10, givenByName: 30 } as const;

/**
 * The family contact and a consent giver's name as typed: too long is refused with the limit named (never cut
 * short in silence: the witness at a counter is compared with this name), and a name with characters a name
 * never holds (control or direction marks) is refused. Registration and update both check with this.
 */
export function familyTextProblems(
  input: { familyContactName?: string | null; familyContactRelation?: string | null },
  consents: Partial<Record<'consent' | 'sensitiveConsent', ConsentInput | null | undefined>>,
): Problem[] {
  const problems: Problem[] = [];
  const tooLong = (value: string | null | undefined, field: string, limit: number) => {
    if ([...(value ?? '').trim()].length > limit) problems.push({ code: 'common.form.tooLong', field, params: { limit, max: limit } });
  };
  tooLong(input.familyContactName, 'familyContactName', familyTextLimits.familyContactName);
  tooLong(input.familyContactRelation, 'familyContactRelation', familyTextLimits.familyContactRelation);
  if (hasRefusedNameCharacters(input.familyContactName ?? '')) problems.push({ code: 'people.error.family_name_invalid', field: 'familyContactName' });
  for (const [field, consent] of Object.entries(consents)) {
    if (!consent) continue;
    tooLong(consent.givenByName, field, familyTextLimits.givenByName);
    if (hasRefusedNameCharacters(consent.givenByName ?? '')) problems.push({ code: 'people.error.family_name_invalid', field });
  }
  return problems;
}

/** Checks every field of an elder record (form or spreadsheet row); all problems at once. */
export function checkElderInput(
  context: PeopleContext,
  actor: Actor,
  input: ElderInput,
): { ok: true; value: CheckedElder } | { ok: false; status: 403 | 422; problems: Problem[] } {
  const problems: Problem[] = [];
  const today = todayInShanghai(context);
  const name = checkName(input.realName);
  if ('problem' in name) problems.push(name.problem);
  const id = checkIdNumber(input.idNumber, today);
  if ('problem' in id) problems.push(id.problem);
  const age = 'info' in id ? ageOn(id.info.birthDate, today) : null;
  if (age !== null && age < 60) problems.push({ code: 'people.error.elder_too_young', field: 'idNumber', params: { age } });
  const phone = compactPhone(input.phone);
  if (phone !== null && !isMobileOrLandline(phone)) problems.push({ code: 'people.error.phone_invalid', field: 'phone' });
  const village = villageInScope(context, actor, (input.villageCode ?? '').trim());
  if (!village.ok) problems.push(village.problem);
  const categories: ElderCategory[] = [];
  for (const raw of input.categories) {
    const category = raw.trim();
    if (category === '') continue;
    if (!isElderCategory(category)) problems.push({ code: 'people.error.category_unknown', field: 'categories', params: { category: category.slice(0, 20) } });
    else if (!categories.includes(category)) categories.push(category);
  }
  if (input.categories.length === 0 || (categories.length === 0 && !problems.some((p) => p.field === 'categories'))) {
    problems.push({ code: 'people.error.category_required', field: 'categories' });
  }
  if (categories.includes('advanced_age') && age !== null && age < 80) problems.push({ code: 'people.error.advanced_age_under_80', field: 'categories', params: { age } });
  const interval = input.visitIntervalDays ?? 30;
  if (!Number.isInteger(interval) || interval < 1 || interval > 366) problems.push({ code: 'people.error.visit_interval_invalid', field: 'visitIntervalDays' });
  const familyPhone = compactPhone(input.familyContactPhone);
  if (familyPhone !== null && !isMobileOrLandline(familyPhone)) problems.push({ code: 'people.error.family_phone_invalid', field: 'familyContactPhone' });
  problems.push(...familyTextProblems(input, { consent: input.consent, sensitiveConsent: input.sensitiveConsent }));
  if (!input.consent) problems.push({ code: 'people.error.consent_required', field: 'consent' });
  const consentProblem = checkConsent(input.consent, 'consent') ?? checkConsent(input.sensitiveConsent, 'sensitiveConsent');
  if (consentProblem) problems.push(consentProblem);
  if (categories.some(isSensitiveCategory) && !input.sensitiveConsent) {
    problems.push({ code: 'people.error.sensitive_consent_required', field: 'sensitiveConsent' });
  }
  let memberId: number | null = null;
  if (input.memberId) {
    const member = context.db.select({ id: members.id, villageCode: members.villageCode, status: members.status }).from(members).where(eq(members.id, input.memberId)).get();
    if (!member || member.status === 'rejected' || !villageInScope(context, actor, member.villageCode).ok) {
      problems.push({ code: 'people.error.member_link_invalid', field: 'memberId' });
    } else memberId = member.id;
  }
  if (problems.length > 0 || !('name' in name) || !('info' in id) || !village.ok || !input.consent) {
    const onlyScope = problems.length === 1 && problems[0]?.code === 'people.error.out_of_scope';
    return { ok: false, status: onlyScope ? 403 : 422, problems };
  }
  return {
    ok: true,
    value: {
      realName: name.name,
      id: id.info,
      idHmac: idNumberHash(context.keys, id.info.number),
      phone,
      village: village.village,
      memberId,
      categories,
      visitIntervalDays: interval,
      familyContactName: optionalText(input.familyContactName),
      familyContactRelation: optionalText(input.familyContactRelation),
      familyContactPhone: familyPhone,
      consent: input.consent,
      sensitiveConsent: categories.some(isSensitiveCategory) ? input.sensitiveConsent ?? null : null,
    },
  };
}

/** An active registry entry with this ID hash: masked name and village for the message. */
/**
 * The refusal of an elder already on the registry: naming the elder (masked)
 * and village only to staff whose scope holds that village (issue 12 item 5).
 */
export function findDuplicateElder(context: PeopleContext, idHmac: string, actor: Actor | null): Problem | null {
  const row = prepared(context, "SELECT e.real_name AS realName, r.name_zh AS villageName, r.path AS villagePath FROM elders e JOIN regions r ON r.code = e.village_code WHERE e.id_number_hmac = ? AND e.status = 'active' LIMIT 1")
    .get(idHmac) as { realName: string; villageName: string; villagePath: string } | undefined;
  if (!row) return null;
  if (!inActorScope(context, actor, row.villagePath)) return { code: 'people.error.duplicate_elder_elsewhere', field: 'idNumber' };
  return { code: 'people.error.duplicate_elder', field: 'idNumber', params: { name: maskName(row.realName), village: row.villageName } };
}

/** Writes one checked elder with categories and consents. Call inside a write transaction. */
export function insertElder(context: PeopleContext, actor: Actor, checked: CheckedElder, importBatchId: number | null = null, idempotencyKey: string | null = null): number {
  const at = nowMs(context);
  const pinyin = namePinyin(checked.realName);
  const inserted = context.db
    .insert(elders)
    .values({
      memberId: checked.memberId,
      realName: checked.realName,
      namePinyin: pinyin.full,
      nameInitials: pinyin.initials,
      phone: checked.phone,
      idNumberCiphertext: sealIdNumber(context.keys, checked.id.number),
      idNumberHmac: checked.idHmac,
      birthDate: checked.id.birthDate,
      gender: checked.id.gender,
      villageCode: checked.village.code,
      visitIntervalDays: checked.visitIntervalDays,
      familyContactName: checked.familyContactName,
      familyContactRelation: checked.familyContactRelation,
      familyContactPhone: checked.familyContactPhone,
      createdByUserId: actor.userId,
      importBatchId,
      idempotencyKey,
      createdAtMs: at,
      updatedAtMs: at,
    })
    .returning({ id: elders.id })
    .get();
  context.db.insert(elderCategories).values(checked.categories.map((category) => ({ elderId: inserted.id, category, sensitive: isSensitiveCategory(category) }))).run();
  const consents: { purpose: 'registry' | 'sensitive_health'; consent: ConsentInput }[] = [{ purpose: 'registry', consent: checked.consent }];
  if (checked.sensitiveConsent) consents.push({ purpose: 'sensitive_health' as const, consent: checked.sensitiveConsent });
  context.db.insert(elderConsents).values(consents.map(({ purpose, consent }) => ({
    elderId: inserted.id,
    purpose,
    givenBy: consent.givenBy,
    givenByName: optionalText(consent.givenByName),
    method: consent.method,
    recordedByUserId: actor.userId,
    recordedAtMs: at,
  }))).run();
  return inserted.id;
}

/** A coordinator or office registers an elder in a village of their scope. */
export function registerElder(context: PeopleContext, actor: Actor, input: ElderInput, idempotencyKey: string | null = null): Outcome<{ elderId: number; replayed?: boolean }> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const checked = checkElderInput(context, actor, input);
  if (!checked.ok) return failure(checked.status, ...checked.problems);
  const value = checked.value;
  const once = keyOf(idempotencyKey, 'elders.register', {
    realName: value.realName, idHmac: value.idHmac, phone: value.phone, villageCode: value.village.code, memberId: value.memberId,
    categories: value.categories.join(','), visitIntervalDays: value.visitIntervalDays, familyContactName: value.familyContactName,
    familyContactRelation: value.familyContactRelation, familyContactPhone: value.familyContactPhone,
    consent: JSON.stringify(value.consent), sensitiveConsent: JSON.stringify(value.sensitiveConsent),
  });
  return registerOnce(context, actor, once, { objectType: 'elder', regionCode: value.village.code }, (duplicateFound) => {
    if (registrationLimitReached(context, actor)) return registrationLimitRefusal();
    const duplicate = findDuplicateElder(context, value.idHmac, actor);
    if (duplicate) return duplicateFound(duplicate);
    const elderId = insertElder(context, actor, value, null, idempotencyKey);
    audit(context, actor, 'elder.register', 'elder', elderId, value.village.code, { categories: value.categories.length });
    return success({ elderId });
  });
}


/**
 * The staff form: the elder who is also a member is linked by the card
 * number typed (an unknown number is a problem on that field, and nothing
 * else is checked), then registerElder.
 */
export function registerElderWithCard(
  context: PeopleContext,
  actor: Actor,
  input: Omit<ElderInput, 'memberId'> & { memberCard: string },
  idempotencyKey: string | null = null,
): Outcome<{ elderId: number; replayed?: boolean }> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const { memberCard, ...fields } = input;
  const memberId = memberCard === '' ? null : memberIdByCardNumber(context, memberCard);
  if (memberCard !== '' && memberId === null) return failure(422, { code: 'people.error.member_link_invalid', field: 'memberId' });
  return registerElder(context, actor, { ...fields, memberId }, idempotencyKey);
}

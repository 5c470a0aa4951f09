import { and, eq, isNull } from 'drizzle-orm';
import { elderCategories, elderConsents, elders } from '../../../db/schema/people.ts';
import { ageOn } from '../../../lib/idcard.ts';
import { compactPhone, isMobileOrLandline } from '../../../lib/phone.ts';
import { checkReason, failure, nowMs, roleRefusal, success, todayInShanghai, objectVillageInScope, type Actor, type Outcome, type PeopleContext, type Problem } from '../members/context.ts';
import { isElderCategory, isSensitiveCategory, type ElderCategory } from './categories.ts';
import { familyTextProblems, type ConsentInput } from './register.ts';
import { audit } from '../../audit/audit.ts';
import { writeTransaction } from '../../kernel/transaction.ts';

export interface ElderCareInput {
  categories: readonly string[];
  visitIntervalDays: number | null;
  familyContactName?: string | null;
  familyContactRelation?: string | null;
  familyContactPhone?: string | null;
  /** A new separate consent for health categories, when one is added and none is on record. */
  sensitiveConsent?: ConsentInput | null;
}


/**
 * Changes an elder's categories, visit interval and family contact, by staff in
 * scope. Health categories need a separate consent on record (or given now).
 * The change is audited (category codes only).
 */
export function updateElderCare(context: PeopleContext, actor: Actor, elderId: number, input: ElderCareInput): Outcome<{ elderId: number }> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const elder = context.db.select().from(elders).where(eq(elders.id, elderId)).get();
  if (!elder || elder.status !== 'active') return failure(404, { code: 'people.error.elder_not_found' });
  const scope = objectVillageInScope(context, actor, elder.villageCode, 'people.error.elder_not_found');
  if (!scope.ok) return scope;
  const problems: Problem[] = [];
  const categories: ElderCategory[] = [];
  for (const raw of input.categories) {
    if (!isElderCategory(raw)) problems.push({ code: 'people.error.category_unknown', field: 'categories', params: { category: raw.slice(0, 20) } });
    else if (!categories.includes(raw)) categories.push(raw);
  }
  if (categories.length === 0 && problems.length === 0) problems.push({ code: 'people.error.category_required', field: 'categories' });
  const age = ageOn(elder.birthDate, todayInShanghai(context));
  if (categories.includes('advanced_age') && age < 80) problems.push({ code: 'people.error.advanced_age_under_80', field: 'categories', params: { age } });
  const interval = input.visitIntervalDays ?? 30;
  if (!Number.isInteger(interval) || interval < 1 || interval > 366) problems.push({ code: 'people.error.visit_interval_invalid', field: 'visitIntervalDays' });
  const familyPhone = compactPhone(input.familyContactPhone);
  if (familyPhone !== null && !isMobileOrLandline(familyPhone)) problems.push({ code: 'people.error.family_phone_invalid', field: 'familyContactPhone' });
  problems.push(...familyTextProblems(input, { sensitiveConsent: input.sensitiveConsent }));
  const hasSensitiveConsent = context.db
    .select({ id: elderConsents.id })
    .from(elderConsents)
    .where(and(eq(elderConsents.elderId, elderId), eq(elderConsents.purpose, 'sensitive_health'), isNull(elderConsents.withdrawnAtMs)))
    .get() !== undefined;
  if (categories.some(isSensitiveCategory) && !hasSensitiveConsent && !input.sensitiveConsent) {
    problems.push({ code: 'people.error.sensitive_consent_required', field: 'sensitiveConsent' });
  }
  if (problems.length > 0) return failure(422, ...problems);
  const at = nowMs(context);
  return writeTransaction(context.db, (tx) => {
      const text = (value: string | null | undefined) => ((value ?? '').trim() === '' ? null : (value ?? '').trim());
      tx.update(elders)
        .set({
          visitIntervalDays: interval,
          familyContactName: text(input.familyContactName),
          familyContactRelation: text(input.familyContactRelation),
          // An empty phone field keeps the number on record (forms never show it in full).
          familyContactPhone: familyPhone ?? elder.familyContactPhone,
          updatedAtMs: at,
        })
        .where(eq(elders.id, elderId))
        .run();
      tx.delete(elderCategories).where(eq(elderCategories.elderId, elderId)).run();
      tx.insert(elderCategories).values(categories.map((category) => ({ elderId, category, sensitive: isSensitiveCategory(category) }))).run();
      if (categories.some(isSensitiveCategory) && !hasSensitiveConsent && input.sensitiveConsent) {
        tx.insert(elderConsents).values({
          elderId, purpose: 'sensitive_health', givenBy: input.sensitiveConsent.givenBy, givenByName: text(input.sensitiveConsent.givenByName),
          method: input.sensitiveConsent.method, recordedByUserId: actor.userId, recordedAtMs: at,
        }).run();
      }
      audit({ ...context, db: tx as unknown as PeopleContext['db'] }, actor, 'elder.update', 'elder', elderId, elder.villageCode, { categories: categories.length, visitIntervalDays: interval });
      return success({ elderId });
    });
}

/** Takes an elder off the active registry (moved away, deceased, consent withdrawn), with a reason; the record is kept. */
export function closeElder(context: PeopleContext, actor: Actor, elderId: number, reason: string): Outcome<{ elderId: number }> {
  const denied = roleRefusal(actor);
  if (denied) return denied;
  const problem = checkReason(reason);
  if (problem) return failure(422, problem);
  const elder = context.db.select().from(elders).where(eq(elders.id, elderId)).get();
  if (!elder) return failure(404, { code: 'people.error.elder_not_found' });
  const scope = objectVillageInScope(context, actor, elder.villageCode, 'people.error.elder_not_found');
  if (!scope.ok) return scope;
  if (elder.status !== 'active') return failure(409, { code: 'people.error.elder_not_found' });
  return writeTransaction(context.db, (tx) => {
      tx.update(elders).set({ status: 'closed', statusReason: reason.trim(), updatedAtMs: nowMs(context) }).where(eq(elders.id, elderId)).run();
      audit({ ...context, db: tx as unknown as PeopleContext['db'] }, actor, 'elder.close', 'elder', elderId, elder.villageCode, { reason: reason.trim() });
      return success({ elderId });
    });
}

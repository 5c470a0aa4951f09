import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as references from '../../../domain/redemption/references.ts';
import type { RedemptionContext } from '../../../domain/redemption/context.ts';
import type { MemberAtCounter } from '../../../domain/redemption/references.ts';
import { minutesFromParts } from '../../../lib/duration.ts';
import { Form } from '../../../lib/form-schema.ts';
import { typedValues } from '../../../plugins/forms.ts';

/**
 * Small helpers shared by the redemption areas' routes (sites, counter,
 * gifts, vouchers, requests, clearing).
 */
export function redemptionContext(app: FastifyInstance): RedemptionContext {
  return { db: app.db, keys: app.secrets, now: app.clock };
}

/** The boxes of an amount of time (`<name>_hours`, `<name>_minutes`) and an older client's decimal hours (`legacyName`), for a form's schema. */
export function amountFields<Name extends string>(name: Name, legacyName?: string) {
  const box = Form.optional(Form.text(10));
  return { [`${name}_hours`]: box, [`${name}_minutes`]: box, ...(legacyName ? { [legacyName]: box } : {}) } as Record<`${Name}_hours` | `${Name}_minutes`, typeof box>;
}

/**
 * An amount of time from a form or query, as typed in the two boxes of
 * views/partials/forms/duration.eta (`<name>_hours`, `<name>_minutes`), to whole
 * minutes; NaN when it is not a positive amount. A request without the
 * minutes box at all comes from an older client or script that sent decimal
 * hours in `legacyName` ("1.5"): that is still read; the pages no longer offer it.
 */
export function minutesFromAmountFields(source: unknown, name: string, legacyName?: string): number {
  const sent = typedValues(source);
  if (legacyName && !(`${name}_minutes` in sent)) {
    const legacy = (sent[legacyName] ?? '').trim();
    return legacy === '' ? Number.NaN : minutesFromHours(legacy);
  }
  return minutesFromParts(sent[`${name}_hours`] ?? '', sent[`${name}_minutes`] ?? '');
}

/** True when an optional amount was left empty (both boxes, or the legacy field of an older client). */
export function amountFieldsBlank(source: unknown, name: string, legacyName?: string): boolean {
  const sent = typedValues(source);
  const keys = legacyName && !(`${name}_minutes` in sent) ? [legacyName] : [`${name}_hours`, `${name}_minutes`];
  return keys.every((key) => (sent[key] ?? '').trim() === '');
}

/** The boxes of an amount field as typed, to show again after a refusal. */
export function amountFieldValues(source: unknown, name: string): Record<string, string> {
  const sent = typedValues(source);
  return { [`${name}_hours`]: (sent[`${name}_hours`] ?? '').trim(), [`${name}_minutes`]: (sent[`${name}_minutes`] ?? '').trim() };
}

/** Hours as typed ("1.5", "0.5", "2") to whole minutes; NaN when not a positive number. */
export function minutesFromHours(text: string): number {
  const trimmed = (text ?? '').trim();
  if (!/^\d{1,4}(\.\d{1,2})?$/.test(trimmed)) return Number.NaN;
  return Math.round(Number(trimmed) * 60);
}

/** Counter references (src/domain/redemption/references.ts), made and read with the app's secrets and clock. */
function referenceContext(app: FastifyInstance): references.ReferenceContext {
  return { keys: app.secrets, now: app.clock };
}

export function memberReference(app: FastifyInstance, siteId: number, memberId: number, present = false): string {
  return references.memberReference(referenceContext(app), siteId, memberId, present);
}

export function readMemberReference(app: FastifyInstance, siteId: number, reference: string): MemberAtCounter | null {
  return references.readMemberReference(referenceContext(app), siteId, reference);
}

export function elderReference(app: FastifyInstance, siteId: number, elderId: number): string {
  return references.elderReference(referenceContext(app), siteId, elderId);
}

export function readElderReference(app: FastifyInstance, siteId: number, reference: string): number | null {
  return references.readElderReference(referenceContext(app), siteId, reference);
}

export function localeName(request: FastifyRequest, zh: string, en: string | null | undefined): string {
  return request.locale === 'en' && en ? en : zh;
}

import { present } from '../../../lib/assert.ts';

/**
 * Categories of the registry of elders with special difficulties (PRODUCT.md).
 * Health and disability categories are sensitive personal information (PIPL
 * art. 28): they need a separate consent, are shown only to coordinators and
 * offices in scope, and every view is audited.
 */
export const elderCategories = [
  { code: 'living_alone', sensitive: false },
  { code: 'empty_nest', sensitive: false },
  { code: 'left_behind', sensitive: false },
  { code: 'disabled', sensitive: true },
  { code: 'semi_disabled', sensitive: true },
  { code: 'severe_disability', sensitive: true },
  { code: 'family_planning_special', sensitive: false },
  { code: 'advanced_age', sensitive: false },
  { code: 'extreme_poverty', sensitive: false },
  { code: 'minimum_allowance', sensitive: false },
] as const;

export type ElderCategory = (typeof elderCategories)[number]['code'];

export const elderCategoryCodes: readonly ElderCategory[] = elderCategories.map((category) => category.code);

export function isElderCategory(value: string): value is ElderCategory {
  return (elderCategoryCodes as readonly string[]).includes(value);
}

export function isSensitiveCategory(category: ElderCategory): boolean {
  return present(elderCategories.find((entry) => entry.code === category), 'every elder category code is listed in elderCategories').sensitive;
}

/** Chinese labels as typed in a spreadsheet (失能 or 半失能 ...) to codes. */
export const categoryByChineseLabel: Readonly<Record<string, ElderCategory>> = {
  独居: 'living_alone',
  空巢: 'empty_nest',
  留守: 'left_behind',
  失能: 'disabled',
  半失能: 'semi_disabled',
  重残: 'severe_disability',
  计划生育特殊家庭: 'family_planning_special',
  计生特殊家庭: 'family_planning_special',
  高龄: 'advanced_age',
  特困: 'extreme_poverty',
  低保: 'minimum_allowance',
};

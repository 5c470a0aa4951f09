/** Mainland mobile numbers: 11 digits starting 13-19. */
const mobilePattern = /^1[3-9]\d{9}$/;
/** A mobile, or a landline with its area code (0731-1234567): the numbers an elder's household may give. */
const mobileOrLandlinePattern = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;

/**
 * A phone as typed, compacted: full-width digits to ASCII (NFKC), spaces
 * (also the ideographic one) and dashes removed, a +86 or 86 before a mobile
 * number dropped. Null when nothing was typed. This is the one reading of a
 * typed phone; the checks below say whether the result is a valid number.
 */
export function compactPhone(input: string | null | undefined): string | null {
  const compact = (input ?? '').normalize('NFKC').replace(/[\s\-\u3000]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
  return compact === '' ? null : compact;
}

/** Whether a compacted phone is a mainland mobile number. */
export function isMobilePhone(compact: string): boolean {
  return mobilePattern.test(compact);
}

/** Whether a compacted phone is a mobile or a landline with area code. */
export function isMobileOrLandline(compact: string): boolean {
  return mobileOrLandlinePattern.test(compact);
}

/** A typed mainland mobile number as its 11 digits, or null when blank or not a mobile number. */
export function normalizePhone(input: string): string | null {
  const compact = compactPhone(input);
  return compact !== null && isMobilePhone(compact) ? compact : null;
}

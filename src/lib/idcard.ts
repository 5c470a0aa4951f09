/**
 * PRC resident identity card numbers (GB 11643-1999): 6-digit address code,
 * 8-digit birth date, 3-digit sequence (odd = male), check character.
 * Only 18-character numbers are accepted; the 15-character form was retired in 2013.
 */

const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const checkCharacters = '10X98765432';

export type IdCardProblem = 'id_format' | 'id_check_digit' | 'id_birth_date_invalid' | 'id_birth_date_future';

export interface IdCardInfo {
  /** Normalized: upper-case X, no spaces. */
  number: string;
  birthDate: string;
  gender: 'male' | 'female';
  addressCode: string;
}

export type IdCardResult = { ok: true; info: IdCardInfo } | { ok: false; problem: IdCardProblem };

/** Full-width digits to ASCII (NFKC), trims, removes inner spaces and upper-cases a trailing x. */
export function normalizeIdNumber(raw: string): string {
  return raw.normalize('NFKC').replace(/[\s\u3000]/g, '').toUpperCase();
}

export function checkCharacter(first17: string): string {
  let sum = 0;
  for (const [index, weight] of weights.entries()) sum += Number(first17[index]) * weight;
  return checkCharacters.charAt(sum % 11);
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Validates an 18-character ID number. `today` is the date in Asia/Shanghai
 * ('YYYY-MM-DD') against which "not in the future" is checked.
 */
export function parseIdNumber(raw: string, today: string): IdCardResult {
  const number = normalizeIdNumber(raw);
  if (!/^\d{17}[\dX]$/.test(number)) return { ok: false, problem: 'id_format' };
  if (checkCharacter(number.slice(0, 17)) !== number[17]) return { ok: false, problem: 'id_check_digit' };
  const year = Number(number.slice(6, 10));
  const month = Number(number.slice(10, 12));
  const day = Number(number.slice(12, 14));
  if (year < 1880 || !isRealDate(year, month, day)) return { ok: false, problem: 'id_birth_date_invalid' };
  const birthDate = `${number.slice(6, 10)}-${number.slice(10, 12)}-${number.slice(12, 14)}`;
  if (birthDate > today) return { ok: false, problem: 'id_birth_date_future' };
  const gender = Number(number[16]) % 2 === 1 ? 'male' : 'female';
  return { ok: true, info: { number, birthDate, gender, addressCode: number.slice(0, 6) } };
}

/** Whole years of age on `onDate` (both 'YYYY-MM-DD'); a 29 February birthday counts on 1 March. */
export function ageOn(birthDate: string, onDate: string): number {
  const [birthYear, birthMonthDay] = [Number(birthDate.slice(0, 4)), birthDate.slice(5)];
  const [year, monthDay] = [Number(onDate.slice(0, 4)), onDate.slice(5)];
  return year - birthYear - (monthDay < birthMonthDay ? 1 : 0);
}

/** Today's date in Asia/Shanghai (UTC+8, no daylight saving) as 'YYYY-MM-DD'. */
export function shanghaiDate(atMs: number): string {
  return new Date(atMs + 8 * 3600_000).toISOString().slice(0, 10);
}

/** Builds a valid ID number from its parts (tests, demo data). */
export function makeIdNumber(addressCode: string, birthDate: string, sequence: number): string {
  const first17 = `${addressCode}${birthDate.replaceAll('-', '')}${String(sequence).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

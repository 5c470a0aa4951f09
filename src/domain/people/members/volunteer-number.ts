import { connectionOf, type Db, type Sqlite } from '../../../db/client.ts';

/**
 * Volunteer numbers (志愿者编号, docs/RECORDS.md "Volunteer number"): the
 * number a volunteer's records travel under between systems, so that ID
 * numbers are not exposed (the 2015 basic specification for volunteer
 * information systems). Layout, 16 characters:
 *
 *   YL 433123 0000001 4
 *   |  |      |       check character: ISO 7064 MOD 11-2 over the 13 digits
 *   |  |      sequence within the county, 7 digits, in order of assignment
 *   |  the county of the member's home village when the number was assigned
 *   network prefix (银龄)
 *
 * It is never derived from the ID number, and never changes: a member who
 * moves keeps it. The check character is the ID number's algorithm (weights
 * 2^k mod 11, '10X98765432'), so a mistyped digit or a swap of two is caught.
 * Migration 0025 gives existing members theirs by the same rule, in SQL.
 */
export const volunteerNumberPrefix = 'YL';

const bodyLength = 13;
const checkCharacters = '10X98765432';
const pattern = /^YL(\d{13})([\dX])$/;

/** ISO 7064 MOD 11-2 check character of a string of digits. */
export function volunteerCheckCharacter(digits: string): string {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    const weight = 2 ** (digits.length - index) % 11;
    sum += Number(digits[index]) * weight;
  }
  return checkCharacters.charAt(sum % 11);
}

export function isValidVolunteerNumber(value: string): boolean {
  const match = pattern.exec(value);
  return match !== null && match[1] !== undefined && volunteerCheckCharacter(match[1]) === match[2];
}

/** The number for a county and a sequence (1 to 9,999,999). */
export function formatVolunteerNumber(countyCode: string, sequence: number): string {
  if (!/^\d{6}$/.test(countyCode) || !Number.isInteger(sequence) || sequence < 1 || sequence > 9_999_999) {
    throw new Error(`volunteer number out of range: county ${countyCode}, sequence ${sequence}`);
  }
  const body = countyCode + String(sequence).padStart(7, '0');
  return volunteerNumberPrefix + body + volunteerCheckCharacter(body);
}

/** Groups for reading aloud and printing: 'YL 433123 0000001 7'. */
export function spacedVolunteerNumber(value: string): string {
  return isValidVolunteerNumber(value) ? `${value.slice(0, 2)} ${value.slice(2, 8)} ${value.slice(8, 15)} ${value.slice(15)}` : value;
}

/**
 * The next free volunteer number of the county of `villageCode`. Call inside
 * the write transaction that stores it (the unique index on
 * members.volunteer_number is the safety net): the highest number of the
 * county is read from that index, so assignment is one index probe.
 */
export function assignVolunteerNumber(db: Db | Sqlite, villageCode: string): string {
  const county = villageCode.slice(0, 6);
  const low = volunteerNumberPrefix + county;
  const highest = connectionOf(db)
    .prepare('SELECT max(volunteer_number) FROM members WHERE volunteer_number >= ? AND volunteer_number < ?')
    .pluck()
    .get(low, `${low}~`) as string | null;
  const sequence = highest ? Number(highest.slice(2 + 6, 2 + bodyLength)) + 1 : 1;
  return formatVolunteerNumber(county, sequence);
}

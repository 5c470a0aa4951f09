import { randomInt } from 'node:crypto';
import { volunteerCheckCharacter } from '../people/members/volunteer-number.ts';

/**
 * Certificate numbers (证明编号), 21 characters: 'ZM', the issuing county's
 * code, the year of issue, 8 random digits and an ISO 7064 MOD 11-2 check
 * character over the 18 digits. The random part keeps numbers from being
 * guessed one after another on the public /verify page; the check character
 * lets a mistyped number be refused without looking anything up.
 */
const pattern = /^ZM(\d{18})([\dX])$/;

export function isWellFormedCertificateNumber(value: string): boolean {
  const match = pattern.exec(value);
  return match !== null && match[1] !== undefined && volunteerCheckCharacter(match[1]) === match[2];
}

export function newCertificateNumber(countyCode: string, year: string): string {
  const body = countyCode + year + String(randomInt(0, 100_000_000)).padStart(8, '0');
  return `ZM${body}${volunteerCheckCharacter(body)}`;
}

import { makeIdNumber } from '../../lib/idcard.ts';

/**
 * A demo ID number whose gender digit (the 17th: odd for men, even for
 * women) matches the person's name, so a member page, the elder registry and
 * a relation such as 父女 all say the same thing. The sequence moves up by one
 * when its parity is wrong.
 */
export function demoIdNumber(addressCode: string, birthDate: string, sequence: number, gender: 'male' | 'female'): string {
  const odd = sequence % 2 === 1;
  return makeIdNumber(addressCode, birthDate, odd === (gender === 'male') ? sequence : sequence + 1);
}

/** The demo volunteer 王秀英 (a woman), the same number wherever her member record is made. */
export const demoVolunteerIdNumber = demoIdNumber('433123', '1959-06-15', 798, 'female');

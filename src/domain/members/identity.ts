import { decryptText, encryptText, lookupHash, type PeopleKeys } from '../../lib/crypto.ts';
import { parseIdNumber, type IdCardInfo } from '../../lib/idcard.ts';
import { maskName } from '../../lib/mask.ts';
import { prepared, type PeopleContext, type Problem } from './context.ts';

const idNumberPurpose = 'id-number';

export function idNumberHash(keys: PeopleKeys, normalizedIdNumber: string): string {
  return lookupHash(keys, normalizedIdNumber, idNumberPurpose);
}

export function sealIdNumber(keys: PeopleKeys, normalizedIdNumber: string): string {
  return encryptText(keys, normalizedIdNumber, idNumberPurpose);
}

export function openIdNumber(keys: PeopleKeys, ciphertext: string): string {
  return decryptText(keys, ciphertext, idNumberPurpose);
}

/** Validates an ID number as typed; the problem never echoes the number. */
export function checkIdNumber(raw: string | null | undefined, today: string, field = 'idNumber'): { info: IdCardInfo } | { problem: Problem } {
  if (!raw || raw.trim() === '') return { problem: { code: 'people.error.id_required', field } };
  const result = parseIdNumber(raw, today);
  if (!result.ok) return { problem: { code: `people.error.${result.problem}`, field } };
  return { info: result.info };
}

export interface ExistingMember {
  id: number;
  maskedName: string;
  cardNumber: string | null;
  villageName: string;
  status: string;
}

/**
 * A live (not rejected) member with the same ID hash or phone, for the
 * "already registered" message: masked name, card number and village only.
 */
export function findDuplicateMember(
  context: PeopleContext,
  idHmac: string,
  phone: string | null,
  exceptMemberId?: number,
): { by: 'idNumber' | 'phone'; member: ExistingMember } | null {
  // Two lookups, each on its own index (an OR across two columns makes SQLite scan the table).
  const columns = 'SELECT m.id, m.real_name AS realName, m.card_number AS cardNumber, m.status, m.id_number_hmac AS idNumberHmac, r.name_zh AS villageName FROM members m JOIN regions r ON r.code = m.village_code';
  type Found = { id: number; realName: string; cardNumber: string | null; status: string; idNumberHmac: string; villageName: string };
  const except = exceptMemberId ?? -1;
  const rows: Found[] = [];
  const byId = prepared(context, `${columns} WHERE m.id_number_hmac = ? AND m.status <> 'rejected' AND m.id <> ? LIMIT 1`).get(idHmac, except) as Found | undefined;
  if (byId) rows.push(byId);
  else if (phone) {
    const byPhone = prepared(context, `${columns} WHERE m.phone = ? AND m.status <> 'rejected' AND m.id <> ? LIMIT 1`).get(phone, except) as Found | undefined;
    if (byPhone) rows.push(byPhone);
  }
  const row = rows.find((candidate) => candidate.idNumberHmac === idHmac) ?? rows[0];
  if (!row) return null;
  return {
    by: row.idNumberHmac === idHmac ? 'idNumber' : 'phone',
    member: { id: row.id, maskedName: maskName(row.realName), cardNumber: row.cardNumber, villageName: row.villageName, status: row.status },
  };
}

export function duplicateProblem(duplicate: { by: 'idNumber' | 'phone'; member: ExistingMember }): Problem {
  return {
    code: duplicate.by === 'idNumber' ? 'people.error.duplicate_id_number' : 'people.error.duplicate_phone',
    field: duplicate.by,
    params: {
      name: duplicate.member.maskedName,
      card: duplicate.member.cardNumber ?? '-',
      village: duplicate.member.villageName,
      memberId: duplicate.member.id,
    },
  };
}

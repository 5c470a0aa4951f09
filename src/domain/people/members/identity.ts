import { decryptText, encryptText, lookupHash, type PeopleKeys } from '../../../lib/crypto.ts';
import { parseIdNumber, type IdCardInfo } from '../../../lib/idcard.ts';
import { maskName } from '../../../lib/mask.ts';
import { recordWithinAllowances } from '../../audit/audit.ts';
import { allowsRegion } from '../../access/authorize.ts';
import { canManageMembers } from './permissions.ts';
import { nowMs, prepared, type Actor, type PeopleContext, type Problem, type Refusal, failure } from './context.ts';

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
  /** The region path of the member's village: whether the actor may be told who it is. */
  villagePath: string;
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
  const columns = 'SELECT m.id, m.real_name AS realName, m.card_number AS cardNumber, m.status, m.id_number_hmac AS idNumberHmac, r.name_zh AS villageName, r.path AS villagePath FROM members m JOIN regions r ON r.code = m.village_code';
  type Found = { id: number; realName: string; cardNumber: string | null; status: string; idNumberHmac: string; villageName: string; villagePath: string };
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
    member: { id: row.id, maskedName: maskName(row.realName), cardNumber: row.cardNumber, villageName: row.villageName, villagePath: row.villagePath, status: row.status },
  };
}

/** Is a village (by path) inside the scope of the actor's staff roles? No actor (the public form): never. */
export function inActorScope(context: PeopleContext, actor: Actor | null, villagePath: string): boolean {
  return allowsRegion(actor, canManageMembers, villagePath);
}

/**
 * The "already registered" refusal. It points to the existing member (masked
 * name, card number, village) only when that member is inside the actor's
 * scope; otherwise it names nobody (issue 12 item 5: a coordinator must not
 * look up who holds a phone in another county).
 */
export function duplicateProblem(context: PeopleContext, actor: Actor | null, duplicate: { by: 'idNumber' | 'phone'; member: ExistingMember }): Problem {
  if (!inActorScope(context, actor, duplicate.member.villagePath)) {
    return { code: duplicate.by === 'idNumber' ? 'people.error.duplicate_id_number_elsewhere' : 'people.error.duplicate_phone_elsewhere', field: duplicate.by };
  }
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

/** Duplicate refusals one staff user may get per hour on the registration forms (members, elders, reviews). */
export const duplicateRefusalsPerHour = 10;
const duplicateRefusalAction = 'registration.duplicate_refused';

/**
 * Counts the duplicate refusals the actor got in the last hour and records
 * this one in the audit log (for offices to see probing), or, past the limit,
 * returns the 429 refusal. Call inside the registration's write transaction.
 */
export function refuseDuplicate(context: PeopleContext, actor: Actor, objectType: 'member' | 'elder', regionCode: string, problem: Problem): Refusal {
  return countDuplicateRefusal(context, actor, objectType, regionCode, problem.field ?? null) ? failure(409, problem) : registrationLimitRefusal();
}

/**
 * Counts one duplicate refusal against the actor's hourly allowance (one
 * write transaction: count, then record); false, recording nothing, when it
 * is used up. Also used by roster uploads for rows already registered
 * outside the importer's scope (src/domain/people/import/validate.ts).
 */
export function countDuplicateRefusal(context: PeopleContext, actor: Actor, objectType: 'member' | 'elder', regionCode: string | null, field: string | null): boolean {
  return recordWithinAllowances(
    context.db,
    { action: duplicateRefusalAction, actorUserId: actor.userId, objectType, regionCode, ipAddress: actor.ipAddress ?? null, detail: { field } },
    nowMs(context),
    60 * 60_000,
    [{ actorUserId: actor.userId, max: duplicateRefusalsPerHour }],
  );
}

export function registrationLimitRefusal(): Refusal {
  return failure(429, { code: 'people.error.registration_limit', params: { max: duplicateRefusalsPerHour } });
}

/** True when the actor has used up the hour's duplicate refusals: the form refuses every registration until then. */
export function registrationLimitReached(context: PeopleContext, actor: Actor): boolean {
  const since = nowMs(context) - 60 * 60_000;
  const row = prepared(context, 'SELECT count(*) AS n FROM audit_log WHERE action = ? AND actor_user_id = ? AND at_ms >= ?').get(duplicateRefusalAction, actor.userId, since) as { n: number };
  return row.n >= duplicateRefusalsPerHour;
}

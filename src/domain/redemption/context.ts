import { eq } from 'drizzle-orm';
import { connectionOf, type Db } from '../../db/client.ts';
import { regions } from '../../db/schema/core.ts';
import { members } from '../../db/schema/people.ts';
import { AccountFlags, type AccountInput, type CreateTransferResult, type Ledger, type TransferInput } from '../../ledger/index.ts';
import { ageOn, shanghaiDate } from '../../lib/idcard.ts';
import { authorize, type Actor, type Permission, type Target } from '../access/authorize.ts';
import { replayOf, writeOnce as writeOnceInKernel, type IdempotencyKey, type Once } from '../kernel/idempotency.ts';
import { countyCodeOfPath } from '../regions/path.ts';
import { ledgerFor } from '../bookkeeping/accounts.ts';
import { nowOf, type DomainContext } from '../kernel/context.ts';
import { success, type Outcome, type Refusal, type RefusalStatus } from '../kernel/outcome.ts';
import type { PeopleContext } from '../people/members/context.ts';
import { regionRow, type RegionRow } from '../regions/regions.ts';
import { writeTransaction as openWriteTransaction } from '../kernel/transaction.ts';

/**
 * What every redemption-domain function needs (src/domain/kernel/context.ts):
 * the same as the people domain's, whose card and PIN functions it calls.
 * Actors are the web application's actors (src/domain/access/authorize.ts).
 */
export type RedemptionContext = DomainContext;

export { nowOf };

export function peopleContextOf(context: RedemptionContext): PeopleContext {
  return { db: context.db, keys: context.keys, now: context.now };
}

export function ledgerOf(context: RedemptionContext): Ledger {
  // Transfers take their time from the context's clock, like every other record of the request.
  return ledgerFor(context.db.$client, () => nowOf(context));
}

export { success, type Outcome, type Problem, type Refusal, type RefusalStatus } from '../kernel/outcome.ts';

/** A refusal with one problem: an i18n key (src/i18n/<locale>/redemption.json, or people.json for PIN problems) and parameters. */
export function refuse(status: RefusalStatus, code: string, params?: Record<string, string | number>, field?: string): Refusal {
  return { ok: false, status, problems: [{ code, ...(field ? { field } : {}), ...(params ? { params } : {}) }] };
}

/** Thrown inside a write transaction to roll everything back and answer with the refusal. */
class Rollback extends Error {
  constructor(readonly refusal: Refusal) {
    super('rollback');
  }
}

/**
 * Runs `work` in one IMMEDIATE transaction (the ledger's calls nest inside as
 * savepoints). A refusal returned by `work` rolls back everything it wrote, so
 * a refused request leaves no trace. `work` must be synchronous.
 */
export function writeTransaction<T>(context: RedemptionContext, work: () => Outcome<T>): Outcome<T> {
  try {
    return openWriteTransaction(context.db, () => {
      const outcome = work();
      if (!outcome.ok) throw new Rollback(outcome);
      return outcome;
    });
  } catch (error) {
    if (error instanceof Rollback) return error.refusal;
    throw error;
  }
}

/**
 * A write under the form's idempotency key through the one mechanism
 * (src/domain/kernel/idempotency.ts): the key's row keeps the id of what was
 * made. The same key with the same content answers `load(id)` (what it is
 * now); with other content it is refused (409 key_reused) and writes nothing.
 * `work` runs in one IMMEDIATE transaction; a refusal rolls it back.
 */
export function writeOnceKeyed<T>(context: RedemptionContext, actor: Actor | null, once: IdempotencyKey, record: KeyedRecord<T>, work: () => Outcome<T>): Outcome<T> {
  const earlier = replayKeyed(context, actor, once, record);
  if (earlier) return earlier;
  let made: T | undefined;
  const written = writeOnceInKernel<KeyedResult>(context.db, once, actor?.userId ?? null, nowOf(context), () => {
    const outcome = work();
    if (!outcome.ok) return outcome;
    made = outcome.value;
    return { ok: true, id: record.idOf(outcome.value) };
  });
  if (written.kind === 'first' && written.result.ok) return success(made as T);
  return answerOf(written, once, record);
}

/** What a write already done under the key answers (undefined when the key is new): ask it before validating, so a replay is answered even when the state has moved on. */
export function replayKeyed<T>(context: RedemptionContext, actor: Actor | null, once: IdempotencyKey, record: KeyedRecord<T>): Outcome<T> | undefined {
  const earlier = replayOf<KeyedResult>(context.db, once, actor?.userId ?? null);
  return earlier ? answerOf(earlier, once, record) : undefined;
}

export interface KeyedRecord<T> {
  idOf: (value: T) => number;
  load: (id: number) => T | undefined;
}

function answerOf<T>(earlier: Once<KeyedResult>, once: IdempotencyKey, record: KeyedRecord<T>): Outcome<T> {
  if (earlier.kind === 'conflict') return refuse(409, 'redemption.error.key_reused');
  if (!earlier.result.ok) return earlier.result;
  const found = record.load(earlier.result.id);
  if (found === undefined) throw new Error(`idempotency key ${once.key} names ${once.scope} ${earlier.result.id}, which is gone`);
  return success(found);
}

/**
 * writeOnceKeyed for a small answer kept whole under the key (a count, an id
 * in an object): the same key with the same content answers the stored
 * outcome; with other content it is refused (409 key_reused).
 */
export function writeOnceWhole<T>(context: RedemptionContext, actor: Actor | null, once: IdempotencyKey, work: () => Outcome<T>): Outcome<T> {
  const earlier = replayWhole<T>(context, actor, once);
  if (earlier) return earlier;
  const written = writeOnceInKernel<Outcome<T>>(context.db, once, actor?.userId ?? null, nowOf(context), work);
  return written.kind === 'conflict' ? refuse(409, 'redemption.error.key_reused') : written.result;
}

/** The outcome a writeOnceWhole under this key already answered (undefined when the key is new). */
export function replayWhole<T>(context: RedemptionContext, actor: Actor | null, once: IdempotencyKey): Outcome<T> | undefined {
  const earlier = replayOf<Outcome<T>>(context.db, once, actor?.userId ?? null);
  if (!earlier) return undefined;
  return earlier.kind === 'conflict' ? refuse(409, 'redemption.error.key_reused') : earlier.result;
}

type KeyedResult = { ok: true; id: number } | Refusal;

/** Ledger results the counter explains to people; anything else is a programming error. */
const explained: Partial<Record<CreateTransferResult, { status: RefusalStatus; code: string }>> = {
  exceeds_credits: { status: 409, code: 'redemption.error.insufficient_balance' },
  pending_transfer_expired: { status: 409, code: 'redemption.error.hold_expired' },
  pending_transfer_already_voided: { status: 409, code: 'redemption.error.hold_expired' },
  id_already_failed: { status: 409, code: 'redemption.error.insufficient_balance' },
};

/**
 * Creates transfers inside the caller's transaction. Every result `ok` or
 * `exists`: success. A result people can understand (not enough credits, an
 * expired hold): that refusal. Anything else throws.
 */
export function applyTransfers(context: RedemptionContext, transfers: readonly TransferInput[]): Outcome<CreateTransferResult[]> {
  if (transfers.length === 0) return success([]);
  const results = ledgerOf(context).createTransfers(transfers);
  if (results.every((result) => result === 'ok' || result === 'exists')) return success(results);
  const cause = results.find((result) => result !== 'ok' && result !== 'exists' && result !== 'linked_event_failed') ?? 'linked_event_failed';
  const known = explained[cause];
  if (known) return refuse(known.status, known.code);
  throw new Error(`ledger refused ${transfers.map((t) => t.id).join(',')}: ${results.join(',')}`);
}

/**
 * Null when the actor holds one of the roles `permission` names (whatever
 * their scope); otherwise the 403 page every such actor gets, the one
 * request.authorize rendered (issue 15). Each redemption function a page
 * calls checks this first, before looking anything up.
 */
export { isRoleRefusal, roleRefusal, roleRefusalCode } from '../people/members/context.ts';

/**
 * Null when the actor may act; otherwise 403 for someone without the role,
 * and, for someone with the role but a target outside its scope, the refusal
 * a missing object of that kind gets (issue 12 item 7).
 */
export function checkAuthorized(actor: Actor | null, permission: Permission, target?: Target, notFoundCode = 'redemption.error.site_not_found'): Refusal | null {
  if (authorize(actor, permission, target)) return null;
  if (target && authorize(actor, permission)) return refuse(404, notFoundCode);
  return refuse(403, 'redemption.error.forbidden');
}

export type RegionInfo = RegionRow;

export function regionOf(db: Db, code: string): RegionInfo | undefined {
  return regionRow(db, code);
}

export function countyOfRegion(db: Db, code: string): string | undefined {
  const region = regionOf(db, code);
  return region ? countyCodeOfPath(region.path) : undefined;
}

export interface MemberFacts {
  id: number;
  realName: string;
  status: string;
  villageCode: string;
  villagePath: string;
  countyCode: string;
  birthDate: string;
  cardNumber: string | null;
}

// Raw SQL on the statement cache: read by every basket, confirmation, gift and service request.
const memberFactsSql = `SELECT m.id, m.real_name AS realName, m.status, m.village_code AS villageCode, r.path AS villagePath,
  m.birth_date AS birthDate, m.card_number AS cardNumber FROM members m JOIN regions r ON r.code = m.village_code WHERE m.id = ?`;

export function memberFacts(db: Db, memberId: number): MemberFacts | undefined {
  const row = connectionOf(db).prepare(memberFactsSql).get(memberId) as Omit<MemberFacts, 'countyCode'> | undefined;
  if (!row) return undefined;
  return { ...row, countyCode: countyCodeOfPath(row.villagePath) ?? '' };
}

export function ageOf(context: RedemptionContext, birthDate: string): number {
  return ageOn(birthDate, shanghaiDate(nowOf(context)));
}

/**
 * Accounts this area names beyond src/domain/bookkeeping/accounts.ts (tell the lead
 * to move them there):
 * - voucher:e<elder id>  an elder's voucher (消费券) balance; spent only at service stations
 * - escrow:<county>      holds of service requests until a volunteer is paid
 */
export const redemptionAccounts = {
  voucher: (elderId: number): AccountInput => ({
    id: `voucher:e${elderId}`, kind: 'wallet', ownerRef: `elder:${elderId}`, flags: AccountFlags.debitsMustNotExceedCredits,
  }),
  escrow: (countyCode: string): AccountInput => ({
    id: `escrow:${countyCode}`, kind: 'control', ownerRef: `escrow:county:${countyCode}`, flags: AccountFlags.debitsMustNotExceedCredits,
  }),
};

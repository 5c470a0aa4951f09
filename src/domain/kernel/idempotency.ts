import { createHash } from 'node:crypto';
import { connectionOf, type Db } from '../../db/client.ts';
import { idempotencyKeys } from '../../db/schema/core.ts';
import { readIdempotencyKey as readKeyField } from '../../lib/forms.ts';
import { writeTransaction } from './transaction.ts';

/**
 * The one idempotency mechanism (issue 15). Every form that creates something
 * carries a hidden `idempotency_key` (a UUID made when the form was rendered).
 * The write runs under that key once:
 *
 * - a new key: the work runs in one IMMEDIATE transaction; when it succeeds,
 *   the key, the content's hash and the answer are stored in the same
 *   transaction (a refusal stores nothing, so the form can be corrected and
 *   sent again with the same key);
 * - the same key with the same content (a double click, a reload, two tabs):
 *   the first answer, and nothing is written;
 * - the same key with other content: refused ('conflict'), nothing written;
 *   routes answer 409 with common.error.idempotency_conflict.
 *
 * Two requests racing with one key are serialized by the write lock: the
 * second finds the first one's row inside its own transaction.
 */

export interface IdempotencyKey {
  key: string;
  /** What kind of write, e.g. 'accounts.create': a key is never shared between kinds. */
  scope: string;
  /** contentHash() of the form's meaningful fields. */
  contentHash: string;
}

export type Once<R> = { kind: 'first'; result: R } | { kind: 'replay'; result: R } | { kind: 'conflict' };

/**
 * The content hash of keys copied from the records that kept their own key
 * column before this table existed (migration 0017): their content was never
 * hashed, so any content under such a key answers the first result, as it did.
 */
export const legacyContentHash = 'legacy';

/** The message key of the refusal for a key reused with other content (zh-CN and en in common.json). */
export const idempotencyConflictKey = 'common.error.idempotency_conflict';

/** The form's idempotency key (a UUID, lower-cased), or null when it has none or not a UUID. */
export function readIdempotencyKey(form: unknown): string | null {
  return readKeyField(form);
}

/** A stable hash of a form's fields (order does not matter); leave secrets such as passwords out. */
export function contentHash(fields: Record<string, string | number | boolean | null>): string {
  const canonical = JSON.stringify(Object.keys(fields).sort().map((name) => [name, fields[name]]));
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * What an earlier write under this key answered, read outside any transaction
 * (callers ask first, then writeOnce asks again). Only the user who made the
 * first write gets its answer (null: a public form, such as /join): anyone
 * else holding the key gets a conflict, never another user's result.
 */
// Raw SQL on the connection's statement cache: every write request asks it first.
const replaySql = 'SELECT scope, content_hash AS contentHash, result, actor_user_id AS actorUserId FROM idempotency_keys WHERE key = ?';

export function replayOf<R>(db: Db, request: IdempotencyKey, actorUserId: number | null): Once<R> | null {
  const row = connectionOf(db).prepare(replaySql).get(request.key) as { scope: string; contentHash: string; result: string; actorUserId: number | null } | undefined;
  if (!row) return null;
  if (row.scope !== request.scope || row.actorUserId !== actorUserId) return { kind: 'conflict' };
  if (row.contentHash !== request.contentHash && row.contentHash !== legacyContentHash) return { kind: 'conflict' };
  return { kind: 'replay', result: JSON.parse(row.result) as R };
}

/** Thrown inside the transaction to roll a refusal back. */
class Refused<R> extends Error {
  constructor(readonly result: R) {
    super('refused');
  }
}

/**
 * Runs `work` once per key, in one IMMEDIATE transaction (see the top of the
 * file). `work` must be synchronous and answer `{ ok: boolean }`: only an ok
 * answer is stored (as JSON: keep it small and plain); a refusal rolls back
 * everything `work` wrote.
 */
export function writeOnce<R extends { ok: boolean }>(db: Db, request: IdempotencyKey, actorUserId: number | null, nowMs: number, work: () => R): Once<R> {
  try {
    return writeTransaction(db.$client, (): Once<R> => {
      const earlier = replayOf<R>(db, request, actorUserId);
      if (earlier) return earlier;
      const result = work();
      if (!result.ok) throw new Refused(result);
      db.insert(idempotencyKeys).values({
        key: request.key, scope: request.scope, contentHash: request.contentHash, result: JSON.stringify(result), actorUserId, createdAtMs: nowMs,
      }).run();
      return { kind: 'first', result };
    });
  } catch (error) {
    if (error instanceof Refused) return { kind: 'first', result: error.result as R };
    throw error;
  }
}

type Answer<T, F> = { ok: true; value: T } | F;

/**
 * writeOnce for a write whose answer is a small plain value (an id, a card
 * number): the ok answer is kept whole under the key (`keep` leaves out what a
 * replay must not hand out again) and a replay answers it with `replayed: true`;
 * the same key with other content answers `conflict()`. Without a key (a
 * caller that sends none) the work runs in one IMMEDIATE transaction, unkeyed.
 * `work` is synchronous and writes through the same connection as `db`.
 */
export function writeOnceValue<T extends object, F extends { ok: false }>(
  db: Db,
  request: IdempotencyKey | null,
  actorUserId: number | null,
  nowMs: number,
  answers: { conflict: () => F; keep?: (value: T) => T },
  work: () => Answer<T, F>,
): Answer<T & { replayed?: boolean }, F> {
  if (!request) {
    // Unkeyed: a refusal still rolls back whatever the work wrote.
    try {
      return writeTransaction(db.$client, () => {
        const outcome = work();
        if (!outcome.ok) throw new Refused(outcome);
        return outcome;
      });
    } catch (error) {
      if (error instanceof Refused) return error.result as F;
      throw error;
    }
  }
  const answerOf = (earlier: Once<Answer<T, F>>): Answer<T & { replayed?: boolean }, F> => {
    if (earlier.kind === 'conflict') return answers.conflict();
    return earlier.result.ok ? { ok: true, value: { ...earlier.result.value, replayed: true } } : earlier.result;
  };
  const earlier = replayOf<Answer<T, F>>(db, request, actorUserId);
  if (earlier) return answerOf(earlier);
  let made: T | undefined;
  const written = writeOnce<Answer<T, F>>(db, request, actorUserId, nowMs, () => {
    const outcome = work();
    if (!outcome.ok) return outcome;
    made = outcome.value;
    return { ok: true, value: answers.keep ? answers.keep(outcome.value) : outcome.value };
  });
  if (written.kind !== 'first') return answerOf(written);
  return written.result.ok && made !== undefined ? { ok: true, value: made } : written.result;
}

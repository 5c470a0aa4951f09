import { contentHash, idempotencyConflictKey, writeOnceValue, type IdempotencyKey } from '../../kernel/idempotency.ts';
import { failure, nowMs, type Actor, type Outcome, type PeopleContext, type Problem, type Refusal } from './context.ts';
import { refuseDuplicate } from './identity.ts';
import { writeTransaction } from '../../kernel/transaction.ts';

/**
 * The people domains' side of the kernel's idempotency (writeOnceValue): a
 * form key with its scope and the hash of the checked content, and the 409
 * refusal for a key reused with other content.
 */
export function keyOf(key: string | null, scope: string, fields: Record<string, string | number | boolean | null>): IdempotencyKey | null {
  return key ? { key, scope, contentHash: contentHash(fields) } : null;
}

export function keyConflict(): Refusal {
  return failure(409, { code: idempotencyConflictKey });
}

/**
 * A registration (member or elder) run once under its form key. The kernel
 * rolls back everything a refusal wrote, so a duplicate found inside `work`
 * (through `duplicateFound`) is refused afterwards in its own IMMEDIATE
 * transaction: its audit row, which counts toward the hour's probing limit,
 * is kept, while the form's key is not.
 */
export function registerOnce<T extends object>(
  context: PeopleContext,
  actor: Actor | null,
  once: IdempotencyKey | null,
  where: { objectType: 'member' | 'elder'; regionCode: string },
  work: (duplicateFound: (problem: Problem) => Refusal) => Outcome<T>,
  keep?: (value: T) => T,
): Outcome<T & { replayed?: boolean }> {
  let duplicate: Problem | undefined;
  const outcome = writeOnceValue(context.db, once, actor?.userId ?? null, nowMs(context), { conflict: keyConflict, ...(keep ? { keep } : {}) }, () =>
    work((problem) => {
      duplicate = problem;
      return failure(409, problem);
    }));
  const found = duplicate;
  if (outcome.ok || !found || !actor) return outcome;
  return writeTransaction(context.db.$client, () => refuseDuplicate(context, actor, where.objectType, where.regionCode, found));
}

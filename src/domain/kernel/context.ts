import type { Db } from '../../db/client.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';

/**
 * The one context of every domain function (people, redemption, hours): the
 * database, the data keys (passed in, never read from the environment here),
 * and a clock tests can set.
 */
export interface DomainContext {
  db: Db;
  keys: PeopleKeys;
  now?: () => number;
}

/**
 * The part of the context a function that reads no personal data needs (the
 * hours rules, the audit writer): callers without the data keys (the jobs,
 * the CLI, a seed) pass `{ db, now }`; a full DomainContext fits too.
 */
export type KeylessContext = Pick<DomainContext, 'db' | 'now'>;

/** The context's time in ms (the machine's clock when the context has none). */
export function nowOf(context: { now?: () => number }): number {
  return context.now ? context.now() : Date.now();
}

/** The context's clock as a function (for the ledger, which reads the time itself). */
export function clockOf(context: { now?: () => number }): () => number {
  return context.now ?? Date.now;
}

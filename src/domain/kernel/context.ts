import type { Db } from '../../db/client.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';

/**
 * What the people and redemption domain functions need: the database, the
 * data keys (passed in, never read from the environment here), and a clock
 * tests can set.
 */
export interface DomainContext {
  db: Db;
  keys: PeopleKeys;
  now?: () => number;
}

/** The context's time in ms (the machine's clock when the context has none). */
export function nowOf(context: { now?: () => number }): number {
  return context.now ? context.now() : Date.now();
}

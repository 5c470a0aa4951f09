import type { Db } from './client.ts';

const caches = new WeakMap<Db, Map<string, unknown>>();

/**
 * A drizzle query built once per database and kept, for the queries every
 * request runs (session, user, the volunteer's home). Building a drizzle query
 * costs more than running it; a prepared one (`.prepare()` with
 * `sql.placeholder(...)`) only binds its parameters. `name` must be unique
 * across the code base: use "module.function".
 */
export function prepared<T>(db: Db, name: string, build: (db: Db) => T): T {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let query = cache.get(name) as T | undefined;
  if (query === undefined) {
    query = build(db);
    cache.set(name, query);
  }
  return query;
}

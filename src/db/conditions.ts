import { or, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { present } from '../lib/assert.ts';
import { likeLiteral } from '../lib/like.ts';

/** Any of one or more conditions. Drizzle types `or()` as possibly undefined (for a call with none); one is given here. */
export function anyOf(first: SQL, ...rest: SQL[]): SQL {
  return present(or(first, ...rest), 'or() of at least one condition is a condition');
}

/** The region path at `pathColumn` lies under one of `paths` (none given: nothing matches). */
export function underAnyPath(pathColumn: SQL | SQLiteColumn, paths: readonly string[]): SQL {
  const [first, ...rest] = paths.map((path) => sql`${pathColumn} LIKE ${`${likeLiteral(path)}%`} ESCAPE '\\'`);
  if (first === undefined) return sql`0 = 1`;
  return anyOf(first, ...rest);
}

import type Database from 'better-sqlite3';

/** What `action` answered, and the SQL texts the connection prepared while it ran (the statements a request really uses). */
export async function statementsDuring<T>(sqlite: Database.Database, action: () => Promise<T>): Promise<{ result: T; seen: Set<string> }> {
  const seen = new Set<string>();
  const prepare = sqlite.prepare;
  sqlite.prepare = ((source: string) => {
    seen.add(source);
    return prepare.call(sqlite, source);
  }) as typeof sqlite.prepare;
  try {
    return { result: await action(), seen };
  } finally {
    sqlite.prepare = prepare;
  }
}

/** SQLite's query plan of a statement, its steps joined by " | " (parameters bound to null). */
export function queryPlan(sqlite: Database.Database, source: string): string {
  const parameters = Array.from(source.matchAll(/\?/g), () => null);
  return (sqlite.prepare(`EXPLAIN QUERY PLAN ${source}`).all(...parameters) as { detail: string }[]).map((row) => row.detail).join(' | ');
}

import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'drizzle');

export type Sqlite = Database.Database;
export type Db = BetterSQLite3Database<Record<string, never>> & { $client: Sqlite };

export interface OpenOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** Open read-only (reports, backups of a live file). */
  readonly?: boolean;
}

/**
 * Opens the SQLite database with the pragmas the ledger relies on: WAL for
 * concurrent readers, synchronous=FULL so an acknowledged transfer survives a
 * power cut, foreign keys on, and a busy timeout so a second process waits
 * instead of failing.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { readonly: options.readonly ?? false });
  sqlite.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    if (path !== ':memory:') sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
  }
  sqlite.pragma('foreign_keys = ON');
  // 32 MiB of page cache: the ledger's indexes stay in memory on a busy network.
  sqlite.pragma('cache_size = -32768');
  const db = drizzle(sqlite) as unknown as Db;
  if (options.migrate !== false && !options.readonly) migrate(db, { migrationsFolder });
  return db;
}

export function databasePath(dataDirectory: string): string {
  return join(dataDirectory, 'silver-hours.db');
}

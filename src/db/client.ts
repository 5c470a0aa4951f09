import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installWriter } from './writer.ts';

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
  cacheStatements(sqlite);
  // Every transaction on the connection goes through its writer (group commit when the server turns it on).
  installWriter(sqlite);
  const db = drizzle(sqlite) as unknown as Db;
  if (options.migrate !== false && !options.readonly) {
    const before = lastMigrationAt(sqlite);
    migrate(db, { migrationsFolder });
    appliedByOpen.set(sqlite, migrationTagsAfter(before));
  }
  return db;
}

const appliedByOpen = new WeakMap<Sqlite, string[]>();

/**
 * The tags of the migrations (e.g. `0031_certificate_revocations`) that opening
 * this connection applied: work that must happen once, when a migration is
 * applied, and that SQL cannot do (it needs a key kept outside the database),
 * runs only in the process that applied it, never on a marker the database
 * holds (anyone who can write the database could clear a marker).
 */
export function migrationsAppliedBy(db: Db | Sqlite): readonly string[] {
  return appliedByOpen.get(connectionOf(db)) ?? [];
}

/** The time stamp of the last migration applied to this database (0 before any). */
function lastMigrationAt(sqlite: Sqlite): number {
  const table = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  return table ? Number(sqlite.prepare('SELECT coalesce(max(created_at), 0) FROM __drizzle_migrations').pluck().get()) : 0;
}

/** The journal's migrations after a time stamp (drizzle records each applied one by its journal time). */
function migrationTagsAfter(whenMs: number): string[] {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number; tag: string }[] };
  return journal.entries.filter((entry) => entry.when > whenMs).map((entry) => entry.tag);
}

/** How many distinct SQL texts keep their prepared statement. */
const statementCacheSize = 500;

/**
 * Keeps prepared statements by their SQL text. drizzle (and much of our own
 * code) calls prepare() on every query; compiling the same SQL again costs
 * more than running it. A cached statement is handed out with its result
 * modes reset (raw, pluck, expand off), and a fresh one is prepared when the
 * cached one is still busy (an open iterator). Oldest entries are dropped
 * beyond the cache size. Nothing in the code base uses Statement.bind(),
 * which would pin parameters on a shared statement.
 */
function cacheStatements(sqlite: Sqlite): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    const cached = cache.get(source);
    if (cached && !cached.busy) {
      if (cached.reader) cached.raw(false).pluck(false).expand(false);
      return cached;
    }
    const statement = prepare(source);
    if (!cached) {
      cache.set(source, statement);
      const oldest = cache.keys().next();
      if (cache.size > statementCacheSize && !oldest.done) cache.delete(oldest.value);
    }
    return statement;
  }) as typeof sqlite.prepare;
}

/**
 * The SQLite connection behind a drizzle database or a transaction on it (the
 * same connection: a statement run on it inside the transaction is part of it).
 * Hot reads run raw SQL on it: the connection's statement cache then makes
 * them a bind and a step, where a drizzle query is built anew on every call.
 */
export function connectionOf(db: Db | Sqlite): Sqlite {
  return 'insert' in db ? (db as unknown as { session: { client: Sqlite } }).session.client : db;
}

export function databasePath(dataDirectory: string): string {
  return join(dataDirectory, 'silver-hours.db');
}

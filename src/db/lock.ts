import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The lock that says "a process is using DATA_DIR". A pid file is not a lock:
 * any process can delete it and a process that fails to start can leave its
 * own. This lock is SQLite's own file lock (fcntl) on a small separate
 * database, `DATA_DIR/server.lock`, which the kernel releases when the holder
 * exits in any way, SIGKILL included, so it can never be stale. Node 20 has no
 * flock() without a native addon; better-sqlite3 already is one.
 *
 * - A server (and every operator command that opens the database) holds it
 *   SHARED for its whole life: an open read transaction on server.lock. Any
 *   number of holders may share it, so two servers on one file still work.
 * - `restore` (and any command that replaces files) takes it EXCLUSIVE with no
 *   waiting: that fails while any shared holder lives, and while it is held no
 *   server can start.
 *
 * server.lock stays in rollback-journal mode (never WAL): only then does a
 * reader's SHARED lock exclude a writer's EXCLUSIVE one.
 */
export interface DataDirectoryLock {
  readonly mode: 'shared' | 'exclusive';
  release(): void;
}

/** The lock is held the other way by another process (a restore, or a server or command). */
export class DataDirectoryBusy extends Error {
  constructor(readonly dataDirectory: string, readonly wanted: 'shared' | 'exclusive') {
    super(wanted === 'exclusive'
      ? `a server or another command is using ${dataDirectory}`
      : `a restore is replacing the database in ${dataDirectory}`);
    this.name = 'DataDirectoryBusy';
  }
}

export function lockPath(dataDirectory: string): string {
  return join(dataDirectory, 'server.lock');
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function openLockFile(dataDirectory: string): Database.Database {
  mkdirSync(dataDirectory, { recursive: true });
  const connection = new Database(lockPath(dataDirectory));
  connection.pragma('busy_timeout = 0');
  return connection;
}

function acquire(dataDirectory: string, mode: 'shared' | 'exclusive'): DataDirectoryLock {
  const connection = openLockFile(dataDirectory);
  try {
    if (mode === 'shared') {
      connection.exec('BEGIN');
      // The first read of a deferred transaction takes the SHARED lock and keeps it until COMMIT.
      connection.prepare('SELECT count(*) FROM sqlite_master').get();
    } else {
      connection.exec('BEGIN EXCLUSIVE');
    }
  } catch (error) {
    connection.close();
    if (isBusy(error)) throw new DataDirectoryBusy(dataDirectory, mode);
    throw error;
  }
  let held = true;
  const lock: DataDirectoryLock = {
    mode,
    release() {
      if (!held) return;
      held = false;
      heldLocks.delete(lock);
      if (connection.inTransaction) connection.exec('ROLLBACK');
      connection.close();
    },
  };
  // A better-sqlite3 connection that nothing references is closed when it is garbage-collected,
  // which would drop the lock in the middle of a restore: every held lock stays referenced here.
  heldLocks.add(lock);
  return lock;
}

/** The locks this process holds, kept reachable until released or the process exits. */
const heldLocks = new Set<DataDirectoryLock>();

/** How many locks this process holds (for tests). */
export function heldLockCount(): number {
  return heldLocks.size;
}

/** Held by a server for its life and by every command that opens the database. */
export function holdSharedLock(dataDirectory: string): DataDirectoryLock {
  return acquire(dataDirectory, 'shared');
}

/** Held by a command that replaces the database: refused while anyone holds the shared lock. */
export function holdExclusiveLock(dataDirectory: string): DataDirectoryLock {
  return acquire(dataDirectory, 'exclusive');
}

/**
 * Whether a program that never takes server.lock (the sqlite3 shell, a
 * reporting tool) has the database file open. A WAL database can leave WAL
 * mode only while no other connection has it open, so asking it to, with no
 * waiting, answers exactly that; a database found alone is put back in WAL
 * mode. Called by commands holding the exclusive lock, so no server can open
 * the file meanwhile. A file SQLite cannot read at all counts as not open:
 * restoring over a damaged file must stay possible.
 */
export function databaseOpenElsewhere(databaseFile: string): boolean {
  let probe: Database.Database | undefined;
  try {
    probe = new Database(databaseFile, { fileMustExist: true, timeout: 0 });
    if (probe.pragma('journal_mode', { simple: true }) !== 'wal') return false;
    probe.pragma('journal_mode = DELETE');
    probe.pragma('journal_mode = WAL');
    return false;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
  } finally {
    probe?.close();
  }
}

import { accessSync, constants, statSync } from 'node:fs';

/**
 * One plain sentence for the storage failures an operator meets (read-only
 * or missing data directory, damaged file, full disk), so the server and
 * every operator command can answer them without a stack trace.
 */

function isReadOnlyDirectory(directory: string): boolean {
  try {
    if (!statSync(directory).isDirectory()) return false;
    accessSync(directory, constants.W_OK);
    return false;
  } catch (error) {
    const code = errorCode(error);
    return code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
  }
}

/** The error code of a SQLite (better-sqlite3) or file-system error, if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** SQLITE_FULL (or the file system's ENOSPC): the record could not be written for lack of space. */
export function isDiskFull(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || (code === 'SQLITE_IOERR_WRITE' && /disk|space/i.test(String((error as Error).message)));
}

/** A sentence naming what is wrong with DATA_DIR or its database, or undefined when the error is not about storage. */
export function describeStorageFailure(error: unknown, dataDirectory: string): string | undefined {
  const code = errorCode(error);
  if (code === undefined) return undefined;
  const path = (error as { path?: string }).path ?? dataDirectory;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_')) {
    return `The data directory ${dataDirectory} is read-only for this process (${code} on ${path}); make it writable, or run as its owner.`;
  }
  if (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_CANTOPEN_')) {
    if (isReadOnlyDirectory(dataDirectory)) {
      return `The data directory ${dataDirectory} is read-only for this process (${code}); make it writable, or run as its owner.`;
    }
    return `The database in ${dataDirectory} cannot be opened (${code}): the directory is missing, not a directory, or not writable for this process.`;
  }
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') {
    return `The data directory ${dataDirectory} is not usable (${code} on ${path}): a file stands where a directory is expected, or the other way round.`;
  }
  if (code === 'SQLITE_NOTADB') {
    return `The database file in ${dataDirectory} is damaged or not a SQLite database (its header is unreadable); restore it from a backup.`;
  }
  if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_')) {
    return `The database file in ${dataDirectory} is damaged (${code}); restore it from a backup.`;
  }
  if (isDiskFull(error)) {
    return `The disk holding ${dataDirectory} is full (${code}); free some space and try again.`;
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return `Reading or writing the database in ${dataDirectory} failed (${code}): check the disk and the file system.`;
  }
  return undefined;
}

/**
 * SQLite's quick_check (every page and row readable, no index cross-check):
 * the first problem it names in one line, or undefined when the file is sound.
 */
export function quickCheckProblem(sqlite: { pragma(source: string, options: { simple: true }): unknown }): string | undefined {
  const result = String(sqlite.pragma('quick_check', { simple: true }));
  if (result === 'ok') return undefined;
  const problems = result.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('***'));
  const first = problems[0] ?? result.trim();
  return problems.length > 1 ? `${first} (and ${problems.length - 1} more problems)` : first;
}

/** A damaged database found by quick_check: refuse to serve from it. */
export class DatabaseDamaged extends Error {
  constructor(readonly dataDirectory: string, readonly problem: string) {
    super(`The database file in ${dataDirectory} is damaged (quick_check: ${problem}); restore it from a backup.`);
    this.name = 'DatabaseDamaged';
  }
}

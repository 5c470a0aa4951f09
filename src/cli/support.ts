import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { databasePath, openDatabase } from '../db/client.ts';
import { type SnapshotProgress } from '../db/backup.ts';
import { errorCode } from '../db/failures.ts';
import { DataDirectoryBusy, databaseOpenElsewhere, holdExclusiveLock, holdSharedLock } from '../db/lock.ts';
import { verifyLedger } from '../ledger/index.ts';

/** What the operator commands share: failures, the DATA_DIR lock, opening the database, progress and checks of backup files. */


export interface Command {
  usage: string;
  summary: string;
  run(args: string[]): Promise<number>;
}

/** A failure the operator can act on: one sentence on stderr and this exit code, never a stack trace. */
export class CliFailure extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliFailure';
  }
}

/**
 * Takes the shared DATA_DIR lock for this command's life (released when the
 * process exits), so nothing reads or writes while a restore replaces files.
 */
export function useDataDirectory(dataDirectory: string): void {
  try {
    holdSharedLock(dataDirectory);
  } catch (error) {
    if (error instanceof DataDirectoryBusy) throw new CliFailure(`Not now: ${error.message}; wait for it to finish, then run the command again.`, 2);
    throw error;
  }
}

export function openExisting(): ReturnType<typeof openDatabase> {
  const config = loadConfig();
  const path = databasePath(config.dataDirectory);
  if (!existsSync(path)) throw new CliFailure(`No database at ${path}. Start the app once (npm start) or set DATA_DIR.`, 2);
  useDataDirectory(config.dataDirectory);
  return openDatabase(path);
}

/** The pid of a server running on DATA_DIR, if any (server.ts writes DATA_DIR/server.pid). */
export function runningServerPid(dataDirectory: string): number | undefined {
  const file = join(dataDirectory, 'server.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export const megabytes = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function timed<T>(work: () => T): { value: T; durationMs: number } {
  const started = performance.now();
  const value = work();
  return { value, durationMs: performance.now() - started };
}

/** A progress bar on a terminal (stderr), nothing when output goes to a file or cron. */
export function progressBar(label: string): ((progress: SnapshotProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return ({ bytesWritten, bytesExpected }) => {
    const share = bytesExpected > 0 ? Math.min(1, bytesWritten / bytesExpected) : 0;
    const width = 30;
    const filled = Math.round(share * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% `
      + `${megabytes(bytesWritten)} of ${megabytes(bytesExpected)}${share >= 1 ? '\n' : ''}`);
  };
}

/** The backup's directory must exist and be writable, or VACUUM INTO fails with a message about the database. */
export function assertWritableDirectory(directory: string): void {
  try {
    accessSync(directory, constants.W_OK);
  } catch (error) {
    throw new CliFailure(`Cannot write the backup into ${directory} (${errorCode(error) ?? 'not writable'}): create it or choose another place.`, 2);
  }
}

/** `backup --verify FILE`: SQLite's integrity check and the ledger's verify on an existing backup. */
export function verifyBackup(file: string | undefined): number {
  if (!file) throw new CliFailure('usage: npm run cli -- backup --verify FILE', 2);
  if (!existsSync(file)) throw new CliFailure(`No backup file at ${file}.`, 2);
  const check = timed(() => checkDatabaseFile(file));
  const line = `${file}: ${check.value.message} (verified in ${seconds(check.durationMs)})`;
  if (!check.value.ok) throw new CliFailure(line);
  console.log(line);
  return 0;
}

/**
 * Takes DATA_DIR exclusively for a restore: refused while any server or
 * command holds the shared lock (the lock dies with its process, so it is
 * never stale), or while a program that takes no lock has the database open.
 * server.pid only helps the operator find the server.
 */
export function holdRestoreLock(dataDirectory: string, doing = 'restoring', then = 'restore'): void {
  try {
    holdExclusiveLock(dataDirectory);
  } catch (error) {
    if (!(error instanceof DataDirectoryBusy)) throw error;
    const pid = runningServerPid(dataDirectory);
    const named = pid === undefined ? '' : ` (server.pid names pid ${pid})`;
    throw new CliFailure(`Not ${doing}: a server or another command is using ${dataDirectory}${named}; stop it first, then ${then}.`, 2);
  }
  const file = databasePath(dataDirectory);
  if (existsSync(file) && databaseOpenElsewhere(file)) {
    throw new CliFailure(`Not ${doing}: another program (such as the sqlite3 shell) has ${file} open; close it first, then ${then}.`, 2);
  }
}

export const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Checks a database file on its own: SQLite's integrity check, then the ledger's verify. */
export function checkDatabaseFile(path: string, depth: 'quick' | 'full' = 'full'): { ok: boolean; message: string } {
  let sqlite: Database.Database | undefined;
  try {
    sqlite = new Database(path, { readonly: true, fileMustExist: true });
    // quick_check reads every page and row; integrity_check also matches every index with its table (6x slower).
    const check = depth === 'full' ? 'integrity_check' : 'quick_check';
    const integrity = sqlite.pragma(check, { simple: true });
    if (integrity !== 'ok') return { ok: false, message: `SQLite ${check} failed: ${oneLine(String(integrity))}` };
    const report = verifyLedger(sqlite);
    if (!report.ok) return { ok: false, message: `ledger BAD at sequence ${report.firstBadSeq}: ${report.problem}` };
    return { ok: true, message: `ledger ok: ${report.transfers} transfers, ${report.accounts} accounts, head ${report.headHash}` };
  } catch (error) {
    const code = errorCode(error);
    if (code === undefined || !code.startsWith('SQLITE_')) throw error;
    return { ok: false, message: `${path} is damaged or not a Silver Hours database (${code}: ${oneLine((error as Error).message)})` };
  } finally {
    sqlite?.close();
  }
}

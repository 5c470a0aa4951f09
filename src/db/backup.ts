import Database from 'better-sqlite3';
import { closeSync, fsyncSync, openSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { spawn } from 'node:child_process';

/**
 * An online backup that finishes while writers go on. SQLite's backup API
 * restarts whenever another connection writes, so under steady writes it
 * never finishes (measured: docs/PERFORMANCE.md). `VACUUM INTO` copies one
 * consistent snapshot (a single read transaction; in WAL mode writers are
 * not blocked) into a new, compact file. It runs in a child process so the
 * caller can show progress (the size of the file being written against the
 * size expected) and stop it at once: a worker thread cannot be stopped in
 * the middle of a native call (terminating one crashed better-sqlite3).
 */
export interface SnapshotProgress {
  bytesWritten: number;
  bytesExpected: number;
}

export interface SnapshotResult {
  bytes: number;
  durationMs: number;
}

export interface RunningSnapshot {
  done: Promise<SnapshotResult>;
  /** Stops the copy and removes the partial file. */
  abandon(): Promise<void>;
}

/** Bytes the live pages of a database take: what a VACUUM INTO writes. */
export function expectedSnapshotBytes(sourcePath: string): number {
  const sqlite = new Database(sourcePath, { readonly: true, fileMustExist: true });
  try {
    const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
    const pages = sqlite.pragma('page_count', { simple: true }) as number;
    const free = sqlite.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * pageSize;
  } finally {
    sqlite.close();
  }
}

const copierSource = `
const [module, source, target] = process.argv.slice(1);
const Database = require(module);
let sqlite;
try {
  sqlite = new Database(source, { readonly: true, fileMustExist: true });
  sqlite.pragma('busy_timeout = 10000');
  sqlite.prepare('VACUUM INTO ?').run(target);
  sqlite.close();
  // The copy inherits WAL mode; as a rollback-journal file it is one self-contained file, and
  // opening it (to verify it, or later) leaves no -wal and -shm files beside it.
  const copy = new Database(target);
  copy.pragma('journal_mode = DELETE');
  copy.close();
} catch (error) {
  process.stdout.write(JSON.stringify({ message: String(error && error.message), code: error && error.code }));
  process.exitCode = 1;
}`;

/** Removes a partial snapshot and what SQLite may have written beside it. */
export function removePartial(target: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
}

/** Makes the finished copy durable: its data, then its directory entry. */
export function syncFile(path: string): void {
  for (const [name, flags] of [[path, 'r'], [dirname(path), 'r']] as const) {
    const descriptor = openSync(name, flags);
    try {
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  }
}

/** Starts `VACUUM INTO target` of `sourcePath` in a child process; `target` must not exist. */
export function startSnapshot(sourcePath: string, target: string, onProgress?: (progress: SnapshotProgress) => void): RunningSnapshot {
  const started = performance.now();
  const bytesExpected = expectedSnapshotBytes(sourcePath);
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const copier = spawn(process.execPath, ['-e', copierSource, module, sourcePath, target], { stdio: ['ignore', 'pipe', 'inherit'] });
  let report = '';
  copier.stdout.on('data', (chunk) => { report += String(chunk); });
  const exited = new Promise<number | null>((resolve) => copier.on('exit', (code) => resolve(code)));
  const sizeOf = () => {
    try {
      return statSync(target).size;
    } catch {
      return 0;
    }
  };
  const poll = setInterval(() => onProgress?.({ bytesWritten: sizeOf(), bytesExpected }), 200);
  let abandoned = false;
  const done = exited.then((code) => {
    clearInterval(poll);
    if (abandoned) throw new Error('the backup was stopped');
    if (code !== 0) {
      removePartial(target);
      const failure = (() => { try { return JSON.parse(report) as { message: string; code?: string }; } catch { return { message: `the copy stopped (exit code ${code})` }; } })();
      throw Object.assign(new Error(failure.message), { code: failure.code });
    }
    const bytes = sizeOf();
    onProgress?.({ bytesWritten: bytes, bytesExpected: bytes });
    return { bytes, durationMs: performance.now() - started };
  });
  return {
    done,
    async abandon() {
      abandoned = true;
      clearInterval(poll);
      if (copier.exitCode === null && copier.signalCode === null) copier.kill('SIGKILL');
      await exited;
      removePartial(target);
    },
  };
}

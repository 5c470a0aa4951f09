import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Sqlite } from '../../db/client.ts';
import { quickCheckProblem } from '../../db/failures.ts';
import { verifyLedger } from '../../ledger/index.ts';

/**
 * The last full verification of the ledger: every balance recomputed from
 * the transfers and the whole hash chain walked (what `ledger verify` does),
 * with SQLite's quick_check first. The server runs it at start-up and every
 * night and records the verdict here, so the transparency page claims only
 * what was verified, and when.
 */
export interface FullVerification {
  atMs: number;
  ok: boolean;
  durationMs: number;
  transfers: number;
  headSeq: number;
  headHash: string;
  /** The first sequence number that disagrees (0 when the fault is not tied to one transfer). */
  firstBadSeq: number | null;
  problem: string | null;
}

const settingKey = 'ledger.last_full_verification';

export function lastFullVerification(sqlite: Sqlite): FullVerification | null {
  const value = sqlite.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(settingKey) as string | undefined;
  return value === undefined ? null : (JSON.parse(value) as FullVerification);
}

/** Verifies the whole ledger now and records the verdict (its own small write transaction afterwards). */
export function runFullVerification(sqlite: Sqlite, nowMs: number): FullVerification {
  const result = measureFullVerification(sqlite, nowMs);
  recordFullVerification(sqlite, result);
  return result;
}

/** Verifies the whole ledger on `sqlite` (read-only work) and answers the verdict. */
export function measureFullVerification(sqlite: Sqlite, nowMs: number): FullVerification {
  const started = performance.now();
  const damage = quickCheckProblem(sqlite);
  const report = damage === undefined ? verifyLedger(sqlite) : undefined;
  const result: FullVerification = {
    atMs: nowMs,
    ok: report?.ok ?? false,
    durationMs: Math.round(performance.now() - started),
    transfers: report?.transfers ?? 0,
    headSeq: report?.headSeq ?? 0,
    headHash: report?.headHash ?? '',
    firstBadSeq: report === undefined ? 0 : report.ok ? null : (report.firstBadSeq ?? 0),
    problem: damage !== undefined ? `database damaged: ${damage}` : (report?.problem ?? null),
  };
  return result;
}

export function recordFullVerification(sqlite: Sqlite, result: FullVerification): void {
  sqlite.prepare(`INSERT INTO settings (key, value, updated_at_ms) VALUES (?, ?, ?)
    ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms`).run(settingKey, JSON.stringify(result), result.atMs);
}

export interface BackgroundVerification {
  done: Promise<FullVerification>;
  /** Stops the verification (on shutdown); `done` then rejects. */
  stop(): void;
}

/**
 * Runs measureFullVerification in a child process on its own read-only
 * connection, so a server keeps answering requests while its ledger is
 * verified (seconds for millions of transfers). A child, not a worker
 * thread: it can be stopped at once on shutdown, even inside a native call.
 */
export function verifyInBackground(databaseFile: string, nowMs: number): BackgroundVerification {
  const script = fileURLToPath(new URL('./verification-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, databaseFile, String(nowMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk) => { output += String(chunk); });
  child.stderr.on('data', (chunk) => { errors += String(chunk); });
  const done = new Promise<FullVerification>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(JSON.parse(output) as FullVerification);
      else reject(new Error(`the verification stopped (${signal ?? `exit code ${code}`}): ${errors.trim().split('\n')[0] ?? ''}`));
    });
  });
  return {
    done,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * What the page may say of a published checkpoint: it holds when the last
 * full verification passed over its sequence number and the transfer there
 * still has the published hash; it is broken when that hash differs or the
 * verification failed at or before it; otherwise it is not verified yet.
 */
export type CheckpointVerdict = 'holds' | 'broken' | 'unverified';

export function checkpointVerdict(checkpoint: { seq: number; hash: string }, currentHash: string | undefined, verification: FullVerification | null): CheckpointVerdict {
  if (checkpoint.seq > 0 && currentHash !== checkpoint.hash) return 'broken';
  if (verification === null) return 'unverified';
  if (!verification.ok && (verification.firstBadSeq === 0 || verification.firstBadSeq === null || verification.firstBadSeq <= checkpoint.seq)) return 'broken';
  if (verification.headSeq < checkpoint.seq) return 'unverified';
  return 'holds';
}

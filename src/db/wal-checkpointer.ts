import type { Sqlite } from './client.ts';
import { typeScriptWorker } from '../lib/typescript-worker.ts';

/**
 * WAL checkpoints off the event loop (docs/PERFORMANCE.md, "Write tails: checkpoints off the event loop").
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages: it copies
 * pages into the database file and fsyncs it there, on the server's only thread, and every answer waiting
 * on that batch waits for it. The server checkpoints from a worker thread instead, with its own connection,
 * PASSIVE, every `intervalMs`; the writer's automatic checkpoint stays as a backstop at `backstopPages`,
 * should the worker stop or fall behind. Durability does not change: a commit is on disk once the WAL is
 * fsynced, and a checkpoint cut short by a crash is finished by the next open.
 */
export interface WalCheckpointer {
  /** Checkpoints run, the WAL's frames and how many of them are in the database file at the last one, the last error. */
  readonly stats: { runs: number; walFrames: number; framesCopied: number; lastError: string | null };
  /** Stops the worker and closes its connection; call before closing the server's connection. */
  stop(): Promise<void>;
}

export interface WalCheckpointerOptions {
  intervalMs?: number;
  backstopPages?: number;
  /** Told when a checkpoint fails or the worker stops on its own (the server logs it). */
  onProblem?: (problem: string) => void;
}

/** SQLite's own threshold, which the writer goes back to when the worker is gone. */
const sqliteDefaultPages = 1000;

/** Starts the checkpointer for the database at `path`, opened by `sqlite` (a file in WAL mode; otherwise it does nothing). */
export function startWalCheckpointer(sqlite: Sqlite, path: string, options: WalCheckpointerOptions = {}): WalCheckpointer {
  const stats = { runs: 0, walFrames: 0, framesCopied: 0, lastError: null as string | null };
  if (sqlite.memory || sqlite.pragma('journal_mode', { simple: true }) !== 'wal') return { stats, stop: async () => {} };
  const problem = (text: string) => { stats.lastError = text; options.onProblem?.(text); };
  sqlite.pragma(`wal_autocheckpoint = ${options.backstopPages ?? 16_384}`);
  const worker = typeScriptWorker(new URL('./wal-checkpoint-worker.ts', import.meta.url), { workerData: { path, intervalMs: options.intervalMs ?? 250 } });
  worker.unref();
  worker.on('message', (outcome: { busy?: number; log?: number; checkpointed?: number; error?: string }) => {
    stats.runs += 1;
    if (outcome.error) return problem(`WAL checkpoint failed: ${outcome.error}`);
    const { busy, log, checkpointed } = outcome;
    // Another connection checkpointing at the same moment answers busy with -1: nothing to note.
    if (busy || log === undefined || checkpointed === undefined || log < 0) return;
    stats.walFrames = log;
    stats.framesCopied = checkpointed;
  });
  worker.on('error', (error) => problem(`WAL checkpointer stopped: ${error.message}`));
  let stopping = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => {
    // A worker gone on its own: the writer checkpoints again at SQLite's threshold, so the WAL stays small.
    if (!stopping && sqlite.open) {
      sqlite.pragma(`wal_autocheckpoint = ${sqliteDefaultPages}`);
      problem('WAL checkpointer exited; the writer checkpoints again itself');
    }
    resolve();
  }));
  return {
    stats,
    async stop() {
      stopping = true;
      worker.postMessage('stop');
      const timeout = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

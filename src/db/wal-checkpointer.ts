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
  /** Checkpoints run and WAL frames copied into the database file so far, and the last error if any. */
  readonly stats: { runs: number; framesCopied: number; lastError: string | null };
  /** Stops the worker and closes its connection; call before closing the server's connection. */
  stop(): Promise<void>;
}

export interface WalCheckpointerOptions {
  intervalMs?: number;
  backstopPages?: number;
}

/** Starts the checkpointer for the database at `path`, opened by `sqlite` (a file in WAL mode; otherwise it does nothing). */
export function startWalCheckpointer(sqlite: Sqlite, path: string, options: WalCheckpointerOptions = {}): WalCheckpointer {
  const stats = { runs: 0, framesCopied: 0, lastError: null as string | null };
  if (sqlite.memory || sqlite.pragma('journal_mode', { simple: true }) !== 'wal') return { stats, stop: async () => {} };
  sqlite.pragma(`wal_autocheckpoint = ${options.backstopPages ?? 16_384}`);
  const worker = typeScriptWorker(new URL('./wal-checkpoint-worker.ts', import.meta.url), { workerData: { path, intervalMs: options.intervalMs ?? 250 } });
  worker.unref();
  let copiedBefore = 0;
  worker.on('message', (outcome: { log?: number; checkpointed?: number; error?: string }) => {
    stats.runs += 1;
    if (outcome.error) stats.lastError = outcome.error;
    // `checkpointed` counts frames of the current WAL; it starts again from 0 when the writer restarts the WAL.
    const copied = outcome.checkpointed ?? 0;
    stats.framesCopied += copied >= copiedBefore ? copied - copiedBefore : copied;
    copiedBefore = copied;
  });
  // A worker that fails leaves the backstop: the writer's own checkpoint, as before.
  worker.on('error', (error) => { stats.lastError = error.message; });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stats,
    async stop() {
      worker.postMessage('stop');
      const timeout = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

/**
 * Worker thread of the WAL checkpointer (wal-checkpointer.ts): its own connection to the database,
 * a PASSIVE checkpoint every `intervalMs` (it copies what it can of the WAL into the database file
 * and never waits for a reader or a writer), each outcome posted to the server's thread.
 * 'stop' closes the connection and ends the thread.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
if (!parentPort) throw new Error('the WAL checkpointer runs as a worker thread (src/db/wal-checkpointer.ts)');
const port = parentPort;
const sqlite = new Database(path, { fileMustExist: true });
// The database file is fsynced after each checkpoint, as the writer's own checkpoints did.
sqlite.pragma('synchronous = FULL');
const checkpoint = sqlite.prepare('PRAGMA wal_checkpoint(PASSIVE)');

const timer = setInterval(() => {
  try {
    const { busy, log, checkpointed } = checkpoint.get() as { busy: number; log: number; checkpointed: number };
    port.postMessage({ busy, log, checkpointed });
  } catch (error) {
    port.postMessage({ error: (error as Error).message });
  }
}, intervalMs);

port.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  sqlite.close();
  port.close();
});

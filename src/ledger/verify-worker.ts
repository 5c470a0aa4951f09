/**
 * Worker thread for verifyLedger: walks the hash chain on its own read-only
 * connection and writes the outcome into shared memory, so the caller can
 * wait for it synchronously (Atomics.wait) while it recomputes balances.
 *
 * Shared Int32Array: [0] state (0 starting, 1 running, 2 chain ok, 3 fault, 4 error),
 * [1] first bad sequence number. The problem text goes in a shared byte buffer.
 */
import Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';
import { checkChain } from './verify-chain.ts';

const { path, toSeq, state, text } = workerData as { path: string; toSeq: number; state: SharedArrayBuffer; text: SharedArrayBuffer };
// The worker walks seq 1..toSeq; the caller walks the rest on its own thread.
const flags = new Int32Array(state);
Atomics.store(flags, 0, 1);
let outcome = 4;
try {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const fault = sqlite.transaction(() => checkChain(sqlite, toSeq)).deferred();
    if (fault) {
      Atomics.store(flags, 1, fault.seq);
      const bytes = new TextEncoder().encode(fault.problem).subarray(0, text.byteLength);
      new Uint8Array(text).set(bytes);
      outcome = 3;
    } else {
      outcome = 2;
    }
  } finally {
    sqlite.close();
  }
} catch {
  outcome = 4;
}
Atomics.store(flags, 0, outcome);
Atomics.notify(flags, 0);

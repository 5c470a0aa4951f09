import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type Database from 'better-sqlite3';

type Sqlite = Database.Database;

/**
 * The one writer of a connection: every transaction opened on it
 * (better-sqlite3's `transaction(fn)` with any behaviour, and drizzle's
 * `db.transaction(fn, { behavior })`, which calls it) passes through here.
 *
 * Without group commit (the default, and always in the CLI) a top-level
 * transaction is its own BEGIN ... COMMIT, as before.
 *
 * With group commit (the server: buildApp's `groupCommit`), the first
 * top-level IMMEDIATE/EXCLUSIVE transaction of an event-loop turn opens a
 * batch (BEGIN IMMEDIATE) and schedules its COMMIT with setImmediate; every
 * top-level transaction until then (of any request, or a background job) runs
 * inside that batch as a SAVEPOINT (better-sqlite3 turns a nested transaction
 * into SAVEPOINT/RELEASE, and ROLLBACK TO on a throw), so one request's
 * refusal or error undoes only its own work. The batch then COMMITs once: one
 * fsync (synchronous=FULL) for all of them. Answers are held until then
 * (plugins/group-commit.ts): nothing is acknowledged before it is on disk.
 *
 * A DEFERRED top-level transaction (reads that want one snapshot) joins an
 * open batch, or else runs on its own, as before.
 */

export interface BatchOutcome {
  /** Why the batch did not commit (the error of COMMIT, or of the statement that made SQLite roll it back). */
  failure?: unknown;
}

interface Batch {
  id: number;
  /** Top-level write transactions run in it (one per request's write, normally). */
  writes: number;
  done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export interface WriterStats {
  /** Batches committed. */
  commits: number;
  /** Batches that failed (COMMIT failed, or SQLite rolled the whole transaction back). */
  failedBatches: number;
  /** Top-level write transactions run inside batches. */
  batchedWrites: number;
}

export interface WriterTestHooks {
  /** Called just before a batch's COMMIT; a throw fails the batch (it is rolled back). */
  beforeCommit?: (writes: number) => void;
  /** Keeps each batch open this long (instead of one turn of the loop), so that a test's burst of requests shares it. */
  gatherMs?: number;
}

/** A remembered failure, so a response whose handling overlapped a failed batch can still learn of it. */
const failuresKept = 1000;

export class Writer {
  readonly stats: WriterStats = { commits: 0, failedBatches: 0, batchedWrites: 0 };
  readonly testHooks: WriterTestHooks = {};
  private groupCommit = false;
  private depth = 0;
  private open: Batch | null = null;
  private nextId = 1;
  private readonly failures: { id: number; error: unknown }[] = [];
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;

  constructor(private readonly sqlite: Sqlite, private readonly pauseFile: string | undefined) {
    this.begin = sqlite.prepare('BEGIN IMMEDIATE');
    this.commit = sqlite.prepare('COMMIT');
    this.rollback = sqlite.prepare('ROLLBACK');
  }

  get groupCommitEnabled(): boolean {
    return this.groupCommit;
  }

  /** Turns group commit on (the server) or off (committing any open batch first). */
  setGroupCommit(on: boolean): void {
    if (!on) this.flush();
    this.groupCommit = on;
  }

  /** True while a transaction opened through this writer is running (a caller nested in it). */
  get inWork(): boolean {
    return this.depth > 0;
  }

  /**
   * Runs one transaction variant of better-sqlite3 (`run` does its own
   * BEGIN/COMMIT, or SAVEPOINT/RELEASE when the connection is already in a
   * transaction). At top level with group commit on, a write joins the open
   * batch, opening one if needed.
   */
  within<T>(behaviour: 'default' | 'deferred' | 'immediate' | 'exclusive', run: () => T): T {
    if (this.depth > 0 || !this.groupCommit) return this.nested(run);
    const writes = behaviour === 'immediate' || behaviour === 'exclusive';
    if (!this.open && (!writes || this.sqlite.inTransaction)) return this.nested(run);
    const batch = this.open ?? this.openBatch();
    batch.writes += 1;
    this.stats.batchedWrites += 1;
    let thrown: unknown;
    try {
      return this.nested(run);
    } catch (error) {
      thrown = error;
      throw error;
    } finally {
      // SQLITE_FULL, SQLITE_IOERR and the like may roll the whole transaction back, not just this savepoint.
      if (this.open === batch && !this.sqlite.inTransaction) this.lose(batch, thrown ?? new BatchRolledBack());
    }
  }

  private nested<T>(run: () => T): T {
    this.depth += 1;
    try {
      return run();
    } finally {
      this.depth -= 1;
    }
  }

  private openBatch(): Batch {
    this.begin.run();
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((yes, no) => { resolve = yes; reject = no; });
    // A batch nobody waits for (a job's) must not become an unhandled rejection.
    done.catch(() => undefined);
    const batch: Batch = { id: this.nextId++, writes: 0, done, resolve, reject };
    this.open = batch;
    const gather = this.testHooks.gatherMs ?? (this.pauseFile ? armedGatherMs(this.pauseFile) : 0);
    if (gather > 0) setTimeout(() => this.commitBatch(batch), gather);
    else setImmediate(() => this.commitBatch(batch));
    return batch;
  }

  /** Commits the open batch now (before closing the connection, or switching group commit off). */
  flush(): void {
    if (this.open) this.commitBatch(this.open);
  }

  private commitBatch(batch: Batch): void {
    if (this.open !== batch) return;
    try {
      this.testHooks.beforeCommit?.(batch.writes);
      if (this.pauseFile) pauseBeforeCommit(this.pauseFile, batch.writes);
      this.commit.run();
    } catch (error) {
      if (this.sqlite.inTransaction) this.rollback.run();
      this.lose(batch, error);
      return;
    }
    this.open = null;
    this.stats.commits += 1;
    batch.resolve();
  }

  private lose(batch: Batch, error: unknown): void {
    this.open = null;
    this.stats.failedBatches += 1;
    this.failures.push({ id: batch.id, error });
    if (this.failures.length > failuresKept) this.failures.shift();
    batch.reject(error);
  }

  /** The first batch whose work a request starting now may see (the open one, or the next). */
  mark(): number {
    return this.open ? this.open.id : this.nextId;
  }

  /**
   * Waits until every batch from `mark` up to the one open now has
   * committed; rejects with the failure of the first of them that did not.
   * Batches opened later cannot be in what the caller already read and
   * rendered. Answers undefined at once when there is nothing to wait for.
   */
  settled(mark: number): Promise<void> | undefined {
    const failed = this.failureSince(mark);
    if (failed) return Promise.reject(failed.error);
    const open = this.open;
    // Batches run one after the other: those between the mark and the open one are settled (failures checked above).
    if (!open || open.id < mark) return undefined;
    return open.done;
  }

  private failureSince(mark: number): { error: unknown } | undefined {
    // Failures are kept in batch order (ids only grow): the first at or after the mark is the one to report.
    return this.failures.find((failure) => failure.id >= mark);
  }
}

/** SQLite rolled the whole batch back on an error inside it (a full disk, an I/O error). */
export class BatchRolledBack extends Error {
  constructor() {
    super('the write batch was rolled back by SQLite after an error inside it');
    this.name = 'BatchRolledBack';
  }
}

/**
 * Test-only (SILVER_HOURS_TEST_PAUSE_BEFORE_COMMIT=<file>): once `<file>.arm`
 * exists, a batch stays open for the milliseconds `<file>.arm` holds (so the
 * requests of a burst all join it), then writes `<file>.paused` (its number
 * of writes) and blocks before COMMIT until `<file>` exists, so a test can
 * SIGKILL the server between a batch's work and its COMMIT.
 */
function armedGatherMs(file: string): number {
  try {
    return Number(readFileSync(`${file}.arm`, 'utf8')) || 0;
  } catch {
    return 0;
  }
}

function pauseBeforeCommit(file: string, writes: number): void {
  if (!existsSync(`${file}.arm`)) return;
  writeFileSync(`${file}.paused`, `${writes}\n`);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(file)) Atomics.wait(sleeper, 0, 0, 10);
}

const writers = new WeakMap<Sqlite, Writer>();

/** The connection's writer (installed by openDatabase). */
export function writerOf(sqlite: Sqlite): Writer {
  const writer = writers.get(sqlite);
  if (!writer) throw new Error('this connection has no writer: open it with openDatabase()');
  return writer;
}

/**
 * True when the caller runs inside a transaction opened through the writer
 * (nest with work() directly); false at top level, even while a batch is open
 * (open a transaction: it becomes the caller's own savepoint in the batch).
 * A connection without a writer answers whether it is in a transaction.
 */
export function inWriteWork(sqlite: Sqlite): boolean {
  const writer = writers.get(sqlite);
  return writer ? writer.inWork : sqlite.inTransaction;
}

/**
 * Runs `work` with group commit off (an open batch is committed first), then
 * restores it: for bulk work that changes pragmas or checkpoints, which SQLite
 * refuses inside a transaction, and that commits on its own terms.
 */
export function withoutGroupCommit<T>(sqlite: Sqlite, work: () => T): T {
  const writer = writers.get(sqlite);
  if (!writer?.groupCommitEnabled) return work();
  writer.setGroupCommit(false);
  try {
    return work();
  } finally {
    writer.setGroupCommit(true);
  }
}

const behaviours = ['default', 'deferred', 'immediate', 'exclusive'] as const;

/**
 * Installs the writer on a connection: `transaction()` hands out functions
 * whose every variant runs through it, and `close()` commits an open batch
 * first.
 */
export function installWriter(sqlite: Sqlite, pauseFile = process.env.SILVER_HOURS_TEST_PAUSE_BEFORE_COMMIT || undefined): Writer {
  const writer = new Writer(sqlite, pauseFile);
  writers.set(sqlite, writer);
  const transaction = sqlite.transaction.bind(sqlite);
  sqlite.transaction = ((fn: (...args: unknown[]) => unknown) => {
    const native = transaction(fn) as unknown as Record<(typeof behaviours)[number], (...args: unknown[]) => unknown>;
    const variant = (behaviour: (typeof behaviours)[number]) => function (this: unknown, ...args: unknown[]) {
      return writer.within(behaviour, () => native[behaviour].apply(this, args));
    };
    const wrapped = variant('default');
    for (const behaviour of behaviours) Object.defineProperty(wrapped, behaviour, { value: variant(behaviour) });
    return wrapped;
  }) as typeof sqlite.transaction;
  const close = sqlite.close.bind(sqlite);
  sqlite.close = (() => {
    if (sqlite.open) writer.flush();
    return close();
  }) as typeof sqlite.close;
  return writer;
}

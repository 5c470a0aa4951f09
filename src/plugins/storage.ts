import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Sqlite } from '../db/client.ts';

/**
 * What the server knows about its disk. A write that fails with SQLITE_FULL
 * marks the disk full (logged once, not once per request); the mark clears as
 * soon as any write on this connection commits again (SQLite's
 * total_changes() moved), so the server recovers without a restart.
 */
export class StorageHealth {
  private fullSince: number | null = null;
  private changesWhenFull = 0;

  constructor(private readonly sqlite: Sqlite, private readonly clock: () => number) {}

  /** The directory of the database file, or null for an in-memory database. */
  get directory(): string | null {
    const name = this.sqlite.name;
    return name === ':memory:' || name === '' ? null : dirname(name);
  }

  /** Bytes free to this process in the data directory, or null when unknown. */
  freeBytes(): number | null {
    const directory = this.directory;
    if (directory === null) return null;
    try {
      const stats = statfsSync(directory);
      return stats.bavail * stats.bsize;
    } catch {
      return null;
    }
  }

  get full(): boolean {
    return this.fullSince !== null;
  }

  private totalChanges(): number {
    return this.sqlite.prepare('SELECT total_changes()').pluck().get() as number;
  }

  /** A write failed for lack of space: logged the first time only. */
  reportFull(log: FastifyBaseLogger): void {
    this.changesWhenFull = this.totalChanges();
    if (this.fullSince !== null) return;
    this.fullSince = this.clock();
    log.error({ freeBytes: this.freeBytes(), directory: this.directory }, 'disk full: writes are refused with 503 until space is freed');
  }

  /** Clears the mark when a write has committed since (called after each response). */
  noticeRecovery(log: FastifyBaseLogger): void {
    if (this.fullSince === null || this.totalChanges() === this.changesWhenFull) return;
    this.fullSince = null;
    log.warn({ freeBytes: this.freeBytes() }, 'disk has room again: writes succeed');
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    storage: StorageHealth;
  }
}

export function installStorageHealth(app: FastifyInstance): void {
  app.decorate('storage', new StorageHealth(app.db.$client, app.clock));
  app.addHook('onResponse', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') app.storage.noticeRecovery(app.log);
  });
}

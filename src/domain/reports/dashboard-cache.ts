import type { Sqlite } from '../../db/client.ts';
import { ReportReader, type Dashboard } from './dashboard.ts';

/**
 * The dashboard of a (region, month) is computed once per change of what it
 * reads and served from memory until then. What it reads, and what tells a
 * change (`inputsVersion`):
 * - report_figures: moved only by the ledger cursor of the report refresh
 *   (refresh.ts), so its position is the version;
 * - report_registry: rebuilt whole, stamped with the registry cursor;
 * - the clearing and pool accounts' posted balances: they change only with a
 *   new ledger transfer (the ledger is insert-only), so the head seq;
 * - plan targets, teams and their activities, regions: tables edited by
 *   people, each with a cheap signature (rows are only added, or stamp
 *   updated_at_ms when edited).
 * The version and the computation are read in one read transaction (one
 * snapshot), so an answer is never stored under a version newer than its data.
 *
 * The cache holds figures only, never anything about who asked: authorization
 * is the caller's, done before `get` (a region outside the viewer's scope never
 * reaches it). Its size is bounded (least recently used entries go first).
 * Per-language derived views (the charts, the tables' HTML) are memoised in the entry.
 */

export interface DashboardEntry {
  dashboard: Dashboard;
  /**
   * A value derived from the dashboard alone for one language (its charts, its tables' HTML), computed once per
   * entry and key. Nothing about the viewer may go into it: every viewer of the region and month is served it.
   */
  view<T>(key: string, compute: () => T): T;
}

const versionSql = `SELECT
  (SELECT position FROM report_cursors WHERE name = 'ledger') AS ledgerCursor,
  (SELECT position FROM report_cursors WHERE name = 'registry') AS registryCursor,
  (SELECT max(seq) FROM ledger_transfers) AS ledgerHead,
  (SELECT count(*) || ':' || coalesce(max(updated_at_ms), 0) FROM report_targets) AS targets,
  (SELECT count(*) || ':' || coalesce(max(updated_at_ms), 0) FROM teams) AS teams,
  (SELECT count(*) || ':' || coalesce(max(id), 0) FROM team_activities) AS activities,
  (SELECT count(*) || ':' || coalesce(max(created_at_ms), 0) FROM regions) AS regions`;

/** A string that changes whenever anything a dashboard reads changes. */
export function inputsVersion(sqlite: Sqlite): string {
  return Object.values(sqlite.prepare(versionSql).get() as Record<string, unknown>).map((value) => String(value ?? 0)).join('|');
}

export class DashboardCache {
  private readonly entries = new Map<string, { version: string; entry: DashboardEntry }>();
  /** How many dashboards were computed (not served from memory): for tests and the benchmark. */
  computations = 0;

  constructor(readonly maxEntries = 64) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('maxEntries must be a positive integer');
  }

  /**
   * The dashboard of an existing region (the caller checked it and the
   * viewer's right to see it), from memory when nothing it reads changed.
   * `currentMonth` is part of the key: it decides whether the month is shown
   * as in progress.
   */
  get(sqlite: Sqlite, regionCode: string, month: string, currentMonth: string): DashboardEntry {
    const key = `${regionCode}|${month}|${currentMonth}`;
    return sqlite.transaction(() => {
      const version = inputsVersion(sqlite);
      const cached = this.entries.get(key);
      if (cached && cached.version === version) {
        this.entries.delete(key);
        this.entries.set(key, cached);
        return cached.entry;
      }
      const dashboard = new ReportReader(sqlite).dashboard(regionCode, month, currentMonth);
      if (!dashboard) throw new Error(`dashboard of an unknown region ${regionCode}`);
      this.computations += 1;
      const entry = entryOf(dashboard);
      this.entries.delete(key);
      this.entries.set(key, { version, entry });
      for (const oldest of this.entries.keys()) {
        if (this.entries.size <= this.maxEntries) break;
        this.entries.delete(oldest);
      }
      return entry;
    }).deferred();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Forgets every dashboard (the benchmark measures the computation itself this way). */
  clear(): void {
    this.entries.clear();
  }
}

function entryOf(dashboard: Dashboard): DashboardEntry {
  const views = new Map<string, unknown>();
  return {
    dashboard,
    view<T>(key: string, compute: () => T): T {
      if (!views.has(key)) views.set(key, compute());
      return views.get(key) as T;
    },
  };
}

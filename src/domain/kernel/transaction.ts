import { connectionOf, type Db, type Sqlite } from '../../db/client.ts';

/**
 * The one way to open a write transaction: `BEGIN IMMEDIATE` on the
 * connection (through its writer, src/db/writer.ts, so group commit batches
 * it), `work` run synchronously inside, never an `await`: its result is
 * committed or, if it throws, rolled back. Inside another write transaction
 * it runs as a savepoint of it. `work` gets the same database back, for code
 * written as `(tx) => tx.select()…`.
 */
export function writeTransaction<D extends Db | Sqlite, T>(db: D, work: (tx: D) => T): T {
  return connectionOf(db).transaction(() => work(db)).immediate();
}

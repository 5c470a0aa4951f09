import t from 'tap';
import { createHash } from 'node:crypto';
import { askers, fillUrl, matrix, matrixApp, send, signInAll, sidesOf } from './access-matrix.ts';

/**
 * A GET writes nothing (docs/MESSAGES.md): link prefetchers, the offline
 * worker's warming and a reload must not change what the database holds
 * (the inbox once marked messages read on GET). Every GET route of the access
 * matrix is asked, signed out and as every signed-in role, about both its home and its away
 * object; the connection's total_changes() tells whether a request wrote, and
 * a fingerprint of every table (row count and a hash of every row) names what changed.
 * What a GET may write: the audit log (viewing sensitive data is itself
 * recorded: PRODUCT.md "every view of them is audited"), and the reports'
 * derived figures, which a report page first brings up to date from the
 * ledger by their cursors (src/domain/reports/refresh.ts): a cache of what the
 * records already say, the same whoever asks or how often, never a user's state.
 */
const mayWriteOnGet = new Set(['audit_log', 'report_cursors', 'report_elder_months', 'report_figures', 'report_member_months', 'report_registry']);

const { app, db, fixtures } = await matrixApp();
t.teardown(() => app.close());
const sessions = await signInAll(app);
const sqlite = db.$client;
const totalChanges = () => sqlite.prepare('SELECT total_changes()').pluck().get() as number;
const tableNames = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];

/** Each table's row count and a hash of all its rows (rowid order where there is one). */
function fingerprint(): Map<string, string> {
  const prints = new Map<string, string>();
  for (const name of tableNames) {
    const rows = sqlite.prepare(`SELECT * FROM "${name}"`).raw().all();
    const hash = createHash('sha256').update(JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? String(value) : value))).digest('hex');
    prints.set(name, `${rows.length}:${hash}`);
  }
  return prints;
}

t.test('no GET route, signed out or as any role, changes a row of any table (the audit log aside)', async (t) => {
  const baseline = fingerprint();
  const writes: string[] = [];
  let asked = 0;
  for (const row of matrix.filter((candidate) => candidate.method === 'GET')) {
    for (const asker of askers) {
      for (const side of sidesOf(row)) {
        const url = fillUrl(row, fixtures, side);
        const before = totalChanges();
        await send(app, db, sessions[asker], 'GET', url, {}, {
          beforeRollback: () => {
            if (totalChanges() === before) return;
            const after = fingerprint();
            const changed = tableNames.filter((name) => after.get(name) !== baseline.get(name) && !mayWriteOnGet.has(name));
            if (changed.length > 0) writes.push(`${asker} GET ${url}: ${changed.join(', ')}`);
          },
        });
        asked += 1;
      }
    }
  }
  t.ok(asked > 300, `asked ${asked} times`);
  t.same(writes, [], 'no GET changed the database');
});

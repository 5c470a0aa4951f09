/**
 * A second (or third) process bringing the report figures up to date on a
 * shared database file, as each server's timer does: waits for GO_FILE so
 * the processes start together, then refreshes in small batches until the
 * cursor reaches the ledger's head. Used by reports-two-process.test.ts.
 */
import { existsSync } from 'node:fs';
import { openDatabase } from '../../src/db/client.ts';
import { refreshLedgerFigures } from '../../src/domain/reports/refresh.ts';

const [path, goFile, nowText] = process.argv.slice(2) as [string, string, string];
const db = openDatabase(path, { migrate: false });
process.stdout.write('ready\n');
while (!existsSync(goFile)) await new Promise((resolve) => setTimeout(resolve, 5));
let read = 0;
for (;;) {
  const count = refreshLedgerFigures(db.$client, Number(nowText), { batchSize: 10, maxTransfers: 10 });
  if (count === 0) break;
  read += count;
}
db.$client.close();
process.stdout.write(`read ${read}\n`);

/**
 * A server's hourly checkpoint, run as fast as possible on a shared file:
 * waits for GO_FILE, then calls checkpointIfMoved until STOP_FILE exists.
 * Used by checkpoints-two-process.test.ts.
 */
import { existsSync } from 'node:fs';
import { openDatabase } from '../../src/db/client.ts';
import { Ledger } from '../../src/ledger/index.ts';

const [path, goFile, stopFile] = process.argv.slice(2) as [string, string, string];
const ledger = new Ledger(openDatabase(path, { migrate: false }).$client);
process.stdout.write('ready\n');
while (!existsSync(goFile)) await new Promise((resolve) => setTimeout(resolve, 5));
let recorded = 0;
while (!existsSync(stopFile)) {
  if (ledger.checkpointIfMoved()) recorded += 1;
  await new Promise((resolve) => setImmediate(resolve));
}
process.stdout.write(`recorded ${recorded}\n`);

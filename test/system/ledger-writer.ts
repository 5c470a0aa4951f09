/**
 * A writer process for backup tests and benchmarks: one ledger transfer per
 * commit (synchronous=FULL, as the server writes) at a steady rate, printing
 * `ack <id>` once each commit returned. Stops on SIGTERM.
 * Usage: ledger-writer.ts DB_PATH WRITES_PER_SECOND
 */
import { openDatabase } from '../../src/db/client.ts';
import { AccountFlags, Ledger } from '../../src/ledger/index.ts';

const [path, rateText] = process.argv.slice(2) as [string, string];
const db = openDatabase(path, { migrate: false });
const ledger = new Ledger(db.$client);
ledger.createAccounts([
  { id: 'writer-issuance', kind: 'issuance', ownerRef: 'writer' },
  { id: 'writer-wallet', kind: 'wallet', ownerRef: 'writer', flags: AccountFlags.debitsMustNotExceedCredits },
]);
const prefix = `w${process.pid}-`;
let n = 0;
const timer = setInterval(() => {
  const id = `${prefix}${n++}`;
  const [result] = ledger.createTransfers([{ id, debitAccountId: 'writer-issuance', creditAccountId: 'writer-wallet', amount: 1, code: 'service_credit' }]);
  if (result === 'ok') process.stdout.write(`ack ${id}\n`);
  else process.stdout.write(`fail ${id} ${result}\n`);
}, 1000 / Number(rateText));
process.stdout.write('writing\n');
process.on('SIGTERM', () => {
  clearInterval(timer);
  db.$client.close();
  process.exit(0);
});

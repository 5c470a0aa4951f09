import Database from 'better-sqlite3';
import { join } from 'node:path';

/**
 * The disk's figure for one-transfer commits: a raw better-sqlite3 loop of
 * `commits` transactions (one transfer row, two balance updates, BEGIN
 * IMMEDIATE .. COMMIT) on a file in `directory`, WAL and synchronous=FULL, as
 * bench:ledger's baseline. Answers commits per second.
 */
export function rawCommitRate(directory: string, commits = 1000): number {
  const sqlite = new Database(join(directory, 'raw-commit.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY, debits INTEGER NOT NULL DEFAULT 0, credits INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE transfers (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, debit INTEGER NOT NULL, credit INTEGER NOT NULL, amount INTEGER NOT NULL, ts INTEGER NOT NULL);`);
  const insertAccount = sqlite.prepare('INSERT INTO accounts (id) VALUES (?)');
  sqlite.transaction(() => { for (let i = 0; i < 1000; i += 1) insertAccount.run(i); })();
  const insert = sqlite.prepare('INSERT INTO transfers (id, debit, credit, amount, ts) VALUES (?, ?, ?, ?, ?)');
  const debit = sqlite.prepare('UPDATE accounts SET debits = debits + ? WHERE id = ?');
  const credit = sqlite.prepare('UPDATE accounts SET credits = credits + ? WHERE id = ?');
  let n = 0;
  const one = sqlite.transaction(() => {
    const d = n % 1000;
    const c = (d + 1 + (n % 997)) % 1000;
    insert.run(`r${n}`, d, c, 30, n);
    debit.run(30, d);
    credit.run(30, c);
    n += 1;
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < commits; i += 1) one.immediate();
  const rate = commits / (Number(process.hrtime.bigint() - start) / 1e9);
  sqlite.close();
  return rate;
}

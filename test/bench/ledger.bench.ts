/**
 * Ledger benchmark: `npm run bench:ledger`.
 * Prints figures and ratios against a raw better-sqlite3 baseline measured in
 * the same run, on file databases with WAL and synchronous=FULL.
 * Options (environment): BENCH_TRANSFERS (default 1000000), BENCH_ACCOUNTS (100000),
 * BENCH_VERIFY_TRANSFERS (default 10000000): after the figures at BENCH_TRANSFERS
 * the same ledger grows to this many transfers through the batch API and
 * `verify()` is timed again (0 or a number <= BENCH_TRANSFERS skips it);
 * BENCH_VERIFY_LIMIT_S (default 180, about 3 minutes) stops the growth early, and the
 * verification then runs on what was built, with its rate per million and, when
 * that is short of BENCH_VERIFY_TRANSFERS, a line extrapolated (and labelled so) to it.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/client.ts';
import { AccountFlags, Ledger, verifyLedger, type TransferInput } from '../../src/ledger/index.ts';

const totalTransfers = Number(process.env.BENCH_TRANSFERS ?? 1_000_000);
const totalAccounts = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const singleCommits = Number(process.env.BENCH_SINGLE ?? 1000);
const batchTransfers = Number(process.env.BENCH_BATCH ?? 100_000);
const verifyTransfers = Number(process.env.BENCH_VERIFY_TRANSFERS ?? 10_000_000);
const verifyLimitSeconds = Number(process.env.BENCH_VERIFY_LIMIT_S ?? 180);
const directory = mkdtempSync(join(tmpdir(), 'silver-bench-'));
process.on('exit', () => rmSync(directory, { recursive: true, force: true }));

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const line = (label: string, value: string) => console.log(`${label.padEnd(44)} ${value}`);

function baseline(): { single: number; batch: number } {
  const sqlite = new Database(join(directory, 'baseline.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('cache_size = -32768'); // the same page cache as ours
  sqlite.exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY, debits INTEGER NOT NULL DEFAULT 0, credits INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE transfers (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, debit INTEGER NOT NULL, credit INTEGER NOT NULL, amount INTEGER NOT NULL, ts INTEGER NOT NULL);`);
  const insertAccount = sqlite.prepare('INSERT INTO accounts (id) VALUES (?)');
  sqlite.transaction(() => { for (let i = 0; i < 1000; i += 1) insertAccount.run(i); })();
  const insert = sqlite.prepare('INSERT INTO transfers (id, debit, credit, amount, ts) VALUES (?, ?, ?, ?, ?)');
  const debit = sqlite.prepare('UPDATE accounts SET debits = debits + ? WHERE id = ?');
  const credit = sqlite.prepare('UPDATE accounts SET credits = credits + ? WHERE id = ?');
  let n = 0;
  const one = () => {
    const d = n % 1000;
    const c = (n * 7 + 1) % 1000 === d ? (d + 1) % 1000 : (n * 7 + 1) % 1000;
    insert.run(`b${n}`, d, c, 30, Date.now());
    debit.run(30, d);
    credit.run(30, c);
    n += 1;
  };
  const single = sqlite.transaction(one);
  let start = process.hrtime.bigint();
  for (let i = 0; i < singleCommits; i += 1) single.immediate();
  const singleRate = singleCommits / seconds(start);
  const batch = sqlite.transaction(() => { for (let i = 0; i < 1000; i += 1) one(); });
  start = process.hrtime.bigint();
  for (let i = 0; i < batchTransfers / 1000; i += 1) batch.immediate();
  const batchRate = batchTransfers / seconds(start);
  sqlite.close();
  return { single: singleRate, batch: batchRate };
}

function setupLedger(name: string, accounts: number) {
  const db = openDatabase(join(directory, name));
  const ledger = new Ledger(db.$client);
  const batch = 10_000;
  for (let from = 0; from < accounts; from += batch) {
    const list = [];
    for (let i = from; i < Math.min(accounts, from + batch); i += 1) {
      list.push({ id: `w${i}`, kind: 'wallet' as const, ownerRef: `m${i}`, flags: AccountFlags.debitsMustNotExceedCredits });
    }
    ledger.createAccounts(list);
  }
  ledger.createAccounts([{ id: 'iss', kind: 'issuance', ownerRef: '433123' }]);
  return { db, ledger };
}

function transferAt(n: number, accounts: number): TransferInput {
  return { id: `t${n}`, debitAccountId: 'iss', creditAccountId: `w${(n * 7919) % accounts}`, amount: 30, code: 'service_credit' };
}

function ours(): { single: number; batch: number } {
  const { db, ledger } = setupLedger('ours.db', 1000);
  let n = 0;
  let start = process.hrtime.bigint();
  for (let i = 0; i < singleCommits; i += 1) {
    const [result] = ledger.createTransfers([transferAt(n++, 1000)]);
    if (result !== 'ok') throw new Error(result);
  }
  const singleRate = singleCommits / seconds(start);
  start = process.hrtime.bigint();
  for (let i = 0; i < batchTransfers / 1000; i += 1) {
    const list: TransferInput[] = [];
    for (let k = 0; k < 1000; k += 1) list.push(transferAt(n++, 1000));
    ledger.createTransfers(list);
  }
  const batchRate = batchTransfers / seconds(start);
  db.$client.close();
  return { single: singleRate, batch: batchRate };
}

/** Appends transfers [from, to) in calls of `perCall`; answers how far it got before `deadline` (hrtime ns). */
function build(ledger: Ledger, from: number, to: number, perCall: number, deadline = Number.POSITIVE_INFINITY): number {
  for (let n = from; n < to; n += perCall) {
    if (Number(process.hrtime.bigint()) > deadline) return n;
    const list: TransferInput[] = [];
    for (let k = n; k < Math.min(to, n + perCall); k += 1) {
      // Every tenth transfer spends from a wallet that has already been credited.
      list.push(k % 10 === 9 && k > totalAccounts
        ? { id: `t${k}`, debitAccountId: `w${((k - 9) * 7919) % totalAccounts}`, creditAccountId: 'iss', amount: 1, code: 'redemption' }
        : transferAt(k, totalAccounts));
    }
    const results = ledger.createTransfers(list);
    const bad = results.findIndex((result) => result !== 'ok');
    if (bad >= 0) throw new Error(`transfer t${n + bad}: ${results[bad]}`);
  }
  return to;
}

/** Grows the ledger to `verifyTransfers` (or as far as the time limit allows) and times verify() on it. */
function verifyAtTenMillion(db: ReturnType<typeof openDatabase>, ledger: Ledger): void {
  if (verifyTransfers <= totalTransfers) return;
  const start = process.hrtime.bigint();
  const built = build(ledger, totalTransfers, verifyTransfers, 10_000, Number(start) + verifyLimitSeconds * 1e9);
  const buildSeconds = seconds(start);
  line(`build: grown to ${built} transfers (10,000 per call)`, `${buildSeconds.toFixed(1)} s, ${((built - totalTransfers) / buildSeconds).toFixed(0)} transfers/s`);
  const t0 = process.hrtime.bigint();
  const report = verifyLedger(db.$client);
  const verifySeconds = seconds(t0);
  line(`verify() of ${report.transfers} transfers`, `${verifySeconds.toFixed(2)} s (${report.ok ? 'ok' : `BAD at ${report.firstBadSeq}`})`);
  console.log(`figure verify_seconds_per_million ${(verifySeconds / (report.transfers / 1e6)).toFixed(2)}`);
  console.log(`figure verify_seconds ${verifySeconds.toFixed(2)} for ${report.transfers} transfers (target: 10,000,000 in < 30 s)`);
  if (report.transfers < verifyTransfers) {
    // verify() is one ordered pass over the transfers: linear in their number.
    const extrapolated = (verifySeconds * verifyTransfers) / report.transfers;
    console.log(`figure verify_seconds_extrapolated ${extrapolated.toFixed(1)} for ${verifyTransfers} transfers `
      + `(EXTRAPOLATED linearly from ${report.transfers}, not measured; target < 30 s)`);
  }
}

function atScale(): void {
  const { db, ledger } = setupLedger('scale.db', totalAccounts);
  const start = process.hrtime.bigint();
  build(ledger, 0, totalTransfers, 1000);
  line(`build: ${totalTransfers} transfers over ${totalAccounts} accounts`, `${seconds(start).toFixed(1)} s`);

  const lookups: number[] = [];
  for (let i = 0; i < 20_000; i += 1) {
    const id = `w${(i * 104729) % totalAccounts}`;
    const t0 = process.hrtime.bigint();
    const account = ledger.account(id);
    lookups.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (!account) throw new Error('missing account');
  }
  line('balance lookup p50 / p99', `${percentile(lookups, 50).toFixed(1)} / ${percentile(lookups, 99).toFixed(1)} microseconds`);

  const pages: number[] = [];
  for (let i = 0; i < 2000; i += 1) {
    const id = i % 10 === 0 ? 'iss' : `w${(i * 104729) % totalAccounts}`;
    const t0 = process.hrtime.bigint();
    ledger.history(id, { limit: 50 });
    pages.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  line('history page (50 rows) p50 / p99', `${percentile(pages, 50).toFixed(3)} / ${percentile(pages, 99).toFixed(3)} ms`);

  const t0 = process.hrtime.bigint();
  const report = verifyLedger(db.$client);
  line(`verify() of ${report.transfers} transfers`, `${seconds(t0).toFixed(2)} s (${report.ok ? 'ok' : `BAD at ${report.firstBadSeq}`})`);
  verifyAtTenMillion(db, ledger);
  db.$client.close();
}

console.log(`Silver Hours ledger benchmark (node ${process.version}, WAL, synchronous=FULL, ${directory})`);
const base = baseline();
line('baseline single commit (1 insert + 2 updates)', `${base.single.toFixed(0)} transfers/s`);
line('baseline batch of 1000 per transaction', `${base.batch.toFixed(0)} transfers/s`);
const mine = ours();
line('createTransfers, 1 per call', `${mine.single.toFixed(0)} transfers/s`);
line('createTransfers, 1000 per call', `${mine.batch.toFixed(0)} transfers/s`);
atScale();
console.log(`ratio single_commit ${(mine.single / base.single).toFixed(2)}`);
console.log(`ratio batch_commit ${(mine.batch / base.batch).toFixed(2)}`);

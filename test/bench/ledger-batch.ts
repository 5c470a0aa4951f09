/**
 * The ledger's batch path in the pattern of `seed big` (docs/PERFORMANCE.md, "The ledger's batch path"):
 * 10,000 wallets; per write transaction 2,000 holds, their 2,000 posts and 1,000 spends, in three
 * createTransfers calls inside one `Ledger.batch` (BENCH_NO_BATCH=1: a plain transaction instead);
 * `synchronous = OFF` as `seed big` runs. Prints CPU microseconds per transfer (the figure to compare
 * on a shared machine) beside the wall time, and verify() of the result.
 *   npx tsx test/bench/ledger-batch.ts   (BENCH_ROUNDS, default 60: 300,000 transfers)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/client.ts';
import { AccountFlags, Ledger, TransferFlags, verifyLedger, type TransferInput } from '../../src/ledger/index.ts';

const directory = mkdtempSync(join(tmpdir(), 'silver-ledger-batch-'));
process.on('exit', () => rmSync(directory, { recursive: true, force: true }));
const db = openDatabase(join(directory, 'ledger.db'));
db.$client.pragma('synchronous = OFF');
let clockMs = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const ledger = new Ledger(db.$client, { now: () => clockMs });
const wallets = 10_000;
const rounds = Number(process.env.BENCH_ROUNDS ?? 60);
const inTransaction = process.env.BENCH_NO_BATCH ? (work: () => void) => db.$client.transaction(work).immediate() : (work: () => void) => ledger.batch(work);

ledger.createAccounts(Array.from({ length: wallets }, (_, i) => ({ id: `wallet:m${i}`, kind: 'wallet' as const, ownerRef: `member:${i}`, flags: AccountFlags.debitsMustNotExceedCredits })));
ledger.createAccounts([{ id: 'issuance:433123', kind: 'issuance', ownerRef: '433123' }, { id: 'site:1', kind: 'site', ownerRef: 'site:1' }]);

function round(first: number): TransferInput[][] {
  const holds: TransferInput[] = [];
  const posts: TransferInput[] = [];
  const spends: TransferInput[] = [];
  for (let k = first; k < first + 2000; k += 1) {
    const wallet = `wallet:m${(k * 7919) % wallets}`;
    holds.push({ id: `h:${k}`, debitAccountId: 'issuance:433123', creditAccountId: wallet, amount: 30, code: 'service_credit', flags: TransferFlags.pending, refType: 'service_record', refId: String(k) });
    posts.push({ id: `p:${k}`, pendingId: `h:${k}`, code: 'service_credit', flags: TransferFlags.postPending, refType: 'service_record', refId: String(k) });
    if (k % 2 === 0) spends.push({ id: `s:${k}`, debitAccountId: wallet, creditAccountId: 'site:1', amount: 10, code: 'redemption', refType: 'redemption', refId: String(k) });
  }
  return [holds, posts, spends];
}

const started = process.hrtime.bigint();
const cpuBefore = process.cpuUsage();
for (let r = 0; r < rounds; r += 1) {
  const calls = round(r * 2000);
  inTransaction(() => {
    for (const list of calls) {
      const bad = ledger.createTransfers(list).find((result) => result !== 'ok');
      if (bad) throw new Error(bad);
      clockMs += 1000;
    }
  });
}
const cpu = process.cpuUsage(cpuBefore);
const transfers = ledger.counts().transfers;
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(`${transfers} transfers (${process.env.BENCH_NO_BATCH ? 'plain transactions' : 'Ledger.batch'}): wall ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2)} s, `
  + `CPU ${cpuSeconds.toFixed(2)} s, ${((cpuSeconds * 1e6) / transfers).toFixed(1)} µs CPU per transfer`);
const verifyStarted = process.hrtime.bigint();
const report = verifyLedger(db.$client);
console.log(`verify() ${report.ok ? 'ok' : `BAD at ${report.firstBadSeq}`}, ${report.transfers} transfers, ${(Number(process.hrtime.bigint() - verifyStarted) / 1e9).toFixed(2)} s`);
db.$client.close();

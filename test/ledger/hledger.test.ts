import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { TransferFlags as F, exportHledger, verifyLedger, type TransferInput } from '../../src/ledger/index.ts';
import { issuance, makeLedger, wallet } from './helpers.ts';

const hledger = spawnSync('hledger', ['--version'], { encoding: 'utf8' });
const skip = hledger.status === 0 ? false : 'hledger is not installed (apt-get install hledger); .ci/run installs it';

t.test('hledger independently checks an exported ledger', { skip }, async (t) => {
  const { ledger, sqlite, clock } = makeLedger();
  const walletIds = Array.from({ length: 40 }, (_, i) => `w${i}`);
  ledger.createAccounts([issuance('iss:433123'), issuance('iss:430524'), { id: 'pool:433123', kind: 'pool', ownerRef: '433123', flags: 2 },
    ...walletIds.map(wallet)]);
  // Deterministic pseudo-random mix: credits, pending holds posted in part or voided, expiries, gifts, cross-county chains.
  let seed = 42;
  const random = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n; };
  let id = 0;
  const open: string[] = [];
  for (let round = 0; round < 3000; round += 1) {
    const a = walletIds[random(40)]!;
    const b = walletIds[random(40)]!;
    const choice = random(10);
    let batch: TransferInput[];
    if (choice < 4) batch = [{ id: `x${id++}`, debitAccountId: random(2) ? 'iss:433123' : 'iss:430524', creditAccountId: a, amount: 1 + random(240), code: 'service_credit', flags: random(2) ? F.pending : 0, timeoutSeconds: 0 }];
    else if (choice < 6) batch = [{ id: `x${id++}`, debitAccountId: a, creditAccountId: b, amount: 1 + random(60), code: 'redemption', flags: F.pending, timeoutSeconds: random(3) === 0 ? 30 : 0 }];
    else if (choice < 8 && open.length > 0) {
      const pendingId = open.splice(random(open.length), 1)[0]!;
      batch = [random(2) ? { id: `x${id++}`, pendingId, code: 'redemption', flags: F.postPending, ...(random(2) ? { amount: 1 } : {}) }
        : { id: `x${id++}`, pendingId, code: 'correction', flags: F.voidPending }];
    } else if (choice === 8) batch = [{ id: `x${id++}`, debitAccountId: a, creditAccountId: 'pool:433123', amount: 1 + random(30), code: 'donation' },
      ];
    else batch = [{ id: `x${id++}`, debitAccountId: a, creditAccountId: 'iss:433123', amount: 1 + random(30), code: 'clearing', flags: F.linked },
      { id: `x${id++}`, debitAccountId: 'iss:430524', creditAccountId: b, amount: 1 + random(30), code: 'clearing' }];
    const results = ledger.createTransfers(batch);
    batch.forEach((input, i) => { if (results[i] === 'ok' && (input.flags ?? 0) & F.pending) open.push(input.id); });
    clock.nowMs += 7_000;
    if (round % 500 === 0) ledger.expirePending();
  }
  ledger.expirePending();
  const counts = ledger.counts();
  t.ok(counts.transfers > 2000, `a non-trivial ledger (${counts.transfers} transfers)`);
  const kinds = sqlite.prepare(`SELECT sum((flags & 2) > 0), sum((flags & 4) > 0), sum((flags & 8) > 0), sum(code = 'expiry') FROM ledger_transfers`).raw().get() as number[];
  t.ok(kinds.every((n) => n > 0), `pending ${kinds[0]}, posted ${kinds[1]}, voided ${kinds[2]}, expired ${kinds[3]}`);
  t.ok(verifyLedger(sqlite).ok);

  const dir = mkdtempSync(join(tmpdir(), 'silver-hledger-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ledger.journal');
  const out = createWriteStream(file);
  const exported = await exportHledger(sqlite, out);
  out.end();
  await finished(out);
  t.equal(exported.transfers, counts.transfers);

  const check = spawnSync('hledger', ['-f', file, 'check'], { encoding: 'utf8' });
  t.equal(check.status, 0, `hledger check passes ${check.stderr}`);

  const balances = execFileSync('hledger', ['-f', file, 'bal', '--flat', '--no-total', '--empty', '-O', 'csv'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const fromHledger = new Map<string, number>();
  for (const line of balances.trim().split('\n').slice(1)) {
    const [account, amount] = line.split(',').map((cell) => cell.replace(/"/g, ''));
    fromHledger.set(account!, Number(amount!.replace(/\s*MIN$/, '').replace(/^0$/, '0')));
  }
  let compared = 0;
  for (const account of sqlite.prepare('SELECT id, debits_pending, debits_posted, credits_pending, credits_posted FROM ledger_accounts').all() as
    { id: string; debits_pending: number; debits_posted: number; credits_pending: number; credits_posted: number }[]) {
    const posted = fromHledger.get(`${account.id}:posted`) ?? 0;
    const pending = fromHledger.get(`${account.id}:pending`) ?? 0;
    t.equal(posted, account.debits_posted - account.credits_posted, `${account.id} posted`);
    t.equal(pending, account.debits_pending - account.credits_pending, `${account.id} pending`);
    compared += 1;
  }
  t.equal(compared, 43, 'every account compared');

  // A corrupted journal is caught by hledger's own assertions.
  const journal = readFileSync(file, 'utf8');
  writeFileSync(file, journal.replace(/^( {4}\S+ {2})(-?\d+) MIN = /m, '$199999 MIN = '));
  t.not(readFileSync(file, 'utf8'), journal, 'the journal was altered');
  const bad = spawnSync('hledger', ['-f', file, 'check'], { encoding: 'utf8' });
  t.not(bad.status, 0, 'a falsified amount fails the balance assertions');
});

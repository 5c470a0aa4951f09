import t from 'tap';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { checkPublicChain, publicChainLines, publicHead } from '../../../src/domain/bookkeeping/public-chain.ts';
import { checkpointsDocument, postedMinutesByCode, publishCheckpoint } from '../../../src/domain/bookkeeping/signed-checkpoints.ts';
import { verifyExport } from '../../../src/domain/bookkeeping/verify-export.ts';
import { exportHledger, verifyLedger } from '../../../src/ledger/index.ts';
import { createNetworkApp } from '../../helpers/web.ts';

/**
 * Issue 20: the demo network with its guarantee fund (transfers on ledger 2)
 * still passes every check of issue 17: the ledger's verify, the public chain,
 * the hledger export with its signed checkpoints, and the public verifier
 * (tools/verify-public-ledger.mjs) run the way the /transparency page says.
 */
const run = promisify(execFile);
const verifierPath = new URL('../../../tools/verify-public-ledger.mjs', import.meta.url).pathname;

t.test('a ledger holding minutes and fen verifies every way the public and the offices check it', { timeout: 180_000 }, async (t) => {
  const { app, db, clock } = await createNetworkApp();
  t.teardown(() => app.close());
  const sqlite = db.$client;
  t.ok((sqlite.prepare('SELECT count(*) FROM ledger_transfers WHERE ledger = 2').pluck().get() as number) >= 4, 'the demo fund\'s transfers are on ledger 2');
  clock.advance(60_000);
  const signed = publishCheckpoint(sqlite, app.checkpointKeys, clock.now());
  t.ok(signed, 'a checkpoint signed over both commodities');
  const posted = postedMinutesByCode(sqlite, signed!.seq);
  t.equal(posted.fund_contribution, 28_000_000, 'fund codes sum fen in the signed totals, apart from every minutes code');
  const report = verifyLedger(sqlite);
  t.ok(report.ok, report.problem ?? 'ledger verify ok');
  t.equal(checkPublicChain(sqlite), undefined, 'the public chain holds');

  const directory = mkdtempSync(join(tmpdir(), 'silver-liability-verify-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const journal = join(directory, 'ledger.journal');
  const out = createWriteStream(journal);
  await exportHledger(sqlite, out);
  out.end();
  await finished(out);
  const checkpoints = join(directory, 'checkpoints.json');
  writeFileSync(checkpoints, JSON.stringify(checkpointsDocument(sqlite, app.checkpointKeys)));
  const exported = await verifyExport(journal, JSON.parse(readFileSync(checkpoints, 'utf8')));
  t.ok(exported.ok, exported.problem ?? 'export ok');
  if (spawnSync('hledger', ['--version'], { encoding: 'utf8' }).status === 0) {
    const check = spawnSync('hledger', ['-f', journal, 'check'], { encoding: 'utf8' });
    t.equal(check.status, 0, `hledger check passes with MIN and FEN: ${check.stderr}`);
  } else {
    t.comment('hledger is not installed: hledger check skipped');
  }

  let chain = '';
  for await (const lines of publicChainLines(sqlite, publicHead(sqlite), 500)) chain += lines;
  writeFileSync(join(directory, 'chain.ndjson'), chain);
  copyFileSync(verifierPath, join(directory, 'verify-public-ledger.mjs'));
  const { stdout } = await run(process.execPath, ['verify-public-ledger.mjs', 'chain.ndjson', 'checkpoints.json', '--key', app.checkpointKeys.publicKey],
    { cwd: directory, env: { PATH: process.env.PATH ?? '' } });
  t.match(stdout.split('\n')[0], /^OK: \d+ transfers, every hash link holds; 1 signed checkpoints verified/);
});

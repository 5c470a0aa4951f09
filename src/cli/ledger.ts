import { createWriteStream, readFileSync } from 'node:fs';
import { verifyExport } from '../domain/bookkeeping/verify-export.ts';
import { finished } from 'node:stream/promises';
import { quickCheckProblem } from '../db/failures.ts';
import { exportHledger, verifyLedger } from '../ledger/index.ts';
import { loadConfig } from '../config.ts';
import { publishCheckpoint } from '../domain/bookkeeping/signed-checkpoints.ts';
import { checkPublicChain } from '../domain/bookkeeping/public-chain.ts';
import { loadCheckpointKeys } from '../lib/checkpoint-key.ts';
import { type Command, openExisting } from './support.ts';

/** `ledger verify --export FILE [--checkpoints FILE]`: an office's export checked from the file alone. */
async function verifyExportCommand(file: string | undefined, withCheckpoints: boolean, checkpointsFile: string | undefined): Promise<number> {
  if (!file || (withCheckpoints && !checkpointsFile)) {
    console.error('usage: npm run cli -- ledger verify --export FILE [--checkpoints checkpoints.json]');
    return 2;
  }
  const document = withCheckpoints && checkpointsFile ? JSON.parse(readFileSync(checkpointsFile, 'utf8')) : undefined;
  const report = await verifyExport(file, document);
  if (report.ok) {
    console.log(`export ok: ${report.transfers} transfers, every hash link holds, head ${report.headHash}; ${report.checkpoints} signed checkpoints verified`);
    return 0;
  }
  console.log(`export BAD at sequence ${report.firstBadSeq}: ${report.problem}`);
  return 1;
}

/** Operator commands on the ledger: verification, the hledger export and a checkpoint. */

export const ledgerCommands: Record<string, Command> = {
  'ledger verify': {
    usage: 'ledger verify [--export FILE [--checkpoints FILE]]',
    summary: 'recompute every balance and walk the hash chain; with --export, check an hledger export file alone (and the signed checkpoints); exit 1 at the first disagreement',
    async run(args) {
      const exportAt = args.indexOf('--export');
      const checkpointsAt = args.indexOf('--checkpoints');
      if (exportAt >= 0) return verifyExportCommand(args[exportAt + 1], checkpointsAt >= 0, args[checkpointsAt + 1]);
      const db = openExisting();
      const damage = quickCheckProblem(db.$client);
      if (damage) {
        db.$client.close();
        console.log(`database DAMAGED: SQLite quick_check: ${damage}`);
        return 1;
      }
      const report = verifyLedger(db.$client);
      const publicFault = report.ok ? checkPublicChain(db.$client) : undefined;
      db.$client.close();
      if (publicFault) {
        console.log(`ledger BAD at sequence ${publicFault.seq}: ${publicFault.problem}`);
        return 1;
      }
      if (report.ok) {
        console.log(`ledger ok: ${report.transfers} transfers, ${report.accounts} accounts, head ${report.headHash}`);
        return 0;
      }
      console.log(`ledger BAD at sequence ${report.firstBadSeq}: ${report.problem}`);
      return 1;
    },
  },
  'ledger export-hledger': {
    usage: 'ledger export-hledger FILE',
    summary: 'write the ledger as an hledger journal (commodity MIN, balance assertion on every posting)',
    async run(args) {
      const file = args[0];
      if (!file) {
        console.error('usage: npm run cli -- ledger export-hledger FILE');
        return 2;
      }
      const db = openExisting();
      const out = createWriteStream(file);
      const { transfers } = await exportHledger(db.$client, out);
      out.end();
      await finished(out);
      db.$client.close();
      console.log(`wrote ${transfers} transfers to ${file}; check with: hledger -f ${file} check`);
      return 0;
    },
  },
  'ledger checkpoint': {
    usage: 'ledger checkpoint',
    summary: 'record and sign the current head of the hash chain as a published checkpoint (when it has grown)',
    async run() {
      const db = openExisting();
      const checkpoint = publishCheckpoint(db.$client, loadCheckpointKeys(loadConfig().dataDirectory), Date.now());
      db.$client.close();
      console.log(checkpoint ? `signed checkpoint at sequence ${checkpoint.seq}: ${checkpoint.hash}` : 'the chain has not grown since the last checkpoint');
      return 0;
    },
  },
};

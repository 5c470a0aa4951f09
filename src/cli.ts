/**
 * Operator commands: `npm run cli -- <command>`.
 * Each command opens the database in DATA_DIR (default ./data) itself, so it
 * can run beside a live server (SQLite WAL allows it).
 */
import Database from 'better-sqlite3';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { loadConfig } from './config.ts';
import { databasePath, openDatabase } from './db/client.ts';
import { seedBig } from './domain/demo/big.ts';
import { seedDemoNetwork } from './domain/demo/network.ts';
import { seedDemo } from './domain/demo/seed.ts';
import { unlockKeys } from './domain/keys/keyring.ts';
import { countUnreadable, rotateKeys } from './domain/keys/rotate.ts';
import { refreshReports } from './domain/reports/refresh.ts';
import { expireUnreviewed } from './domain/hours/review.ts';
import { Ledger, exportHledger, verifyLedger } from './ledger/index.ts';
import { isCryptoProfile } from './lib/crypto.ts';
import { KeyCheckError } from './lib/secrets.ts';

interface Command {
  usage: string;
  summary: string;
  run(args: string[]): Promise<number>;
}

function openExisting(): ReturnType<typeof openDatabase> {
  const config = loadConfig();
  const path = databasePath(config.dataDirectory);
  if (!existsSync(path)) {
    console.error(`No database at ${path}. Start the app once (npm start) or set DATA_DIR.`);
    process.exit(2);
  }
  return openDatabase(path);
}

/** The pid of a server running on DATA_DIR, if any (server.ts writes DATA_DIR/server.pid). */
export function runningServerPid(dataDirectory: string): number | undefined {
  const file = join(dataDirectory, 'server.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Checks a database file on its own: SQLite's integrity check, then the ledger's verify. */
function checkDatabaseFile(path: string): { ok: boolean; message: string } {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const integrity = sqlite.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') return { ok: false, message: `SQLite integrity check failed: ${String(integrity)}` };
    const report = verifyLedger(sqlite);
    if (!report.ok) return { ok: false, message: `ledger BAD at sequence ${report.firstBadSeq}: ${report.problem}` };
    return { ok: true, message: `ledger ok: ${report.transfers} transfers, ${report.accounts} accounts, head ${report.headHash}` };
  } finally {
    sqlite.close();
  }
}

const commands: Record<string, Command> = {
  'hours expire': {
    usage: 'hours expire',
    summary: 'expire service records left unreviewed longer than the policy allows (voids their pending credits)',
    async run() {
      const db = openExisting();
      const expired = expireUnreviewed({ db, now: Date.now });
      db.$client.close();
      console.log(`expired ${expired.length} unreviewed service record${expired.length === 1 ? '' : 's'}`);
      return 0;
    },
  },
  'seed demo': {
    usage: 'seed demo',
    summary: 'seed the demo network into DATA_DIR (what npm start does on first start); does nothing twice',
    async run() {
      const config = loadConfig();
      const db = openDatabase(databasePath(config.dataDirectory));
      const ran = await seedDemoNetwork(db, unlockKeys(db, config.dataDirectory, { requestedProfile: config.cryptoProfile }));
      db.$client.close();
      console.log(ran.length > 0 ? `seeded: ${ran.join('; ')}` : 'the demo network is already there; nothing to do');
      return 0;
    },
  },
  'seed big': {
    usage: 'seed big --members N --months M',
    summary: 'generate a province-scale network into an EMPTY DATA_DIR (use a separate one), for load and report tests',
    async run(args) {
      const option = (name: string, fallback: number) => {
        const index = args.indexOf(`--${name}`);
        const value = index >= 0 ? Number(args[index + 1]) : fallback;
        if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number`);
        return value;
      };
      let members: number;
      let months: number;
      try {
        members = option('members', 100_000);
        months = option('months', 12);
      } catch (error) {
        console.error((error as Error).message);
        return 2;
      }
      const config = loadConfig();
      const path = databasePath(config.dataDirectory);
      if (existsSync(path)) {
        console.error(`${path} already exists. seed big needs an empty DATA_DIR, e.g. DATA_DIR=./data-big npm run cli -- seed big`);
        return 2;
      }
      const started = Date.now();
      const db = openDatabase(path);
      const secrets = unlockKeys(db, config.dataDirectory, { requestedProfile: config.cryptoProfile });
      const nowMs = Date.now();
      await seedDemo(db, nowMs - 400 * 86_400_000);
      const result = seedBig(db, { members, months, nowMs, keys: secrets, onProgress: (message) => console.log(`  ${message}`) });
      refreshReports(db.$client, nowMs, { registryMaxAgeMs: 0 });
      db.$client.close();
      console.log(`seeded ${result.members} members, ${result.elders} elders, ${result.villages} villages, ${result.sites} sites, `
        + `${result.serviceRecords} service records, ${result.redemptions} redemptions, ${result.transfers} transfers `
        + `over ${result.months.length} months in ${((Date.now() - started) / 1000).toFixed(0)} s into ${path}`);
      return 0;
    },
  },
  backup: {
    usage: 'backup FILE',
    summary: 'online backup of the live database (SQLite backup API), safe while the server runs',
    async run(args) {
      const file = args[0];
      if (!file) {
        console.error('usage: npm run cli -- backup FILE');
        return 2;
      }
      if (existsSync(file)) {
        console.error(`${file} already exists; choose a new file name (backups are never overwritten).`);
        return 2;
      }
      const db = openExisting();
      const partial = `${file}.partial`;
      rmSync(partial, { force: true });
      await db.$client.backup(partial);
      db.$client.close();
      const check = checkDatabaseFile(partial);
      if (!check.ok) {
        console.error(`backup failed its check, not kept: ${check.message}`);
        rmSync(partial, { force: true });
        return 1;
      }
      renameSync(partial, file);
      console.log(`backup written to ${file}; ${check.message}`);
      return 0;
    },
  },
  restore: {
    usage: 'restore FILE',
    summary: 'replace the database in DATA_DIR with a backup (the server must be stopped)',
    async run(args) {
      const file = args[0];
      if (!file || !existsSync(file)) {
        console.error(file ? `No backup file at ${file}.` : 'usage: npm run cli -- restore FILE');
        return 2;
      }
      const config = loadConfig();
      const pid = runningServerPid(config.dataDirectory);
      if (pid !== undefined) {
        console.error(`The server is running (pid ${pid}) on ${config.dataDirectory}. Stop it first, then restore.`);
        return 2;
      }
      const check = checkDatabaseFile(file);
      if (!check.ok) {
        console.error(`Not restoring: the backup does not verify (${check.message}).`);
        return 1;
      }
      const target = databasePath(config.dataDirectory);
      const staging = `${target}.restoring`;
      mkdirSync(config.dataDirectory, { recursive: true });
      copyFileSync(file, staging);
      rmSync(`${target}-wal`, { force: true });
      rmSync(`${target}-shm`, { force: true });
      renameSync(staging, target);
      // Bring the restored file up to the current schema, then verify it in place.
      openDatabase(target).$client.close();
      const after = checkDatabaseFile(target);
      console.log(`restored ${file} into ${target}; ${after.message}`);
      return after.ok ? 0 : 1;
    },
  },
  'ledger verify': {
    usage: 'ledger verify',
    summary: 'recompute every balance and walk the hash chain; exit 1 at the first disagreement',
    async run() {
      const db = openExisting();
      const report = verifyLedger(db.$client);
      db.$client.close();
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
    summary: 'record the current head of the hash chain as a published checkpoint',
    async run() {
      const db = openExisting();
      const checkpoint = new Ledger(db.$client).checkpoint();
      db.$client.close();
      console.log(`checkpoint at sequence ${checkpoint.seq}: ${checkpoint.hash}`);
      return 0;
    },
  },
  'keys check': {
    usage: 'keys check',
    summary: 'check that the keys (secrets.json or the variables) open every ID number and card token in the database',
    async run() {
      const config = loadConfig();
      const db = openExisting();
      try {
        const secrets = unlockKeys(db, config.dataDirectory, { requestedProfile: config.cryptoProfile });
        const { checked, unreadable } = countUnreadable(db, secrets);
        if (unreadable > 0) {
          console.error(`keys BAD (${secrets.cryptoProfile}): ${unreadable} of ${checked} encrypted values do not open with these keys`);
          return 1;
        }
        console.log(`keys ok (${secrets.cryptoProfile}): all ${checked} encrypted values open with these keys`);
        return 0;
      } finally {
        db.$client.close();
      }
    },
  },
  'keys rotate': {
    usage: 'keys rotate [--profile P]',
    summary: 'new keys: re-encrypt ID numbers and card tokens, re-key lookup hashes in one transaction (server stopped); P = international or guomi',
    async run(args) {
      const index = args.indexOf('--profile');
      const targetProfile = index >= 0 ? args[index + 1] : undefined;
      if (targetProfile !== undefined && !isCryptoProfile(targetProfile)) {
        console.error('--profile must be international or guomi');
        return 2;
      }
      const config = loadConfig();
      // TODO(wt-ops): use the server's lifetime lock when it lands; the pid file can be stale or missing.
      const pid = runningServerPid(config.dataDirectory);
      if (pid !== undefined) {
        console.error(`The server is running (pid ${pid}) on ${config.dataDirectory}. Stop it first, then rotate the keys.`);
        return 2;
      }
      const db = openExisting();
      try {
        const result = rotateKeys(db, config.dataDirectory, { targetProfile, nowMs: Date.now() });
        console.log(`keys rotated (${result.cryptoProfile}): ${result.idNumbers} ID numbers, ${result.cardTokens} card tokens, ${result.importFiles} roster files re-encrypted; `
          + `old keys kept in ${result.backupFile} (store it with the backups made before today). Everyone must sign in again.`);
        return 0;
      } finally {
        db.$client.close();
      }
    },
  },
};

function help(): void {
  console.log('Silver Hours operator commands (npm run cli -- <command>):\n');
  for (const command of Object.values(commands)) console.log(`  ${command.usage.padEnd(34)} ${command.summary}`);
  console.log('\nThe database is DATA_DIR/silver-hours.db (DATA_DIR defaults to ./data).');
}

async function main(argv: string[]): Promise<number> {
  for (const length of [2, 1]) {
    const name = argv.slice(0, length).join(' ');
    const command = commands[name];
    if (command) return command.run(argv.slice(length));
  }
  if (argv.length > 0 && argv[0] !== 'help' && argv[0] !== '--help') {
    console.error(`Unknown command: ${argv.join(' ')}\n`);
    help();
    return 2;
  }
  help();
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Keys missing or not this database's: one sentence, no stack trace.
  if (!(error instanceof KeyCheckError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}

/**
 * Operator commands: `npm run cli -- <command>`.
 * Each command opens the database in DATA_DIR (default ./data) itself, so it
 * can run beside a live server (SQLite WAL allows it), holding the DATA_DIR
 * lock shared as servers do; `restore` takes it exclusively (src/db/lock.ts).
 */
import Database from 'better-sqlite3';
import { accessSync, constants, copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { loadConfig } from './config.ts';
import { databasePath, openDatabase } from './db/client.ts';
import { removePartial, startSnapshot, syncFile, type SnapshotProgress } from './db/backup.ts';
import { describeStorageFailure, errorCode, quickCheckProblem } from './db/failures.ts';
import { DataDirectoryBusy, databaseOpenElsewhere, holdExclusiveLock, holdSharedLock } from './db/lock.ts';
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

/** A failure the operator can act on: one sentence on stderr and this exit code, never a stack trace. */
export class CliFailure extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliFailure';
  }
}

/**
 * Takes the shared DATA_DIR lock for this command's life (released when the
 * process exits), so nothing reads or writes while a restore replaces files.
 */
function useDataDirectory(dataDirectory: string): void {
  try {
    holdSharedLock(dataDirectory);
  } catch (error) {
    if (error instanceof DataDirectoryBusy) throw new CliFailure(`Not now: ${error.message}; wait for it to finish, then run the command again.`, 2);
    throw error;
  }
}

function openExisting(): ReturnType<typeof openDatabase> {
  const config = loadConfig();
  const path = databasePath(config.dataDirectory);
  if (!existsSync(path)) throw new CliFailure(`No database at ${path}. Start the app once (npm start) or set DATA_DIR.`, 2);
  useDataDirectory(config.dataDirectory);
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

const megabytes = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function timed<T>(work: () => T): { value: T; durationMs: number } {
  const started = performance.now();
  const value = work();
  return { value, durationMs: performance.now() - started };
}

/** A progress bar on a terminal (stderr), nothing when output goes to a file or cron. */
function progressBar(label: string): ((progress: SnapshotProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return ({ bytesWritten, bytesExpected }) => {
    const share = bytesExpected > 0 ? Math.min(1, bytesWritten / bytesExpected) : 0;
    const width = 30;
    const filled = Math.round(share * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% `
      + `${megabytes(bytesWritten)} of ${megabytes(bytesExpected)}${share >= 1 ? '\n' : ''}`);
  };
}

/** The backup's directory must exist and be writable, or VACUUM INTO fails with a message about the database. */
function assertWritableDirectory(directory: string): void {
  try {
    accessSync(directory, constants.W_OK);
  } catch (error) {
    throw new CliFailure(`Cannot write the backup into ${directory} (${errorCode(error) ?? 'not writable'}): create it or choose another place.`, 2);
  }
}

/** `backup --verify FILE`: SQLite's integrity check and the ledger's verify on an existing backup. */
function verifyBackup(file: string | undefined): number {
  if (!file) throw new CliFailure('usage: npm run cli -- backup --verify FILE', 2);
  if (!existsSync(file)) throw new CliFailure(`No backup file at ${file}.`, 2);
  const check = timed(() => checkDatabaseFile(file));
  const line = `${file}: ${check.value.message} (verified in ${seconds(check.durationMs)})`;
  if (!check.value.ok) throw new CliFailure(line);
  console.log(line);
  return 0;
}

/**
 * Takes DATA_DIR exclusively for a restore: refused while any server or
 * command holds the shared lock (the lock dies with its process, so it is
 * never stale), or while a program that takes no lock has the database open.
 * server.pid only helps the operator find the server.
 */
function holdRestoreLock(dataDirectory: string, doing = 'restoring', then = 'restore'): void {
  try {
    holdExclusiveLock(dataDirectory);
  } catch (error) {
    if (!(error instanceof DataDirectoryBusy)) throw error;
    const pid = runningServerPid(dataDirectory);
    const named = pid === undefined ? '' : ` (server.pid names pid ${pid})`;
    throw new CliFailure(`Not ${doing}: a server or another command is using ${dataDirectory}${named}; stop it first, then ${then}.`, 2);
  }
  const file = databasePath(dataDirectory);
  if (existsSync(file) && databaseOpenElsewhere(file)) {
    throw new CliFailure(`Not ${doing}: another program (such as the sqlite3 shell) has ${file} open; close it first, then ${then}.`, 2);
  }
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Checks a database file on its own: SQLite's integrity check, then the ledger's verify. */
function checkDatabaseFile(path: string, depth: 'quick' | 'full' = 'full'): { ok: boolean; message: string } {
  let sqlite: Database.Database | undefined;
  try {
    sqlite = new Database(path, { readonly: true, fileMustExist: true });
    // quick_check reads every page and row; integrity_check also matches every index with its table (6x slower).
    const check = depth === 'full' ? 'integrity_check' : 'quick_check';
    const integrity = sqlite.pragma(check, { simple: true });
    if (integrity !== 'ok') return { ok: false, message: `SQLite ${check} failed: ${oneLine(String(integrity))}` };
    const report = verifyLedger(sqlite);
    if (!report.ok) return { ok: false, message: `ledger BAD at sequence ${report.firstBadSeq}: ${report.problem}` };
    return { ok: true, message: `ledger ok: ${report.transfers} transfers, ${report.accounts} accounts, head ${report.headHash}` };
  } catch (error) {
    const code = errorCode(error);
    if (code === undefined || !code.startsWith('SQLITE_')) throw error;
    return { ok: false, message: `${path} is damaged or not a Silver Hours database (${code}: ${oneLine((error as Error).message)})` };
  } finally {
    sqlite?.close();
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
      useDataDirectory(config.dataDirectory);
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
      useDataDirectory(config.dataDirectory);
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
    usage: 'backup FILE | backup --verify FILE',
    summary: 'online backup of the live database (one consistent snapshot, VACUUM INTO), verified before it is kept; --verify checks an existing backup',
    async run(args) {
      if (args[0] === '--verify') return verifyBackup(args[1]);
      const file = args[0];
      if (!file) throw new CliFailure('usage: npm run cli -- backup FILE (or backup --verify FILE)', 2);
      if (existsSync(file)) throw new CliFailure(`${file} already exists; choose a new file name (backups are never overwritten).`, 2);
      assertWritableDirectory(dirname(resolve(file)));
      const db = openExisting();
      db.$client.close();
      const source = databasePath(loadConfig().dataDirectory);
      const partial = `${file}.partial`;
      removePartial(partial);
      const snapshot = startSnapshot(source, partial, progressBar('backup'));
      // Ctrl+C or a stop signal: no partial file is left behind.
      const interrupted = (signal: NodeJS.Signals) => {
        void snapshot.abandon().finally(() => {
          removePartial(partial);
          console.error(`\nbackup interrupted by ${signal}; the partial file ${partial} was removed.`);
          process.exit(130);
        });
      };
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      const written = await snapshot.done;
      if (process.stderr.isTTY) process.stderr.write('verifying the copy (quick_check, balances, hash chain)...\n');
      const check = timed(() => checkDatabaseFile(partial, 'quick'));
      if (!check.value.ok) {
        removePartial(partial);
        throw new CliFailure(`backup failed its check, not kept: ${check.value.message}`);
      }
      syncFile(partial);
      renameSync(partial, file);
      syncFile(file);
      console.log(`backup written to ${file}; ${check.value.message}`);
      console.log(`  snapshot ${megabytes(written.bytes)} in ${seconds(written.durationMs)}, verified in ${seconds(check.durationMs)}`);
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
      holdRestoreLock(config.dataDirectory);
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
      const damage = quickCheckProblem(db.$client);
      if (damage) {
        db.$client.close();
        console.log(`database DAMAGED: SQLite quick_check: ${damage}`);
        return 1;
      }
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
      // Like restore: the exclusive lock on DATA_DIR/server.lock, refused while any server or command holds it.
      holdRestoreLock(config.dataDirectory, 'rotating the keys', 'rotate the keys');
      const path = databasePath(config.dataDirectory);
      if (!existsSync(path)) throw new CliFailure(`No database at ${path}. Start the app once (npm start) or set DATA_DIR.`, 2);
      const db = openDatabase(path);
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

/** Runs one command; a failure is one sentence on stderr and a non-zero exit, never a stack trace. */
async function runCommand(name: string, command: Command, args: string[]): Promise<number> {
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof CliFailure) {
      console.error(error.message);
      return error.exitCode;
    }
    const storage = describeStorageFailure(error, resolve(process.env.DATA_DIR ?? './data'));
    console.error(storage ?? `${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function main(argv: string[]): Promise<number> {
  for (const length of [2, 1]) {
    const name = argv.slice(0, length).join(' ');
    const command = commands[name];
    if (command) return runCommand(name, command, argv.slice(length));
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

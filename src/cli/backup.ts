import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../config.ts';
import { databasePath, openDatabase } from '../db/client.ts';
import { removePartial, startSnapshot, syncFile } from '../db/backup.ts';
import { CliFailure, type Command, assertWritableDirectory, checkDatabaseFile, holdRestoreLock, megabytes, openExisting, progressBar, seconds, timed, verifyBackup } from './support.ts';

/** Operator commands for backups: taking one while the server runs, and restoring one. */

export const backupCommands: Record<string, Command> = {
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
};

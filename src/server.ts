import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { databasePath, openDatabase } from './db/client.ts';
import { DatabaseDamaged, describeStorageFailure, quickCheckProblem } from './db/failures.ts';
import { DataDirectoryBusy, holdSharedLock } from './db/lock.ts';
import { seedDemoNetwork } from './domain/demo/network.ts';
import { formatDemoSignIns, isDemoSeeded } from './domain/demo/seed.ts';
import { unlockKeys } from './domain/keys/keyring.ts';
import { ledgerFor } from './domain/ledger/accounts.ts';
import { recordFullVerification, verifyInBackground, type BackgroundVerification } from './domain/ledger/verification.ts';
import { sweepExpired } from './domain/redemption/counter.ts';
import { msUntilShanghaiHour } from './lib/time.ts';
import { loggerOptions } from './plugins/logging.ts';

/** Reads the configuration, opens the database, seeds the demo on first start, listens, and shuts down cleanly. */
async function main(): Promise<void> {
  // Stop signals are handled from the first moment: while starting (the demo seed is one
  // transaction) the process closes the database, which rolls back, and exits; once
  // listening, `stop` becomes the graceful shutdown below.
  let opened: ReturnType<typeof openDatabase> | undefined;
  let stop: (signal: NodeJS.Signals) => void = (signal) => {
    process.stderr.write(`Silver Hours stopped by ${signal} while starting; nothing half-done was kept. Start it again.\n`);
    try {
      if (opened?.$client.open) opened.$client.close();
    } finally {
      process.exit(130);
    }
  };
  process.on('SIGINT', (signal) => stop(signal));
  process.on('SIGTERM', (signal) => stop(signal));
  const config = loadConfig();
  // Held for the server's whole life, before anything reads or writes DATA_DIR: restore refuses while it is held.
  const lock = holdSharedLock(config.dataDirectory);
  const db = openDatabase(databasePath(config.dataDirectory));
  opened = db;
  const damage = quickCheckProblem(db.$client);
  if (damage) throw new DatabaseDamaged(config.dataDirectory, damage);
  // Refuses (one sentence, exit 1) when the keys are missing or are not this database's.
  const secrets = unlockKeys(db, config.dataDirectory, { requestedProfile: config.cryptoProfile });
  if (config.seedDemo) {
    if (!isDemoSeeded(db)) process.stdout.write('Seeding the demo network (first start)...\n');
    const seeded = await seedDemoNetwork(db, secrets);
    if (seeded.length > 0) process.stdout.write(`Seeded the demo network: ${seeded.join('; ')}.\n`);
  }
  const app = await buildApp({
    db,
    secrets,
    secureCookies: config.secureCookies,
    trustProxy: config.trustProxy,
    logger: loggerOptions(config.logLevel),
  });

  // Publish a ledger checkpoint at start and every hour when the chain has grown,
  // so the transparency page always has a recent head to compare against.
  const ledger = ledgerFor(db.$client, Date.now);
  const checkpointIfMoved = () => {
    try {
      const checkpoint = ledger.checkpointIfMoved();
      if (checkpoint) app.log.info({ seq: checkpoint.seq }, 'ledger checkpoint recorded');
    } catch (error) {
      app.log.error({ err: error }, 'ledger checkpoint failed');
    }
  };
  checkpointIfMoved();
  const checkpointTimer = setInterval(checkpointIfMoved, 60 * 60 * 1000);
  checkpointTimer.unref();

  // Abandoned counter baskets: their 15-minute holds are voided and the stock released.
  const sweepHolds = () => {
    try {
      const expired = sweepExpired({ db, keys: secrets });
      if (expired > 0) app.log.info({ expired }, 'expired abandoned counter baskets');
    } catch (error) {
      app.log.error({ err: error }, 'basket expiry sweep failed');
    }
  };
  const holdTimer = setInterval(sweepHolds, 60_000);
  holdTimer.unref();

  // A full verification of the ledger (every balance and the whole hash chain) right after
  // start-up and every night at 03:00 Shanghai time, in a child process so requests go on;
  // /transparency shows its time and verdict.
  let verification: BackgroundVerification | undefined;
  const verifyLedgerNow = () => {
    if (verification) return;
    const running = verifyInBackground(databasePath(config.dataDirectory), Date.now());
    verification = running;
    running.done.then((result) => {
      recordFullVerification(db.$client, result);
      if (result.ok) app.log.info({ transfers: result.transfers, durationMs: result.durationMs }, 'ledger fully verified: ok');
      else app.log.error({ firstBadSeq: result.firstBadSeq, problem: result.problem }, 'ledger full verification FAILED');
    }).catch((error: unknown) => {
      if (!closing) app.log.error({ err: error }, 'ledger full verification could not run');
    }).finally(() => {
      verification = undefined;
    });
  };
  let verifyTimer: NodeJS.Timeout | undefined;
  const scheduleNightlyVerify = () => {
    verifyTimer = setTimeout(() => {
      verifyLedgerNow();
      scheduleNightlyVerify();
    }, msUntilShanghaiHour(Date.now(), 3));
    verifyTimer.unref();
  };

  const pidFile = join(config.dataDirectory, 'server.pid');
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    clearInterval(checkpointTimer);
    clearInterval(holdTimer);
    clearTimeout(verifyTimer);
    verification?.stop();
    try {
      await app.close();
    } finally {
      db.$client.close();
      removeOwnPidFile(pidFile);
      lock.release();
      process.exit(0);
    }
  };
  stop = (signal) => void shutdown(signal);

  const address = await app.listen({ host: config.host, port: config.port });
  // server.pid names this server to operators once it listens; the lock, not this file, guards restore.
  writeFileSync(pidFile, `${process.pid}\n`);
  process.stdout.write(`\nSilver Hours (银龄时光) is running at ${address}\n`);
  if (isDemoSeeded(db)) process.stdout.write(`${formatDemoSignIns()}\n\n`);
  setImmediate(verifyLedgerNow);
  scheduleNightlyVerify();
}

/** Removes server.pid only when it names this process: another server on DATA_DIR may have written it since. */
function removeOwnPidFile(pidFile: string): void {
  try {
    if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) rmSync(pidFile, { force: true });
  } catch {
    // No pid file (or unreadable): nothing of ours to remove.
  }
}

main().catch((error: unknown) => {
  const message = error instanceof DataDirectoryBusy ? `${error.message}; wait for it to finish, then start again.`
    : describeStorageFailure(error, resolve(process.env.DATA_DIR ?? './data'))
    ?? (error instanceof Error ? error.message : String(error));
  process.stderr.write(`Silver Hours could not start: ${message}\n`);
  process.exit(1);
});

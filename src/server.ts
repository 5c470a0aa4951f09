import { loadCheckpointKeys } from './lib/checkpoint-key.ts';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { httpTransport } from './domain/messages/transports.ts';
import { databasePath, openDatabase } from './db/client.ts';
import { DatabaseDamaged, describeStorageFailure, quickCheckProblem } from './db/failures.ts';
import { DataDirectoryBusy, holdSharedLock } from './db/lock.ts';
import { startWalCheckpointer } from './db/wal-checkpointer.ts';
import { seedDemoNetwork } from './domain/demo/network.ts';
import { formatDemoSignIns, isDemoSeeded } from './domain/demo/seed.ts';
import { unlockKeys } from './domain/keys/keyring.ts';
import { signPastRevocations } from './domain/records/revocations.ts';
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
  const checkpointKeys = loadCheckpointKeys(config.dataDirectory);
  if (config.seedDemo) {
    if (!isDemoSeeded(db)) process.stdout.write('Seeding the demo network (first start)...\n');
    // The network key signs the demo certificate, so its /verify page holds.
    const seeded = await seedDemoNetwork(db, secrets, Date.now(), checkpointKeys);
    if (seeded.length > 0) process.stdout.write(`Seeded the demo network: ${seeded.join('; ')}.\n`);
  }
  // In the start-up that applies the revocations migration only: revocations made before get their signed row (docs/RECORDS.md "Revocation").
  const signedRevocations = signPastRevocations(db, checkpointKeys);
  if (signedRevocations > 0) process.stdout.write(`Signed ${signedRevocations} earlier certificate revocations.\n`);
  const app = await buildApp({
    db,
    secrets,
    checkpointKeys,
    secureCookies: config.secureCookies,
    trustProxy: config.trustProxy,
    groupCommit: config.groupCommit,
    logger: loggerOptions(config.logLevel),
    // Basket and hours expiry, ledger checkpoints and the nightly verification (src/jobs): started once listening.
    jobs: { databasePath: databasePath(config.dataDirectory) },
    ...(config.sms.transport === 'http' ? { smsTransport: httpTransport({ url: config.sms.url, key: config.sms.key }) } : {}),
  });

  // WAL checkpoints run on a worker thread, not inside a request's COMMIT (src/db/wal-checkpointer.ts).
  const checkpointer = startWalCheckpointer(db.$client, databasePath(config.dataDirectory), { onProblem: (problem) => app.log.warn(problem) });

  const pidFile = join(config.dataDirectory, 'server.pid');
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    try {
      await app.close();
    } finally {
      await checkpointer.stop();
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

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { databasePath, openDatabase } from './db/client.ts';
import { seedDemoNetwork } from './domain/demo/network.ts';
import { formatDemoSignIns, isDemoSeeded } from './domain/demo/seed.ts';
import { unlockKeys } from './domain/keys/keyring.ts';
import { ledgerFor } from './domain/ledger/accounts.ts';
import { sweepExpired } from './domain/redemption/counter.ts';
import { loggerOptions } from './plugins/logging.ts';

/** Reads the configuration, opens the database, seeds the demo on first start, listens, and shuts down cleanly. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = openDatabase(databasePath(config.dataDirectory));
  // Refuses (one sentence, exit 1) when the keys are missing or are not this database's.
  const secrets = unlockKeys(db, config.dataDirectory, { requestedProfile: config.cryptoProfile });
  if (config.seedDemo) {
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
      const head = ledger.head();
      const last = ledger.checkpoints(1)[0];
      if (head.seq > 0 && (!last || last.seq !== head.seq)) {
        const checkpoint = ledger.checkpoint();
        app.log.info({ seq: checkpoint.seq }, 'ledger checkpoint recorded');
      }
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

  // server.pid tells operator commands (restore) that a server is using DATA_DIR.
  const pidFile = join(config.dataDirectory, 'server.pid');
  writeFileSync(pidFile, `${process.pid}\n`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    clearInterval(checkpointTimer);
    clearInterval(holdTimer);
    try {
      await app.close();
    } finally {
      db.$client.close();
      rmSync(pidFile, { force: true });
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const address = await app.listen({ host: config.host, port: config.port });
  process.stdout.write(`\nSilver Hours (银龄时光) is running at ${address}\n`);
  if (isDemoSeeded(db)) process.stdout.write(`${formatDemoSignIns()}\n\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`Silver Hours could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

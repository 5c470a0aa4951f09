import { loadCheckpointKeys } from '../lib/checkpoint-key.ts';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { loadConfig } from '../config.ts';
import { databasePath, openDatabase } from '../db/client.ts';
import { seedBig } from '../domain/demo/big.ts';
import { seedDemoNetwork } from '../domain/demo/network.ts';
import { seedDemo } from '../domain/demo/seed.ts';
import { unlockKeys } from '../domain/keys/keyring.ts';
import { firstAggregation } from '../domain/reports/refresh.ts';
import { expireUnreviewed } from '../domain/hours/review.ts';
import { type Command, openExisting, useDataDirectory } from './support.ts';

/** Operator commands that write business data: expiring unreviewed hours and seeding the demo. */

export const dataCommands: Record<string, Command> = {
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
      const ran = await seedDemoNetwork(db, unlockKeys(db, config.dataDirectory, { requestedProfile: config.cryptoProfile }), Date.now(), loadCheckpointKeys(config.dataDirectory));
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
      const seconds = (fromMs: number) => ((Date.now() - fromMs) / 1000).toFixed(1);
      // CPU seconds beside the wall clock: on a shared machine the two differ by the time spent waiting for a core.
      const cpu = () => { const usage = process.resourceUsage(); return ((usage.userCPUTime + usage.systemCPUTime) / 1e6).toFixed(1); };
      const result = seedBig(db, { members, months, nowMs, keys: secrets, onProgress: (message) => console.log(`  ${message} (${seconds(started)} s, CPU ${cpu()} s)`) });
      const cpuBefore = Number(cpu());
      const aggregationStarted = Date.now();
      // The first aggregation folds the whole ledger in one large transaction: each report row is written about once.
      firstAggregation(db.$client, nowMs);
      console.log(`  first aggregation ${seconds(aggregationStarted)} s, CPU ${(Number(cpu()) - cpuBefore).toFixed(1)} s`);
      db.$client.close();
      console.log(`seeded ${result.members} members, ${result.elders} elders, ${result.villages} villages, ${result.sites} sites, `
        + `${result.serviceRecords} service records, ${result.redemptions} redemptions, ${result.transfers} transfers `
        + `over ${result.months.length} months in ${seconds(started)} s into ${path}`);
      console.log(`elapsed ${seconds(started)} s, CPU ${cpu()} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB, load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}`);
      return 0;
    },
  },
};

import type { Db } from '../../db/client.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';
import { seedHours } from './hours.ts';
import { seedPeople } from './people.ts';
import { seedRedemption } from './redemption.ts';
import { seedDemo } from './seed.ts';

/**
 * The whole demo network `npm start` seeds on first start, in dependency
 * order: regions and one user per role; members, elders and teams; the first
 * service standard with a few months of hours; partner sites, balances and
 * redemptions. Each part runs once (it keeps its own marker), so a second
 * start, or a start after a part was added in a newer version, never
 * duplicates anything. Returns the parts that ran.
 */
export async function seedDemoNetwork(db: Db, keys: PeopleKeys, nowMs: number = Date.now()): Promise<string[]> {
  const ran: string[] = [];
  // The seed is many small transactions of demo data: sync at WAL checkpoints
  // only (still crash-safe, never corrupt), then back to FULL for real use.
  const synchronous = db.$client.pragma('synchronous', { simple: true });
  db.$client.pragma('synchronous = NORMAL');
  try {
    if (await seedDemo(db, nowMs)) ran.push('regions and users');
    if (seedPeople(db, keys, nowMs)) ran.push('members, elders and teams');
    if (seedHours(db, keys, nowMs)) ran.push('service standard and hours');
    if (await seedRedemption(db, keys, nowMs)) ran.push('partner sites and redemptions');
  } finally {
    db.$client.pragma(`synchronous = ${Number(synchronous)}`);
  }
  return ran;
}

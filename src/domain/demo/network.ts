import type { CheckpointKeys } from '../../lib/checkpoint-key.ts';
import { seedRecords } from './records.ts';
import type { Db } from '../../db/client.ts';
import type { PeopleKeys } from '../../lib/crypto.ts';
import { seedFund } from './fund.ts';
import { seedPolicy } from './policy.ts';
import { seedHours } from './hours.ts';
import { seedPeople } from './people.ts';
import { seedRedemption } from './redemption.ts';
import { seedDemo } from './seed.ts';
import { seedStarHistory, seedStarNotices } from './stars.ts';

/**
 * The whole demo network `npm start` seeds on first start, in dependency
 * order: regions and one user per role; members, elders and teams; the first
 * service standard with a few months of hours (and, before them, the long
 * record of four volunteers); partner sites, balances and redemptions; star
 * notices and awards; a volunteer service certificate; the guarantee fund;
 * an upcoming policy version (care age 60 -> 65).
 * Each part runs once (it keeps its own marker), so a second
 * start, or a start after a part was added in a newer version, never
 * duplicates anything. Returns the parts that ran.
 *
 * All parts run in ONE write transaction, markers included: a first start
 * interrupted anywhere (Ctrl+C, a kill, a power cut) leaves no half-seeded
 * network, and the next start seeds it whole. The transaction is opened by
 * hand because some parts await password and PIN hashing: nothing else uses
 * this connection meanwhile (the server seeds before it builds the app or
 * listens), and the domain functions' own transactions nest as savepoints.
 * A second process waits for the lock (not 5 s: the seed takes longer), then
 * finds the markers and does nothing.
 */
export async function seedDemoNetwork(db: Db, keys: PeopleKeys, nowMs: number = Date.now(), checkpointKeys?: CheckpointKeys): Promise<string[]> {
  const sqlite = db.$client;
  const ran: string[] = [];
  const busyTimeout = sqlite.pragma('busy_timeout', { simple: true });
  sqlite.pragma('busy_timeout = 300000');
  try {
    sqlite.exec('BEGIN IMMEDIATE');
  } finally {
    sqlite.pragma(`busy_timeout = ${Number(busyTimeout)}`);
  }
  try {
    if (await seedDemo(db, nowMs)) ran.push('regions and users');
    if (seedPeople(db, keys, nowMs)) ran.push('members, elders and teams');
    if (seedStarHistory(db, keys, nowMs)) ran.push('volunteers with a long record');
    if (seedHours(db, keys, nowMs)) ran.push('service standard and hours');
    if (await seedRedemption(db, keys, nowMs)) ran.push('partner sites and redemptions');
    if (seedStarNotices(db, keys, nowMs)) ran.push('star notices and awards');
    if (seedRecords(db, keys, checkpointKeys, nowMs)) ran.push('a volunteer service certificate');
    if (seedFund(db, nowMs)) ran.push('guarantee fund');
    if (seedPolicy(db, keys, nowMs)) ran.push('an upcoming policy version');
    sqlite.exec('COMMIT');
  } catch (error) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw error;
  }
  return ran;
}

import { openDatabase } from '../../src/db/client.ts';
import { AccountFlags, Ledger, type AccountInput } from '../../src/ledger/index.ts';
import { instants } from '../helpers/clock.ts';

/** A ledger on a fresh in-memory database with a settable clock. */
export function makeLedger(startMs: number = instants.ledgerStart) {
  const db = openDatabase(':memory:');
  const clock = { nowMs: startMs };
  const ledger = new Ledger(db.$client, { now: () => clock.nowMs });
  return { db, sqlite: db.$client, ledger, clock };
}

export const wallet = (id: string): AccountInput => ({ id, kind: 'wallet', ownerRef: id, flags: AccountFlags.debitsMustNotExceedCredits });
export const issuance = (id: string): AccountInput => ({ id, kind: 'issuance', ownerRef: id });

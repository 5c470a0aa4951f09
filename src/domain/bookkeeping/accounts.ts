import type Database from 'better-sqlite3';
import { AccountFlags, Ledger, type AccountInput } from '../../ledger/index.ts';

/**
 * How the business names its ledger accounts. The ledger knows nothing of
 * members, counties or sites; this module is the one place that maps them.
 *
 * - wallet:m<member id>      a member's credits; never below zero
 * - issuance:<county code>   mints credits for service done in that county
 * - clearing:<county code>   inter-county position (通存通兑)
 * - pool:<county code>       the county public-welfare pool (公益池); never below zero
 * - site:<site id>           what a partner site has taken in; never below zero
 */
export const accountIds = {
  wallet: (memberId: number) => `wallet:m${memberId}`,
  issuance: (countyCode: string) => `issuance:${countyCode}`,
  clearing: (countyCode: string) => `clearing:${countyCode}`,
  pool: (countyCode: string) => `pool:${countyCode}`,
  site: (siteId: number) => `site:${siteId}`,
};

export const accountInputs = {
  wallet: (memberId: number): AccountInput => ({
    id: accountIds.wallet(memberId), kind: 'wallet', ownerRef: `member:${memberId}`, flags: AccountFlags.debitsMustNotExceedCredits,
  }),
  issuance: (countyCode: string): AccountInput => ({ id: accountIds.issuance(countyCode), kind: 'issuance', ownerRef: `county:${countyCode}` }),
  clearing: (countyCode: string): AccountInput => ({ id: accountIds.clearing(countyCode), kind: 'clearing', ownerRef: `county:${countyCode}` }),
  pool: (countyCode: string): AccountInput => ({
    id: accountIds.pool(countyCode), kind: 'pool', ownerRef: `county:${countyCode}`, flags: AccountFlags.debitsMustNotExceedCredits,
  }),
  site: (siteId: number): AccountInput => ({
    id: accountIds.site(siteId), kind: 'site', ownerRef: `site:${siteId}`, flags: AccountFlags.debitsMustNotExceedCredits,
  }),
};

/** The county accounts every county needs: issuance, clearing and pool. */
export function countyAccounts(countyCode: string): AccountInput[] {
  return [accountInputs.issuance(countyCode), accountInputs.clearing(countyCode), accountInputs.pool(countyCode)];
}

const ledgers = new WeakMap<Database.Database, { ledger: Ledger; clock: () => number }>();

/**
 * One Ledger (with its prepared statements) per database connection. Every
 * caller names its clock (the app's, a test's, or the machine's `Date.now`),
 * and the ledger stamps the transfers of that call with it: a caller that left
 * it out would stamp transfers with whichever clock the connection saw last.
 */
export function ledgerFor(sqlite: Database.Database, clock: () => number): Ledger {
  let entry = ledgers.get(sqlite);
  if (!entry) {
    const created: { ledger: Ledger | undefined; clock: () => number } = { ledger: undefined, clock };
    created.ledger = new Ledger(sqlite, { now: () => created.clock() });
    entry = created as { ledger: Ledger; clock: () => number };
    ledgers.set(sqlite, entry);
  }
  entry.clock = clock;
  return entry.ledger;
}

/**
 * Creates the accounts if they do not exist yet. Safe to call inside an
 * outer transaction (better-sqlite3 nests it as a savepoint). Throws when an
 * account exists with other contents: that is a programming error.
 */
export function ensureAccounts(ledger: Ledger, inputs: readonly AccountInput[]): void {
  if (inputs.length === 0) return;
  const results = ledger.createAccounts(inputs);
  results.forEach((result, i) => {
    if (result !== 'ok' && result !== 'exists') throw new Error(`ledger account ${inputs[i]?.id}: ${result}`);
  });
}

import { AccountFlags, LedgerCodes, type AccountInput } from '../../ledger/index.ts';

/**
 * The guarantee fund's ledger accounts, on ledger 2 (yuan in fen), never
 * mixed with minutes (the ledger refuses a transfer across ledgers):
 * - fund:network / fund:<county code>: what the fund holds; never below zero;
 * - fundsource:network / fundsource:<county code>: the world outside (the
 *   finance bureau, donors, the beneficiaries of payouts): contributions come
 *   from it and payouts go to it, so the ledger balances.
 */
export type FundScope = 'network' | string;

export const fundAccountIds = {
  fund: (scope: FundScope) => `fund:${scope}`,
  source: (scope: FundScope) => `fundsource:${scope}`,
};

export function fundAccountInputs(scope: FundScope): AccountInput[] {
  const owner = scope === 'network' ? 'network' : `county:${scope}`;
  return [
    { id: fundAccountIds.fund(scope), kind: 'fund', ownerRef: owner, flags: AccountFlags.debitsMustNotExceedCredits, ledger: LedgerCodes.fen },
    { id: fundAccountIds.source(scope), kind: 'fund_source', ownerRef: owner, ledger: LedgerCodes.fen },
  ];
}

/** Where contributions come from (the form's choices; zh-CN names in liability.json). */
export const fundSources = ['fiscal', 'charity', 'social', 'interest', 'other'] as const;
export type FundSource = (typeof fundSources)[number];

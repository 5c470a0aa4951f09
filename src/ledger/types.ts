/**
 * Types of the double-entry ledger, after TigerBeetle's accounts and transfers.
 * Amounts are integers in the unit of the account's ledger (its commodity,
 * as TigerBeetle's `ledger` field): ledger 1 counts minutes of standard time,
 * ledger 2 yuan in fen (the guarantee fund). A transfer moves one commodity
 * only: both accounts must be on the same ledger. The ledger knows nothing of
 * members or sites: the domain names accounts and chooses transfer codes.
 */

/** The commodities the ledger keeps apart. */
export const LedgerCodes = {
  /** Minutes of standard service time (every account from before issue 20). */
  minutes: 1,
  /** Chinese yuan in fen (1 yuan = 100 fen): the guarantee fund. */
  fen: 2,
} as const;

export const AccountFlags = {
  none: 0,
  linked: 1,
  debitsMustNotExceedCredits: 2,
  creditsMustNotExceedDebits: 4,
} as const;

export const TransferFlags = {
  none: 0,
  linked: 1,
  pending: 2,
  postPending: 4,
  voidPending: 8,
} as const;

/** Why a transfer happened. */
export const transferCodes = [
  'service_credit',
  'redemption',
  'gift',
  'donation',
  'voucher',
  'service_payment',
  'settlement',
  'clearing',
  'correction',
  'expiry',
  'cap_overflow',
  'opening',
  'fund_contribution',
  'fund_payout',
] as const;
export type TransferCode = (typeof transferCodes)[number];

export const accountKinds = ['wallet', 'issuance', 'clearing', 'pool', 'site', 'control', 'fund', 'fund_source'] as const;
export type AccountKind = (typeof accountKinds)[number];

export interface AccountInput {
  id: string;
  kind: AccountKind;
  ownerRef: string;
  flags?: number;
  /** The commodity (LedgerCodes); 1 (minutes) when omitted. */
  ledger?: number;
}

export interface Account {
  id: string;
  kind: AccountKind;
  ownerRef: string;
  flags: number;
  ledger: number;
  debitsPending: number;
  debitsPosted: number;
  creditsPending: number;
  creditsPosted: number;
  timestampMs: number;
}

export interface TransferInput {
  /** Client-chosen and unique: the idempotency key. */
  id: string;
  /** May be omitted on post_pending / void_pending: taken from the pending transfer. */
  debitAccountId?: string;
  creditAccountId?: string;
  /** Integer minutes, > 0. On post_pending it may be omitted (post the whole amount) or smaller (post part). */
  amount?: number;
  code: TransferCode;
  /** The commodity; when given it must be the accounts' ledger. Omitted: the transfer inherits its accounts' ledger. */
  ledger?: number;
  flags?: number;
  pendingId?: string;
  /** Pending transfers only: seconds until `expirePending` voids it; 0 means never. */
  timeoutSeconds?: number;
  refType?: string;
  refId?: string;
}

export interface Transfer {
  seq: number;
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: number;
  code: TransferCode;
  flags: number;
  pendingId: string | null;
  timeoutSeconds: number;
  refType: string | null;
  refId: string | null;
  timestampMs: number;
  /** The commodity of both accounts. */
  ledger: number;
  previousHash: string;
  hash: string;
}

export type CreateAccountResult =
  | 'ok'
  | 'exists'
  | 'exists_with_different_kind'
  | 'exists_with_different_owner_ref'
  | 'exists_with_different_flags'
  | 'exists_with_different_ledger'
  | 'id_invalid'
  | 'kind_invalid'
  | 'ledger_invalid'
  | 'owner_ref_must_not_be_empty'
  | 'flags_are_mutually_exclusive'
  | 'flags_invalid'
  | 'owner_already_has_account_of_kind'
  | 'linked_event_failed'
  | 'linked_event_chain_open';

export type CreateTransferResult =
  | 'ok'
  | 'exists'
  | 'exists_with_different_flags'
  | 'exists_with_different_debit_account_id'
  | 'exists_with_different_credit_account_id'
  | 'exists_with_different_amount'
  | 'exists_with_different_pending_id'
  | 'exists_with_different_timeout'
  | 'exists_with_different_code'
  | 'exists_with_different_ref'
  | 'exists_with_different_ledger'
  | 'id_invalid'
  | 'ledger_invalid'
  | 'accounts_must_have_the_same_ledger'
  | 'transfer_must_have_the_same_ledger_as_accounts'
  | 'flags_invalid'
  | 'flags_are_mutually_exclusive'
  | 'code_invalid'
  | 'ref_invalid'
  | 'amount_must_not_be_zero'
  | 'amount_invalid'
  | 'debit_account_id_must_not_be_empty'
  | 'credit_account_id_must_not_be_empty'
  | 'accounts_must_be_different'
  | 'pending_id_must_be_empty'
  | 'pending_id_must_not_be_empty'
  | 'pending_id_must_be_different'
  | 'timeout_reserved_for_pending_transfer'
  | 'timeout_invalid'
  | 'debit_account_not_found'
  | 'credit_account_not_found'
  | 'exceeds_credits'
  | 'exceeds_debits'
  | 'pending_transfer_not_found'
  | 'pending_transfer_not_pending'
  | 'pending_transfer_has_different_debit_account_id'
  | 'pending_transfer_has_different_credit_account_id'
  | 'pending_transfer_has_different_amount'
  | 'exceeds_pending_transfer_amount'
  | 'pending_transfer_already_posted'
  | 'pending_transfer_already_voided'
  | 'pending_transfer_expired'
  | 'id_already_failed'
  | 'linked_event_failed'
  | 'linked_event_chain_open';

export interface Balance {
  /** credits_posted - debits_posted: what the account holds once everything pending settles nothing. */
  posted: number;
  /** posted minus outgoing holds: what may be spent now. */
  available: number;
  /** Incoming amounts waiting for review. */
  pendingIn: number;
  /** Outgoing amounts on hold. */
  pendingOut: number;
}

export function balanceOf(account: Pick<Account, 'debitsPending' | 'debitsPosted' | 'creditsPending' | 'creditsPosted'>): Balance {
  const posted = account.creditsPosted - account.debitsPosted;
  return {
    posted,
    available: posted - account.debitsPending,
    pendingIn: account.creditsPending,
    pendingOut: account.debitsPending,
  };
}

export const GENESIS_HASH = '0'.repeat(64);

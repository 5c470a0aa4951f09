import {
  AccountFlags,
  TransferFlags,
  accountKinds,
  transferCodes,
  type AccountInput,
  type CreateAccountResult,
  type CreateTransferResult,
  type Transfer,
  type TransferCode,
  type TransferInput,
} from './types.ts';

/** The ledger's rules on its inputs alone, before any state is read. */

const idPattern = /^[A-Za-z0-9][A-Za-z0-9:._\-]{0,127}$/;
const refPattern = /^[^\u0000-\u001f]{1,128}$/;
const maxAmount = 1_000_000_000_000; // far above any real balance, far below 2^53
const maxTimeoutSeconds = 10 * 365 * 24 * 3600;
const knownCodes = new Set<string>(transferCodes);
const knownKinds = new Set<string>(accountKinds);
export const resolutionFlags = TransferFlags.postPending | TransferFlags.voidPending;
/** Failures that depend on the ledger's state: their ids are spent (see ledger_failed_transfers). */
export const stateDependentFailures = new Set<string>([
  'debit_account_not_found', 'credit_account_not_found', 'exceeds_credits', 'exceeds_debits', 'pending_transfer_not_found',
]);
const kindFlags = TransferFlags.pending | resolutionFlags;

/** A ledger (commodity) code: a positive 32-bit integer, as in TigerBeetle. */
export function isLedgerCode(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 0xffff_ffff;
}

/** An account input's own faults, or undefined. */
export function validateAccount(input: AccountInput): CreateAccountResult | undefined {
  const flags = input.flags ?? 0;
  if (typeof input.id !== 'string' || !idPattern.test(input.id)) return 'id_invalid';
  if (!Number.isInteger(flags) || flags < 0 || flags > 7) return 'flags_invalid';
  if ((flags & 6) === 6) return 'flags_are_mutually_exclusive';
  if (!knownKinds.has(input.kind)) return 'kind_invalid';
  if (input.ledger !== undefined && !isLedgerCode(input.ledger)) return 'ledger_invalid';
  if (typeof input.ownerRef !== 'string' || input.ownerRef.length === 0) return 'owner_ref_must_not_be_empty';
  return undefined;
}

/** How an account input compares with the account of the same id. */
export function compareAccount(existing: { kind: string; ownerRef: string; flags: number; ledger: number }, input: AccountInput): CreateAccountResult {
  if (existing.kind !== input.kind) return 'exists_with_different_kind';
  if (existing.ledger !== (input.ledger ?? 1)) return 'exists_with_different_ledger';
  if (existing.ownerRef !== input.ownerRef) return 'exists_with_different_owner_ref';
  if ((existing.flags & ~AccountFlags.linked) !== ((input.flags ?? 0) & ~AccountFlags.linked)) return 'exists_with_different_flags';
  return 'exists';
}

/** A transfer input's own faults, or undefined. */
export function validateTransfer(input: TransferInput): CreateTransferResult | undefined {
  const flags = input.flags ?? 0;
  if (typeof input.id !== 'string' || !idPattern.test(input.id)) return 'id_invalid';
  if (!Number.isInteger(flags) || flags < 0 || flags > 15) return 'flags_invalid';
  const kind = flags & kindFlags;
  if (kind !== 0 && kind !== TransferFlags.pending && kind !== TransferFlags.postPending && kind !== TransferFlags.voidPending) {
    return 'flags_are_mutually_exclusive';
  }
  if (!knownCodes.has(input.code)) return 'code_invalid';
  if (input.ledger !== undefined && !isLedgerCode(input.ledger)) return 'ledger_invalid';
  if ((input.refType !== undefined && !refPattern.test(input.refType))
    || (input.refId !== undefined && !refPattern.test(input.refId))) {
    return 'ref_invalid';
  }
  const isResolution = (kind & resolutionFlags) !== 0;
  if (input.amount !== undefined) {
    if (input.amount === 0) return 'amount_must_not_be_zero';
    if (!Number.isInteger(input.amount) || input.amount < 0 || input.amount > maxAmount) return 'amount_invalid';
  } else if (!isResolution) {
    return 'amount_must_not_be_zero';
  }
  if (isResolution) {
    if (input.pendingId === undefined || input.pendingId === '') return 'pending_id_must_not_be_empty';
    if (input.pendingId === input.id) return 'pending_id_must_be_different';
    if (input.timeoutSeconds) return 'timeout_reserved_for_pending_transfer';
    return undefined;
  }
  if (input.pendingId !== undefined) return 'pending_id_must_be_empty';
  if (!input.debitAccountId) return 'debit_account_id_must_not_be_empty';
  if (!input.creditAccountId) return 'credit_account_id_must_not_be_empty';
  if (input.debitAccountId === input.creditAccountId) return 'accounts_must_be_different';
  if (input.timeoutSeconds !== undefined && input.timeoutSeconds !== 0) {
    if (kind !== TransferFlags.pending) return 'timeout_reserved_for_pending_transfer';
    if (!Number.isInteger(input.timeoutSeconds) || input.timeoutSeconds < 0 || input.timeoutSeconds > maxTimeoutSeconds) {
      return 'timeout_invalid';
    }
  }
  return undefined;
}

/** How a transfer input compares with the transfer of the same id (replays answer `exists`). */
export function compareExisting(existing: Transfer, input: TransferInput, flags: number): CreateTransferResult {
  if (existing.flags !== flags) return 'exists_with_different_flags';
  const isResolution = (flags & resolutionFlags) !== 0;
  if ((!isResolution || input.debitAccountId !== undefined) && existing.debitAccountId !== input.debitAccountId) {
    return 'exists_with_different_debit_account_id';
  }
  if ((!isResolution || input.creditAccountId !== undefined) && existing.creditAccountId !== input.creditAccountId) {
    return 'exists_with_different_credit_account_id';
  }
  if (input.amount !== undefined && existing.amount !== input.amount) return 'exists_with_different_amount';
  if ((existing.pendingId ?? undefined) !== input.pendingId) return 'exists_with_different_pending_id';
  if (existing.timeoutSeconds !== (input.timeoutSeconds ?? 0)) return 'exists_with_different_timeout';
  if (existing.code !== input.code) return 'exists_with_different_code';
  if (input.ledger !== undefined && existing.ledger !== input.ledger) return 'exists_with_different_ledger';
  if ((existing.refType ?? undefined) !== input.refType || (existing.refId ?? undefined) !== input.refId) {
    return 'exists_with_different_ref';
  }
  return 'exists';
}

/** The transfer that voids a hold whose time-out has passed (id `expire:<pending id>`, so the history says why it ended). */
export function expiryOf(pendingId: string): TransferInput {
  return { id: `expire:${pendingId}`.slice(0, 128), pendingId, code: 'expiry' as TransferCode, flags: TransferFlags.voidPending };
}

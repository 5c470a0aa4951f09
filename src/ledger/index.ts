export { Ledger, type HistoryEntry, type LedgerOptions } from './ledger.ts';
export { verifyLedger, type VerifyReport } from './verify.ts';
export { exportHledger } from './hledger.ts';
export { transferHash } from './hash.ts';
export * from './types.ts';

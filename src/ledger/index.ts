export { Ledger, type LedgerOptions } from './ledger.ts';
export type { HistoryEntry } from './history.ts';
export { verifyLedger, type VerifyReport } from './verify.ts';
export { wholeChainBatches } from './chains.ts';
export { exportHledger } from './hledger.ts';
export { transferHash } from './hash.ts';
export * from './types.ts';

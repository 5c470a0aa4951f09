/**
 * The counter of a partner site (通存通兑).
 *
 * Ledger form of a redemption. Same county (the payer's home county is the
 * site's county): one transfer payer -> site:S. Across counties (member M of
 * county A at site S in county B): a linked chain of two transfers
 *
 *     leg 1  payer (wallet:M or voucher:e…) -> clearing:A
 *     leg 2  clearing:B                     -> site:S
 *
 * so (1) the payer is debited once, (2) the site is credited once, (3) A's
 * clearing account is credited with what A's members spent elsewhere and B's
 * is debited with what B's sites took in for others: a clearing balance
 * (credits - debits) > 0 is what that county owes the network, < 0 what it is
 * owed, and the balances of all clearing accounts sum to zero at every moment,
 * straight from the ledger; (4) the legs are linked, all or nothing; (5) each
 * leg is a pending transfer (the hold, 15-minute timeout) and confirm / cancel
 * post / void every leg's pending id in one linked call. A third leg
 * clearing:A -> clearing:B was considered and dropped: it would zero both
 * clearing balances and hide the positions in transfer history. Settlement
 * between two counties is one transfer clearing:A -> clearing:B (code
 * 'settlement'), which brings both positions back toward zero.
 *
 * Ledger ids (idempotency keys) derive from the basket id: rdm:<id>:hold:<n>,
 * rdm:<id>:post:<n>, rdm:<id>:void:<n>, rdm:<id>:correct:<n>; expiry uses the
 * ledger's own expire:<pending id>. The basket itself is found again by the
 * form's idempotency key, so a double tap never places two baskets.
 */
export { holdSeconds, voidWindowMs, canWorkCounter, type CounterMember, voucherElderOf, type BasketLine, type PlaceBasket, type Redemption, findRedemption, asSeenAt, redemptionAsSeen, workableSites, redemptionLegs, basketKeyScope, sweepExpired } from './counter-core.ts';
export { counterMember, identifyMember, type CounterElder, counterElder, identifyElder } from './counter-identify.ts';
export { placeBasket } from './counter-basket.ts';
export { type Receipt, type Attestation, receiptOf, linesOf, confirmBasket, type AttestInput, confirmAttested, cancelBasket, voidRedemption, recentAtSite } from './counter-confirm.ts';

import t from 'tap';
import fc from 'fast-check';
import { AccountFlags, TransferFlags as F, balanceOf, verifyLedger, type TransferInput } from '../../src/ledger/index.ts';
import { makeLedger } from './helpers.ts';

/**
 * Model-based property test: random sequences of account creation,
 * transfers, pending/post/void, linked chains, replays and expiries, applied
 * both to the ledger and to a small in-memory model written independently.
 * After every step the balances match the model, total debits equal total
 * credits, no wallet is negative, and replaying an earlier call changes nothing.
 */

interface ModelAccount { wallet: boolean; dp: number; dpo: number; cp: number; cpo: number }
interface ModelTransfer { input: TransferInput; amount: number; debit: string; credit: string; state: 'posted' | 'open' | 'resolved' | 'expired'; expiresAtMs: number | null }

class Model {
  accounts = new Map<string, ModelAccount>();
  transfers = new Map<string, ModelTransfer>();
  failed = new Set<string>();
  nowMs = 0;

  /** Failures that depend on state spend the id, as in the ledger. */
  applyAndRemember(input: TransferInput): string {
    if (this.failed.has(input.id)) return 'id_already_failed';
    const result = this.apply(input);
    if (['debit_account_not_found', 'credit_account_not_found', 'exceeds_credits', 'pending_transfer_not_found'].includes(result)) this.failed.add(input.id);
    return result;
  }

  apply(input: TransferInput): string {
    const flags = input.flags ?? 0;
    const existing = this.transfers.get(input.id);
    if (existing) return JSON.stringify(existing.input) === JSON.stringify(input) ? 'exists' : 'exists_with_different';
    if (flags & (F.postPending | F.voidPending)) {
      const pending = this.transfers.get(input.pendingId!);
      if (!pending) return 'pending_transfer_not_found';
      if (!(pending.input.flags! & F.pending)) return 'pending_transfer_not_pending';
      if (pending.state === 'resolved') return 'pending_transfer_already_resolved';
      if (pending.state === 'expired') return 'pending_transfer_expired';
      if (pending.expiresAtMs !== null && this.nowMs >= pending.expiresAtMs) return 'pending_transfer_expired';
      const amount = input.amount ?? pending.amount;
      if (flags & F.postPending && amount > pending.amount) return 'exceeds_pending_transfer_amount';
      const debit = this.accounts.get(pending.debit)!;
      const credit = this.accounts.get(pending.credit)!;
      debit.dp -= pending.amount;
      credit.cp -= pending.amount;
      if (flags & F.postPending) { debit.dpo += amount; credit.cpo += amount; }
      pending.state = 'resolved';
      this.transfers.set(input.id, { input, amount, debit: pending.debit, credit: pending.credit, state: 'posted', expiresAtMs: null });
      return 'ok';
    }
    const debit = this.accounts.get(input.debitAccountId!);
    const credit = this.accounts.get(input.creditAccountId!);
    if (!debit) return 'debit_account_not_found';
    if (!credit) return 'credit_account_not_found';
    const amount = input.amount!;
    if (debit.wallet && debit.dp + debit.dpo + amount > debit.cpo) {
      // A hold whose time-out has passed holds nothing: the ledger voids it and looks again.
      this.expire((transfer) => transfer.debit === input.debitAccountId);
      if (debit.dp + debit.dpo + amount > debit.cpo) return 'exceeds_credits';
    }
    if (flags & F.pending) { debit.dp += amount; credit.cp += amount; } else { debit.dpo += amount; credit.cpo += amount; }
    const timeout = input.timeoutSeconds ?? 0;
    this.transfers.set(input.id, {
      input, amount, debit: input.debitAccountId!, credit: input.creditAccountId!,
      state: flags & F.pending ? 'open' : 'posted', expiresAtMs: timeout > 0 ? this.nowMs + timeout * 1000 : null,
    });
    return 'ok';
  }

  expire(which: (transfer: ModelTransfer) => boolean = () => true): void {
    for (const transfer of this.transfers.values()) {
      if (transfer.state === 'open' && transfer.expiresAtMs !== null && transfer.expiresAtMs <= this.nowMs && which(transfer)) {
        this.accounts.get(transfer.debit)!.dp -= transfer.amount;
        this.accounts.get(transfer.credit)!.cp -= transfer.amount;
        transfer.state = 'expired';
      }
    }
  }
}

type Op =
  | { kind: 'account'; wallet: boolean }
  | { kind: 'transfer'; debit: number; credit: number; amount: number; pending: boolean; timeout: boolean }
  | { kind: 'resolve'; pending: number; post: boolean; partial: number | null }
  | { kind: 'chain'; legs: { debit: number; credit: number; amount: number }[] }
  | { kind: 'replay'; which: number }
  | { kind: 'tick'; seconds: number }
  | { kind: 'expire' };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('account' as const), wallet: fc.boolean() }),
  fc.record({ kind: fc.constant('transfer' as const), debit: fc.nat(9), credit: fc.nat(9), amount: fc.integer({ min: 1, max: 120 }), pending: fc.boolean(), timeout: fc.boolean() }),
  fc.record({ kind: fc.constant('resolve' as const), pending: fc.nat(40), post: fc.boolean(), partial: fc.option(fc.integer({ min: 1, max: 150 })) }),
  fc.record({ kind: fc.constant('chain' as const), legs: fc.array(fc.record({ debit: fc.nat(9), credit: fc.nat(9), amount: fc.integer({ min: 1, max: 90 }) }), { minLength: 2, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('replay' as const), which: fc.nat(60) }),
  fc.record({ kind: fc.constant('tick' as const), seconds: fc.integer({ min: 1, max: 90 }) }),
  fc.record({ kind: fc.constant('expire' as const) }),
);

function snapshot(sqlite: ReturnType<typeof makeLedger>['sqlite']): string {
  return JSON.stringify(sqlite.prepare('SELECT * FROM ledger_accounts ORDER BY id').all())
    + sqlite.prepare('SELECT count(*) FROM ledger_transfers').pluck().get();
}

t.test('the ledger matches an independent model under random operations', async (t) => {
  let runs = 0;
  fc.assert(fc.property(fc.array(opArbitrary, { minLength: 5, maxLength: 60 }), (ops) => {
    runs += 1;
    const { ledger, sqlite, clock } = makeLedger(1_700_000_000_000);
    const model = new Model();
    model.nowMs = clock.nowMs;
    const ids: string[] = [];
    const calls: TransferInput[][] = [];
    let counter = 0;
    // Two issuance accounts so credits can enter the system.
    for (const id of ['iss0', 'iss1']) {
      ledger.createAccounts([{ id, kind: 'issuance', ownerRef: id }]);
      model.accounts.set(id, { wallet: false, dp: 0, dpo: 0, cp: 0, cpo: 0 });
      ids.push(id);
    }
    const pendingIds: string[] = [];
    for (const op of ops) {
      if (op.kind === 'account') {
        const id = `acc${ids.length}`;
        const result = ledger.createAccounts([{ id, kind: op.wallet ? 'wallet' : 'pool', ownerRef: id, flags: op.wallet ? AccountFlags.debitsMustNotExceedCredits : 0 }]);
        if (result[0] !== 'ok') throw new Error(`account ${result[0]}`);
        model.accounts.set(id, { wallet: op.wallet, dp: 0, dpo: 0, cp: 0, cpo: 0 });
        ids.push(id);
      } else if (op.kind === 'transfer' || op.kind === 'chain' || op.kind === 'resolve') {
        let inputs: TransferInput[];
        if (op.kind === 'transfer') {
          const input: TransferInput = { id: `t${counter++}`, debitAccountId: ids[op.debit % ids.length]!, creditAccountId: ids[op.credit % ids.length]!,
            amount: op.amount, code: 'service_credit', flags: op.pending ? F.pending : 0, ...(op.pending && op.timeout ? { timeoutSeconds: 60 } : {}) };
          if (input.debitAccountId === input.creditAccountId) continue;
          if (op.pending) pendingIds.push(input.id);
          inputs = [input];
        } else if (op.kind === 'resolve') {
          if (pendingIds.length === 0) continue;
          const pendingId = pendingIds[op.pending % pendingIds.length]!;
          inputs = [{ id: `t${counter++}`, pendingId, code: 'redemption', flags: op.post ? F.postPending : F.voidPending,
            ...(op.post && op.partial !== null ? { amount: op.partial } : {}) }];
        } else {
          inputs = op.legs.map((leg, i) => ({ id: `t${counter++}`, debitAccountId: ids[leg.debit % ids.length]!, creditAccountId: ids[leg.credit % ids.length]!,
            amount: leg.amount, code: 'gift' as const, flags: i < op.legs.length - 1 ? F.linked : 0 }));
          if (inputs.some((input) => input.debitAccountId === input.creditAccountId)) continue;
        }
        const actual = ledger.createTransfers(inputs);
        // The model applies a chain on a copy and keeps it only if every leg is ok.
        const saved = structuredClone({ accounts: model.accounts, transfers: model.transfers });
        const expected = inputs.map((input) => model.applyAndRemember(input));
        const chainFailed = inputs.length > 1 && expected.some((r) => r !== 'ok');
        if (chainFailed) { model.accounts = saved.accounts; model.transfers = saved.transfers; }
        for (let i = 0; i < inputs.length; i += 1) {
          const want = expected[i]!;
          const got = actual[i]!;
          const okMatches = (want === 'ok' && !chainFailed) === (got === 'ok');
          if (!okMatches) throw new Error(`step ${JSON.stringify(inputs[i])}: model ${want} ledger ${got}`);
          if (!chainFailed && want !== 'ok' && !(got === want || (want === 'pending_transfer_already_resolved' && got.startsWith('pending_transfer_already')))) {
            throw new Error(`result mismatch: model ${want} ledger ${got}`);
          }
        }
        calls.push(inputs);
      } else if (op.kind === 'replay') {
        if (calls.length === 0) continue;
        const before = snapshot(sqlite);
        const results = ledger.createTransfers(calls[op.which % calls.length]!);
        if (snapshot(sqlite) !== before) throw new Error('a replay changed the ledger');
        if (results.includes('ok')) throw new Error('a replay was applied twice');
      } else if (op.kind === 'tick') {
        clock.nowMs += op.seconds * 1000;
        model.nowMs = clock.nowMs;
      } else {
        ledger.expirePending(clock.nowMs);
        model.expire();
      }
      // Invariants after every step.
      let debits = 0; let credits = 0;
      for (const account of ledger.lookupAccounts(ids)) {
        const m = model.accounts.get(account.id)!;
        if (account.debitsPending !== m.dp || account.debitsPosted !== m.dpo || account.creditsPending !== m.cp || account.creditsPosted !== m.cpo) {
          throw new Error(`account ${account.id} differs from the model`);
        }
        if (m.wallet && balanceOf(account).available < 0) throw new Error(`wallet ${account.id} below zero`);
        debits += account.debitsPending + account.debitsPosted;
        credits += account.creditsPending + account.creditsPosted;
      }
      if (debits !== credits) throw new Error('total debits differ from total credits');
    }
    const report = verifyLedger(sqlite);
    if (!report.ok) throw new Error(`verify failed: ${report.problem} at ${report.firstBadSeq}`);
  }), { numRuns: 300 });
  t.equal(runs, 300, 'every generated sequence held the invariants');
});

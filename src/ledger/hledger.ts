import type Database from 'better-sqlite3';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { canonicalTransfer } from './hash.ts';
import { TransferFlags, type Transfer } from './types.ts';

/**
 * Writes the ledger as an hledger journal, in sequence order, so an
 * independent tool can check our arithmetic.
 *
 * Amounts are integers in the commodity of the transfer's ledger: MIN
 * (ledger 1, minutes of standard time) or FEN (ledger 2, the guarantee
 * fund's yuan in fen); hledger never adds one to the other. Each ledger account X
 * becomes two hledger accounts, `X:posted` and `X:pending`; a debit is a
 * positive posting. A pending transfer moves the amount between the two
 * `:pending` accounts; a post reverses the hold and moves the posted amount
 * between the `:posted` accounts; a void only reverses the hold. Every
 * posting carries a balance assertion (`= N MIN`) with the account's running
 * balance, so `hledger check` re-verifies every step. The balance of
 * `X:posted` is debits_posted - credits_posted and of `X:pending`
 * debits_pending - credits_pending.
 *
 * Each transaction carries tags (issue 17): `seq` and `hash` (the chain link
 * a published checkpoint names) and `transfer`, the base64url of the exact
 * JSON the hash covers (hash.ts), so `ledger verify --export FILE`
 * (src/domain/bookkeeping/verify-export.ts) recomputes every link from the file alone.
 */
export async function exportHledger(sqlite: Database.Database, out: Writable): Promise<{ transfers: number }> {
  const running = new Map<string, number>();
  const pendingAmounts = new Map<string, number>();
  let count = 0;
  let buffer = '';
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const chunk = buffer;
    buffer = '';
    if (!out.write(chunk)) await once(out, 'drain');
  };
  let unit = 'MIN';
  const posting = (account: string, amount: number): string => {
    const next = (running.get(account) ?? 0) + amount;
    running.set(account, next);
    return `    ${account}  ${amount} ${unit} = ${next} ${unit}\n`;
  };

  buffer += '; Silver Hours ledger export. Commodity MIN = one minute of standard service time.\n';
  buffer += '; Commodity FEN = one fen (0.01 yuan) of the guarantee fund.\n';
  buffer += 'commodity 1000. MIN\ncommodity 1000. FEN\n\n';
  // Read one snapshot; the rows are streamed to keep memory flat.
  const rows = sqlite.prepare(`SELECT seq, id, debit_account_id, credit_account_id, amount, code, flags, pending_id, timestamp_ms,
      timeout_seconds, ref_type, ref_id, previous_hash, hash, ledger
    FROM ledger_transfers ORDER BY seq`).raw().iterate() as IterableIterator<[number, string, string, string, number, string, number, string | null, number, number, string | null, string | null, string, string, number]>;
  for (const [seq, id, debit, credit, amount, code, flags, pendingId, timestampMs, timeoutSeconds, refType, refId, previousHash, hash, ledger] of rows) {
    count += 1;
    unit = commodityOf(ledger);
    const date = shanghaiDate(timestampMs);
    const hashed = canonicalTransfer({ seq, id, debitAccountId: debit, creditAccountId: credit, amount, code: code as Transfer['code'], flags, pendingId, timeoutSeconds, refType, refId, timestampMs, ledger, previousHash });
    buffer += `${date} (${seq}) ${code} ${id}\n    ; seq:${seq}, hash:${hash}, transfer:${Buffer.from(hashed, 'utf8').toString('base64url')}\n`;
    if (flags & TransferFlags.pending) {
      pendingAmounts.set(id, amount);
      buffer += posting(`${debit}:pending`, amount) + posting(`${credit}:pending`, -amount);
    } else if (flags & (TransferFlags.postPending | TransferFlags.voidPending)) {
      const held = pendingAmounts.get(pendingId ?? '') ?? 0;
      pendingAmounts.delete(pendingId ?? '');
      buffer += posting(`${debit}:pending`, -held) + posting(`${credit}:pending`, held);
      if (flags & TransferFlags.postPending) buffer += posting(`${debit}:posted`, amount) + posting(`${credit}:posted`, -amount);
    } else {
      buffer += posting(`${debit}:posted`, amount) + posting(`${credit}:posted`, -amount);
    }
    buffer += '\n';
    if (buffer.length > 1 << 16) await flush();
  }
  await flush();
  return { transfers: count };
}

/** The hledger commodity of a ledger code. */
function commodityOf(ledger: number): string {
  if (ledger === 1) return 'MIN';
  if (ledger === 2) return 'FEN';
  return `L${ledger}`;
}

const shanghaiFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

function shanghaiDate(timestampMs: number): string {
  return shanghaiFormat.format(new Date(timestampMs));
}

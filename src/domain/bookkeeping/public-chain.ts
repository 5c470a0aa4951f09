import type Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { GENESIS_HASH } from '../../ledger/index.ts';
import { present } from '../../lib/assert.ts';
import { writeTransaction } from '../kernel/transaction.ts';

/**
 * The public hash chain (issue 17). The ledger's own hash covers private
 * fields (account ids name members: wallet:m<id>), so the public cannot
 * recompute it. Beside it, without touching it, each transfer gets a public
 * link:
 *
 *   public_hash = H(["silver-hours/public/1", previous public_hash, H(public part), H(private part)])
 *
 * - public part: [seq, time, code, amount, flags, timeout, pending seq, debit side, credit side],
 *   a side being "kind@county" (wallet@431223), never an id;
 * - private part: [salt, id, debit account, credit account, pending id, ref type, ref id]; the
 *   random salt (never published) makes H(private part) unguessable from predictable ids.
 *
 * The file /transparency/chain carries the public part and H(private part)
 * (recomputed from the stored transfer at download time), so anyone can
 * recompute every link; an office holding the database checks H(private part)
 * too (`ledger verify`). H is SHA-256 over the JSON text (UTF-8).
 * Links are appended after the fact, when a checkpoint is published (in the
 * same transaction that signs it), from the first transfer on: nothing of
 * the internal chain is re-chained.
 */

export const publicChainFormat = 'silver-hours-public-chain/1';
const domainLabel = 'silver-hours/public/1';

export interface PublicEntry {
  seq: number;
  timestampMs: number;
  code: string;
  amount: number;
  flags: number;
  timeoutSeconds: number;
  pendingSeq: number | null;
  debit: string;
  credit: string;
  privateDigest: string;
  publicHash: string;
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function publicDigest(entry: Omit<PublicEntry, 'privateDigest' | 'publicHash'>): string {
  return sha256Text(JSON.stringify([entry.seq, entry.timestampMs, entry.code, entry.amount, entry.flags, entry.timeoutSeconds, entry.pendingSeq, entry.debit, entry.credit]));
}

export function publicLink(previousHash: string, publicPart: string, privatePart: string): string {
  return sha256Text(JSON.stringify([domainLabel, previousHash, publicPart, privatePart]));
}

interface TransferRow {
  seq: number; id: string; debitAccountId: string; creditAccountId: string; amount: number; code: string; flags: number;
  pendingId: string | null; pendingSeq: number | null; timeoutSeconds: number; refType: string | null; refId: string | null; timestampMs: number;
}

function privateDigest(row: TransferRow, salt: string): string {
  return sha256Text(JSON.stringify([salt, row.id, row.debitAccountId, row.creditAccountId, row.pendingId, row.refType, row.refId]));
}

const transferColumns = `t.seq, t.id, t.debit_account_id AS debitAccountId, t.credit_account_id AS creditAccountId, t.amount, t.code, t.flags,
  t.pending_id AS pendingId, (SELECT p.seq FROM ledger_transfers p WHERE p.id = t.pending_id) AS pendingSeq,
  t.timeout_seconds AS timeoutSeconds, t.ref_type AS refType, t.ref_id AS refId, t.timestamp_ms AS timestampMs`;

/** The county (6-digit code) of a region code at county level or below. */
const countyOf = (code: string | null | undefined) => (code ? code.slice(0, 6) : '');

/** How the public sees one side of a transfer: its kind and county, never who. */
function sideResolver(sqlite: Database.Database): (accountId: string) => string {
  const village = (sql: string) => {
    try {
      return sqlite.prepare(sql).pluck();
    } catch {
      return undefined; // a database without that table (the ledger's own tests)
    }
  };
  const member = village('SELECT village_code FROM members WHERE id = ?');
  const elder = village('SELECT village_code FROM elders WHERE id = ?');
  const site = village('SELECT village_code FROM partner_sites WHERE id = ?');
  const known = new Map<string, string>();
  return (accountId) => {
    let side = known.get(accountId);
    if (side === undefined) {
      side = sideOf(accountId);
      known.set(accountId, side);
    }
    return side;
  };
  function sideOf(accountId: string): string {
    const colon = accountId.indexOf(':');
    const prefix = accountId.slice(0, colon);
    const rest = accountId.slice(colon + 1);
    if (prefix === 'wallet' && rest.startsWith('m')) return `wallet@${countyOf(member?.get(Number(rest.slice(1))) as string | undefined)}`;
    if (prefix === 'voucher' && rest.startsWith('e')) return `voucher@${countyOf(elder?.get(Number(rest.slice(1))) as string | undefined)}`;
    if (prefix === 'site') return `site@${countyOf(site?.get(Number(rest)) as string | undefined)}`;
    if (['issuance', 'clearing', 'pool', 'escrow'].includes(prefix) && /^\d{6}$/.test(rest)) return `${prefix}@${rest}`;
    return prefix || 'other';
  }
}

/** The last public link, or the genesis hash. */
export function publicHead(sqlite: Database.Database): { seq: number; publicHash: string } {
  const row = sqlite.prepare('SELECT seq, public_hash AS publicHash FROM ledger_public_chain ORDER BY seq DESC LIMIT 1').get() as { seq: number; publicHash: string } | undefined;
  return row ?? { seq: 0, publicHash: GENESIS_HASH };
}

/**
 * Appends public links for every transfer after the last linked one, up to
 * `toSeq`. Call inside a write transaction (publishCheckpoint does). Answers
 * the new public head.
 */
export function extendPublicChain(sqlite: Database.Database, toSeq: number, maxLinks = Number.POSITIVE_INFINITY): { seq: number; publicHash: string } {
  let head = publicHead(sqlite);
  const side = sideResolver(sqlite);
  const page = sqlite.prepare(`SELECT ${transferColumns} FROM ledger_transfers t WHERE t.seq > ? AND t.seq <= ? ORDER BY t.seq LIMIT 2000`);
  const insert = sqlite.prepare('INSERT INTO ledger_public_chain (seq, debit_side, credit_side, salt, public_hash) VALUES (?, ?, ?, ?, ?)');
  for (;;) {
    if (maxLinks <= 0) return head;
    const rows = page.all(head.seq, Math.min(toSeq, head.seq + maxLinks)) as TransferRow[];
    if (rows.length === 0) return head;
    maxLinks -= rows.length;
    for (const row of rows) {
      if (row.seq !== head.seq + 1) throw new Error(`public chain: sequence gap after ${head.seq}`);
      const salt = randomBytes(16).toString('hex');
      const debit = side(row.debitAccountId);
      const credit = side(row.creditAccountId);
      const link = publicLink(head.publicHash, publicDigest({ ...row, debit, credit }), privateDigest(row, salt));
      insert.run(row.seq, debit, credit, salt, link);
      head = { seq: row.seq, publicHash: link };
    }
  }
}

/**
 * Brings the public chain up to `toSeq` in slices of `batch` links, each its
 * own write transaction, so a first publication over a long ledger (150,000
 * transfers take about 25 s) never holds the write lock for long.
 */
export function catchUpPublicChain(sqlite: Database.Database, toSeq: number, batch = 5000): void {
  let before = -1;
  for (let head = publicHead(sqlite).seq; head < toSeq && head > before;) {
    before = head;
    head = writeTransaction(sqlite, () => extendPublicChain(sqlite, toSeq, batch)).seq;
  }
}

/**
 * The public entries from `afterSeq`, a page at a time (`limit` rows), as
 * they stand in the database now: H(private part) is recomputed from the
 * stored transfer, so an edited private field shows as a broken link.
 */
export function publicEntries(sqlite: Database.Database, afterSeq: number, toSeq: number, limit: number): PublicEntry[] {
  const rows = sqlite.prepare(`SELECT ${transferColumns}, c.debit_side AS debit, c.credit_side AS credit, c.salt, c.public_hash AS publicHash
      FROM ledger_public_chain c JOIN ledger_transfers t ON t.seq = c.seq WHERE c.seq > ? AND c.seq <= ? ORDER BY c.seq LIMIT ?`)
    .all(afterSeq, toSeq, limit) as (TransferRow & { debit: string; credit: string; salt: string; publicHash: string })[];
  return rows.map((row) => ({
    seq: row.seq, timestampMs: row.timestampMs, code: row.code, amount: row.amount, flags: row.flags, timeoutSeconds: row.timeoutSeconds,
    pendingSeq: row.pendingSeq, debit: row.debit, credit: row.credit, privateDigest: privateDigest(row, row.salt), publicHash: row.publicHash,
  }));
}

/**
 * The chain file, line by line (NDJSON): a header, then every public entry up
 * to `head`, read in pages. The caller reads the head while it handles the
 * request (`publicHead`), so the answer waits for any write batch that head
 * could have seen (group commit); the entries up to it are never rewritten.
 */
export async function* publicChainLines(sqlite: Database.Database, head: ReturnType<typeof publicHead>, pageSize = 2000): AsyncGenerator<string> {
  yield JSON.stringify({ format: publicChainFormat, hash: 'sha256', genesis: GENESIS_HASH, headSeq: head.seq, headHash: head.publicHash }) + '\n';
  let after = 0;
  while (after < head.seq) {
    const entries = publicEntries(sqlite, after, head.seq, pageSize);
    if (entries.length === 0) break;
    yield entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n';
    after = present(entries.at(-1), 'a page that is not empty has a last entry').seq;
    // Let other requests use the connection between pages.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Walks the public chain as the database holds it (for `ledger verify`): no
 * gaps, every link recomputes from the stored transfer, its sides and salt.
 * Answers the first fault, or undefined.
 */
export function checkPublicChain(sqlite: Database.Database): { seq: number; problem: string } | undefined {
  const head = publicHead(sqlite);
  let previous = { seq: 0, publicHash: GENESIS_HASH };
  while (previous.seq < head.seq) {
    const entries = publicEntries(sqlite, previous.seq, head.seq, 2000);
    if (entries.length === 0) return { seq: previous.seq + 1, problem: 'public chain: a transfer it links is missing' };
    for (const entry of entries) {
      if (entry.seq !== previous.seq + 1) return { seq: previous.seq + 1, problem: 'public chain: sequence gap' };
      if (publicLink(previous.publicHash, publicDigest(entry), entry.privateDigest) !== entry.publicHash) {
        return { seq: entry.seq, problem: 'public chain: link does not match the transfer' };
      }
      previous = entry;
    }
  }
  return undefined;
}

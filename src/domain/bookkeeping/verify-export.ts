import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { GENESIS_HASH, TransferFlags } from '../../ledger/index.ts';
import { verifyText } from '../../lib/checkpoint-key.ts';

/**
 * `ledger verify --export FILE` (issue 17): checks an office's hledger export
 * (hledger.ts) from the file alone, the way tools/verify-public-ledger.mjs
 * checks the public chain: sequence numbers without gaps, every transfer's
 * `transfer` tag hashes to its `hash` tag and links to the hash before it,
 * the postings are the ones that transfer makes (with the running balance
 * assertions), and, given the published checkpoints, every signature holds and
 * names a hash that is in the file at its sequence, with the same totals.
 */
export interface ExportReport {
  ok: boolean;
  transfers: number;
  headSeq: number;
  headHash: string;
  checkpoints: number;
  firstBadSeq?: number;
  problem?: string;
}

interface SignedPayload { seq: number; hash: string; transferCount: number; postedMinutesByCode: Record<string, number> }
interface CheckpointsDocument { publicKey: string; retiredPublicKeys?: string[]; checkpoints: { seq: number; payload: string; publicKey: string; signature: string; algorithm: string }[] }

class Fault extends Error {
  constructor(readonly seq: number, problem: string) {
    super(problem);
  }
}

interface Entry { seq: number; code: string; id: string; tags: Map<string, string>; postings: [string, number, number][] }

/** The signed payloads of a checkpoints document, each signature checked; throws a Fault at the first that does not hold. */
function signedPayloads(document: CheckpointsDocument): SignedPayload[] {
  const keys = new Set([document.publicKey, ...(document.retiredPublicKeys ?? [])]);
  return document.checkpoints.map((checkpoint) => {
    if (checkpoint.algorithm !== 'ed25519' || !keys.has(checkpoint.publicKey) || !verifyText(checkpoint.publicKey, checkpoint.payload, checkpoint.signature)) {
      throw new Fault(checkpoint.seq, 'checkpoint signature does not verify');
    }
    return JSON.parse(checkpoint.payload) as SignedPayload;
  }).sort((a, b) => a.seq - b.seq);
}

/** The postings a transfer makes, as hledger.ts writes them (a void or post also reverses the hold it resolves). */
function expectedPostings(fields: unknown[], held: Map<string, number>): [string, number][] {
  const [, id, debit, credit, amount, , flags, pendingId] = fields as [number, string, string, string, number, string, number, string | null];
  if (flags & TransferFlags.pending) {
    held.set(id, amount);
    return [[`${debit}:pending`, amount], [`${credit}:pending`, -amount]];
  }
  if (flags & (TransferFlags.postPending | TransferFlags.voidPending)) {
    const amountHeld = held.get(pendingId ?? '') ?? 0;
    held.delete(pendingId ?? '');
    const reversal: [string, number][] = [[`${debit}:pending`, -amountHeld], [`${credit}:pending`, amountHeld]];
    return flags & TransferFlags.postPending ? [...reversal, [`${debit}:posted`, amount], [`${credit}:posted`, -amount]] : reversal;
  }
  return [[`${debit}:posted`, amount], [`${credit}:posted`, -amount]];
}

async function* entries(file: string): AsyncGenerator<Entry> {
  let entry: Entry | undefined;
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    const header = /^\d{4}-\d{2}-\d{2} \((\d+)\) (\S+) (.*)$/.exec(line);
    if (header) {
      if (entry) yield entry;
      const [, seq = '', code = '', id = ''] = header;
      entry = { seq: Number(seq), code, id, tags: new Map(), postings: [] };
      continue;
    }
    if (!entry) continue;
    const tags = /^\s+; (.*)$/.exec(line);
    if (tags) {
      for (const tag of (tags[1] ?? '').split(', ')) {
        const colon = tag.indexOf(':');
        entry.tags.set(tag.slice(0, colon), tag.slice(colon + 1));
      }
      continue;
    }
    // MIN (minutes, ledger 1) or FEN (the fund's fen, ledger 2): the same commodity on both sides of the assertion.
    const posting = /^\s+(\S+)\s+(-?\d+) (MIN|FEN) = (-?\d+) \3$/.exec(line);
    if (posting) entry.postings.push([posting[1] ?? '', Number(posting[2]), Number(posting[4])]);
  }
  if (entry) yield entry;
}

export async function verifyExport(file: string, checkpointsDocument?: CheckpointsDocument): Promise<ExportReport> {
  let headSeq = 0;
  let headHash = GENESIS_HASH;
  let checkpointCount = 0;
  try {
    const checkpoints = checkpointsDocument ? signedPayloads(checkpointsDocument) : [];
    checkpointCount = checkpoints.length;
    let next = 0;
    const held = new Map<string, number>();
    const running = new Map<string, number>();
    const posted: Record<string, number> = {};
    for await (const entry of entries(file)) {
      const seq = entry.seq;
      if (seq !== headSeq + 1) throw new Fault(headSeq + 1, `sequence ${headSeq + 1} is missing (next is ${seq})`);
      const text = Buffer.from(entry.tags.get('transfer') ?? '', 'base64url').toString('utf8');
      const fields = text ? JSON.parse(text) as unknown[] : [];
      if (entry.tags.get('seq') !== String(seq) || fields[0] !== seq || fields[1] !== entry.id || fields[5] !== entry.code) {
        throw new Fault(seq, 'the tags do not describe this transaction');
      }
      if (fields[12] !== headHash) throw new Fault(seq, 'previous hash does not match the chain');
      const hash = createHash('sha256').update(text, 'utf8').digest('hex');
      if (hash !== entry.tags.get('hash')) throw new Fault(seq, 'hash does not match the contents');
      const expected = expectedPostings(fields, held);
      if (expected.length !== entry.postings.length || expected.some(([account, amount], i) => entry.postings[i]?.[0] !== account || entry.postings[i]?.[1] !== amount)) {
        throw new Fault(seq, 'the postings differ from the transfer the hash covers');
      }
      for (const [account, amount, balance] of entry.postings) {
        const next = (running.get(account) ?? 0) + amount;
        if (next !== balance) throw new Fault(seq, `balance assertion of ${account} does not hold`);
        running.set(account, next);
      }
      if (((fields[6] as number) & (TransferFlags.pending | TransferFlags.voidPending)) === 0) posted[entry.code] = (posted[entry.code] ?? 0) + (fields[4] as number);
      headSeq = seq;
      headHash = hash;
      for (let checkpoint = checkpoints[next]; checkpoint !== undefined && checkpoint.seq <= seq; checkpoint = checkpoints[next]) {
        if (checkpoint.seq === seq) {
          if (checkpoint.hash !== hash) throw new Fault(seq, 'the export differs from a signed checkpoint at this sequence');
          const codes = new Set([...Object.keys(posted), ...Object.keys(checkpoint.postedMinutesByCode)]);
          if ([...codes].some((code) => (posted[code] ?? 0) !== (checkpoint.postedMinutesByCode[code] ?? 0))) throw new Fault(seq, 'network totals differ from the signed checkpoint');
        }
        next += 1;
      }
    }
    const beyond = checkpoints[next];
    if (beyond !== undefined) throw new Fault(beyond.seq, 'a signed checkpoint names a sequence beyond the end of the export');
    return { ok: true, transfers: headSeq, headSeq, headHash, checkpoints: checkpointCount };
  } catch (error) {
    if (!(error instanceof Fault)) throw error;
    return { ok: false, transfers: headSeq, headSeq, headHash, checkpoints: checkpointCount, firstBadSeq: error.seq, problem: error.message };
  }
}

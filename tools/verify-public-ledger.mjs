#!/usr/bin/env node
// Silver Hours (银龄时光): checks the public ledger of a time bank, with Node's standard library only.
//
//   node verify-public-ledger.mjs CHAIN_FILE CHECKPOINTS_FILE [MORE_CHECKPOINTS_FILES...] [--key PUBLIC_KEY]
//   node verify-public-ledger.mjs --url https://example.org [--key PUBLIC_KEY] [SAVED_CHECKPOINTS_FILES...]
//
// CHAIN_FILE is /transparency/chain (gzip NDJSON, or the same uncompressed); CHECKPOINTS_FILE is
// /transparency/checkpoints.json. Give checkpoints files you saved earlier too: a chain rewritten
// since then no longer reaches the heads they signed. --key pins the network's public key (from
// the README or the page; repeat it for retired keys); without it the keys inside the checkpoints
// file are used, and the current one is printed.
//
// It checks every hash link of the public chain, every checkpoint signature (Ed25519), that every
// checkpoint's head is on the chain with the totals it signed, and recomputes the county totals
// that /transparency shows. Prints OK, or BAD with the first bad sequence and why. Exit 0 / 1
// (2 when the input cannot be read). docs/TRANSPARENCY.md describes the format.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const FORMAT = 'silver-hours-public-chain/1';
const LABEL = 'silver-hours/public/1';
const GENESIS = '0'.repeat(64);
const PENDING = 2;
const VOID_PENDING = 8;

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

class Bad extends Error {
  constructor(seq, why) {
    super(why);
    this.seq = seq;
  }
}

function parseArguments(argv) {
  const options = { files: [], keys: [], url: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--key') options.keys.push(argv[++i]);
    else if (argv[i] === '--url') options.url = argv[++i];
    else options.files.push(argv[i]);
  }
  return options;
}

/** The chain file's lines, gunzipped when it starts with the gzip magic bytes. */
async function chainLines(source) {
  let stream;
  if (typeof source === 'string') {
    const head = readFileSync(source).subarray(0, 2);
    stream = createReadStream(source);
    if (head[0] === 0x1f && head[1] === 0x8b) stream = stream.pipe(createGunzip());
  } else {
    stream = source;
  }
  return createInterface({ input: stream, crlfDelay: Infinity });
}

/** Pinned keys (--key, repeatable for retired ones) replace the keys the checkpoints file lists. */
function checkSignatures(documents, pinnedKeys) {
  const checkpoints = [];
  for (const document of documents) {
    const keys = new Set(pinnedKeys.length > 0 ? pinnedKeys : [document.publicKey, ...(document.retiredPublicKeys ?? [])]);
    for (const checkpoint of document.checkpoints ?? []) {
      const seq = checkpoint.seq;
      if (checkpoint.algorithm !== 'ed25519') throw new Bad(seq, `checkpoint signed with an unknown algorithm ${checkpoint.algorithm}`);
      if (!keys.has(checkpoint.publicKey)) {
        throw new Bad(seq, pinnedKeys.length > 0 ? 'checkpoint signed by a key other than the pinned one' : 'checkpoint signed by a key the checkpoints file does not list');
      }
      let good = false;
      try {
        const key = createPublicKey({ key: Buffer.from(checkpoint.publicKey, 'base64'), format: 'der', type: 'spki' });
        good = verify(null, Buffer.from(checkpoint.payload, 'utf8'), key, Buffer.from(checkpoint.signature, 'base64'));
      } catch {
        good = false;
      }
      if (!good) throw new Bad(seq, 'checkpoint signature does not verify');
      const payload = JSON.parse(checkpoint.payload);
      if (payload.seq !== seq || payload.hash !== checkpoint.hash) throw new Bad(seq, 'checkpoint fields differ from what was signed');
      checkpoints.push(payload);
    }
  }
  return checkpoints.sort((a, b) => a.seq - b.seq);
}

function sameTotals(left, right) {
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if ((left[key] ?? 0) !== (right[key] ?? 0)) return false;
  return true;
}

/** The county figures /transparency shows from the ledger: credits issued and credits redeemed, in minutes. */
function countTotals(entry, counties) {
  if ((entry.flags & (PENDING | VOID_PENDING)) !== 0) return;
  const [debitKind, debitCounty] = entry.debit.split('@');
  const [creditKind, creditCounty] = entry.credit.split('@');
  const holder = (kind) => kind === 'wallet' || kind === 'voucher';
  const add = (county, field, minutes) => {
    if (!county) return;
    const row = counties.get(county) ?? { issuedMinutes: 0, redeemedMinutes: 0 };
    row[field] += minutes;
    counties.set(county, row);
  };
  if (entry.code === 'service_credit' && debitKind === 'issuance' && creditKind === 'wallet') add(creditCounty, 'issuedMinutes', entry.amount);
  if (entry.code === 'redemption' && holder(debitKind)) add(debitCounty, 'redeemedMinutes', entry.amount);
  if (entry.code === 'correction') {
    if (debitKind === 'wallet' && creditKind === 'issuance') add(debitCounty, 'issuedMinutes', -entry.amount);
    if (holder(creditKind) && (debitKind === 'site' || debitKind === 'clearing')) add(creditCounty, 'redeemedMinutes', -entry.amount);
  }
}

async function walk(lines, checkpoints) {
  let header;
  let previousSeq = 0;
  let previousHash = GENESIS;
  const posted = {};
  const counties = new Map();
  let next = 0;
  const checkCheckpoints = (seq) => {
    while (next < checkpoints.length && checkpoints[next].seq <= seq) {
      const checkpoint = checkpoints[next];
      if (checkpoint.seq === seq) {
        if (checkpoint.publicHash !== previousHash) throw new Bad(seq, 'the chain differs from a signed checkpoint at this sequence (rewritten after it was published)');
        if (!sameTotals(checkpoint.postedMinutesByCode, posted)) throw new Bad(seq, 'network totals differ from the signed checkpoint');
        if (checkpoint.transferCount !== seq) throw new Bad(seq, 'transfer count differs from the signed checkpoint');
      }
      next += 1;
    }
  };
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line);
    if (!header) {
      if (record.format !== FORMAT) throw new Bad(0, `not a chain file of format ${FORMAT}`);
      header = record;
      continue;
    }
    const seq = record.seq;
    if (seq !== previousSeq + 1) throw new Bad(previousSeq + 1, `sequence ${previousSeq + 1} is missing (next line is ${seq})`);
    const publicPart = sha256(JSON.stringify([seq, record.timestampMs, record.code, record.amount, record.flags, record.timeoutSeconds, record.pendingSeq, record.debit, record.credit]));
    const link = sha256(JSON.stringify([LABEL, previousHash, publicPart, record.privateDigest]));
    if (link !== record.publicHash) throw new Bad(seq, 'hash does not match the contents and the link before it');
    if (!Number.isInteger(record.amount) || record.amount <= 0) throw new Bad(seq, 'amount is not a positive integer');
    if ((record.flags & (PENDING | VOID_PENDING)) === 0) posted[record.code] = (posted[record.code] ?? 0) + record.amount;
    countTotals(record, counties);
    previousSeq = seq;
    previousHash = link;
    checkCheckpoints(seq);
  }
  if (!header) throw new Bad(0, 'the chain file is empty');
  if (header.headSeq !== previousSeq || header.headHash !== previousHash) throw new Bad(previousSeq + 1, 'the file ends before the head it announces');
  if (next < checkpoints.length) throw new Bad(checkpoints[next].seq, 'a signed checkpoint names a sequence beyond the end of the chain');
  return { headSeq: previousSeq, headHash: previousHash, counties };
}

function hoursText(total) {
  const sign = total < 0 ? '-' : '';
  const whole = Math.abs(total);
  const hours = Math.floor(whole / 60);
  const minutes = whole % 60;
  // Written as /transparency writes it (src/lib/duration.ts), so the two can be compared by eye.
  if (hours === 0) return `${sign}${minutes} 分钟`;
  if (minutes === 0) return `${sign}${hours} 小时`;
  return `${sign}${hours} 小时 ${minutes} 分`;
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  let lines;
  const documents = [];
  if (options.url) {
    const base = options.url.replace(/\/+$/, '');
    const chain = await fetch(`${base}/transparency/chain`);
    const published = await fetch(`${base}/transparency/checkpoints.json`);
    if (!chain.ok || !published.ok) throw new Error(`download failed: ${chain.status} / ${published.status}`);
    documents.push(await published.json());
    lines = await chainLines(Readable.fromWeb(chain.body).pipe(createGunzip()));
    for (const file of options.files) documents.push(JSON.parse(readFileSync(file, 'utf8')));
  } else {
    if (options.files.length < 2) {
      console.error('usage: node verify-public-ledger.mjs CHAIN_FILE CHECKPOINTS_FILE [MORE...] [--key PUBLIC_KEY]\n       node verify-public-ledger.mjs --url https://example.org [SAVED_CHECKPOINTS...]');
      return 2;
    }
    const [chainFile, ...checkpointFiles] = options.files;
    for (const file of checkpointFiles) documents.push(JSON.parse(readFileSync(file, 'utf8')));
    lines = await chainLines(chainFile);
  }
  try {
    const checkpoints = checkSignatures(documents, options.keys);
    // Without a signature nothing in the files is vouched for by the network: anyone can make a chain that links.
    if (checkpoints.length === 0) throw new Bad(0, 'no signed checkpoint: nothing in these files is vouched for by the network\'s key');
    const result = await walk(lines, checkpoints);
    console.log(`OK: ${result.headSeq} transfers, every hash link holds; ${checkpoints.length} signed checkpoints verified and on the chain`);
    const signedSeq = checkpoints[checkpoints.length - 1].seq;
    if (result.headSeq > signedSeq) {
      console.log(`unsigned ${signedSeq + 1}-${result.headSeq}: ${result.headSeq - signedSeq} transfers after the last signed checkpoint are linked but not yet signed (the next checkpoint signs them); the figures below include them`);
    }
    console.log(`head ${result.headSeq} public hash ${result.headHash}`);
    console.log(`public key ${options.keys[0] ?? documents[0].publicKey}`);
    for (const county of [...result.counties.keys()].sort()) {
      const row = result.counties.get(county);
      console.log(`county ${county} issued ${row.issuedMinutes} min (${hoursText(row.issuedMinutes)}) redeemed ${row.redeemedMinutes} min (${hoursText(row.redeemedMinutes)})`);
    }
    return 0;
  } catch (error) {
    if (error instanceof Bad) {
      console.log(`BAD at sequence ${error.seq}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

main().then((code) => { process.exitCode = code; }, (error) => {
  console.error(`cannot check: ${error.message}`);
  process.exitCode = 2;
});

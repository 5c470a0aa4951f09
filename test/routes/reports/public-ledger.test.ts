/**
 * Issue 17, parts 2, 3 and 5: the public chain file, the verifier anyone can
 * run (tools/verify-public-ledger.mjs, Node's standard library only), the
 * page's steps followed literally, tamper tests on a copy of the database,
 * and a scan of the public files for personal data.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { checkPublicChain, extendPublicChain, publicChainLines, publicHead } from '../../../src/domain/bookkeeping/public-chain.ts';
import { checkpointsDocument } from '../../../src/domain/bookkeeping/signed-checkpoints.ts';
import { openStoredIdNumber } from '../../../src/domain/keys/keyring.ts';
import { openCardToken } from '../../../src/domain/people/members/card.ts';
import { minutesOfText } from '../../helpers/duration.ts';
import { createReportsApp } from './helpers.ts';
import { generateCheckpointKeys, type CheckpointKeys } from '../../../src/lib/checkpoint-key.ts';

const run = promisify(execFile);
const verifierPath = new URL('../../../tools/verify-public-ledger.mjs', import.meta.url).pathname;

/** Runs the verifier as a child process in `directory` (no node_modules there or above it in tmp), with only PATH set. */
async function verifier(directory: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, args, { cwd: directory, env: { PATH: process.env.PATH ?? '' } });
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
}

async function chainFileOf(sqlite: Database.Database): Promise<string> {
  let text = '';
  for await (const lines of publicChainLines(sqlite, publicHead(sqlite), 50)) text += lines;
  return text;
}

/** Writes what the public would download from a server on `sqlite` into a fresh directory with the verifier. */
async function publicFiles(sqlite: Database.Database, keys: CheckpointKeys): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'silver-public-'));
  writeFileSync(join(directory, 'chain.ndjson'), await chainFileOf(sqlite));
  writeFileSync(join(directory, 'checkpoints.json'), JSON.stringify(checkpointsDocument(sqlite, keys)));
  copyFileSync(verifierPath, join(directory, 'verify-public-ledger.mjs'));
  return directory;
}

function countyTotals(out: string): Map<string, [number, number]> {
  return new Map([...out.matchAll(/^county (\d{6}) issued (-?\d+) min .* redeemed (-?\d+) min/gm)].map((m) => [m[1]!, [Number(m[2]), Number(m[3])]]));
}

t.test('the page\'s steps, followed literally by a signed-out user, end in OK with the totals the page shows', { timeout: 120_000 }, async (t) => {
  const { app } = await createReportsApp(t);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const page = await (await fetch(`${base}/transparency`)).text();
  const steps = /<ol id="how-steps">([\s\S]*?)<\/ol>/.exec(page)![1]!;
  const links = [...steps.matchAll(/<a href="([^"]+)" download/g)].map((m) => m[1]!);
  t.same(links, ['/transparency/chain', '/transparency/checkpoints.json', '/transparency/verify-public-ledger.mjs'], 'step 2 names three files');
  const directory = mkdtempSync(join(tmpdir(), 'silver-steps-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  for (const link of links) {
    const response = await fetch(`${base}${link}`);
    t.equal(response.status, 200, `${link} downloads signed out`);
    const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? link.split('/').pop()!;
    writeFileSync(join(directory, name), Buffer.from(await response.arrayBuffer()));
  }
  const command = /<code id="verify-command">([^<]+)<\/code>/.exec(steps)![1]!.split(' ');
  t.equal(command[0], 'node');
  const result = await verifier(directory, command.slice(1));
  t.equal(result.code, 0, result.out);
  t.match(result.out.split('\n')[0], /^OK: \d+ transfers, every hash link holds; 1 signed checkpoints verified/);
  t.match(result.out, `public key ${app.checkpointKeys.publicKey}`, 'the key it prints is the one the page shows');
  t.match(page, app.checkpointKeys.publicKey);

  // The county figures of the page (credits issued and redeemed) are the ones the verifier recomputed.
  const rows = [...page.matchAll(/<tr><th scope="row">[^<]*<\/th><td class="num">\d+<\/td><td class="num">[^<]*<\/td><td class="num">([^<]*)<\/td><td class="num">([^<]*)<\/td>/g)]
    .map((m) => [minutesOfText(m[1]!), minutesOfText(m[2]!)]);
  const totals = [...countyTotals(result.out).entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, value]) => value);
  t.ok(rows.length > 0 && rows.some(([issued]) => issued! > 0), 'the page shows county figures');
  t.same(totals, rows, 'the verifier prints the same county figures as the page');

  // The --url form downloads the same files.
  t.same(command.slice(-2), ['--key', app.checkpointKeys.publicKey], 'the command on the page pins the key the page shows');
  const unpinned = command.slice(1, -2);
  const pinned = await verifier(directory, [...unpinned, '--key', app.checkpointKeys.publicKey]);
  t.equal(pinned.code, 0, 'pinning the published key: OK');
  const otherKey = generateCheckpointKeys().publicKey;
  const wrongPin = await verifier(directory, [...unpinned, '--key', otherKey]);
  t.equal(wrongPin.code, 1);
  t.match(wrongPin.out, /^BAD at sequence \d+: checkpoint signed by a key other than the pinned one/, 'a checkpoint under another key fails against a pinned key');
  // A chain anyone could have made: the same links with no signed checkpoint is refused, pinned key or not.
  writeFileSync(join(directory, 'unsigned.json'), JSON.stringify({ format: 'silver-hours/checkpoints/1', publicKey: app.checkpointKeys.publicKey, retiredPublicKeys: [], checkpoints: [] }));
  for (const extra of [[], ['--key', app.checkpointKeys.publicKey]]) {
    const unsigned = await verifier(directory, [unpinned[0]!, unpinned[1]!, 'unsigned.json', ...extra]);
    t.equal(unsigned.code, 1, 'no signed checkpoint: not OK');
    t.match(unsigned.out, /^BAD at sequence 0: no signed checkpoint/);
  }
  const byUrl = await verifier(directory, ['verify-public-ledger.mjs', '--url', base, '--key', app.checkpointKeys.publicKey]);
  t.equal(byUrl.code, 0, byUrl.out);
  t.equal(byUrl.out, result.out);
  const gz = Buffer.from(await (await fetch(`${base}/transparency/chain`)).arrayBuffer());
  t.equal(gz[0], 0x1f, 'the chain file is gzip');
});

type Tamper = (sqlite: Database.Database, seq: number) => void;

const tampers: [string, Tamper][] = [
  ['amount', (sqlite, seq) => sqlite.prepare('UPDATE ledger_transfers SET amount = amount + 1 WHERE seq = ?').run(seq)],
  ['account', (sqlite, seq) => {
    const other = sqlite.prepare("SELECT id FROM ledger_accounts WHERE kind = 'wallet' AND id <> (SELECT credit_account_id FROM ledger_transfers WHERE seq = ?) LIMIT 1").pluck().get(seq);
    sqlite.prepare('UPDATE ledger_transfers SET credit_account_id = ? WHERE seq = ?').run(other, seq);
  }],
  ['deletion', (sqlite, seq) => sqlite.prepare('DELETE FROM ledger_transfers WHERE seq = ?').run(seq)],
  ['insertion', (sqlite, seq) => {
    sqlite.prepare('UPDATE ledger_transfers SET seq = -(seq + 1) WHERE seq >= ?').run(seq);
    sqlite.prepare('UPDATE ledger_transfers SET seq = -seq WHERE seq < 0').run();
    const columns = (sqlite.prepare('SELECT name FROM pragma_table_info(\'ledger_transfers\')').pluck().all() as string[]).filter((name) => name !== 'seq' && name !== 'id');
    sqlite.prepare(`INSERT INTO ledger_transfers (seq, id, ${columns.join(', ')}) SELECT ?, 'forged', ${columns.join(', ')} FROM ledger_transfers WHERE seq = ?`).run(seq, seq + 1);
  }],
  ['reordering', (sqlite, seq) => {
    sqlite.prepare('UPDATE ledger_transfers SET seq = -1 WHERE seq = ?').run(seq);
    sqlite.prepare('UPDATE ledger_transfers SET seq = ? WHERE seq = ?').run(seq, seq + 1);
    sqlite.prepare('UPDATE ledger_transfers SET seq = ? WHERE seq = -1').run(seq + 1);
  }],
];

function tamperableCopy(sqlite: Database.Database): Database.Database {
  const copy = new Database(sqlite.serialize());
  copy.pragma('foreign_keys = OFF');
  for (const trigger of copy.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('ledger_transfers', 'ledger_public_chain')").pluck().all() as string[]) {
    copy.exec(`DROP TRIGGER ${trigger}`);
  }
  return copy;
}

t.test('tampering with a copy of the database: the verifier, on what the public downloads, names the first bad sequence', { timeout: 120_000 }, async (t) => {
  const { app, db } = await createReportsApp(t);
  const head = db.$client.prepare('SELECT max(seq) FROM ledger_transfers').pluck().get() as number;
  const seq = Math.floor(head / 2);
  const honest = await publicFiles(db.$client, app.checkpointKeys);
  t.teardown(() => rmSync(honest, { recursive: true, force: true }));
  t.equal((await verifier(honest, ['verify-public-ledger.mjs', 'chain.ndjson', 'checkpoints.json'])).code, 0, 'the untouched copy verifies');
  for (const [name, tamper] of tampers) {
    const copy = tamperableCopy(db.$client);
    tamper(copy, seq);
    const directory = await publicFiles(copy, app.checkpointKeys);
    t.teardown(() => rmSync(directory, { recursive: true, force: true }));
    const result = await verifier(directory, ['verify-public-ledger.mjs', 'chain.ndjson', 'checkpoints.json']);
    t.equal(result.code, 1, `${name}: exit code 1`);
    t.match(result.out, `BAD at sequence ${seq}:`, `${name}: names sequence ${seq} (${result.out.trim()})`);
    copy.close();
  }
});

t.test('a consistent rewrite of the public chain is caught by the signed checkpoints published before it', { timeout: 120_000 }, async (t) => {
  const { app, db } = await createReportsApp(t);
  const saved = JSON.stringify(checkpointsDocument(db.$client, app.checkpointKeys));
  const checkpointSeq = JSON.parse(saved).checkpoints[0].seq as number;
  const copy = tamperableCopy(db.$client);
  const seq = Math.floor(checkpointSeq / 2);
  copy.prepare('UPDATE ledger_transfers SET amount = amount + 60 WHERE seq = ?').run(seq);
  // The attacker recomputes every public link from the edited transfer on: the chain holds in itself.
  copy.prepare('DELETE FROM ledger_public_chain WHERE seq >= ?').run(seq);
  extendPublicChain(copy, checkpointSeq);
  const directory = await publicFiles(copy, app.checkpointKeys);
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  writeFileSync(join(directory, 'saved-checkpoints.json'), saved);
  // The links alone hold, so without a signed checkpoint the verifier vouches for nothing: it refuses.
  writeFileSync(join(directory, 'no-checkpoints.json'), JSON.stringify({ ...JSON.parse(saved), checkpoints: [] }));
  const unsigned = await verifier(directory, ['verify-public-ledger.mjs', 'chain.ndjson', 'no-checkpoints.json']);
  t.equal(unsigned.code, 1, 'no signed checkpoint: not OK');
  t.match(unsigned.out, /^BAD at sequence 0: no signed checkpoint/);
  const result = await verifier(directory, ['verify-public-ledger.mjs', 'chain.ndjson', 'saved-checkpoints.json']);
  t.equal(result.code, 1, result.out);
  t.match(result.out, `BAD at sequence ${checkpointSeq}: the chain differs from a signed checkpoint`);
  // A forged signature does not help either.
  const forged = JSON.parse(saved);
  forged.checkpoints[0].payload = forged.checkpoints[0].payload.replace(/"publicHash":"[0-9a-f]+"/, '"publicHash":"' + '1'.repeat(64) + '"');
  writeFileSync(join(directory, 'forged.json'), JSON.stringify(forged));
  t.match((await verifier(directory, ['verify-public-ledger.mjs', 'chain.ndjson', 'forged.json'])).out, `BAD at sequence ${checkpointSeq}: checkpoint signature does not verify`);
  copy.close();
});

t.test('nothing in the public files identifies a person', async (t) => {
  const { app, db } = await createReportsApp(t);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const chain = gunzipSync(Buffer.from(await (await fetch(`${base}/transparency/chain`)).arrayBuffer())).toString('utf8');
  const checkpoints = await (await fetch(`${base}/transparency/checkpoints.json`)).text();
  const sqlite = db.$client;
  const members = sqlite.prepare('SELECT id, real_name AS name, phone, id_number_ciphertext AS idSealed, card_number AS card, card_token_ciphertext AS tokenSealed FROM members').all() as { id: number; name: string; phone: string | null; idSealed: string; card: string | null; tokenSealed: string | null }[];
  const elders = sqlite.prepare('SELECT id, real_name AS name, phone, id_number_ciphertext AS idSealed FROM elders').all() as { id: number; name: string; phone: string | null; idSealed: string }[];
  const users = sqlite.prepare('SELECT phone FROM users').pluck().all() as string[];
  t.ok(members.length >= 150 && chain.split('\n').length > 1000, `${members.length} members, ${chain.split('\n').length} chain lines`);
  const needles = new Set<string>();
  let openedIdNumbers = 0;
  for (const person of [...members, ...elders]) {
    needles.add(person.name);
    if (person.phone) needles.add(person.phone);
    // The large demo county stores synthetic placeholders (no key); the demo network's people are sealed for real.
    if (person.idSealed.startsWith('synthetic:')) continue;
    const idNumber = openStoredIdNumber(app.secrets, person.idSealed);
    t.ok(idNumber, 'the ID number opens');
    needles.add(idNumber!);
    openedIdNumbers += 1;
  }
  for (const member of members) {
    if (member.card) needles.add(member.card);
    if (member.tokenSealed) needles.add(openCardToken(app.secrets, member.tokenSealed));
  }
  for (const phone of users) needles.add(phone);
  // This seed stores synthetic ID placeholders (no real number to look for): the ID-number shape scan below covers them.
  t.comment(`${openedIdNumbers} sealed ID numbers looked for`);
  for (const [file, text] of [['chain', chain], ['checkpoints.json', checkpoints]] as const) {
    const found = [...needles].filter((needle) => needle.length >= 2 && text.includes(needle));
    t.same(found, [], `${file}: no names, phones, ID numbers or card numbers`);
    t.notMatch(text, /(?<![0-9a-fA-F])\d{17}[\dXx](?![0-9a-fA-F])/, `${file}: nothing shaped like an ID number`);
    t.notMatch(text, /(?<![0-9a-fA-F])1[3-9]\d{9}(?![0-9a-fA-F])/, `${file}: nothing shaped like a mobile phone number`);
    t.notMatch(text, /wallet:m\d|member:\d|voucher:e\d|site:\d|"m\d+"|elder:\d/, `${file}: no member, elder or site ids`);
  }
  const sides = new Set([...chain.matchAll(/"(?:debit|credit)":"([^"]+)"/g)].map((m) => m[1]!));
  t.ok([...sides].every((side) => /^[a-z]+(@\d{6})?$/.test(side)), `sides are kinds and counties only: ${[...sides].join(', ')}`);
});

t.test('ledger verify walks the public chain table too: an edited side or salt names its sequence', async (t) => {
  const { db } = await createReportsApp(t);
  t.equal(checkPublicChain(db.$client), undefined, 'the honest chain holds');
  const head = db.$client.prepare('SELECT max(seq) FROM ledger_public_chain').pluck().get() as number;
  const seq = Math.floor(head / 3);
  for (const edit of ["debit_side = 'wallet@000000'", "salt = '00'"]) {
    const copy = tamperableCopy(db.$client);
    copy.prepare(`UPDATE ledger_public_chain SET ${edit} WHERE seq = ?`).run(seq);
    t.same(checkPublicChain(copy), { seq, problem: 'public chain: link does not match the transfer' }, edit);
    copy.close();
  }
  const copy = tamperableCopy(db.$client);
  copy.prepare('UPDATE ledger_transfers SET amount = amount + 1 WHERE seq = ?').run(seq);
  t.equal(checkPublicChain(copy)?.seq, seq, 'an edited transfer too');
  copy.close();
});

/**
 * Issue 17, part 4: the hledger export carries each transfer's sequence and
 * hash as tags (hledger check still passes), and `npm run cli -- ledger
 * verify --export FILE` checks an office's export from the file alone, with
 * the signed checkpoints.
 */
import t from 'tap';
import { execFile, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { checkpointsDocument } from '../../src/domain/bookkeeping/signed-checkpoints.ts';
import { exportHledger } from '../../src/ledger/index.ts';
import { createReportsApp } from '../routes/reports/helpers.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const hledger = spawnSync('hledger', ['--version'], { encoding: 'utf8' });

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root });
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
}

t.test('ledger verify --export: OK on an honest export, the first bad sequence after an edit', { timeout: 180_000 }, async (t) => {
  const { app, db } = await createReportsApp(t);
  const directory = mkdtempSync(join(tmpdir(), 'silver-export-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const journal = join(directory, 'ledger.journal');
  const out = createWriteStream(journal);
  await exportHledger(db.$client, out);
  out.end();
  await finished(out);
  const checkpoints = join(directory, 'checkpoints.json');
  writeFileSync(checkpoints, JSON.stringify(checkpointsDocument(db.$client, app.checkpointKeys)));
  const head = db.$client.prepare('SELECT seq, hash FROM ledger_transfers ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
  const text = readFileSync(journal, 'utf8');
  t.match(text, `    ; seq:${head.seq}, hash:${head.hash}, transfer:`, 'each transaction carries its sequence and hash as tags');

  if (hledger.status === 0) {
    const check = spawnSync('hledger', ['-f', journal, 'check'], { encoding: 'utf8' });
    t.equal(check.status, 0, `hledger check passes: ${check.stderr}`);
    const tagged = spawnSync('hledger', ['-f', journal, 'print', `tag:seq=^${head.seq}$`], { encoding: 'utf8' });
    t.match(tagged.stdout, head.hash, 'hledger reads the tags: an office finds a transfer by its sequence');
  } else {
    t.comment('hledger is not installed: hledger check skipped');
  }

  const honest = await cli(['ledger', 'verify', '--export', journal, '--checkpoints', checkpoints]);
  t.equal(honest.code, 0, honest.out);
  t.match(honest.out, `export ok: ${head.seq} transfers, every hash link holds, head ${head.hash}; 1 signed checkpoints verified`);

  const seq = Math.floor(head.seq / 2);
  const blocks = text.split('\n\n');
  const index = blocks.findIndex((block) => block.includes(`    ; seq:${seq}, `));
  const write = (name: string, content: string) => { const file = join(directory, name); writeFileSync(file, content); return file; };

  // A posting's amount edited (the balance assertions fixed up too would still leave the tag's hash).
  const edited = [...blocks];
  edited[index] = edited[index]!.replace(/:(posted|pending)  (-?\d+) MIN/, (_m, side: string, amount: string) => `:${side}  ${Number(amount) + 1} MIN`);
  let result = await cli(['ledger', 'verify', '--export', write('edited.journal', edited.join('\n\n')), '--checkpoints', checkpoints]);
  t.equal(result.code, 1);
  t.match(result.out, `export BAD at sequence ${seq}: the postings differ`);

  // A transaction deleted.
  const deleted = blocks.filter((_, i) => i !== index);
  result = await cli(['ledger', 'verify', '--export', write('deleted.journal', deleted.join('\n\n'))]);
  t.match(result.out, `export BAD at sequence ${seq}: sequence ${seq} is missing`);

  // The hashed contents rewritten consistently from there on: the links hold, the signed checkpoint does not.
  let previous = '';
  const rewritten = blocks.map((block, i) => {
    const tag = /    ; seq:(\d+), hash:([0-9a-f]+), transfer:(\S+)/.exec(block);
    if (!tag || i < index) { if (tag) previous = tag[2]!; return block; }
    const fields = JSON.parse(Buffer.from(tag[3]!, 'base64url').toString('utf8')) as unknown[];
    if (i === index) fields[11] = (fields[11] as number) + 1; // the time moved by a millisecond
    fields[12] = previous;
    const canonical = JSON.stringify(fields);
    previous = createHash('sha256').update(canonical).digest('hex');
    return block.replace(tag[0], `    ; seq:${tag[1]}, hash:${previous}, transfer:${Buffer.from(canonical).toString('base64url')}`);
  });
  const rewrittenFile = write('rewritten.journal', rewritten.join('\n\n'));
  t.equal((await cli(['ledger', 'verify', '--export', rewrittenFile])).code, 0, 'without checkpoints the rewrite holds together');
  result = await cli(['ledger', 'verify', '--export', rewrittenFile, '--checkpoints', checkpoints]);
  t.equal(result.code, 1);
  t.match(result.out, `export BAD at sequence ${head.seq}: the export differs from a signed checkpoint`);
});

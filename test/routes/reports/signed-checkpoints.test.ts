/**
 * Issue 17, part 1: every checkpoint is signed with the network's Ed25519 key;
 * /transparency/checkpoints.json lists them with their signatures and the
 * public keys, and /transparency shows the public key. A rotated key keeps the
 * old public key, so old signatures still verify.
 */
import t from 'tap';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointKeyFileName, loadCheckpointKeys, rotateCheckpointKeys, signText, verifyText } from '../../../src/lib/checkpoint-key.ts';
import { postedMinutesByCode, publishCheckpoint } from '../../../src/domain/bookkeeping/signed-checkpoints.ts';
import { Ledger } from '../../../src/ledger/index.ts';
import ExcelJS from 'exceljs';
import { signedInAs, TestBrowser, visibleText } from '../../helpers/web.ts';
import { addMonths, monthOfMs } from '../../../src/domain/reports/months.ts';
import { createReportsApp } from './helpers.ts';

t.test('checkpoints.json: public, every checkpoint signed over its sequence, head hash, time and network totals', async (t) => {
  const { app, db } = await createReportsApp(t);
  const anonymous = new TestBrowser(app);
  const response = await anonymous.get('/transparency/checkpoints.json');
  t.equal(response.statusCode, 200, 'signed-out users may download it');
  t.match(response.headers['content-type'], 'application/json');
  const document = JSON.parse(response.body) as { publicKey: string; algorithm: string; checkpoints: { seq: number; hash: string; payload: string; publicKey: string; signature: string }[] };
  t.equal(document.algorithm, 'ed25519');
  t.equal(document.publicKey, app.checkpointKeys.publicKey);
  const head = new Ledger(db.$client).head();
  t.equal(document.checkpoints.length, 1);
  const [checkpoint] = document.checkpoints;
  t.equal(checkpoint!.seq, head.seq);
  t.equal(checkpoint!.hash, head.hash);
  t.ok(verifyText(document.publicKey, checkpoint!.payload, checkpoint!.signature), 'the signature verifies under the published key');
  const payload = JSON.parse(checkpoint!.payload) as { seq: number; hash: string; timestampMs: number; postedMinutesByCode: Record<string, number> };
  const recorded = new Ledger(db.$client).checkpoints(1)[0]!;
  t.same([payload.seq, payload.hash, payload.timestampMs], [head.seq, head.hash, recorded.timestampMs], 'the signed payload names the head and the time it was recorded');
  t.same(payload.postedMinutesByCode, postedMinutesByCode(db.$client, head.seq), 'and the network totals');
  t.ok((payload.postedMinutesByCode.service_credit ?? 0) > 0, 'totals are real figures');
  t.notOk(verifyText(document.publicKey, checkpoint!.payload.replace(`"seq":${head.seq}`, `"seq":${head.seq - 1}`), checkpoint!.signature), 'an edited payload does not verify');

  const page = await anonymous.get('/transparency');
  t.match(page.body, `<p class="code hash" id="checkpoint-public-key">${app.checkpointKeys.publicKey}</p>`, 'the page shows the public key');
  t.match(page.body, 'href="/transparency/checkpoints.json"');

  // Stored insert-only: a published signature cannot be replaced.
  t.throws(() => db.$client.prepare("UPDATE ledger_checkpoint_signatures SET signature = 'x'").run(), /insert-only/);
  t.throws(() => db.$client.prepare('DELETE FROM ledger_checkpoint_signatures').run(), /insert-only/);
  t.equal(db.$client.prepare('SELECT count(*) FROM ledger_checkpoint_signatures').pluck().get(), 1);
});

t.test('the checkpoint job signs only when the chain has grown', async (t) => {
  const { app, db, clock } = await createReportsApp(t);
  clock.advance(3_600_000);
  t.equal(await app.jobs.run('checkpoint'), 0, 'no new transfer: no new checkpoint');
  t.equal(publishCheckpoint(db.$client, app.checkpointKeys, clock.now()), null);
  t.equal(db.$client.prepare('SELECT count(*) FROM ledger_checkpoint_signatures').pluck().get(), 1);
});

t.test('the key lives in DATA_DIR (mode 0600); rotation keeps the old public key so old signatures verify', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'silver-checkpoint-key-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const first = loadCheckpointKeys(directory);
  t.equal(statSync(join(directory, checkpointKeyFileName)).mode & 0o777, 0o600);
  t.equal(loadCheckpointKeys(directory).publicKey, first.publicKey, 'loading again gives the same key');
  const signature = signText(first, 'checkpoint 1');
  const second = rotateCheckpointKeys(directory);
  t.not(second.publicKey, first.publicKey, 'a new key');
  t.same(second.retiredPublicKeys, [first.publicKey], 'the old public key is kept');
  t.same(loadCheckpointKeys(directory).retiredPublicKeys, [first.publicKey], 'and stays kept in the file');
  t.ok(verifyText(second.retiredPublicKeys[0]!, 'checkpoint 1', signature), 'an old signature still verifies');
  t.notOk(verifyText(second.publicKey, 'checkpoint 1', signature));
});

t.test('the monthly report (page, xlsx, CSV) carries the month-end signed checkpoint', async (t) => {
  const { app, db, clock } = await createReportsApp(t);
  const office = await signedInAs(app, 'office');
  const month = monthOfMs(clock.now());
  const [checkpoint] = JSON.parse((await office.get('/transparency/checkpoints.json')).body).checkpoints as { seq: number; hash: string; payload: string; signature: string }[];
  const signatureHex = Buffer.from(checkpoint!.signature, 'base64').toString('hex');
  const publicHash = JSON.parse(checkpoint!.payload).publicHash as string;

  const page = await office.get(`/reports/433123/monthly?month=${month}`);
  const text = visibleText(page.body);
  t.match(text, '月末账本校验点（已签名）');
  for (const value of [String(checkpoint!.seq), checkpoint!.hash, publicHash, signatureHex, app.checkpointKeys.publicKey]) t.match(text, value, 'the print page shows it');
  const csv = await office.get(`/reports/433123/monthly.csv?month=${month}`);
  t.match(csv.body, `签名（十六进制）,${signatureHex}`);
  t.match(csv.body, `账本哈希,${checkpoint!.hash}`);
  const xlsx = await office.request({ method: 'GET', url: `/reports/433123/monthly.xlsx?month=${month}` });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('月末账本校验点（已签名）')!;
  const rows = new Map(sheet.getSheetValues().slice(2).map((row) => [(row as unknown[])[1], (row as unknown[])[2]]));
  t.equal(rows.get('序号'), checkpoint!.seq);
  t.equal(rows.get('签名（十六进制）'), signatureHex);
  t.ok(verifyText(rows.get('公钥') as string, checkpoint!.payload, Buffer.from(rows.get('签名（十六进制）') as string, 'hex').toString('base64')), 'the signature on paper verifies the published payload');

  // A month that ended before any checkpoint carries none.
  const before = await office.get(`/reports/433123/monthly.csv?month=${addMonths(month, -24)}`);
  t.notMatch(before.body, checkpoint!.hash);
  t.equal(db.$client.prepare('SELECT count(*) FROM ledger_checkpoint_signatures').pluck().get(), 1);
});

import t from 'tap';
import type { AddressInfo } from 'node:net';
import { crc32, createDeflateRaw } from 'node:zlib';
import JSZip from 'jszip';
import { maximumUnpackedBytes } from '../../../src/domain/people/import/archive.ts';
import { demoPassword } from '../../../src/domain/demo/seed.ts';
import { AddressClient } from '../../helpers/http-client.ts';
import { count, createTestApp, demoPhone, visibleText } from '../../helpers/web.ts';
import { rosterFile } from '../../domain/people/import/roster-file.ts';

/**
 * Zip bomb (issue 12, item 9): an .xlsx whose worksheet inflates far beyond
 * what a roster needs is refused with a message, writes nothing, and is read
 * off the request thread so /healthz answers while it is being checked.
 */
const unpackedMiB = 200;
const refusal = `这个文件解压后超过 ${maximumUnpackedBytes / 1024 / 1024} MB，不能导入，什么也没有保存`;

interface ZipEntry {
  name: string;
  compressed: Buffer;
  crc: number;
  unpackedBytes: number;
  /** What the archive claims (a liar claims little). */
  declaredBytes: number;
}

/** Writes a zip archive by hand (deflate, method 8), declaring the sizes given. */
function zipArchive(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(entry.crc >>> 0, 14);
    local.writeUInt32LE(entry.compressed.length, 18);
    local.writeUInt32LE(entry.declaredBytes, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(entry.crc >>> 0, 16);
    central.writeUInt32LE(entry.compressed.length, 20);
    central.writeUInt32LE(entry.declaredBytes, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, entry.compressed);
    centrals.push(central, name);
    offset += local.length + name.length + entry.compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Deflates `prefix + padding x megabytes + suffix` as a stream, never holding the unpacked text. */
async function deflatedSheet(prefix: Buffer, suffix: Buffer, paddingMiB: number): Promise<Omit<ZipEntry, 'name' | 'declaredBytes'>> {
  const deflate = createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise((resolve) => deflate.on('end', resolve));
  const padding = Buffer.alloc(1024 * 1024, ' ');
  let crc = 0;
  let unpackedBytes = 0;
  const write = async (buffer: Buffer) => {
    crc = crc32(buffer, crc);
    unpackedBytes += buffer.length;
    if (!deflate.write(buffer)) await new Promise((resolve) => deflate.once('drain', resolve));
  };
  await write(prefix);
  for (let index = 0; index < paddingMiB; index += 1) await write(padding);
  await write(suffix);
  deflate.end();
  await finished;
  return { compressed: Buffer.concat(chunks), crc, unpackedBytes };
}

/** A real roster from the template, its worksheet padded with whitespace to `paddingMiB` MiB. */
async function paddedRoster(paddingMiB: number, declare: 'honest' | 'lying'): Promise<Buffer> {
  const roster = await JSZip.loadAsync(await rosterFile('members', [['田大哥', '433123196106060012', '13600006001', '433123101001']]));
  const entries: ZipEntry[] = [];
  for (const [name, file] of Object.entries(roster.files)) {
    if (file.dir) continue;
    const content = await file.async('nodebuffer');
    if (name === 'xl/worksheets/sheet1.xml') {
      const at = content.indexOf('<sheetData>') + '<sheetData>'.length;
      const sheet = await deflatedSheet(content.subarray(0, at), content.subarray(at), paddingMiB);
      entries.push({ name, ...sheet, declaredBytes: declare === 'honest' ? sheet.unpackedBytes : 1024 });
    } else {
      const deflated = await deflatedSheet(content, Buffer.alloc(0), 0);
      entries.push({ name, compressed: deflated.compressed, crc: crc32(content), unpackedBytes: content.length, declaredBytes: content.length });
    }
  }
  return zipArchive(entries);
}

function multipart(fields: Record<string, string>, file: Buffer): { body: Buffer; contentType: string } {
  const boundary = '----silverhoursbomb';
  const parts: Buffer[] = Object.entries(fields).map(([name, value]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bomb.xlsx"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n`), file, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

t.test('a zip bomb roster is refused with a message, writes nothing, and /healthz answers meanwhile', async (t) => {
  const { app, db } = await createTestApp({ signInAttemptsPerAddress: 1000 });
  t.teardown(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const coordinator = new AddressClient(port, '127.0.0.1');
  await coordinator.get('/sign-in');
  t.equal((await coordinator.post('/sign-in', { phone: demoPhone('coordinator'), password: demoPassword, next: '/' })).status, 303);
  await coordinator.get('/import');

  const small = await paddedRoster(1, 'honest');
  const honest = await paddedRoster(unpackedMiB, 'honest');
  const lying = await paddedRoster(unpackedMiB, 'lying');
  t.ok(honest.length < 2 * 1024 * 1024 && lying.length < 2 * 1024 * 1024, `the bombs are small files (${Math.round(lying.length / 1024)} KiB) that unpack to ${unpackedMiB} MiB`);
  const tables = () => ({ batches: count(db, 'import_batches'), rows: count(db, 'import_rows'), members: count(db, 'members'), audit: count(db, 'audit_log') });
  const before = tables();

  for (const [label, file] of [['declares its size', honest], ['lies about its size', lying]] as const) {
    const upload = multipart({ _csrf: coordinator.csrfToken, kind: 'members' }, file);
    const answer = await coordinator.postRaw('/import', upload.body, upload.contentType);
    t.equal(answer.status, 422, `a bomb that ${label} is refused`);
    t.match(visibleText(answer.body), refusal, `${label}: the refusal says why, in Chinese`);
    t.same(tables(), before, `${label}: nothing was written`);
  }

  // Fire the lying bomb and /healthz together: the health check is answered before the upload is.
  const events: string[] = [];
  let healthz: Promise<unknown> = Promise.resolve();
  const upload = multipart({ _csrf: coordinator.csrfToken, kind: 'members' }, lying);
  const bomb = coordinator.postRaw('/import', upload.body, upload.contentType, () => {
    events.push('upload sent');
    healthz = new AddressClient(port, '127.0.0.1').get('/healthz').then((answer) => events.push(`healthz ${answer.status}`));
  }).then((answer) => events.push(`upload ${answer.status}`));
  await bomb;
  await healthz;
  t.same(events, ['upload sent', 'healthz 200', 'upload 422'], 'the health check did not wait for the upload');
  t.same(tables(), before, 'still nothing written');

  // The control: the same roster padded to 1 MiB is read and checked as usual.
  const control = multipart({ _csrf: coordinator.csrfToken, kind: 'members' }, small);
  const accepted = await coordinator.postRaw('/import', control.body, control.contentType);
  t.equal(accepted.status, 303, 'an ordinary roster is accepted');
  t.equal(count(db, 'import_batches'), before.batches + 1);
});

import { inflateRawSync } from 'node:zlib';

/**
 * An .xlsx is a zip archive. Before a spreadsheet library inflates it whole,
 * this walks the archive and refuses one that would unpack to more than
 * `maximumUnpackedBytes` (a zip bomb: a few hundred KiB that inflate to
 * hundreds of MiB) or whose worksheets hold more rows than a roster may.
 * Both the sizes the archive declares and the bytes that actually come out
 * are checked: inflation stops as soon as the output passes what is left of
 * the allowance, so an archive that lies about its sizes is caught too.
 */
export const maximumUnpackedBytes = 50 * 1024 * 1024;
export const maximumArchiveEntries = 500;

export type ArchiveCheck = { ok: true } | { ok: false; reason: 'unreadable' | 'too_big' | 'too_many_rows' };

const endOfCentralDirectory = 0x06054b50;
const centralDirectoryEntry = 0x02014b50;
const localFileHeader = 0x04034b50;

interface Entry {
  name: string;
  method: number;
  compressedBytes: number;
  declaredBytes: number;
  localHeaderOffset: number;
}

function findEnd(file: Buffer): number {
  const earliest = Math.max(0, file.length - 22 - 0xffff);
  for (let offset = file.length - 22; offset >= earliest; offset -= 1) {
    if (file.readUInt32LE(offset) === endOfCentralDirectory) return offset;
  }
  return -1;
}

function readEntries(file: Buffer): Entry[] | null {
  if (file.length < 22) return null;
  const end = findEnd(file);
  if (end < 0) return null;
  const count = file.readUInt16LE(end + 10);
  let offset = file.readUInt32LE(end + 16);
  if (count > maximumArchiveEntries) return null;
  const entries: Entry[] = [];
  for (let index = 0; index < count; index += 1) {
    if (offset + 46 > file.length || file.readUInt32LE(offset) !== centralDirectoryEntry) return null;
    const nameBytes = file.readUInt16LE(offset + 28);
    const extraBytes = file.readUInt16LE(offset + 30);
    const commentBytes = file.readUInt16LE(offset + 32);
    entries.push({
      name: file.toString('utf8', offset + 46, offset + 46 + nameBytes),
      method: file.readUInt16LE(offset + 10),
      compressedBytes: file.readUInt32LE(offset + 20),
      declaredBytes: file.readUInt32LE(offset + 24),
      localHeaderOffset: file.readUInt32LE(offset + 42),
    });
    offset += 46 + nameBytes + extraBytes + commentBytes;
  }
  return entries;
}

function entryData(file: Buffer, entry: Entry): Buffer | null {
  const at = entry.localHeaderOffset;
  if (at + 30 > file.length || file.readUInt32LE(at) !== localFileHeader) return null;
  const start = at + 30 + file.readUInt16LE(at + 26) + file.readUInt16LE(at + 28);
  if (start + entry.compressedBytes > file.length) return null;
  return file.subarray(start, start + entry.compressedBytes);
}

/** Counts `<row` elements in worksheet XML (the roster's row limit, checked before parsing). */
function countRows(xml: Buffer): number {
  let rows = 0;
  for (let at = xml.indexOf('<row'); at >= 0; at = xml.indexOf('<row', at + 4)) {
    const next = xml[at + 4];
    if (next === 0x20 || next === 0x3e || next === 0x2f || next === 0x09 || next === 0x0a || next === 0x0d) rows += 1;
  }
  return rows;
}

export function checkArchive(file: Buffer, maximumRows: number): ArchiveCheck {
  const entries = readEntries(file);
  if (!entries) return { ok: false, reason: 'unreadable' };
  // Zip64 (0xFFFFFFFF) sizes are never needed by a roster: treat them as too big.
  const declared = entries.reduce((sum, entry) => sum + entry.declaredBytes, 0);
  if (declared > maximumUnpackedBytes || entries.some((entry) => entry.declaredBytes === 0xffffffff)) return { ok: false, reason: 'too_big' };
  let unpacked = 0;
  for (const entry of entries) {
    const data = entryData(file, entry);
    if (!data) return { ok: false, reason: 'unreadable' };
    let output: Buffer;
    if (entry.method === 0) output = data;
    else if (entry.method === 8) {
      try {
        output = inflateRawSync(data, { maxOutputLength: Math.max(1, maximumUnpackedBytes - unpacked) });
      } catch (error) {
        return { ok: false, reason: (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'too_big' : 'unreadable' };
      }
    } else return { ok: false, reason: 'unreadable' };
    unpacked += output.length;
    if (unpacked > maximumUnpackedBytes) return { ok: false, reason: 'too_big' };
    if (/^xl\/worksheets\/[^/]+\.xml$/.test(entry.name) && countRows(output) > maximumRows + 1) return { ok: false, reason: 'too_many_rows' };
  }
  return { ok: true };
}

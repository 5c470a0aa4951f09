import type ExcelJS from 'exceljs';
import { typeScriptWorker } from '../../../lib/typescript-worker.ts';
import { checkArchive, maximumUnpackedBytes } from './archive.ts';
import { maximumRosterRows, rosterColumns, type RosterKind } from './columns.ts';
import type { Problem } from '../members/context.ts';

export interface RosterRow {
  /** Row number as Excel shows it (the header is row 1). */
  rowNumber: number;
  cells: Record<string, string>;
  /** Columns whose cell held a number where text was required (ID numbers lose digits). */
  numericTextColumns: string[];
}

export type RosterRead = { ok: true; rows: RosterRow[] } | { ok: false; problem: Problem };

const unreadable: RosterRead = { ok: false, problem: { code: 'people.error.import_file_unreadable', field: 'file' } };

function cellText(value: ExcelJS.CellValue): { text: string; numeric: boolean } {
  if (value === null || value === undefined) return { text: '', numeric: false };
  if (typeof value === 'string') return { text: value.trim(), numeric: false };
  if (typeof value === 'number') return { text: Number.isSafeInteger(value) ? String(value) : String(value), numeric: true };
  if (typeof value === 'boolean') return { text: value ? '是' : '否', numeric: false };
  if (value instanceof Date) return { text: value.toISOString().slice(0, 10), numeric: false };
  if (typeof value === 'object') {
    if ('richText' in value) return { text: value.richText.map((part) => part.text).join('').trim(), numeric: false };
    if ('text' in value && typeof value.text === 'string') return { text: value.text.trim(), numeric: false };
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
  }
  return { text: String(value).trim(), numeric: false };
}

/**
 * Reads a roster in a worker thread, so a large or hostile file never holds
 * up other requests, and with a memory ceiling of its own. A worker that dies
 * (out of memory, a crash) answers "unreadable"; nothing is written either way.
 */
export function readRoster(kind: RosterKind, file: Buffer): Promise<RosterRead> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: RosterRead) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const worker = typeScriptWorker(new URL('./roster-worker.ts', import.meta.url), { workerData: { kind, file }, resourceLimits: { maxOldGenerationSizeMb: 512 } });
    worker.once('message', (result: RosterRead) => {
      settle(result);
      void worker.terminate();
    });
    worker.once('error', () => settle(unreadable));
    worker.once('exit', () => settle(unreadable));
  });
}

/**
 * Reads the first worksheet of a roster (in the worker). The archive is
 * checked first (unpacked size and row count, see archive.ts); the header
 * must match the template (each cell starting with the Chinese label);
 * empty rows are skipped.
 */
export async function parseRoster(kind: RosterKind, file: Buffer): Promise<RosterRead> {
  const archive = checkArchive(file, maximumRosterRows);
  if (!archive.ok) {
    if (archive.reason === 'too_big') return { ok: false, problem: { code: 'people.error.import_file_unpacks_too_big', field: 'file', params: { megabytes: maximumUnpackedBytes / 1024 / 1024 } } };
    if (archive.reason === 'too_many_rows') return { ok: false, problem: { code: 'people.error.import_too_many_rows', field: 'file', params: { max: maximumRosterRows } } };
    return unreadable;
  }
  // Loaded only now, so a refused archive costs the worker no spreadsheet library.
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  try {
    await workbook.xlsx.load(file as unknown as ArrayBuffer);
  } catch {
    return unreadable;
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) return unreadable;
  const columns = rosterColumns[kind];
  const header = sheet.getRow(1);
  for (const [index, column] of columns.entries()) {
    const text = cellText(header.getCell(index + 1).value).text;
    if (!text.startsWith(column.zh)) {
      return { ok: false, problem: { code: 'people.error.import_header_mismatch', field: 'file', params: { column: index + 1, expected: column.zh } } };
    }
  }
  if (sheet.actualRowCount - 1 > maximumRosterRows) {
    return { ok: false, problem: { code: 'people.error.import_too_many_rows', field: 'file', params: { max: maximumRosterRows } } };
  }
  const rows: RosterRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    if (rowNumber === 1) return;
    const cells: Record<string, string> = {};
    const numericTextColumns: string[] = [];
    let empty = true;
    for (const [index, column] of columns.entries()) {
      const { text, numeric } = cellText(row.getCell(index + 1).value);
      cells[column.key] = text;
      if (text !== '') empty = false;
      if (numeric && column.key === 'idNumber') numericTextColumns.push(column.key);
    }
    if (!empty) rows.push({ rowNumber, cells, numericTextColumns });
  });
  if (rows.length === 0) return { ok: false, problem: { code: 'people.error.import_empty', field: 'file' } };
  return { ok: true, rows };
}

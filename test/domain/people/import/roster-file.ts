import ExcelJS from 'exceljs';
import { headerText, rosterColumns, type RosterKind } from '../../../../src/domain/people/import/columns.ts';

/** Builds an .xlsx roster like a user would fill the template. `numericIdRows` writes those rows' ID as a number. */
export async function rosterFile(kind: RosterKind, rows: (string | number | null)[][], options: { header?: string[] } = {}): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('roster');
  sheet.addRow(options.header ?? rosterColumns[kind].map(headerText));
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

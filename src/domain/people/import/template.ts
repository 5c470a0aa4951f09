import { headerText, rosterColumns, type RosterKind } from './columns.ts';
import { importRoleRefusal } from './batch.ts';
import { canImportRosters } from './permissions.ts';
import { villageChoices } from '../members/choices.ts';
import { success, type Actor, type Outcome, type PeopleContext } from '../members/context.ts';

export interface TemplateVillage {
  code: string;
  name: string;
}

const instructions: Record<RosterKind, string[]> = {
  members: [
    '填写说明 How to fill in',
    '1. 每行一人，从第 2 行开始填写；不要改动第 1 行表头。 One person per row from row 2; keep the header row.',
    '2. 身份证号填 18 位，本列已设为文本格式；请不要把它改成数字格式，否则末几位会丢失。 ID numbers: 18 characters; the column is Text — keep it so.',
    '3. 手机号可空（没有手机的村民）；如填写须为 11 位。 Mobile may be empty; otherwise 11 digits.',
    '4. 村/社区代码为 12 位行政区划代码，见“村代码”工作表。 Village code: the 12-digit code, see the sheet of codes.',
    '5. 上传后系统先检查整个文件，按行列出错误；您可以改正后重新上传，或只导入正确的行。同一个文件重复上传不会重复登记。 The whole file is checked first; the same file uploaded twice creates nothing new.',
  ],
  elders: [
    '填写说明 How to fill in',
    '1. 每行一位老人，从第 2 行开始填写；不要改动第 1 行表头。 One elder per row from row 2; keep the header row.',
    '2. 身份证号填 18 位文本；老人须年满 60 周岁。 18-character ID number as text; elders are 60 or older.',
    '3. 类别可填多个，用顿号或逗号分开：独居、空巢、留守、失能、半失能、重残、计划生育特殊家庭、高龄、特困、低保。 Categories, separated by commas.',
    '4. 探访周期默认 30 天（每月一次）。 Visit interval defaults to 30 days.',
    '5. 同意人填：本人、监护人 或 家属；上传即表示已取得书面同意登记。 Consent given by: 本人 (self), 监护人 (guardian) or 家属 (family); uploading records written consent.',
    '6. 失能、半失能、重残属于敏感健康信息，须取得单独同意，“健康信息单独同意”一列填“是”。 Health categories need a separate consent: write 是 (yes).',
  ],
};

/** The villages a template lists: those the actor may import into; the 403 for an actor who imports nothing. */
export function rosterTemplateVillages(context: PeopleContext, actor: Actor): Outcome<TemplateVillage[]> {
  const denied = importRoleRefusal(actor);
  if (denied) return denied;
  return success(villageChoices(context, actor, 'zh-CN', canImportRosters).map((village) => ({ code: village.code, name: `${village.township} ${village.name}`.trim() })));
}

/** The .xlsx template for a roster, with an instructions sheet and the villages the user may import into. */
export async function rosterTemplate(kind: RosterKind, villages: readonly TemplateVillage[] = []): Promise<Buffer> {
  // Loaded on first use, as for the report exports (src/domain/reports/exports.ts).
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Silver Hours 银龄时光';
  const sheet = workbook.addWorksheet(kind === 'members' ? '成员 Members' : '老人 Elders', { views: [{ state: 'frozen', ySplit: 1 }] });
  const columns = rosterColumns[kind];
  sheet.columns = columns.map((column) => ({ header: headerText(column), key: column.key, width: column.width, style: column.text ? { numFmt: '@' } : {} }));
  sheet.getRow(1).font = { bold: true };
  const help = workbook.addWorksheet('说明 Instructions');
  help.getColumn(1).width = 120;
  for (const line of instructions[kind]) help.addRow([line]);
  const codes = workbook.addWorksheet('村代码 Village codes');
  codes.columns = [
    { header: '村/社区代码 Village code', key: 'code', width: 20, style: { numFmt: '@' } },
    { header: '名称 Name', key: 'name', width: 30 },
  ];
  for (const village of villages) codes.addRow({ code: village.code, name: village.name });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

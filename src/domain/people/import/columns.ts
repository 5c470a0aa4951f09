/**
 * The columns of the two roster templates. The header cell holds the Chinese
 * label and the English one ('身份证号 ID-card number'); a file is accepted
 * when each header starts with the Chinese label.
 */
export type RosterKind = 'members' | 'elders';

export interface RosterColumn {
  key: string;
  zh: string;
  en: string;
  /** Column is stored as text in the template (ID numbers, phones, codes). */
  text: boolean;
  width: number;
}

const common: RosterColumn[] = [
  { key: 'realName', zh: '姓名', en: 'Name', text: true, width: 12 },
  { key: 'idNumber', zh: '身份证号', en: 'ID-card number', text: true, width: 24 },
  { key: 'phone', zh: '手机号', en: 'Mobile', text: true, width: 16 },
  { key: 'villageCode', zh: '村/社区代码', en: 'Village code', text: true, width: 18 },
];

export const rosterColumns: Readonly<Record<RosterKind, readonly RosterColumn[]>> = {
  members: common,
  elders: [
    ...common,
    { key: 'categories', zh: '类别', en: 'Categories', text: true, width: 22 },
    { key: 'visitIntervalDays', zh: '探访周期(天)', en: 'Visit interval (days)', text: false, width: 14 },
    { key: 'familyContactName', zh: '家属姓名', en: 'Family contact', text: true, width: 12 },
    { key: 'familyContactRelation', zh: '家属关系', en: 'Relation', text: true, width: 10 },
    { key: 'familyContactPhone', zh: '家属电话', en: 'Family phone', text: true, width: 16 },
    { key: 'consentGivenBy', zh: '同意人', en: 'Consent given by', text: true, width: 12 },
    { key: 'sensitiveConsent', zh: '健康信息单独同意', en: 'Separate consent for health data', text: true, width: 18 },
  ],
};

export function headerText(column: RosterColumn): string {
  return `${column.zh} ${column.en}`;
}

/** Spreadsheet column letter of a 0-based index (A, B, ... Z, AA). */
export function columnLetter(index: number): string {
  let letters = '';
  let number = index + 1;
  while (number > 0) {
    const remainder = (number - 1) % 26;
    letters = String.fromCharCode(65 + remainder) + letters;
    number = Math.floor((number - 1) / 26);
  }
  return letters;
}

/** Largest file accepted in one upload. */
export const maximumRosterRows = 20_000;

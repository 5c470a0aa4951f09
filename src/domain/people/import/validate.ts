import { categoryByChineseLabel } from '../elders/categories.ts';
import { checkElderInput, findDuplicateElder, type CheckedElder, type ConsentInput, type ElderInput } from '../elders/register.ts';
import type { Actor, PeopleContext, Problem } from '../members/context.ts';
import { countDuplicateRefusal, findDuplicateMember, inActorScope } from '../members/identity.ts';
import { checkMemberInput, type CheckedMember } from '../members/register.ts';
import { columnLetter, rosterColumns, type RosterKind } from './columns.ts';
import type { RosterRow } from './roster.ts';

/** One problem of one row, located by column key and letter. No personal data in params except masked. */
export interface RowProblem {
  column: string;
  letter: string;
  code: string;
  params?: Record<string, string | number>;
}

export type CheckedRow =
  | { rowNumber: number; kind: 'members'; checked: CheckedMember; problems: [] }
  | { rowNumber: number; kind: 'elders'; checked: CheckedElder; problems: [] }
  | { rowNumber: number; kind: RosterKind; checked: null; problems: RowProblem[] };

const fieldToColumn: Record<string, string> = { consent: 'consentGivenBy', sensitiveConsent: 'sensitiveConsent', memberId: 'realName' };

function locate(kind: RosterKind, problem: Problem): RowProblem {
  const column = fieldToColumn[problem.field ?? ''] ?? problem.field ?? 'realName';
  const index = rosterColumns[kind].findIndex((entry) => entry.key === column);
  return { column, letter: columnLetter(Math.max(index, 0)), code: problem.code, ...(problem.params ? { params: problem.params } : {}) };
}

const consentGivers: Record<string, ConsentInput['givenBy']> = { 本人: 'self', self: 'self', 监护人: 'guardian', guardian: 'guardian', 家属: 'family', family: 'family' };
const yes = new Set(['是', '有', 'yes', 'y', '1', '√', '✓']);

export function elderInputFromRow(cells: Record<string, string>): ElderInput {
  const giver = consentGivers[(cells.consentGivenBy ?? '').trim().toLowerCase()] ?? consentGivers[(cells.consentGivenBy ?? '').trim()];
  const consent: ConsentInput | null = cells.consentGivenBy?.trim()
    ? { givenBy: giver ?? ('unknown' as ConsentInput['givenBy']), method: 'written' }
    : null;
  const intervalText = (cells.visitIntervalDays ?? '').trim();
  return {
    realName: cells.realName ?? '',
    idNumber: cells.idNumber ?? '',
    phone: cells.phone,
    villageCode: cells.villageCode ?? '',
    categories: (cells.categories ?? '').split(/[、,，;；\s]+/).filter((part) => part !== '').map((label) => categoryByChineseLabel[label] ?? label),
    visitIntervalDays: intervalText === '' ? null : /^\d+$/.test(intervalText) ? Number(intervalText) : Number.NaN,
    familyContactName: cells.familyContactName,
    familyContactRelation: cells.familyContactRelation,
    familyContactPhone: cells.familyContactPhone,
    consent,
    sensitiveConsent: consent && yes.has((cells.sensitiveConsent ?? '').trim().toLowerCase()) ? consent : null,
  };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Thrown by checkRosterRows when a row is already registered outside the
 * importer's scope and the importer's hourly allowance of such answers (the
 * registration forms' duplicate refusals) is used up: the upload is refused
 * as a whole, so no row of the file says whether its person is registered
 * elsewhere. See uploadRoster.
 */
export class DuplicateAllowanceUsedUp extends Error {
  constructor() {
    super('duplicate allowance used up');
  }
}

/** The first row of the file with each ID number (and, for members, each phone). */
interface SeenInFile {
  byId: Map<string, number>;
  byPhone: Map<string, number>;
}

/** A row whose ID number (or member phone) an earlier row of the same file already has; notes the row's own otherwise. */
function duplicatesInFile(seen: SeenInFile, kind: RosterKind, checked: CheckedMember | CheckedElder, rowNumber: number): RowProblem[] {
  const problems: RowProblem[] = [];
  const sameId = seen.byId.get(checked.idHmac);
  if (sameId !== undefined) problems.push({ column: 'idNumber', letter: 'B', code: 'people.error.import_duplicate_in_file', params: { row: sameId } });
  else seen.byId.set(checked.idHmac, rowNumber);
  const phone = kind === 'members' ? (checked as CheckedMember).phone : null;
  if (phone) {
    const samePhone = seen.byPhone.get(phone);
    if (samePhone !== undefined) problems.push({ column: 'phone', letter: 'C', code: 'people.error.import_duplicate_in_file', params: { row: samePhone } });
    else seen.byPhone.set(phone, rowNumber);
  }
  return problems;
}

/**
 * The person a row names is registered already: who holds the number is named
 * only inside the importer's scope; elsewhere the row says only that, and it
 * counts against the allowance (`elsewhere`).
 */
function duplicateInSystem(
  context: PeopleContext, actor: Actor, kind: RosterKind, checked: CheckedMember | CheckedElder,
  elsewhere: (objectType: 'member' | 'elder', column: string) => RowProblem,
): RowProblem | null {
  if (kind === 'members') {
    const member = checked as CheckedMember;
    const duplicate = findDuplicateMember(context, member.idHmac, member.phone);
    if (!duplicate) return null;
    if (!inActorScope(context, actor, duplicate.member.villagePath)) return elsewhere('member', duplicate.by);
    return { column: duplicate.by, letter: duplicate.by === 'idNumber' ? 'B' : 'C', code: 'people.error.import_duplicate_in_system', params: { name: duplicate.member.maskedName, village: duplicate.member.villageName } };
  }
  const duplicate = findDuplicateElder(context, checked.idHmac, actor);
  if (!duplicate) return null;
  return duplicate.params ? { column: 'idNumber', letter: 'B', code: 'people.error.import_duplicate_in_system', params: duplicate.params } : elsewhere('elder', 'idNumber');
}

/**
 * Checks every row: field rules, scope, duplicates within the file (by ID
 * number, and phone for members) and duplicates already in the system. Yields
 * to the event loop every `chunkSize` rows so other requests keep flowing.
 */
export async function checkRosterRows(
  context: PeopleContext,
  actor: Actor,
  kind: RosterKind,
  rows: readonly RosterRow[],
  options: { chunkSize?: number; onProgress?: (checked: number) => void; countElsewhere?: boolean } = {},
): Promise<CheckedRow[]> {
  // Counted once, at upload (the import re-checks the same rows and must not count them again).
  const elsewhere = (objectType: 'member' | 'elder', column: string): RowProblem => {
    if (options.countElsewhere && !countDuplicateRefusal(context, actor, objectType, null, column)) throw new DuplicateAllowanceUsedUp();
    return { column, letter: column === 'idNumber' ? 'B' : 'C', code: 'people.error.import_duplicate_elsewhere' };
  };
  const chunkSize = options.chunkSize ?? 500;
  const seen: SeenInFile = { byId: new Map(), byPhone: new Map() };
  const results: CheckedRow[] = [];
  for (const [index, row] of rows.entries()) {
    if (index > 0 && index % chunkSize === 0) {
      options.onProgress?.(index);
      await yieldToEventLoop();
    }
    const outcome = kind === 'members'
      ? checkMemberInput(context, actor, { realName: row.cells.realName ?? '', idNumber: row.cells.idNumber ?? '', phone: row.cells.phone, villageCode: row.cells.villageCode ?? '' })
      : checkElderInput(context, actor, elderInputFromRow(row.cells));
    // An ID number typed as an Excel number has lost its last digits (a double keeps about 15), so it is
    // refused even when the rounded digits happen to pass the check digit: they are someone else's number.
    if (row.numericTextColumns.includes('idNumber')) {
      const others = outcome.ok ? [] : outcome.problems.map((problem) => locate(kind, problem)).filter((problem) => problem.column !== 'idNumber');
      results.push({ rowNumber: row.rowNumber, kind, checked: null, problems: [{ column: 'idNumber', letter: 'B', code: 'people.error.id_not_text' }, ...others] });
      continue;
    }
    if (!outcome.ok) {
      results.push({ rowNumber: row.rowNumber, kind, checked: null, problems: outcome.problems.map((problem) => locate(kind, problem)) });
      continue;
    }
    const checked = outcome.value;
    const problems = duplicatesInFile(seen, kind, checked, row.rowNumber);
    const inSystem = problems.length === 0 ? duplicateInSystem(context, actor, kind, checked, elsewhere) : null;
    if (inSystem) problems.push(inSystem);
    if (problems.length > 0) results.push({ rowNumber: row.rowNumber, kind, checked: null, problems });
    else if (kind === 'members') results.push({ rowNumber: row.rowNumber, kind: 'members', checked: checked as CheckedMember, problems: [] });
    else results.push({ rowNumber: row.rowNumber, kind: 'elders', checked: checked as CheckedElder, problems: [] });
  }
  options.onProgress?.(rows.length);
  return results;
}

import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { migrationsFolder, openDatabase } from '../../../../src/db/client.ts';
import { registerMember } from '../../../../src/domain/people/members/register.ts';
import {
  assignVolunteerNumber, formatVolunteerNumber, isValidVolunteerNumber, spacedVolunteerNumber, volunteerCheckCharacter,
} from '../../../../src/domain/people/members/volunteer-number.ts';
import { checkCharacter } from '../../../../src/lib/idcard.ts';
import { peopleFixture, villages } from '../fixture.ts';

t.test('the check character is ISO 7064 MOD 11-2 (the ID number check) and catches a wrong digit or a swap', async (t) => {
  // The same algorithm over 17 digits gives the ID card's check character.
  t.equal(volunteerCheckCharacter('11010519491231002'), checkCharacter('11010519491231002'));
  t.equal(volunteerCheckCharacter('11010519491231002'), 'X');
  const number = formatVolunteerNumber('433123', 1);
  t.match(number, /^YL4331230000001[\dX]$/);
  t.ok(isValidVolunteerNumber(number));
  t.equal(spacedVolunteerNumber(number), `YL 433123 0000001 ${number[15]}`);
  for (let position = 2; position < 15; position += 1) {
    const digit = Number(number[position]);
    const typo = number.slice(0, position) + String((digit + 1) % 10) + number.slice(position + 1);
    t.notOk(isValidVolunteerNumber(typo), `a wrong digit at ${position} is caught`);
  }
  const swapped = number.slice(0, 7) + number[8] + number[7] + number.slice(9);
  if (swapped !== number) t.notOk(isValidVolunteerNumber(swapped), 'a swap of two digits is caught');
  for (const bad of ['', 'YL4331230000001', 'XX4331230000001' + number[15], number.toLowerCase(), `${number} `]) t.notOk(isValidVolunteerNumber(bad), `refused: '${bad}'`);
  t.throws(() => formatVolunteerNumber('433123', 0));
  t.throws(() => formatVolunteerNumber('433123', 10_000_000));
  t.throws(() => formatVolunteerNumber('43312', 1));
});

t.test('registration gives each member the next number of the home county, never from the ID number', async (t) => {
  const f = peopleFixture();
  const register = (sequence: number, village: string) => {
    const outcome = registerMember(f.context, f.admin, { realName: '王秀英', phone: null, idNumber: f.idNumber(sequence), villageCode: village });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
    return f.db.$client.prepare('SELECT volunteer_number FROM members WHERE id = ?').pluck().get(outcome.value.memberId) as string;
  };
  const first = register(1, villages.hongqi);
  const second = register(2, villages.dongzheng);
  const other = register(3, villages.xinqiao);
  t.equal(first, formatVolunteerNumber('433123', 1));
  t.equal(second, formatVolunteerNumber('433123', 2), 'the same county: the next sequence');
  t.equal(other, formatVolunteerNumber('433122', 1), 'another county starts at 1');
  t.equal(assignVolunteerNumber(f.db, villages.hongqi), formatVolunteerNumber('433123', 3));
  t.notOk(first.includes(f.idNumber(1).slice(6, 14)), 'the birth date of the ID number is not in it');
  t.throws(() => f.db.$client.prepare('UPDATE members SET volunteer_number = ? WHERE volunteer_number = ?').run(first, second), /UNIQUE/);
});

/** The migrations folder cut after `last` (the journal is what the migrator reads). */
function migrationsUpTo(dir: string, last: number): string {
  const folder = join(dir, `drizzle-${last}`);
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number; tag: string }[] };
  journal.entries = journal.entries.filter((entry) => entry.idx <= last);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

t.test('the migration numbers existing members per county in id order, with valid check characters', async (t) => {
  const dir = t.testdir();
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number; tag: string }[] };
  const own = journal.entries.find((entry) => entry.tag.endsWith('_volunteer_numbers'))!;
  const db = openDatabase(join(dir, 'old.db'), { migrate: false });
  migrate(db, { migrationsFolder: migrationsUpTo(dir, own.idx - 1) });
  const sqlite = db.$client;
  const region = sqlite.prepare("INSERT INTO regions (code, level, name_zh, path, created_at_ms) VALUES (?, 'village', ?, ?, 0)");
  for (const code of ['433123100201', '433122100201', '433123100202']) region.run(code, code, `/${code}/`);
  const member = sqlite.prepare(`INSERT INTO members (id, real_name, name_pinyin, name_initials, id_number_ciphertext, id_number_hmac, birth_date, gender, village_code,
    status, source, created_at_ms, updated_at_ms) VALUES (?, '甲', 'jia', 'j', 'c', ?, '1958-01-01', 'female', ?, 'active', 'import', 0, 0)`);
  const homes: [number, string][] = [[5, '433123100201'], [7, '433122100201'], [9, '433123100202'], [12, '433123100201']];
  for (const [id, village] of homes) member.run(id, `h${id}`, village);
  migrate(db, { migrationsFolder });
  const numbers = sqlite.prepare('SELECT id, volunteer_number AS number FROM members ORDER BY id').all() as { id: number; number: string }[];
  t.same(numbers, [
    { id: 5, number: formatVolunteerNumber('433123', 1) },
    { id: 7, number: formatVolunteerNumber('433122', 1) },
    { id: 9, number: formatVolunteerNumber('433123', 2) },
    { id: 12, number: formatVolunteerNumber('433123', 3) },
  ], 'the SQL check character is the one the code computes');
  t.ok(numbers.every((row) => isValidVolunteerNumber(row.number)));
  t.equal(assignVolunteerNumber(db, '433123100201'), formatVolunteerNumber('433123', 4), 'the next registration follows on');
});

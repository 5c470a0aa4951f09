import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrationsFolder } from '../../src/db/client.ts';

/**
 * A copy of the migrations folder as it was before the migration whose tag
 * ends with `migrationName` (the journal cut before it), to build a database
 * written before that migration and then run it. Throws if it is not in the journal.
 */
export function migrationsBefore(dir: string, migrationName: string): string {
  const folder = join(dir, 'drizzle-before');
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number; tag: string }[] };
  const index = journal.entries.findIndex((entry) => entry.tag.endsWith(migrationName));
  if (index <= 0) throw new Error(`migration ${migrationName} is not in the journal`);
  journal.entries = journal.entries.slice(0, index);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

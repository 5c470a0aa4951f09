import { test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Every table of src/db/schema is created by the migrations at start-up (src/db/client.ts), so code that
// asks sqlite_master whether one of them exists tests something that is always true: a branch that never
// runs (the national export once checked for star_awards, the reports for service_records and partner_sites).
// Only the database layer (src/db) and the demo's index inspection read sqlite_master.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function typeScriptFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('no code outside src/db asks whether a table exists', async (t) => {
  const probes: string[] = [];
  for (const file of typeScriptFiles(join(root, 'src'))) {
    const name = relative(root, file);
    if (name.startsWith(join('src', 'db'))) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
      if (/sqlite_master|sqlite_schema/.test(line) && /type\s*=\s*'table'/.test(line)) probes.push(`${name}:${index + 1}`);
    });
  }
  t.same(probes, [], 'no table-existence probe outside the database layer');
});

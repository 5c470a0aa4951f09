/**
 * The child process of verifyInBackground: verifies the ledger in DB_FILE on
 * a read-only connection and prints the verdict as JSON.
 * Usage: verification-process.ts DB_FILE NOW_MS
 */
import Database from 'better-sqlite3';
import { measureFullVerification } from './verification.ts';

const [file, nowText] = process.argv.slice(2) as [string, string];
const sqlite = new Database(file, { readonly: true, fileMustExist: true });
try {
  process.stdout.write(JSON.stringify(measureFullVerification(sqlite, Number(nowText))));
} finally {
  sqlite.close();
}

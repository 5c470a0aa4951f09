/**
 * Operator commands: `npm run cli -- <command>`.
 * Each command opens the database in DATA_DIR (default ./data) itself, so it
 * can run beside a live server (SQLite WAL allows it), holding the DATA_DIR
 * lock shared as servers do; `restore` takes it exclusively (src/db/lock.ts).
 */
import { resolve } from 'node:path';
import { describeStorageFailure } from './db/failures.ts';
import { KeyCheckError } from './lib/secrets.ts';
import { backupCommands } from './cli/backup.ts';
import { dataCommands } from './cli/data.ts';
import { keysCommands } from './cli/keys.ts';
import { ledgerCommands } from './cli/ledger.ts';
import { CliFailure, type Command } from './cli/support.ts';

export { CliFailure, runningServerPid } from './cli/support.ts';

/** Every command, in the order help lists them. */
const commands: Record<string, Command> = { ...dataCommands, ...backupCommands, ...ledgerCommands, ...keysCommands };

function help(): void {
  console.log('Silver Hours operator commands (npm run cli -- <command>):\n');
  for (const command of Object.values(commands)) console.log(`  ${command.usage.padEnd(34)} ${command.summary}`);
  console.log('\nThe database is DATA_DIR/silver-hours.db (DATA_DIR defaults to ./data).');
}

/** Runs one command; a failure is one sentence on stderr and a non-zero exit, never a stack trace. */
async function runCommand(name: string, command: Command, args: string[]): Promise<number> {
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof CliFailure) {
      console.error(error.message);
      return error.exitCode;
    }
    const storage = describeStorageFailure(error, resolve(process.env.DATA_DIR ?? './data'));
    console.error(storage ?? `${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function main(argv: string[]): Promise<number> {
  for (const length of [2, 1]) {
    const name = argv.slice(0, length).join(' ');
    const command = commands[name];
    if (command) return runCommand(name, command, argv.slice(length));
  }
  if (argv.length > 0 && argv[0] !== 'help' && argv[0] !== '--help') {
    console.error(`Unknown command: ${argv.join(' ')}\n`);
    help();
    return 2;
  }
  help();
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Keys missing or not this database's: one sentence, no stack trace.
  if (!(error instanceof KeyCheckError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}

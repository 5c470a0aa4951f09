// Child process for lock.test.ts: takes the exclusive lock on DATA_DIR and drops
// every reference to it, as an operator command does, then forces garbage
// collection and says so. It keeps running until its parent closes stdin.
import { holdExclusiveLock } from '../../src/db/lock.ts';

const directory = process.argv[2]!;
holdExclusiveLock(directory);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
for (let round = 0; round < 5; round += 1) {
  // Allocate so that a full collection has work to do.
  const garbage = Array.from({ length: 100_000 }, (_, index) => ({ index }));
  garbage.length = 0;
  gc();
  await new Promise((resolve) => setTimeout(resolve, 10));
}
process.stdout.write('collected\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

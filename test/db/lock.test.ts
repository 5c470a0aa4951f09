import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirectoryBusy, heldLockCount, holdSharedLock } from '../../src/db/lock.ts';

t.test('a lock nobody references survives garbage collection: a restore keeps DATA_DIR until it releases it', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'silver-lock-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'lock-holder.ts'), directory], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => { child.stdin.end(); });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('collected')) resolve(); });
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  t.throws(() => holdSharedLock(directory), DataDirectoryBusy, 'after full collections the exclusive lock is still held: no server can start');
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.stdin.end();
  t.equal(await exited, 0);
  const lock = holdSharedLock(directory);
  t.equal(heldLockCount(), 1, 'the holder\'s lock died with it; ours is the only one held here');
  lock.release();
  t.equal(heldLockCount(), 0);
});

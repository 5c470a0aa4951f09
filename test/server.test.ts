import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openDatabase } from '../src/db/client.ts';

interface Started {
  url: string;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** Starts `src/server.ts` as `npm start` would, on a free port, and waits for its URL. */
function startServer(dataDirectory: string): Promise<Started> {
  const child = spawn(process.execPath, ['--import=tsx', 'src/server.ts'], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, DATA_DIR: dataDirectory, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
    const poll = setInterval(() => {
      const url = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (url && output.includes('Demo sign-ins')) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ url, output: () => output, stop: () => (child.kill('SIGTERM'), exited) });
      }
    }, 50);
    void exited.then(() => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`server exited:\n${output}`));
    });
  });
}

t.test('npm start: first start seeds and prints sign-ins, second start keeps data, SIGTERM shuts down cleanly', async (t) => {
  const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-start-'));
  t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));

  const first = await startServer(dataDirectory);
  t.match(first.output(), 'Seeded the demo network');
  t.match(first.output(), '13800000006  yinling2026');
  t.match(first.output(), '兑换密码) of every demo member with a card, 王秀英 included: 258036', 'and the demo redemption PIN');
  const health = await fetch(`${first.url}/healthz`);
  t.equal(health.status, 200);
  const signIn = await fetch(`${first.url}/sign-in`);
  t.match(await signIn.text(), '<html lang="zh-CN"');
  t.equal(await first.stop(), 0, 'exits with 0 on SIGTERM');
  t.equal(statSync(join(dataDirectory, 'secrets.json')).mode & 0o777, 0o600);
  const secrets = readFileSync(join(dataDirectory, 'secrets.json'), 'utf8');
  t.notMatch(first.output(), JSON.parse(secrets).tokenSigningKey, 'secrets are never printed');

  const db = openDatabase(join(dataDirectory, 'silver-hours.db'));
  db.$client.prepare("INSERT INTO regions (code, parent_code, level, name_zh, path, created_at_ms) VALUES ('433123109', '433123', 'township', '测试镇', '/430000/433100/433123/433123109/', 1)").run();
  db.$client.close();

  const second = await startServer(dataDirectory);
  t.notMatch(second.output(), 'Seeded the demo network', 'no second seed');
  t.equal(await second.stop(), 0);
  t.equal(readFileSync(join(dataDirectory, 'secrets.json'), 'utf8'), secrets, 'the same secrets');
  const after = openDatabase(join(dataDirectory, 'silver-hours.db'));
  t.ok(after.$client.prepare("SELECT 1 FROM regions WHERE code = '433123109'").get(), 'data added between starts is kept');
  t.equal((after.$client.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n, 6);
  after.$client.close();
});

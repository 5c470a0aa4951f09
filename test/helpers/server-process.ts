import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { testProfileEnvironment } from './crypto-profile.ts';

const root = join(import.meta.dirname, '..', '..');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a power cut would, and wait for the process to be gone. */
  kill(): Promise<void>;
}

/** Starts `src/server.ts` as a child process on DATA_DIR and waits until it listens. */
export async function startServerProcess(dataDirectory: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDirectory, PORT: '0', LOG_LEVEL: 'warn', SEED_DEMO: '0', ...testProfileEnvironment(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => { output += String(chunk); });
  child.stderr!.on('data', (chunk) => { output += String(chunk); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
    const poll = setInterval(() => {
      const found = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (found) { clearInterval(poll); clearTimeout(timer); resolve(found); }
      if (child.exitCode !== null) { clearInterval(poll); clearTimeout(timer); reject(new Error(`server exited:\n${output}`)); }
    }, 50);
  });
  return {
    url, child, output: () => output,
    async stop() { child.kill('SIGTERM'); return exited; },
    async kill() { child.kill('SIGKILL'); await exited; },
  };
}

export interface Exit { code: number | null; stdout: string; stderr: string }

/**
 * Runs `src/server.ts` or `src/cli.ts` on DATA_DIR to its exit, with `env` over
 * PORT=0 and LOG_LEVEL=warn. A server that starts after all would listen for
 * ever: it is killed after 60 s and the test fails on its output. `asUser` runs
 * it as that uid and gid; tap's process-info hook (added to NODE_OPTIONS of
 * every child) writes into the worktree, which another user may not, so
 * `env -u` drops it then.
 */
export function runToExit(script: 'server' | 'cli', dataDirectory: string, args: readonly string[], options: { env?: Record<string, string>; asUser?: number } = {}): Promise<Exit> {
  const command = [process.execPath, '--import', 'tsx', `src/${script}.ts`, ...args];
  const [file, ...rest] = options.asUser === undefined ? command : ['env', '-u', 'NODE_OPTIONS', ...command];
  const child = spawn(file!, rest, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATA_DIR: dataDirectory, PORT: '0', LOG_LEVEL: 'warn', ...options.env },
    ...(options.asUser === undefined ? {} : { uid: options.asUser, gid: options.asUser }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => { stdout += String(chunk); });
  child.stderr!.on('data', (chunk) => { stderr += String(chunk); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); }));
}

/** A browser-like HTTP client over fetch: keeps cookies and the last CSRF token it saw. */
export class HttpSession {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(public base: string) {}

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async fetch(path: string, init: { form?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const body = init.form ? new URLSearchParams({ _csrf: this.csrf, ...init.form }).toString() : undefined;
    const response = await fetch(this.base + path, {
      method: body ? 'POST' : 'GET', redirect: 'manual', body, signal: init.signal,
      headers: { cookie: this.header(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    return response;
  }

  async page(path: string): Promise<string> {
    const text = await (await this.fetch(path)).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrf = token;
    return text;
  }

  static async signIn(base: string, phone: string, password = 'yinling2026'): Promise<HttpSession> {
    const session = new HttpSession(base);
    await session.page('/sign-in');
    const response = await session.fetch('/sign-in', { form: { phone, password, next: '/' } });
    if (response.status !== 303) throw new Error(`sign-in as ${phone} answered ${response.status}`);
    return session;
  }
}

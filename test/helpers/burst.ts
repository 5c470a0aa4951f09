import { spawn } from 'node:child_process';

export interface BurstRequest {
  path: string;
  form: Record<string, string>;
}

export interface BurstAnswer {
  status: number;
  location: string | null;
  body: string;
}

/** Sends every form at once with fetch, each as a POST with the given cookie header; prints the answers as JSON. */
const script = `
const { base, cookie, requests } = JSON.parse(process.env.BURST);
Promise.all(requests.map(async ({ path, form }) => {
  const response = await fetch(base + path, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams(form).toString(),
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
  });
  return { status: response.status, location: response.headers.get('location'), body: await response.text() };
})).then((answers) => process.stdout.write(JSON.stringify(answers)));
`;

/**
 * POSTs all `requests` at the same moment from a separate process, so that
 * they reach the server while its event loop is busy (a client in the test's
 * own process could only send when the server's loop lets it run).
 */
export function burstFromAnotherProcess(base: string, cookie: string, requests: BurstRequest[]): Promise<BurstAnswer[]> {
  const child = spawn(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH ?? '', BURST: JSON.stringify({ base, cookie, requests }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => { stdout += String(chunk); });
  child.stderr.on('data', (chunk) => { stderr += String(chunk); });
  return new Promise((resolve, reject) => child.on('exit', (code) => {
    if (code !== 0) reject(new Error(`burst client failed (${code}): ${stderr}`));
    else resolve(JSON.parse(stdout) as BurstAnswer[]);
  }));
}

/**
 * A request that arrives while the server shuts down (SIGTERM) gets the
 * localized 503 page, not Fastify's raw English JSON. A real server process:
 * a connection starts a request, the server is told to stop, then the request
 * completes; the server still exits 0.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../helpers/server-process.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const [language, expected] of [['zh-CN', '系统正在重新启动，您的操作没有完成。请稍等一分钟后再试。'], ['en', 'The system is restarting and your action was not completed.']] as const) {
  t.test(`a request arriving during shutdown gets the 503 page (${language})`, { timeout: 120_000 }, async (t) => {
    const dataDirectory = mkdtempSync(join(tmpdir(), 'silver-shutdown-'));
    t.teardown(() => rmSync(dataDirectory, { recursive: true, force: true }));
    const server = await startServerProcess(dataDirectory);
    t.teardown(async () => { if (server.child.exitCode === null) await server.kill(); });
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    let response = '';
    socket.on('data', (chunk) => { response += String(chunk); });
    const ended = new Promise<void>((resolve) => { socket.on('close', () => resolve()); });
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    socket.write(`POST /sign-in HTTP/1.1\r\nHost: ${hostname}\r\nAccept-Language: ${language}\r\n`);
    await pause(300);
    const exited = server.stop();
    await pause(500);
    socket.write('Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\nphone=138');
    await Promise.race([ended, pause(20_000)]);
    socket.destroy();

    const [head = '', body = ''] = response.split('\r\n\r\n');
    t.match(head, /^HTTP\/1\.1 503 /, `503: ${head.split('\r\n')[0]}`);
    t.match(head, /content-type: text\/html; charset=utf-8/i, 'an HTML page');
    t.match(head, /connection: close/i);
    t.notMatch(body, '"Service Unavailable"', 'not Fastify\'s JSON');
    t.match(body, expected, 'the localized message');
    t.equal(await exited, 0, 'the server still exits 0');
  });
}

import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp, type AppOptions } from '../../src/app.ts';
import { openDatabase, type Db } from '../../src/db/client.ts';
import type { Role } from '../../src/domain/access/authorize.ts';
import { seedDemoNetwork } from '../../src/domain/demo/network.ts';
import { demoPassword, demoSignIns, seedDemo } from '../../src/domain/demo/seed.ts';
import { testSecrets } from './crypto-profile.ts';

import { TestClock } from './clock.ts';
import { AddressClient } from './http-client.ts';

export { TestClock };

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  clock: TestClock;
}

/** A fresh app on an in-memory database with the demo network seeded. Close it with `t.teardown(() => app.close())`. */
export async function createTestApp(options: Partial<AppOptions> = {}): Promise<TestApp> {
  const db = options.db ?? openDatabase(':memory:');
  const clock = new TestClock();
  await seedDemo(db, clock.now());
  const app = await buildApp({ db, secrets: testSecrets(), clock: clock.now, ...options });
  return { app, db, clock };
}

/** A fresh app on an in-memory database with the larger demo network (several counties, hours, redemption) seeded. */
export async function createNetworkApp(options: Partial<AppOptions> = {}): Promise<TestApp> {
  const db = openDatabase(':memory:');
  const secrets = testSecrets();
  const clock = new TestClock();
  await seedDemoNetwork(db, secrets, clock.now());
  const app = await buildApp({ db, secrets, clock: clock.now, ...options });
  return { app, db, clock };
}

type Response = Awaited<ReturnType<FastifyInstance['inject']>>;

/**
 * A minimal browser for app.inject(): keeps cookies, remembers the CSRF token
 * of the last page it loaded, and sends forms the way a browser would.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  csrfToken = '';
  constructor(readonly app: FastifyInstance) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private remember(response: Response): void {
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now() && cookie.value === '');
      if (expired || cookie.value === '') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body);
    if (token?.[1]) this.csrfToken = token[1];
  }

  async request(options: InjectOptions): Promise<Response> {
    const response = await this.app.inject({ ...options, headers: { cookie: this.cookieHeader(), ...(options.headers ?? {}) } });
    this.remember(response);
    return response;
  }

  get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request({ method: 'GET', url, headers });
  }

  /** Posts a urlencoded form with the current CSRF token (pass `_csrf` yourself to override, or csrf: false to leave it out). */
  post(url: string, form: Record<string, string>, options: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<Response> {
    const fields = options.csrf === false || '_csrf' in form ? form : { _csrf: this.csrfToken, ...form };
    return this.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(options.headers ?? {}) },
      payload: new URLSearchParams(fields).toString(),
    });
  }

  async signIn(phone: string, password: string, next = '/'): Promise<Response> {
    await this.get('/sign-in');
    return this.post('/sign-in', { phone, password, next });
  }
}

/** The demo phone for a role (office: the county office in 凤凰县; pass 'office-city' for 邵阳市). */
export function demoPhone(role: Role | 'office-city'): string {
  const found = role === 'office-city' ? demoSignIns.find((demo) => demo.regionCode === '430500') : demoSignIns.find((demo) => demo.role === role);
  if (!found) throw new Error(`no demo user for ${role}`);
  return found.phone;
}

/** A browser already signed in as a demo role. */
export async function signedInAs(app: FastifyInstance, role: Role | 'office-city'): Promise<TestBrowser> {
  const browser = new TestBrowser(app);
  const response = await browser.signIn(demoPhone(role), demoPassword);
  if (response.statusCode !== 303) throw new Error(`demo sign-in as ${role} failed with ${response.statusCode}`);
  return browser;
}

/** The visible text of an HTML body, for assertions on what the user reads. */
export function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

export function count(db: Db, table: string): number {
  return (db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/**
 * An app listening on 127.0.0.1 (port 0) with an HTTP client signed in as a
 * demo role through the real sign-in form: for tests that fire requests in
 * parallel through the server. The caller closes the app.
 */
export async function listeningAs<T extends { app: FastifyInstance }>(role: Role, create: () => Promise<T>): Promise<T & { client: AddressClient }> {
  const test = await create();
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  const client = new AddressClient((test.app.server.address() as { port: number }).port, '127.0.0.1');
  await client.get('/sign-in');
  const signedIn = await client.post('/sign-in', { phone: demoPhone(role), password: demoPassword, next: '/' });
  if (signedIn.status !== 303) throw new Error(`sign-in as ${role}: ${signedIn.status}`);
  return { ...test, client };
}

import cookie from '@fastify/cookie';
import { addressKey } from './lib/client-address.ts';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import jwt from '@fastify/jwt';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify';
import type { Db } from './db/client.ts';
import { chooseLocale, translator } from './i18n/index.ts';
import { normalizeNumericFields } from './lib/forms.ts';
import type { Secrets } from './lib/secrets.ts';
import { generateCheckpointKeys, type CheckpointKeys } from './lib/checkpoint-key.ts';
import { installJobs, type JobsOptions } from './jobs/index.ts';
import { logTransport, type SmsTransport } from './domain/messages/transports.ts';
import { installAssets } from './plugins/assets.ts';
import { elderModeCookie, languageCookie } from './plugins/cookies.ts';
import { answerMalformedAddress, installErrorPages } from './plugins/errors.ts';
import { installGroupCommit } from './plugins/group-commit.ts';
import { HttpProblem } from './plugins/http-errors.ts';
import { installRendering } from './plugins/render.ts';
import { installSessions } from './plugins/session.ts';
import { installStorageHealth } from './plugins/storage.ts';
import { routePlugins } from './routes/index.ts';
import { DashboardCache } from './domain/reports/dashboard-cache.ts';
import './plugins/context.ts';
import { installProxyWarning } from './plugins/proxy-warning.ts';


export interface AppOptions {
  db: Db;
  secrets: Secrets;
  /** Cookies get `Secure` and responses HSTS (when served over HTTPS). */
  secureCookies?: boolean;
  logger?: FastifyServerOptions['logger'];
  /** Milliseconds since the epoch; tests pass a clock they can move. */
  clock?: () => number;
  /** Re-read templates on every render (development). */
  cacheTemplates?: boolean;
  /** Sign-in attempts allowed per address in 15 minutes. */
  signInAttemptsPerAddress?: number;
  /** Passed to Fastify's trustProxy (see Config.trustProxy). */
  trustProxy?: string | boolean;
  /** Largest request body accepted, in bytes (forms are small; uploads set their own limit per route). */
  bodyLimitBytes?: number;
  /**
   * Called for every route as it is registered (an `onRoute` hook added before
   * any plugin), so a test can walk the real route list: the authorization
   * matrix fails when a route has no access rule.
   */
  onRoute?: (route: RouteOptions) => void;
  /**
   * Group commit (src/db/writer.ts, plugins/group-commit.ts): concurrent writes
   * share one transaction and one fsync, answers wait for it. Off unless given
   * (server.ts gives Config.groupCommit).
   */
  groupCommit?: boolean;
  /** Signs ledger checkpoints (issue 17); server.ts loads DATA_DIR's key, tests may omit it (a key held in memory). */
  checkpointKeys?: CheckpointKeys;
  /** Run the background jobs (src/jobs) while listening; off unless given (server.ts gives it, tests ask for it). */
  jobs?: JobsOptions;
  /** How SMS are sent (config SMS_TRANSPORT); the log transport on the app's logger unless given. */
  smsTransport?: SmsTransport;
  /** Office dashboards in memory (a new bounded one unless given; tests pass one to count computations). */
  dashboardCache?: DashboardCache;
}

/**
 * Query strings as the pages read them: a repeated parameter keeps its first
 * value, as typedValues() reads forms. No page takes a list from the query, and
 * `?q=a&q=b` used to hand routes an array where they expect a string (a 500).
 */
export function parseQueryString(query: string): Record<string, string> {
  const values = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(query)) if (!Object.hasOwn(values, name)) values[name] = value;
  return values;
}

/**
 * From the moment close() begins, a new request (one that arrives on a
 * connection still open) is answered with the 503 page in the user's
 * language and the connection is closed; requests already in flight finish.
 */
function installShutdownAnswer(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('Connection', 'close').header('Retry-After', '10');
    throw new HttpProblem(503, 'errors.shuttingDown.message');
  });
}

/** Security headers: a strict CSP with nonces, HSTS over HTTPS, and none of the headers for browsers that no longer exist. */
function helmetOptions(secureCookies: boolean): FastifyHelmetOptions {
  return {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        // font-src and connect-src are left to default-src 'self' (the same rule, 35 bytes fewer on every response).
        // The service worker (/sw.js) and the web app manifest, from our own origin only (docs/OFFLINE.md).
        'worker-src': ["'self'"],
        'manifest-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'base-uri': ["'self'"],
        'object-src': ["'none'"],
        ...(secureCookies ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    hsts: secureCookies ? { maxAge: 31536000 } : false,
    // Same-origin referrers let a form shown again after a POST link back to its page; nothing leaves the site.
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
    // Headers for browsers and plug-ins that no longer exist (IE8's download prompt, the old XSS auditor,
    // Flash/Acrobat cross-domain policies) or for links to other origins we do not have (DNS prefetch):
    // about 110 bytes on every response, paid at 250 kbps on every page (docs/PERFORMANCE.md).
    xDownloadOptions: false,
    xXssProtection: false,
    xPermittedCrossDomainPolicies: false,
    xDnsPrefetchControl: false,
  };
}

/** Cookies, form bodies, security headers, CSRF, rate limits and the JWT signer, in this order. */
async function registerFastifyPlugins(app: FastifyInstance, options: AppOptions, secureCookies: boolean): Promise<void> {
  await app.register(cookie);
  await app.register(formbody);
  await app.register(helmet, helmetOptions(secureCookies));
  await app.register(csrf, { cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: secureCookies } });
  // Routes opt in with config.rateLimit; every refusal becomes our localized 429 page.
  await app.register(rateLimit, {
    global: false,
    // An IPv6 client counts by its /64 (src/lib/client-address.ts).
    keyGenerator: (request) => addressKey(request.ip),
    errorResponseBuilder: (_request, context) => ({ statusCode: context.ban ? 403 : 429, code: 'RATE_LIMITED', message: 'rate limited' }),
  });
  await app.register(jwt, {
    secret: options.secrets.tokenSigningKey,
    sign: { algorithm: 'HS256', iss: 'silver-hours', aud: 'silver-hours-web' },
    // Expiry is checked by the session plugin against the app's clock: a verifier with a
    // per-call clock would be rebuilt on every request.
    verify: { algorithms: ['HS256'], allowedIss: 'silver-hours', allowedAud: 'silver-hours-web', ignoreExpiration: true },
  });
}

/** The request's language, translator, elder mode and whether htmx asked for a partial page. */
function installLocale(app: FastifyInstance): void {
  app.decorateRequest('locale', 'zh-CN');
  app.decorateRequest('t', null as never);
  app.decorateRequest('elderMode', false);
  app.decorateRequest('isPartial', false);
  app.addHook('onRequest', async (request) => {
    request.locale = chooseLocale(request.cookies[languageCookie], request.headers['accept-language']);
    request.t = translator(request.locale);
    request.elderMode = request.cookies[elderModeCookie] === '1';
    request.isPartial = request.headers['hx-request-type'] === 'partial';
  });
}

/** Form input as routes read it: numeric fields in ASCII digits, and the CSRF token checked on every state-changing request. */
function installFormHooks(app: FastifyInstance): void {
  // Full-width digits become ASCII in every numeric field (PINs, amounts, phones, card and ID numbers) before a route reads them.
  app.addHook('preValidation', async (request) => {
    normalizeNumericFields(request.body);
    normalizeNumericFields(request.query);
  });

  // Every state-changing request carries the CSRF token: the hidden _csrf field, or the X-CSRF-Token header from htmx.
  app.addHook('preValidation', (request, reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return done();
    app.csrfProtection(request, reply, done);
  });
}

/** Builds the application without listening, so tests drive it with app.inject(). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const secureCookies = options.secureCookies ?? false;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 64 * 1024,
    trustProxy: options.trustProxy ?? false,
    // Requests that arrive while the server shuts down get our localized 503 page (below), not Fastify's JSON.
    return503OnClosing: false,
    routerOptions: { querystringParser: parseQueryString },
    // A malformed %-escape or an over-long path parameter: our 404 page, not Fastify's English JSON.
    frameworkErrors: answerMalformedAddress,
    // Route schemas (TypeBox, src/lib/form-schema.ts): every refused field is reported so the form marks them all
    // (bodies are small: bodyLimit above); `messageKey` is an annotation naming the sentence shown for a field.
    ajv: { customOptions: { allErrors: true, keywords: ['messageKey'] } },
  });
  const onRoute = options.onRoute;
  if (onRoute) app.addHook('onRoute', (route) => onRoute(route));
  app.decorate('db', options.db);
  app.decorate('secrets', options.secrets);
  app.decorate('checkpointKeys', options.checkpointKeys ?? generateCheckpointKeys());
  app.decorate('clock', options.clock ?? Date.now);
  app.decorate('smsTransport', options.smsTransport ?? logTransport(app.log));
  // First of all hooks: a request notes the first write batch it may see before anything reads.
  installGroupCommit(app, options.groupCommit ?? false);

  await registerFastifyPlugins(app, options, secureCookies);
  installLocale(app);
  installShutdownAnswer(app);

  installStorageHealth(app);
  installProxyWarning(app, options.trustProxy);
  installSessions(app, { secureCookies });
  installRendering(app, { cacheTemplates: options.cacheTemplates ?? true });
  installErrorPages(app);
  installAssets(app);
  installJobs(app, options.jobs);

  installFormHooks(app);

  const dashboardCache = options.dashboardCache ?? new DashboardCache();
  for (const plugin of routePlugins) {
    await app.register(plugin, { signInAttemptsPerAddress: options.signInAttemptsPerAddress ?? 30, dashboardCache });
  }
  return app;
}

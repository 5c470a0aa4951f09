import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, constants as zlibConstants, gzip, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { present } from '../lib/assert.ts';

const staticDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'static');
const contentTypes: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
/** Types worth compressing; images and fonts other than SVG are compressed already. */
const compressibleType = /^(text\/|application\/(json|javascript|xml)|image\/svg\+xml)/;
/** Below this a compressed body saves less than the headers and the CPU cost. */
export const compressionThresholdBytes = 1024;
/** A year: the name changes whenever the content does, so a cached copy is never stale. */
const immutableCacheControl = 'public, max-age=31536000, immutable';
/** The plain (unhashed) names still answer, for anything that links them from outside, with a short cache. */
const plainCacheControl = 'public, max-age=3600';

export type ContentEncoding = 'br' | 'gzip';

interface Asset {
  plainName: string;
  hashedName: string;
  type: string;
  etag: string;
  /** The body as stored, and precompressed copies where they are smaller. */
  bodies: { identity: Buffer } & Partial<Record<ContentEncoding, Buffer>>;
}

function hashedNameFor(plainName: string, body: Buffer): string {
  const extension = extname(plainName);
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return `${basename(plainName, extension)}.${digest}${extension}`;
}

function precompressed(body: Buffer, type: string): Partial<Record<ContentEncoding, Buffer>> {
  if (!compressibleType.test(type)) return {};
  const brotli = brotliCompressSync(body, {
    params: { [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  const gzip = gzipSync(body, { level: 9 });
  return {
    ...(brotli.length < body.length ? { br: brotli } : {}),
    ...(gzip.length < body.length ? { gzip } : {}),
  };
}

function makeAsset(plainName: string, body: Buffer, type: string): Asset {
  const hashedName = hashedNameFor(plainName, body);
  return { plainName, hashedName, type, etag: `"${hashedName}"`, bodies: { identity: body, ...precompressed(body, type) } };
}

let catalogue: Map<string, Asset> | undefined;

/**
 * The files in static/ (its top folder), htmx and idb-keyval from node_modules, read and compressed once per
 * process (brotli at its best quality and gzip -9), keyed by both names.
 */
function assetCatalogue(): Map<string, Asset> {
  if (catalogue) return catalogue;
  const files: [string, Buffer][] = [];
  for (const name of readdirSync(staticDirectory)) {
    if (contentTypes[extname(name)]) files.push([name, readFileSync(join(staticDirectory, name))]);
  }
  const require = createRequire(import.meta.url);
  const htmxDirectory = join(dirname(require.resolve('htmx.org/package.json')), 'dist');
  files.push(['htmx.min.js', readFileSync(join(htmxDirectory, 'htmx.min.js'))]);
  // The IndexedDB store of the offline outbox (static/outbox.js imports it as ./idb-keyval.js): an ES module.
  files.push(['idb-keyval.js', readFileSync(join(dirname(require.resolve('idb-keyval/package.json')), 'dist', 'index.js'))]);
  const built = new Map<string, Asset>();
  for (const [name, body] of files) {
    const asset = makeAsset(name, body, present(contentTypes[extname(name)], 'only files of a known type are served'));
    built.set(asset.plainName, asset);
    built.set(asset.hashedName, asset);
  }
  catalogue = built;
  return built;
}

/**
 * The URL of a static asset under its content-hashed name (`/assets/app.3f2a9c1b0d4e.css`).
 * Templates call it as `it.asset('app.css')`; an unknown name is a programming error.
 */
export function assetUrl(plainName: string): string {
  const asset = assetCatalogue().get(plainName);
  if (!asset || asset.plainName !== plainName) throw new Error(`unknown static asset: ${plainName}`);
  return `/assets/${asset.hashedName}`;
}

/** Every asset's URL of this build, under its plain and its hashed name (the service worker keeps no others). */
export function currentAssetUrls(): string[] {
  return [...assetCatalogue().keys()].map((name) => `/assets/${name}`);
}

/** Whether static/ (or htmx) has a file of this name. */
export function hasAsset(plainName: string): boolean {
  return assetCatalogue().get(plainName)?.plainName === plainName;
}

/**
 * The encoding to send, from an Accept-Encoding header: brotli before gzip,
 * honouring `q=0`; null for the identity encoding.
 */
export function preferredEncoding(acceptEncoding: string | string[] | undefined, available: readonly ContentEncoding[]): ContentEncoding | null {
  if (typeof acceptEncoding !== 'string') return null;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [token, ...parameters] = part.trim().toLowerCase().split(';');
    const quality = parameters.map((parameter) => /^\s*q=([\d.]+)\s*$/.exec(parameter)?.[1]).find((value) => value !== undefined);
    if (token) accepted.set(token.trim(), quality === undefined ? 1 : Number(quality));
  }
  const wildcard = accepted.get('*') ?? 0;
  for (const encoding of ['br', 'gzip'] as const) {
    if (available.includes(encoding) && (accepted.get(encoding) ?? wildcard) > 0) return encoding;
  }
  return null;
}

function addVary(reply: FastifyReply, name: string): void {
  const current = reply.getHeader('vary');
  const values = typeof current === 'string' ? current.split(',').map((value) => value.trim()).filter(Boolean) : [];
  if (!values.some((value) => value.toLowerCase() === name.toLowerCase())) values.push(name);
  reply.header('Vary', values.join(', '));
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset, hashed: boolean) {
  const encoding = preferredEncoding(request.headers['accept-encoding'], Object.keys(asset.bodies).filter((key) => key !== 'identity') as ContentEncoding[]);
  const etag = encoding ? `${asset.etag.slice(0, -1)}-${encoding}"` : asset.etag;
  reply.header('ETag', etag).header('Cache-Control', hashed ? immutableCacheControl : plainCacheControl);
  if (compressibleType.test(asset.type)) addVary(reply, 'Accept-Encoding');
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  if (encoding) reply.header('Content-Encoding', encoding);
  return reply.type(asset.type).send(encoding ? asset.bodies[encoding] : asset.bodies.identity);
}

/**
 * Brotli quality of dynamic responses (static assets are precompressed at the maximum once). On the
 * volunteer home (7.5 KB of HTML) quality 5 took 0.12–0.14 ms of CPU for 2,168 B, quality 4 0.10 ms
 * for 2,383 B (docs/PERFORMANCE.md, "GET /hours, second pass"). On the logging form (9 KB) quality 4
 * gave 3,272 B against 2,830 B at 5: 442 B more on every load, which pushed the form past its
 * byte budget for 1.5 s on a slow village line (test/e2e/page-weight.test.ts). The bytes win: 5.
 */
export const dynamicBrotliQuality = 5;
/**
 * Bodies larger than this are compressed at `largeBodyBrotliQuality`: the office's reports and long
 * lists, read at a desk, where compression was a third of a dashboard's CPU. On the city dashboard
 * (29 KB) quality 4 takes 0.24 ms for 5,707 B, quality 5 0.34 ms for 4,945 B (docs/PERFORMANCE.md,
 * "The dashboard line"). The pages of issue 14's byte budgets are all under it.
 */
export const largeBodyBytes = 16 * 1024;
export const largeBodyBrotliQuality = 4;

/** The brotli quality of a dynamic body of this many bytes. */
export function brotliQualityFor(bytes: number): number {
  return bytes > largeBodyBytes ? largeBodyBrotliQuality : dynamicBrotliQuality;
}

const brotliCompressOffThread = promisify(brotliCompress);
const gzipOffThread = promisify(gzip);

/**
 * A small body is compressed on the event loop (a hop to the thread pool costs more than it saves); a large
 * one on libuv's thread pool, so a dashboard's compression does not hold up the requests behind it.
 */
function compressBody(body: Buffer, encoding: ContentEncoding): Buffer | Promise<Buffer> {
  const large = body.length > largeBodyBytes;
  if (encoding === 'gzip') return large ? gzipOffThread(body, { level: 6 }) : gzipSync(body, { level: 6 });
  const options = { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: brotliQualityFor(body.length), [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length } };
  return large ? brotliCompressOffThread(body, options) : brotliCompressSync(body, options);
}

/**
 * Compresses rendered pages, fragments and other text responses (CSV, JSON,
 * SVG) above the threshold, with brotli or gzip as the browser accepts.
 * Streams (xlsx downloads) and bodies that already carry an encoding pass as they are.
 */
function installResponseCompression(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.hasHeader('content-encoding') || request.method === 'HEAD') return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const type = String(reply.getHeader('content-type') ?? '');
    if (!compressibleType.test(type)) return payload;
    addVary(reply, 'Accept-Encoding');
    // The encoding first: a client that accepts none gets the payload as it is, never copied to a Buffer.
    const encoding = preferredEncoding(request.headers['accept-encoding'], ['br', 'gzip']);
    if (!encoding || reply.statusCode === 204 || reply.statusCode === 304) return payload;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (body.length < compressionThresholdBytes) return payload;
    // Compressed first, labelled after: a failed compression leaves no Content-Encoding on the error page.
    const compressed = await compressBody(body, encoding);
    reply.header('Content-Encoding', encoding);
    reply.removeHeader('content-length');
    return compressed;
  });
}

/**
 * Our own static route: the files in static/ and htmx, served from memory under
 * /assets/ with precompressed copies. Templates link the content-hashed names
 * (cached for a year, immutable); no CDN, no other origin.
 */
export function installAssets(app: FastifyInstance): void {
  const assets = assetCatalogue();
  installResponseCompression(app);
  // helmet: false: the document headers (CSP with its nonces, frame, referrer, cross-origin opener...) mean
  // nothing on a stylesheet or script and cost about 560 bytes on each of a cold load's assets
  // (docs/PERFORMANCE.md). What does apply to a subresource is set here.
  app.get<{ Params: { name: string } }>('/assets/:name', { helmet: false, config: { public: true, skipSession: true, readsNoData: true } }, async (request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff').header('Cross-Origin-Resource-Policy', 'same-origin');
    const found = assets.get(request.params.name);
    if (!found) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    return sendAsset(request, reply, found, found.hashedName === request.params.name);
  });
}

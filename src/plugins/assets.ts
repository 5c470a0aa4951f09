import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const staticDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'static');
const contentTypes: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(body: Buffer, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

/**
 * Our own static route: the files in static/ and htmx from node_modules, read
 * once at start-up and served from memory under /assets/. No CDN, no other origin.
 */
export function installAssets(app: FastifyInstance): void {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(staticDirectory)) {
    const type = contentTypes[extname(name)];
    if (type) assets.set(name, asset(readFileSync(join(staticDirectory, name)), type));
  }
  const require = createRequire(import.meta.url);
  const htmxDirectory = join(dirname(require.resolve('htmx.org/package.json')), 'dist');
  assets.set('htmx.min.js', asset(readFileSync(join(htmxDirectory, 'htmx.min.js')), contentTypes['.js']!));

  app.get<{ Params: { name: string } }>('/assets/:name', { config: { public: true, skipSession: true } }, async (request, reply) => {
    const found = assets.get(request.params.name);
    if (!found) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    reply.header('ETag', found.etag).header('Cache-Control', 'public, max-age=3600');
    if (request.headers['if-none-match'] === found.etag) return reply.code(304).send();
    return reply.type(found.type).send(found.body);
  });
}

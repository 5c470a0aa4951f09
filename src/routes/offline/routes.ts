import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assetUrl, currentAssetUrls } from '../../plugins/assets.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';

/** The service worker's source: static/worker/ is not served under /assets/ (a worker's scope is its folder). */
const workerFile = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'static', 'worker', 'sw.js');

/**
 * The worker as served: with this build's asset URLs written into it, so that it deletes the cached assets of
 * earlier builds when it activates, and so that a deploy that changes an asset changes the worker (the browser
 * then installs the new one).
 */
export function workerSource(): string {
  const source = readFileSync(workerFile, 'utf8');
  if (!source.includes('/* current assets */ []')) throw new Error('static/worker/sw.js lost its asset list marker');
  return source.replace('/* current assets */ []', JSON.stringify(currentAssetUrls()));
}

/** The brand colour of the header (static/app.css) and the page background. */
export const themeColour = '#0d5c53';
export const backgroundColour = '#fffdf8';

/** The web app manifest (docs/OFFLINE.md): installable on Android Chrome, opening on the volunteer's home. */
export function webAppManifest() {
  const icon = (name: string, size: number, purpose: 'any' | 'maskable') => ({ src: assetUrl(name), sizes: `${size}x${size}`, type: 'image/png', purpose });
  return {
    name: '银龄时光',
    short_name: '银龄时光',
    description: '银龄时光 时间银行：登记服务时长，查看余额和存折。Silver Hours time bank.',
    lang: 'zh-CN',
    start_url: '/hours',
    scope: '/',
    display: 'standalone',
    theme_color: themeColour,
    background_color: backgroundColour,
    icons: [
      icon('icon-192.png', 192, 'any'), icon('icon-512.png', 512, 'any'),
      icon('icon-192-maskable.png', 192, 'maskable'), icon('icon-512-maskable.png', 512, 'maskable'),
    ],
  };
}

/**
 * The installable app: the manifest and the service worker, both from our own
 * origin. The worker is served at the root so its scope is the whole site, and
 * never cached by HTTP (the browser checks it for updates on every navigation).
 */
const offlineRoutes: RoutePlugin = async (app) => {
  const manifest = JSON.stringify(webAppManifest());
  app.get('/manifest.webmanifest', { helmet: false, config: { public: true, skipSession: true } }, async (_request, reply) => {
    return reply.header('Cache-Control', 'public, max-age=3600').header('X-Content-Type-Options', 'nosniff')
      .type('application/manifest+json; charset=utf-8').send(manifest);
  });

  const worker = workerSource();
  app.get('/sw.js', { config: { public: true, skipSession: true } }, async (_request, reply) => {
    return reply.header('Cache-Control', 'no-cache').header('Service-Worker-Allowed', '/')
      .type('text/javascript; charset=utf-8').send(worker);
  });
};
export default offlineRoutes;

// The service worker of Silver Hours (docs/OFFLINE.md), served at /sw.js from our own origin.
// - Keeps the signed-in volunteer's own home (/hours), passbook (/passbook) and logging form
//   (/hours/new), and only pages the server marks with `data-offline-owner` (its 离线 line): never a staff page.
//   Network first, but a weak signal that neither answers nor fails is waited for only networkTimeoutMs:
//   then (or without a network) it answers the copy, with its 离线 line shown; a late answer still refreshes the copy.
// - Keeps the static assets those pages need (content-hashed names: cache first); on activate it deletes
//   the ones a deploy replaced (the server writes the current names into currentAssets).
// - Forgets the copies when the owner changes or a signed-out page says so (退出).
// - Uploads the outbox on Background Sync where the browser has it (static/outbox.js).
import { outboxChanged, uploadAll } from '/assets/outbox.js';

const pagesCache = 'silver-hours-pages-v1';
const assetsCache = 'silver-hours-assets-v1';
const keptPaths = ['/hours', '/passbook', '/hours/new'];
const ownerKey = '/offline-owner';
/** Modules the outbox imports by their plain names (their hashed names are linked from the pages). */
const plainAssets = ['/assets/outbox.js', '/assets/idb-keyval.js'];
const hashedAsset = /\.[0-9a-f]{12}\.[a-z0-9]+$/;
/** How long a navigation to a kept page waits for the network before the copy answers (docs/OFFLINE.md). */
const networkTimeoutMs = 4000;
/** Every asset URL of this deploy, plain and hashed: written here by the server (src/routes/offline/routes.ts). */
const currentAssets = /* current assets */ [];

self.addEventListener('install', (event) => {
  self.skipWaiting();
  event.waitUntil(caches.open(assetsCache).then((cache) => cache.addAll(plainAssets)).catch(() => {}));
});

/** Deletes the cached assets of earlier deploys: names not in this deploy's list. */
async function pruneAssets() {
  if (currentAssets.length === 0) return; // the list was not written (never served so by the app)
  const current = new Set(currentAssets);
  const cache = await caches.open(assetsCache);
  for (const request of await cache.keys()) {
    if (!current.has(new URL(request.url).pathname)) await cache.delete(request);
  }
}
self.addEventListener('activate', (event) => event.waitUntil(Promise.all([pruneAssets(), self.clients.claim()])));

async function ownerOfCopies() {
  const stored = await (await caches.open(pagesCache)).match(ownerKey);
  return stored ? stored.text() : null;
}

/** Caches the assets a kept page links, so its copy opens with its style and scripts. */
async function keepAssetsOf(html) {
  const cache = await caches.open(assetsCache);
  const linked = [...new Set(html.match(/\/assets\/[\w.-]+/g) ?? [])];
  for (const url of linked) {
    if (!(await cache.match(url))) await cache.add(url).catch(() => {});
  }
}

/**
 * Every change to the kept pages waits its turn: an owner check and the writes after it are never interleaved
 * with another navigation's, another page's warm-up or a sign-out (a copy kept between another's check and its
 * clearing would be lost, and the phone left without its home page offline).
 */
let pagesTurn = Promise.resolve();
function inTurn(task) {
  const run = pagesTurn.then(task);
  pagesTurn = run.catch(() => {});
  return run;
}
/** How many times the copies were forgotten (退出): an answer asked for before the last time is never kept. */
let forgotten = 0;
const forgetPages = () => {
  forgotten += 1;
  return inTurn(() => caches.delete(pagesCache));
};

/**
 * Keeps a page the server marked as the owner's own; the page of another owner first clears the copies.
 * `asked` is the count of forgettings when it was requested: a late answer to a request made before 退出 is dropped.
 */
async function keepPage(path, response, asked) {
  const html = await response.text();
  const owner = /data-offline-owner="([0-9a-f]+)"/.exec(html)?.[1];
  const headers = {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': response.headers.get('Content-Security-Policy') ?? '',
    // The copy's language, so a page opened in another language refreshes it (warm).
    'Content-Language': /<html lang="([\w-]+)"/.exec(html)?.[1] ?? '',
  };
  await inTurn(async () => {
    if (asked !== forgotten) return;
    // Not a page of the volunteer's own (a staff member's form): any older copy of that address goes.
    if (!owner) return void (await (await caches.open(pagesCache)).delete(path));
    if ((await ownerOfCopies()) !== owner) {
      await caches.delete(pagesCache);
      await (await caches.open(pagesCache)).put(ownerKey, new Response(owner));
    }
    await (await caches.open(pagesCache)).put(path, new Response(html, { headers }));
  });
  if (owner) await keepAssetsOf(html);
}

/** Today in the network's time zone by the phone's clock: the form's default date offline (the server checks it on upload). */
const phoneToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

/**
 * The kept copy as the page shows it offline: its 离线 line visible, a new idempotency key for the form,
 * and the form's date (its default and its latest) today rather than the day the copy was made.
 */
async function offlineCopy(copy) {
  const today = phoneToday();
  const html = (await copy.text())
    .replace('data-offline-banner hidden', 'data-offline-banner')
    .replace(/name="idempotency_key" value="[^"]*"/, `name="idempotency_key" value="${crypto.randomUUID()}"`)
    .replace(/(id="date" name="date" type="date" max=")[^"]*(" value=")[^"]*"/, `$1${today}$2${today}"`);
  return new Response(html, { headers: copy.headers });
}

/**
 * Network first, with a time-out: a weak signal that neither answers nor fails gets networkTimeoutMs, then
 * the copy answers. The network's answer, whenever it comes, replaces the copy (kept under waitUntil).
 */
async function networkThenCopy(event, path) {
  const asked = forgotten;
  const network = fetch(event.request);
  event.waitUntil(network.then((response) => (response.status === 200 ? keepPage(path, response.clone(), asked) : null)).catch(() => {}));
  const copy = await (await caches.open(pagesCache)).match(path, { ignoreVary: true });
  if (!copy) return network;
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(resolve, networkTimeoutMs, null); });
  const first = await Promise.race([network, late]).catch(() => null);
  clearTimeout(timer);
  return first ?? offlineCopy(copy);
}

async function asset(request) {
  const cache = await caches.open(assetsCache);
  if (hashedAsset.test(new URL(request.url).pathname)) {
    const hit = await cache.match(request, { ignoreVary: true });
    if (hit) return hit;
  }
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(request, { ignoreVary: true });
    if (!hit) throw error;
    return hit;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // 退出 forgets the kept pages even before the sign-in page says so (static/offline.js).
  if (request.method === 'POST' && url.pathname === '/sign-out') event.waitUntil(forgetPages());
  if (request.method !== 'GET') return;
  if (url.pathname.startsWith('/assets/')) return event.respondWith(asset(request));
  // A whole page: a navigation, or htmx's boosted link (its partial requests and the outbox's own fetches pass by).
  const wholePage = request.mode === 'navigate' || (request.headers.get('HX-Request') === 'true' && request.headers.get('HX-Request-Type') !== 'partial');
  if (wholePage && url.search === '' && keptPaths.includes(url.pathname)) event.respondWith(networkThenCopy(event, url.pathname));
});

/**
 * After a page of the owner opened online: fetch the kept pages she has no copy of yet (the form before her
 * first visit), and those kept in another language than the page's (she switched language since).
 */
async function warm(owner, lang) {
  await inTurn(async () => {
    if ((await ownerOfCopies()) !== owner) await caches.delete(pagesCache);
  });
  for (const path of keptPaths) {
    // Looked at just before fetching: another warming or a navigation may have kept it meanwhile.
    const copy = await inTurn(async () => (await caches.open(pagesCache)).match(path));
    if (copy && (!lang || copy.headers.get('Content-Language') === lang)) continue;
    const asked = forgotten;
    const response = await fetch(path, { credentials: 'same-origin' }).catch(() => null);
    if (response?.status === 200 && !response.redirected) await keepPage(path, response, asked);
  }
}

self.addEventListener('message', (event) => {
  const message = event.data ?? {};
  if (message.type === 'signed-out') event.waitUntil(forgetPages());
  if (message.type === 'page' && typeof message.owner === 'string') event.waitUntil(warm(message.owner, typeof message.lang === 'string' ? message.lang : ''));
});

async function syncOutbox() {
  const owner = await ownerOfCopies();
  if (!owner) return;
  const done = await uploadAll(owner);
  for (const client of await self.clients.matchAll()) client.postMessage({ type: outboxChanged });
  // Something still waits for the network: fail, so the browser tries this sync again later.
  if (!done) throw new Error('outbox not yet uploaded');
}

self.addEventListener('sync', (event) => {
  if (event.tag === 'silver-hours-outbox') event.waitUntil(syncOutbox());
});

import { Eta } from 'eta';
import { createHmac } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { roles } from '../domain/access/authorize.ts';
import { durationText, signedDurationText } from '../lib/duration.ts';
import { newIdempotencyKey } from '../lib/forms.ts';
import { maskPhone } from '../lib/mask.ts';
import { localReturnPath } from '../lib/return-path.ts';
import { formatDateTime } from '../lib/time.ts';
import { headerNavigationFor } from './navigation.ts';
import { unreadCount } from '../domain/messages/inbox.ts';
import { assetUrl, hasAsset } from './assets.ts';
import type { PageOptions } from './context.ts';

export const viewsDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');

/**
 * Rendering: every template receives `it` with the request's translator
 * (it.t), locale, user, CSRF token (it.csrfToken), a fresh idempotency key
 * maker, the CSP nonce, and the route's data. Full pages are wrapped in
 * views/layouts/main.eta; htmx partial requests get the page template alone.
 */
/**
 * Where the footer's language and elder-mode switches bring the user back to:
 * this page for a GET; after a POST (a form shown again with its errors) the
 * page the form was on, from the same-origin Referer, or home.
 */
function returnUrl(request: FastifyRequest): string {
  if (request.method === 'GET') return localReturnPath(request.url);
  const referer = request.headers.referer;
  if (!referer) return '/';
  try {
    const url = new URL(referer);
    const ownHost = new URL(`${url.protocol}//${request.headers.host ?? ''}`).host;
    return url.host === ownHost ? localReturnPath(`${url.pathname}${url.search}`) : '/';
  } catch {
    return '/';
  }
}

/**
 * A page's area stylesheet and script, linked one way for every page: a
 * template views/pages/<area>/... gets static/<area>.css and static/<area>.js
 * when they exist, and views/pages/<area>/<page> also gets
 * static/<area>-<page>.css when that exists (the review queue's table rules,
 * kept out of hours.css so the volunteer's logging form stays small). They
 * lead the page body, so a boosted or partial swap brings them too.
 */
export function areaAssetNames(template: string): string[] {
  const [folder, area, ...rest] = template.split('/');
  if (folder !== 'pages' || !area || rest.length === 0) return [];
  const candidates = [`${area}.css`, `${area}.js`, `${area}-${rest.join('-')}.css`];
  return candidates.filter(hasAsset);
}

function areaAssetTags(template: string, nonce: string): string {
  return areaAssetNames(template).map((name) => name.endsWith('.js')
    ? `<script src="${assetUrl(name)}" nonce="${nonce}" defer></script>\n`
    : `<link rel="stylesheet" href="${assetUrl(name)}">\n`).join('');
}

/**
 * An opaque name for the signed-in user on this phone's offline copies and outbox
 * (docs/OFFLINE.md): the service worker drops the copies of anyone else, and an
 * entry is uploaded only under the session of the user who saved it.
 */
export function offlineOwnerTag(tokenSigningKey: Buffer, userId: number): string {
  let tags = ownerTagsByKey.get(tokenSigningKey);
  if (!tags) ownerTagsByKey.set(tokenSigningKey, tags = new Map());
  const known = tags.get(userId);
  if (known !== undefined) return known;
  const tag = createHmac('sha256', tokenSigningKey).update(`offline-owner:${userId}`).digest('hex').slice(0, 20);
  // A tag depends only on the key and the user: remembered (at most ownerTagsKept per key, the oldest dropped),
  // so the HMAC runs once per user instead of on every page; a new key (another Buffer) starts afresh.
  if (tags.size >= ownerTagsKept) tags.delete(tags.keys().next().value as number);
  tags.set(userId, tag);
  return tag;
}
export const ownerTagsKept = 10_000;

/**
 * Whether an upload's owner tag names this user (docs/OFFLINE.md). The outbox
 * (which asks for JSON) must send one: an outdated outbox script still open in
 * a page would otherwise upload under whoever is signed in. A form posted
 * online (HTML) has none and needs none.
 */
export function offlineOwnerProblem(app: FastifyInstance, userId: number, tag: string | undefined, fromOutbox: boolean): string | null {
  if (tag === undefined || tag === '') return fromOutbox ? 'hours.error.offline_owner_missing' : null;
  return tag === offlineOwnerTag(app.secrets.tokenSigningKey, userId) ? null : 'hours.error.offline_owner';
}
const ownerTagsByKey = new WeakMap<Buffer, Map<number, string>>();

/** What the layout needs to mark a page the service worker may keep: its owner and when it was made. */
function offlineMarking(app: FastifyInstance, request: FastifyRequest, wanted: boolean | undefined) {
  const user = request.currentUser;
  if (!wanted || !user) return null;
  const nowMs = app.clock();
  return { owner: offlineOwnerTag(app.secrets.tokenSigningKey, user.id), updatedAtIso: new Date(nowMs).toISOString(), updatedAt: formatDateTime(nowMs, request.locale) };
}

export function installRendering(app: FastifyInstance, options: { cacheTemplates: boolean }): void {
  const eta = new Eta({ views: viewsDirectory, cache: options.cacheTemplates, autoEscape: true, autoTrim: false });

  function baseContext(request: FastifyRequest, reply: FastifyReply) {
    let csrfToken: string | undefined;
    const user = request.currentUser;
    return {
      t: request.t,
      locale: request.locale,
      elderMode: request.elderMode,
      user: user ? { displayName: user.displayName, maskedPhone: maskPhone(user.phone), grants: user.actor.grants } : null,
      roleNames: roles,
      currentPath: request.url.split('?')[0] ?? '/',
      currentUrl: returnUrl(request),
      get csrfToken(): string {
        csrfToken ??= reply.generateCsrf();
        return csrfToken;
      },
      newIdempotencyKey,
      /** The content-hashed URL of a file in static/ (or htmx): `it.asset('app.css')`. */
      asset: assetUrl,
      /** Minutes as "20 小时 20 分": the one time formatter (src/lib/duration.ts). */
      duration: (minutes: number) => durationText(request.t, minutes),
      signedDuration: (minutes: number) => signedDurationText(request.t, minutes),
      nonce: (reply.cspNonce as { script?: string } | null)?.script ?? '',
    };
  }

  app.decorateReply('page', async function page(this: FastifyReply, template: string, data: Record<string, unknown>, pageOptions: PageOptions) {
    const request = this.request;
    const context = { ...baseContext(request, this), ...data };
    const title = request.t(pageOptions.titleKey, pageOptions.titleVariables);
    this.status(pageOptions.status ?? this.statusCode ?? 200);
    this.header('Vary', 'HX-Request-Type, Cookie');
    this.header('Cache-Control', 'no-store');
    this.type('text/html; charset=utf-8');
    const body = areaAssetTags(template, context.nonce) + eta.render(template, { ...context, title });
    if (request.isPartial) return body;
    const actor = request.currentUser?.actor ?? null;
    // The layout adds the 消息 link to the row for every signed-in user.
    const navigation = headerNavigationFor(actor, context.currentPath, actor ? 1 : 0);
    // The header's 消息 link and its unread count: one statement on two partial indexes, full pages only.
    const unread = actor ? unreadCount(app.db, actor) : 0;
    const offline = offlineMarking(app, request, pageOptions.offline);
    return eta.render('layouts/main', { ...context, title, body, navigation, unread, offline });
  });

  app.decorateReply('fragment', async function fragment(this: FastifyReply, template: string, data: Record<string, unknown>, status?: number) {
    const context = { ...baseContext(this.request, this), ...data };
    if (status !== undefined) this.status(status);
    this.header('Vary', 'HX-Request-Type, Cookie');
    this.header('Cache-Control', 'no-store');
    this.type('text/html; charset=utf-8');
    return eta.render(template, context);
  });

  // Answers the reply: a handler returns it, so Fastify waits for the answer to be sent (an onSend hook may hold it until its write batch commits).
  app.decorateReply('seeOther', function seeOther(this: FastifyReply, path: string) {
    return this.redirect(path, 303);
  });
}

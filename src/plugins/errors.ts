import { randomBytes } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDiskFull } from '../db/failures.ts';
import { HttpProblem, SignInRequired } from './http-errors.ts';
import { localReturnPath } from '../lib/return-path.ts';
import { translator } from '../i18n/index.ts';

/** Framework error codes shown to users as a plain sentence instead of an English technical message. */
const messageKeyByCode: Record<string, { status: number; key: string }> = {
  FST_CSRF_MISSING_SECRET: { status: 403, key: 'errors.csrf.message' },
  FST_CSRF_INVALID_TOKEN: { status: 403, key: 'errors.csrf.message' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, key: 'errors.tooLarge.message' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, key: 'errors.badRequest.message' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, key: 'errors.badRequest.message' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, key: 'errors.badRequest.message' },
  FST_ERR_VALIDATION: { status: 400, key: 'errors.badRequest.message' },
  RATE_LIMITED: { status: 429, key: 'errors.rateLimited.message' },
  SIGN_IN_RATE_LIMITED: { status: 429, key: 'errors.rateLimited.signIn' },
};

const titleKeyByStatus: Record<number, string> = {
  400: 'errors.badRequest.title',
  403: 'errors.forbidden.title',
  404: 'errors.notFound.title',
  413: 'errors.tooLarge.title',
  415: 'errors.badRequest.title',
  429: 'errors.rateLimited.title',
  500: 'errors.server.title',
  503: 'errors.unavailable.title',
};

export async function renderProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  messageKey: string,
  variables?: Record<string, string | number>,
  reference?: string,
): Promise<string> {
  const titleKey = titleKeyByStatus[status] ?? (status >= 500 ? 'errors.server.title' : 'errors.badRequest.title');
  const data = { status, message: request.t(messageKey, variables), reference: reference ?? null };
  // The phone's outbox (static/outbox.js) asks for JSON: it tells a stale CSRF token from a refusal by `problem`.
  if (wantsJson(request)) return reply.code(status).header('Cache-Control', 'no-store').send({ ok: false, problem: messageKey, messages: [data.message] });
  // Error responses from htmx requests carry a fragment that htmx 4 swaps into the target.
  if (request.isPartial) return reply.fragment('partials/errors/problem', { ...data, title: request.t(titleKey) }, status);
  return reply.page('pages/errors/problem', data, { titleKey, status });
}

/** A request that asks for JSON (the outbox's uploads) rather than a page. */
export function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').startsWith('application/json');
}

/** The path and query of the page htmx was on (HX-Current-URL is a full URL), or '/'. */
function pathOf(currentUrl: string | string[] | undefined): string {
  if (typeof currentUrl !== 'string') return '/';
  try {
    const url = new URL(currentUrl);
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}

/**
 * 404 and error pages. A 500 shows a short reference that is also in the log
 * line, never a stack trace; logs carry no request bodies (no personal data).
 */
export function installErrorPages(app: FastifyInstance): void {
  app.setNotFoundHandler(async (request, reply) => renderProblem(request, reply, 404, 'errors.notFound.message'));

  app.setErrorHandler(async (error: FastifyError | HttpProblem | SignInRequired, request, reply) => {
    if (error instanceof SignInRequired) {
      const next = encodeURIComponent(localReturnPath(request.method === 'GET' ? request.url : pathOf(request.headers['hx-current-url'])));
      const location = `/sign-in?next=${next}${error.reason === 'expired' ? '&expired=1' : ''}`;
      if (wantsJson(request)) return reply.code(401).header('Cache-Control', 'no-store').send({ ok: false, problem: 'auth.signInRequired', messages: [request.t('auth.signInRequired')] });
      if (request.headers['hx-request'] === 'true') {
        reply.header('HX-Redirect', location);
        return reply.code(401).fragment('partials/errors/problem', { status: 401, title: request.t('auth.signInTitle'), message: request.t('auth.signInRequired'), reference: null });
      }
      return reply.redirect(location, 303);
    }
    if (error instanceof HttpProblem) return renderProblem(request, reply, error.statusCode, error.messageKey, error.variables);
    // A malformed id in the URL (a route's params schema) is answered like a missing record.
    if (error.code === 'FST_ERR_VALIDATION' && (error as FastifyError & { validationContext?: string }).validationContext === 'params') {
      return renderProblem(request, reply, 404, 'errors.notFound.message');
    }
    const known = error.code ? messageKeyByCode[error.code] : undefined;
    if (known) return renderProblem(request, reply, known.status, known.key);
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status < 500) {
      const messageKey = status === 404 ? 'errors.notFound.message' : status === 429 ? 'errors.rateLimited.message' : status === 403 ? 'errors.forbidden.message' : 'errors.badRequest.message';
      return renderProblem(request, reply, status, messageKey);
    }
    if (isDiskFull(error)) {
      // Nothing was saved (the transaction rolled back); say so plainly instead of "something went wrong".
      request.server.storage.reportFull(request.log);
      reply.header('Retry-After', '60');
      return renderProblem(request, reply, 503, 'errors.diskFull.message');
    }
    const reference = randomBytes(4).toString('hex').toUpperCase();
    request.log.error({ err: error, reference }, 'request failed');
    return renderProblem(request, reply, 500, 'errors.server.message', { reference }, reference);
  });
}

/**
 * Addresses the router refuses before any hook runs (a malformed %-escape, a
 * path parameter longer than any id): a short page in both languages instead
 * of Fastify's English JSON. No hook has run, so it is built here, plain.
 */
export function answerMalformedAddress(_error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const zh = translator('zh-CN');
  const en = translator('en');
  const body = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<title>${zh('errors.notFound.title')}</title></head><body><main><h1>${zh('errors.notFound.title')}</h1>`
    + `<p>${zh('errors.notFound.message')}</p><p lang="en">${en('errors.notFound.message')}</p><p><a href="/">${zh('errors.backHome')} · <span lang="en">${en('errors.backHome')}</span></a></p></main></body></html>`;
  void reply.code(404).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(body);
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../domain/audit/audit.ts';
import { isSessionLive, refreshLifetimeMs, rotateSession, startSession } from '../domain/auth/sessions.ts';
import { actorOf, findUser, homeRegionCode } from '../domain/auth/users.ts';
import type { CurrentUser } from './context.ts';
import { SignInRequired } from './http-errors.ts';

export const accessCookie = 'sh_at';
export const refreshCookie = 'sh_rt';
export const accessLifetimeSeconds = 15 * 60;
const issuer = 'silver-hours';
const audience = 'silver-hours-web';

interface AccessClaims {
  sub: string;
  sid: string;
}

interface VerifiedClaims extends AccessClaims {
  exp: number;
}

/** How many verified access tokens are remembered (about one per signed-in browser of the last 15 minutes). */
const verifiedTokenCacheSize = 10_000;

type SessionTools = ReturnType<typeof sessionTools>;

/** The cookies and tokens of a session, on the app's clock and JWT keys. */
function sessionTools(app: FastifyInstance, options: { secureCookies: boolean }) {
  const cookieBase = { httpOnly: true, sameSite: 'lax' as const, secure: options.secureCookies, path: '/' };
  const nowSeconds = (): number => Math.floor(app.clock() / 1000);
  const verifiedTokens = new Map<string, VerifiedClaims>();
  /**
   * The claims of a token whose signature checked out, or null. A token's signature and claims never
   * change, so each one is verified once and remembered (a bounded map, oldest dropped first): the
   * HMAC and JSON decoding were ~6% of a signed-in page's CPU. Expiry is still checked on every request.
   */
  function verifiedClaims(token: string): VerifiedClaims | null {
    const known = verifiedTokens.get(token);
    if (known) return known;
    let claims: VerifiedClaims;
    try {
      claims = app.jwt.verify<VerifiedClaims>(token);
    } catch {
      return null;
    }
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || !/^\d+$/.test(claims.sub) || typeof claims.exp !== 'number') return null;
    verifiedTokens.set(token, claims);
    const oldest = verifiedTokens.keys().next();
    if (verifiedTokens.size > verifiedTokenCacheSize && !oldest.done) verifiedTokens.delete(oldest.value);
    return claims;
  }
  return {
    issueAccessToken(reply: FastifyReply, userId: number, familyId: string): void {
      const iat = nowSeconds();
      const token = app.jwt.sign({ sub: String(userId), sid: familyId, iat, exp: iat + accessLifetimeSeconds });
      reply.setCookie(accessCookie, token, { ...cookieBase, maxAge: accessLifetimeSeconds });
    },
    setRefreshCookie(reply: FastifyReply, token: string): void {
      reply.setCookie(refreshCookie, token, { ...cookieBase, maxAge: Math.floor(refreshLifetimeMs / 1000) });
    },
    clearSessionCookies(reply: FastifyReply): void {
      reply.clearCookie(accessCookie, cookieBase);
      reply.clearCookie(refreshCookie, cookieBase);
    },
    verifyAccessToken(token: string): AccessClaims | null {
      const claims = verifiedClaims(token);
      // The verifier leaves expiry to us (see app.ts): an access token is good until its exp, by the app's clock.
      return claims && claims.exp > nowSeconds() ? claims : null;
    },
  };
}

function loadUser(app: FastifyInstance, request: FastifyRequest, userId: number, familyId: string): CurrentUser | null {
  const user = findUser(app.db, userId);
  if (!user || user.status !== 'active') return null;
  return {
    id: user.id,
    displayName: user.displayName,
    phone: user.phone,
    mustChangePassword: user.mustChangePassword,
    sessionFamilyId: familyId,
    actor: actorOf(app.db, user.id, { user, locale: request.locale, ipAddress: request.ip }),
  };
}

/** `request.currentUser` and `request.requireUser()`; authorization is the domain's (role, then scope). */
function decorateRequests(app: FastifyInstance): void {
  app.decorateRequest('currentUser', null);
  app.decorateRequest('sessionProblem', null);
  app.decorateRequest('requireUser', function requireUser(this: FastifyRequest): CurrentUser {
    if (!this.currentUser) throw new SignInRequired(this.sessionProblem === 'expired' ? 'expired' : 'signed_out');
    return this.currentUser;
  });
}

/** A live access token's user, or null. */
function userOfAccessToken(app: FastifyInstance, tools: SessionTools, request: FastifyRequest, accessToken: string, nowMs: number): CurrentUser | null {
  const claims = tools.verifyAccessToken(accessToken);
  const userId = claims ? Number(claims.sub) : null;
  if (claims && userId !== null && isSessionLive(app.db, claims.sid, userId, nowMs)) return loadUser(app, request, userId, claims.sid);
  return null;
}

/** Rotates the refresh token: the user (and fresh cookies), or null; a reused token is audited. */
function userOfRefreshToken(app: FastifyInstance, tools: SessionTools, request: FastifyRequest, reply: FastifyReply, presentedRefresh: string, nowMs: number): CurrentUser | null {
  const result = rotateSession(app.db, presentedRefresh, nowMs);
  if (result.kind === 'rotated' || result.kind === 'grace') {
    const user = loadUser(app, request, result.userId, result.familyId);
    if (user) {
      tools.issueAccessToken(reply, result.userId, result.familyId);
      if (result.kind === 'rotated') tools.setRefreshCookie(reply, result.token);
      return user;
    }
  }
  if (result.kind === 'reused') {
    recordAudit(
      app.db,
      {
        action: 'auth.refresh_token_reused',
        actorUserId: result.userId,
        objectType: 'user',
        objectId: result.userId,
        regionCode: homeRegionCode(actorOf(app.db, result.userId).grants),
        ipAddress: request.ip,
      },
      nowMs,
    );
  }
  return null;
}

/** Secure by default: every route needs a signed-in user unless its config says `public: true`. */
async function requireSignedIn(request: FastifyRequest, reply: FastifyReply) {
  const config = request.routeOptions.config;
  if (config.public || config.skipSession || request.is404) return;
  const user = request.requireUser();
  if (user.mustChangePassword && !config.allowPendingPasswordChange) {
    if (request.headers['hx-request'] === 'true') {
      reply.header('HX-Redirect', '/account/password');
      reply.code(204).send();
      return reply;
    }
    reply.seeOther('/account/password');
    return reply;
  }
}

/**
 * Sessions: a short access token (JWT, HS256, fixed issuer and audience) and
 * a rotating refresh token, both in HttpOnly SameSite=Lax cookies. On every
 * request the access token is checked, and its session must still be live in
 * the database (so sign-out and password changes take effect at once). When
 * the access token has expired, the refresh token is rotated right there, so
 * an htmx request in the middle of a form carries on without a detour.
 */
export function installSessions(app: FastifyInstance, options: { secureCookies: boolean }): void {
  const tools = sessionTools(app, options);
  decorateRequests(app);

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.skipSession) return;
    const nowMs = app.clock();
    const accessToken = request.cookies[accessCookie];
    const presentedRefresh = request.cookies[refreshCookie];
    if (accessToken) {
      request.currentUser = userOfAccessToken(app, tools, request, accessToken, nowMs);
      if (request.currentUser) return;
    }
    if (presentedRefresh) {
      request.currentUser = userOfRefreshToken(app, tools, request, reply, presentedRefresh, nowMs);
      if (request.currentUser) return;
    }
    if (accessToken || presentedRefresh) {
      request.sessionProblem = 'expired';
      tools.clearSessionCookies(reply);
    }
  });

  app.addHook('preHandler', requireSignedIn);

  app.decorate('sessions', {
    /** Starts a session for a user who just proved who they are, and sets both cookies. */
    begin(reply: FastifyReply, userId: number): string {
      const session = startSession(app.db, userId, app.clock());
      tools.issueAccessToken(reply, userId, session.familyId);
      tools.setRefreshCookie(reply, session.token);
      return session.familyId;
    },
    end(reply: FastifyReply): void {
      tools.clearSessionCookies(reply);
    },
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: { begin(reply: FastifyReply, userId: number): string; end(reply: FastifyReply): void };
  }
}

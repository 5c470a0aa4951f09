import type { FastifyPluginAsync } from 'fastify';
import { recordAudit } from '../../domain/audit/audit.ts';
import { revokeFamily } from '../../domain/auth/sessions.ts';
import { signIn } from '../../domain/auth/sign-in.ts';
import { homeRegionCode } from '../../domain/auth/users.ts';
import { field } from '../../lib/forms.ts';
import { localReturnPath } from '../../lib/return-path.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';

const authRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app, options) => {
  app.get<{ Querystring: { next?: string; expired?: string; signed_out?: string } }>(
    '/sign-in',
    { config: { public: true } },
    async (request, reply) => {
      const next = localReturnPath(request.query.next ?? '/');
      if (request.currentUser) return reply.seeOther(next);
      const noticeKey = request.query.expired === '1' || request.sessionProblem === 'expired' ? 'auth.notice.expired' : request.query.signed_out === '1' ? 'auth.notice.signedOut' : null;
      return reply.page('pages/auth/sign-in', { next, phone: '', errorKey: null, field: null, noticeKey }, { titleKey: 'auth.signInTitle' });
    },
  );

  app.post(
    '/sign-in',
    {
      config: {
        public: true,
        rateLimit: {
          max: options.signInAttemptsPerAddress,
          timeWindow: 15 * 60 * 1000,
          keyGenerator: (request) => `sign-in:${request.ip}`,
          errorResponseBuilder: () => ({ statusCode: 429, code: 'SIGN_IN_RATE_LIMITED', message: 'too many sign-in attempts from this address' }),
        },
      },
    },
    async (request, reply) => {
      const phone = field(request.body, 'phone');
      const password = field(request.body, 'password');
      const next = localReturnPath(field(request.body, 'next'));
      const result = await signIn(app.db, app.secrets, { phone, password, ipAddress: request.ip }, app.clock());
      if (!result.ok) {
        const status = result.messageKey === 'auth.error.badCredentials' ? 401 : result.field === null ? 429 : 422;
        return reply.page(
          'pages/auth/sign-in',
          { next, phone: phone.slice(0, 20), errorKey: result.messageKey, errorVariables: result.messageVariables ?? {}, field: result.field, noticeKey: null },
          { titleKey: 'auth.signInTitle', status },
        );
      }
      app.sessions.begin(reply, result.userId);
      const destination = result.mustChangePassword ? '/account/password' : next;
      if (result.failuresSinceLastSignIn > 0) {
        // The holder is told at once, before going on, that someone tried their password.
        return reply.page('pages/auth/failed-attempts', { next: destination, failures: result.failuresSinceLastSignIn }, { titleKey: 'auth.failedAttempts.title' });
      }
      return reply.seeOther(destination);
    },
  );

  app.post('/sign-out', { config: { public: true, allowPendingPasswordChange: true } }, async (request, reply) => {
    const user = request.currentUser;
    if (user) {
      const nowMs = app.clock();
      app.db.transaction(() => {
        revokeFamily(app.db, user.sessionFamilyId, nowMs);
        recordAudit(
          app.db,
          { action: 'auth.signed_out', actorUserId: user.id, objectType: 'user', objectId: user.id, regionCode: homeRegionCode(user.actor.grants), ipAddress: request.ip },
          nowMs,
        );
      });
    }
    app.sessions.end(reply);
    return reply.seeOther('/sign-in?signed_out=1');
  });
};
export default authRoutes;

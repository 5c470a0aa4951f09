import type { FastifyReply } from 'fastify';
import { addressKey } from '../../lib/client-address.ts';
import { signOut } from '../../domain/auth/sessions.ts';
import { signIn } from '../../domain/auth/sign-in.ts';
import { firstProblem } from '../../domain/kernel/outcome.ts';
import { Form } from '../../lib/form-schema.ts';
import { localReturnPath } from '../../lib/return-path.ts';
import { shapeProblems, typedValues } from '../../plugins/forms.ts';
import type { RouteApp, RoutePlugin, RoutePluginOptions } from '../../plugins/route-options.ts';

const SignInQuery = Form.object({ next: Form.optional(Form.text(2000)), expired: Form.optional(Form.text(10)), signed_out: Form.optional(Form.text(10)) });
/** The sign-in form; the domain says what is missing or wrong (in the page's one message). */
const SignInForm = Form.object({ phone: Form.optional(Form.text(40)), password: Form.optional(Form.text(1024)), next: Form.optional(Form.text(2000)) });

interface SignInRefusal {
  errorKey: string;
  errorVariables: Record<string, string | number>;
  field: string | null;
  status: number;
}

/** The sign-in form shown again with its one message (the phone as typed, cut to the box). */
function refusedSignIn(reply: FastifyReply, next: string, phone: string, refusal: SignInRefusal) {
  const { errorKey, errorVariables, field, status } = refusal;
  return reply.page('pages/auth/sign-in', { next, phone: phone.slice(0, 20), errorKey, errorVariables, field, noticeKey: null }, { titleKey: 'auth.signInTitle', status });
}

function registerSignInForm(app: RouteApp): void {
  app.get('/sign-in', { config: { public: true }, schema: { querystring: SignInQuery } }, async (request, reply) => {
    const next = localReturnPath(request.query.next ?? '/');
    if (request.currentUser) return reply.seeOther(next);
    const noticeKey = request.query.expired === '1' || request.sessionProblem === 'expired' ? 'auth.notice.expired' : request.query.signed_out === '1' ? 'auth.notice.signedOut' : null;
    return reply.page('pages/auth/sign-in', { next, phone: '', errorKey: null, field: null, noticeKey }, { titleKey: 'auth.signInTitle' });
  });
}

/** At most `signInAttemptsPerAddress` sign-ins per address in 15 minutes (the throttle per phone is in the domain). */
function signInRateLimit(options: RoutePluginOptions) {
  return {
    max: options.signInAttemptsPerAddress,
    timeWindow: 15 * 60 * 1000,
    keyGenerator: (request: { ip: string }) => `sign-in:${addressKey(request.ip)}`,
    errorResponseBuilder: () => ({ statusCode: 429, code: 'SIGN_IN_RATE_LIMITED', message: 'too many sign-in attempts from this address' }),
  };
}

function registerSignIn(app: RouteApp, options: RoutePluginOptions): void {
  app.post('/sign-in', { schema: { body: SignInForm }, attachValidation: true, config: { public: true, rateLimit: signInRateLimit(options) } }, async (request, reply) => {
    const shape = shapeProblems(request);
    const typed = typedValues(request.body);
    const phone = typed.phone ?? '';
    const next = localReturnPath(typed.next ?? '');
    if (shape.length > 0) {
      // A field of the wrong shape (an over-long phone, a repeated field) is not an attempt: nothing is counted.
      const first = firstProblem({ problems: shape });
      return refusedSignIn(reply, next, phone, { errorKey: first.code, errorVariables: first.params ?? {}, field: first.field ?? null, status: 422 });
    }
    const result = await signIn(app.db, app.secrets, { phone, password: request.body.password ?? '', ipAddress: request.ip }, app.clock());
    if (!result.ok) {
      const status = result.messageKey === 'auth.error.badCredentials' ? 401 : result.field === null ? 429 : 422;
      return refusedSignIn(reply, next, phone, { errorKey: result.messageKey, errorVariables: result.messageVariables ?? {}, field: result.field, status });
    }
    app.sessions.begin(reply, result.userId);
    const destination = result.mustChangePassword ? '/account/password' : next;
    if (result.failuresSinceLastSignIn > 0) {
      // The holder is told at once, before going on, that someone tried their password.
      return reply.page('pages/auth/failed-attempts', { next: destination, failures: result.failuresSinceLastSignIn }, { titleKey: 'auth.failedAttempts.title' });
    }
    return reply.seeOther(destination);
  });
}

function registerSignOut(app: RouteApp): void {
  app.post('/sign-out', { config: { public: true, allowPendingPasswordChange: true } }, async (request, reply) => {
    const user = request.currentUser;
    if (user) signOut(app.db, user, request.ip, app.clock());
    app.sessions.end(reply);
    return reply.seeOther('/sign-in?signed_out=1');
  });
}

const authRoutes: RoutePlugin = async (app, options) => {
  registerSignInForm(app);
  registerSignIn(app, options);
  registerSignOut(app);
};
export default authRoutes;

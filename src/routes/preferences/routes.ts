import type { FastifyPluginAsync } from 'fastify';
import { elderModeCookie, languageCookie } from '../../plugins/cookies.ts';
import { isLocale } from '../../i18n/index.ts';
import { field } from '../../lib/forms.ts';
import { localReturnPath } from '../../lib/return-path.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';

const oneYearSeconds = 365 * 24 * 60 * 60;

/** Language and elder mode: cookies set by small forms in the footer, then back to the page the user was on. */
const preferencesRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  const cookieOptions = { path: '/', sameSite: 'lax' as const, httpOnly: true, maxAge: oneYearSeconds };

  app.post('/preferences/language', { config: { public: true, allowPendingPasswordChange: true } }, async (request, reply) => {
    const lang = field(request.body, 'lang');
    if (!isLocale(lang)) throw new HttpProblem(400, 'preferences.error.unknownLanguage');
    reply.setCookie(languageCookie, lang, cookieOptions);
    return reply.seeOther(localReturnPath(field(request.body, 'return_to')));
  });

  app.post('/preferences/elder-mode', { config: { public: true, allowPendingPasswordChange: true } }, async (request, reply) => {
    const elder = field(request.body, 'elder');
    if (elder !== '1' && elder !== '0') throw new HttpProblem(400, 'errors.badRequest.message');
    reply.setCookie(elderModeCookie, elder, cookieOptions);
    return reply.seeOther(localReturnPath(field(request.body, 'return_to')));
  });
};
export default preferencesRoutes;

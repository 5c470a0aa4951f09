import { elderModeCookie, languageCookie } from '../../plugins/cookies.ts';
import { isLocale } from '../../i18n/index.ts';
import { Form } from '../../lib/form-schema.ts';
import { localReturnPath } from '../../lib/return-path.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';

/** The footer's small forms: a choice and the page to go back to. A choice that is not one of the few is a 400. */
const LanguageForm = Form.object({ lang: Form.optional(Form.text(20)), return_to: Form.optional(Form.text(2000)) });
const ElderModeForm = Form.object({ elder: Form.optional(Form.text(10)), return_to: Form.optional(Form.text(2000)) });

const oneYearSeconds = 365 * 24 * 60 * 60;

/** Language and elder mode: cookies set by small forms in the footer, then back to the page the user was on. */
const preferencesRoutes: RoutePlugin = async (app) => {
  const cookieOptions = { path: '/', sameSite: 'lax' as const, httpOnly: true, maxAge: oneYearSeconds };

  app.post('/preferences/language', { config: { public: true, allowPendingPasswordChange: true }, schema: { body: LanguageForm } }, async (request, reply) => {
    const lang = request.body.lang;
    if (!isLocale(lang)) throw new HttpProblem(400, 'preferences.error.unknownLanguage');
    reply.setCookie(languageCookie, lang, cookieOptions);
    return reply.seeOther(localReturnPath(request.body.return_to ?? ''));
  });

  app.post('/preferences/elder-mode', { config: { public: true, allowPendingPasswordChange: true }, schema: { body: ElderModeForm } }, async (request, reply) => {
    const elder = request.body.elder;
    if (elder !== '1' && elder !== '0') throw new HttpProblem(400, 'errors.badRequest.message');
    reply.setCookie(elderModeCookie, elder, cookieOptions);
    return reply.seeOther(localReturnPath(request.body.return_to ?? ''));
  });
};
export default preferencesRoutes;

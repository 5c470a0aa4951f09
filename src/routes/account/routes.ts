import type { FastifyPluginAsync } from 'fastify';
import { changePassword } from '../../domain/auth/sign-in.ts';
import { field } from '../../lib/forms.ts';
import { describeGrants } from '../home/scopes.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';

const accountRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  app.get<{ Querystring: { changed?: string } }>('/account', async (request, reply) => {
    const user = request.requireUser();
    const grants = describeGrants(app.db, user.actor.grants, request.locale);
    return reply.page('pages/account/show', { grants, changed: request.query.changed === '1' }, { titleKey: 'account.title' });
  });

  const passwordPage = { titleKey: 'account.password.title' };

  app.get('/account/password', { config: { allowPendingPasswordChange: true } }, async (request, reply) => {
    const user = request.requireUser();
    return reply.page('pages/account/password', { forced: user.mustChangePassword, errorKey: null, field: null }, passwordPage);
  });

  app.post('/account/password', { config: { allowPendingPasswordChange: true } }, async (request, reply) => {
    const user = request.requireUser();
    const result = await changePassword(
      app.db,
      app.secrets,
      {
        userId: user.id,
        currentPassword: field(request.body, 'current_password'),
        newPassword: field(request.body, 'new_password'),
        confirmPassword: field(request.body, 'confirm_password'),
        keepFamilyId: user.sessionFamilyId,
        ipAddress: request.ip,
      },
      app.clock(),
    );
    if (!result.ok) {
      return reply.page('pages/account/password', { forced: user.mustChangePassword, errorKey: result.messageKey, field: result.field }, { ...passwordPage, status: result.status ?? 422 });
    }
    return reply.seeOther('/account?changed=1');
  });
};
export default accountRoutes;

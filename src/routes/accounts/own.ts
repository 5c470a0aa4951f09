import { changePassword } from '../../domain/auth/sign-in.ts';
import { Form } from '../../lib/form-schema.ts';
import { shapeProblems } from '../../plugins/forms.ts';
import { describeGrants } from '../home/scopes.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';
import { firstProblem } from '../../domain/kernel/outcome.ts';

const AccountQuery = Form.object({ changed: Form.optional(Form.text(10)) });
/** Passwords as typed (never trimmed); the domain checks what a new password must be. */
const PasswordForm = Form.object({
  current_password: Form.optional(Form.text(1024)), new_password: Form.optional(Form.text(1024)), confirm_password: Form.optional(Form.text(1024)),
});
const passwordPageNames = { current_password: 'currentPassword', new_password: 'newPassword', confirm_password: 'confirmPassword' };

const accountRoutes: RoutePlugin = async (app) => {
  app.get('/account', { schema: { querystring: AccountQuery } }, async (request, reply) => {
    const user = request.requireUser();
    const grants = describeGrants(app.db, user.actor.grants, request.locale);
    return reply.page('pages/accounts/own/show', { grants, changed: request.query.changed === '1' }, { titleKey: 'account.title' });
  });

  const passwordPage = { titleKey: 'account.password.title' };

  app.get('/account/password', { config: { allowPendingPasswordChange: true } }, async (request, reply) => {
    const user = request.requireUser();
    return reply.page('pages/accounts/own/password', { forced: user.mustChangePassword, errorKey: null, field: null }, passwordPage);
  });

  app.post('/account/password', { config: { allowPendingPasswordChange: true }, schema: { body: PasswordForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    const shape = shapeProblems(request, passwordPageNames);
    if (shape.length > 0) {
      // Nothing is tried (no attempt counted): the form says which box is wrong.
      const first = firstProblem({ problems: shape });
      return reply.page('pages/accounts/own/password', { forced: user.mustChangePassword, errorKey: first.code, errorVariables: first.params ?? {}, field: first.field }, { ...passwordPage, status: 422 });
    }
    const result = await changePassword(
      app.db,
      app.secrets,
      {
        userId: user.id,
        currentPassword: request.body.current_password ?? '',
        newPassword: request.body.new_password ?? '',
        confirmPassword: request.body.confirm_password ?? '',
        keepFamilyId: user.sessionFamilyId,
        ipAddress: request.ip,
      },
      app.clock(),
    );
    if (!result.ok) {
      return reply.page('pages/accounts/own/password', { forced: user.mustChangePassword, errorKey: result.messageKey, field: result.field }, { ...passwordPage, status: result.status ?? 422 });
    }
    return reply.seeOther('/account?changed=1');
  });
};
export default accountRoutes;

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { roles, type Role } from '../../domain/access/authorize.ts';
import { accountPage, newAccountChoices, readGrantScope, readNewAccountForm, temporaryPasswordProblem } from '../../domain/auth/account-pages.ts';
import { findAccount, liftSignInLock, listAccounts, type AccountSummary } from '../../domain/auth/accounts.ts';
import { accountsRoleRefusal, createAccountByStaff, grantRole, resetPasswordByStaff, revokeRole } from '../../domain/auth/staff.ts';
import { phoneRefusalsPerHour } from '../../domain/auth/phone-in-use.ts';
import { idempotencyConflictKey, readIdempotencyKey } from '../../domain/kernel/idempotency.ts';
import { Form, IdParams, type Static } from '../../lib/form-schema.ts';
import { newIdempotencyKey } from '../../lib/forms.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../plugins/forms.ts';
import { forbidden, HttpProblem, notFound } from '../../plugins/http-errors.ts';
import type { RouteApp, RoutePlugin } from '../../plugins/route-options.ts';

const ListQuery = Form.object({ q: Form.optional(Form.text(200)), role: Form.optional(Form.text(40)), page: Form.optional(Form.integer(1, 1_000_000)) });
/** A new account; the domain (readNewAccountForm) checks the phone, the name, the role and its scope. */
const CreateAccountForm = Form.object({
  idempotency_key: Form.idempotencyKey(), phone: Form.optional(Form.text(40)), display_name: Form.optional(Form.text(200)),
  role: Form.optional(Form.text(40)), scope: Form.optional(Form.text(40)), temporary_password: Form.optional(Form.text(1024)),
});
const AccountQuery = Form.object({ done: Form.optional(Form.text(20)) });
const GrantForm = Form.object({ role: Form.optional(Form.text(40)), scope: Form.optional(Form.text(40)) });
const RevokeForm = Form.object({ role_id: Form.optional(Form.id({ messageKey: 'accounts.error.role_not_held' })) });
const ResetForm = Form.object({ temporary_password: Form.optional(Form.text(1024)) });
/** An account's pages: the shape is checked once the role is (loadAccount), so a malformed id answers like a missing account. */
const accountRoute = { schema: { params: IdParams, querystring: AccountQuery }, attachValidation: true } as const;

/**
 * Accounts made and managed by staff (docs/WEB.md "Accounts made by staff"):
 * offices and administrators list the sign-ins of their area, create one with
 * a temporary password (changed at first sign-in), grant and revoke roles and
 * reset a forgotten password. The domain (src/domain/auth/staff.ts) checks
 * every grant against the actor's scope; these routes check the account first.
 */

interface CreateForm {
  values: { phone: string; displayName: string; role: string; scope: string; idempotencyKey: string };
  errors: Record<string, string>;
  message: string;
}

const emptyCreate = (): CreateForm => ({ values: { phone: '', displayName: '', role: '', scope: '', idempotencyKey: newIdempotencyKey() }, errors: {}, message: '' });

/** Message keys per field, in the request's language. */
function translated(request: FastifyRequest, errors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([name, messageKey]) => [name, request.t(messageKey)]));
}

/**
 * The account of an account page: the role first (the 403 page, whatever the
 * address holds), then the address's shape, then the account in the actor's scope.
 */
function loadAccount(app: FastifyInstance, request: FastifyRequest<{ Params: Static<typeof IdParams> }>): AccountSummary {
  const actor = request.requireUser().actor;
  if (accountsRoleRefusal(actor)) throw forbidden();
  shapeProblems(request, {}, 'accounts.error.not_found'); // throws the 404 of a malformed id; a refused form is the caller's to show
  const found = findAccount(app.db, actor, request.params.id);
  if (!found.ok && found.reason === 'forbidden') throw forbidden();
  // An account outside the scope is answered exactly like a missing one (issue 12 item 7).
  if (!found.ok) throw notFound('accounts.error.not_found');
  return found.account;
}

async function showNew(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, form: CreateForm, status = 200) {
  // Every answer of the new-account form comes through here: an actor who manages no accounts gets the 403 page first.
  const choices = newAccountChoices(app.db, request.requireUser().actor, request.locale);
  if (!choices.ok) throw forbidden();
  return reply.page('pages/accounts/staff/new', { form, roleChoices: choices.roleChoices, scopeChoices: choices.scopeChoices }, { titleKey: 'accounts.new.title', status });
}

interface ShowOptions {
  grantForm?: { values: { role: string; scope: string }; error: string };
  passwordError?: string;
  revokeError?: string;
  lockError?: string;
  status?: number;
}

async function showAccount(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, account: AccountSummary, options: ShowOptions = {}) {
  const actor = request.requireUser().actor;
  const done = typedValues(request.query).done ?? '';
  return reply.page(
    'pages/accounts/staff/show',
    {
      ...accountPage(app.db, app.secrets, actor, account, { locale: request.locale, nowMs: app.clock() }),
      done: ['created', 'granted', 'revoked', 'reset', 'unlocked'].includes(done) ? done : '',
      lockError: options.lockError ?? '',
      grantForm: options.grantForm ?? { values: { role: '', scope: '' }, error: '' },
      passwordError: options.passwordError ?? '',
      revokeError: options.revokeError ?? '',
    },
    { titleKey: 'accounts.show.title', titleVariables: { name: account.displayName }, status: options.status ?? 200 },
  );
}

/** The list of accounts in the actor's area and the creation of one. */
function registerListAndCreateRoutes(app: RouteApp): void {
  // ---- list ----
  app.get('/accounts', { schema: { querystring: ListQuery } }, async (request, reply) => {
    const user = request.requireUser();
    const query = (request.query.q ?? '').slice(0, 40);
    const role = (roles as readonly string[]).includes(request.query.role ?? '') ? (request.query.role as Role) : '';
    const result = listAccounts(app.db, user.actor, { query, role, page: request.query.page ?? 1, pageSize: 30 });
    if (!result.ok) throw forbidden();
    return reply.page('pages/accounts/staff/index', { query, role, roles, result, created: '' }, { titleKey: 'accounts.title' });
  });

  app.get('/accounts/new', async (request, reply) => {
    return showNew(app, request, reply, emptyCreate());
  });

  app.post('/accounts', { schema: { body: CreateAccountForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    // A refused shape or form is shown by showNew, which refuses an actor without the role first (403).
    // A form without a key (sent by hand) is done without the replay protection; the page always sends one.
    const key = readIdempotencyKey(request.body);
    const typed = typedValues(request.body);
    const values = {
      phone: (typed.phone ?? '').slice(0, 40), displayName: (typed.display_name ?? '').trim().slice(0, 200), role: typed.role ?? '', scope: typed.scope ?? '',
      idempotencyKey: key ?? newIdempotencyKey(),
    };
    const shape = shapeProblems(request);
    if (shape.length > 0) return showNew(app, request, reply, { values, errors: problemsToForm(request.t, shape).byField, message: request.t('accounts.error.summary') }, 422);
    const temporaryPassword = request.body.temporary_password ?? '';
    const checked = readNewAccountForm({ ...values, temporaryPassword });
    if (!checked.ok) return showNew(app, request, reply, { values, errors: translated(request, checked.errors), message: request.t('accounts.error.summary') }, 422);
    const result = await createAccountByStaff(app.db, user.actor, checked.account, request.ip, app.clock(), key);
    if (!result.ok) {
      if (result.reason === 'forbidden') throw forbidden();
      if (result.reason === 'not_allowed') throw new HttpProblem(403, 'accounts.error.grant_not_allowed');
      // The key was used for another account: a new form (new key) with what was typed.
      if (result.reason === 'key_conflict') return showNew(app, request, reply, { values: { ...values, idempotencyKey: newIdempotencyKey() }, errors: {}, message: request.t(idempotencyConflictKey) }, 409);
      const fieldName = result.reason.startsWith('phone_') ? 'phone' : result.reason === 'name_invalid' || result.reason === 'name_missing' ? 'display_name' : 'scope';
      const status = result.reason === 'phone_limit' ? 429 : result.reason === 'phone_taken' || result.reason === 'phone_unavailable' ? 409 : 422;
      return showNew(app, request, reply, { values, errors: { [fieldName]: request.t(`accounts.error.${result.reason}`, { max: phoneRefusalsPerHour }) }, message: request.t('accounts.error.summary') }, status);
    }
    return reply.seeOther(`/accounts/${result.userId}?done=created`);
  });
}

/** One account: its page, and granting and revoking its roles. */
function registerRoleRoutes(app: RouteApp): void {
  app.get('/accounts/:id', accountRoute, async (request, reply) => {
    return showAccount(app, request, reply, loadAccount(app, request));
  });

  app.post('/accounts/:id/roles', { ...accountRoute, schema: { ...accountRoute.schema, body: GrantForm } }, async (request, reply) => {
    const account = loadAccount(app, request);
    const typed = typedValues(request.body);
    const values = { role: typed.role ?? '', scope: typed.scope ?? '' };
    const shape = shapeProblems(request);
    if (shape.length > 0) return showAccount(app, request, reply, account, { grantForm: { values, error: problemsToForm(request.t, shape).summary.join(' ') }, status: 422 });
    const grant = readGrantScope(values.role, values.scope);
    if (!grant.ok) return showAccount(app, request, reply, account, { grantForm: { values, error: Object.values(grant.errors).map((key) => request.t(key)).join(' ') }, status: 422 });
    const result = grantRole(app.db, request.requireUser().actor, account.id, grant.scope, request.ip, app.clock());
    if (!result.ok) {
      if (result.reason === 'not_allowed') throw new HttpProblem(403, 'accounts.error.grant_not_allowed');
      return showAccount(app, request, reply, account, { grantForm: { values, error: request.t(`accounts.error.${result.reason}`) }, status: result.reason === 'already_granted' ? 409 : 422 });
    }
    return reply.seeOther(`/accounts/${account.id}?done=granted`);
  });

  app.post('/accounts/:id/revoke', { ...accountRoute, schema: { ...accountRoute.schema, body: RevokeForm } }, async (request, reply) => {
    const account = loadAccount(app, request);
    // The role is named by its id, and must be one of this account's roles (never trust the id alone).
    const roleId = shapeProblems(request).length > 0 ? undefined : request.body.role_id;
    const role = roleId === undefined ? undefined : account.roles.find((candidate) => candidate.id === roleId);
    if (!role) return showAccount(app, request, reply, account, { revokeError: request.t('accounts.error.role_not_held'), status: 422 });
    const result = revokeRole(app.db, request.requireUser().actor, account.id, { role: role.role, regionCode: role.regionCode, siteId: role.siteId }, request.ip, app.clock());
    if (!result.ok) {
      if (result.reason === 'not_allowed') throw new HttpProblem(403, 'accounts.error.revoke_not_allowed');
      return showAccount(app, request, reply, account, { revokeError: request.t('accounts.error.role_not_held'), status: 422 });
    }
    return reply.seeOther(`/accounts/${account.id}?done=revoked`);
  });
}

/** One account's sign-in: lifting its lock and resetting its password. */
function registerSignInRoutes(app: RouteApp): void {
  app.post('/accounts/:id/unlock', accountRoute, async (request, reply) => {
    const account = loadAccount(app, request);
    const result = liftSignInLock(app.db, app.secrets, request.requireUser().actor, account.id, request.ip, app.clock());
    if (!result.ok) {
      if (result.reason === 'not_locked') return showAccount(app, request, reply, account, { lockError: request.t('accounts.error.not_locked'), status: 409 });
      if (result.reason === 'forbidden') throw forbidden();
      throw result.reason === 'not_found' ? notFound('accounts.error.not_found') : new HttpProblem(403, 'accounts.error.not_allowed');
    }
    return reply.seeOther(`/accounts/${account.id}?done=unlocked`);
  });

  app.post('/accounts/:id/password', { ...accountRoute, schema: { ...accountRoute.schema, body: ResetForm } }, async (request, reply) => {
    const account = loadAccount(app, request);
    const shape = shapeProblems(request);
    if (shape.length > 0) return showAccount(app, request, reply, account, { passwordError: problemsToForm(request.t, shape).summary.join(' '), status: 422 });
    const temporaryPassword = request.body.temporary_password ?? '';
    if (account.id === request.requireUser().id) return showAccount(app, request, reply, account, { passwordError: request.t('accounts.error.reset_self'), status: 422 });
    const problem = temporaryPasswordProblem(temporaryPassword);
    if (problem) return showAccount(app, request, reply, account, { passwordError: request.t(problem), status: 422 });
    const result = await resetPasswordByStaff(app.db, request.requireUser().actor, { userId: account.id, temporaryPassword }, request.ip, app.clock());
    if (!result.ok) {
      if (result.reason === 'not_allowed') throw new HttpProblem(403, 'accounts.error.reset_not_allowed');
      return showAccount(app, request, reply, account, { passwordError: request.t(`accounts.error.${result.reason}`), status: 422 });
    }
    return reply.seeOther(`/accounts/${account.id}?done=reset`);
  });
}

const accountsRoutes: RoutePlugin = async (app) => {
  registerListAndCreateRoutes(app);
  registerRoleRoutes(app);
  registerSignInRoutes(app);
};

export default accountsRoutes;

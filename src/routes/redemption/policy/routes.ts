import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../../../domain/redemption/context.ts';
import { policyAccess, type NetworkPolicy } from '../../../domain/redemption/policy.ts';
import { policyPage, publishPolicyVersion, rulesOfRow, withdrawPolicyVersion } from '../../../domain/redemption/policy-versions.ts';
import { durationParts } from '../../../lib/duration.ts';
import { Form, IdParams } from '../../../lib/form-schema.ts';
import { readIdempotencyKey } from '../../../lib/forms.ts';
import { formatDateTime } from '../../../lib/time.ts';
import type { RouteApp, RoutePlugin } from '../../../plugins/route-options.ts';
import { problemsToForm, shapeProblems, typedValues } from '../../../plugins/forms.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';
import { amountFields, amountFieldsBlank, minutesFromAmountFields, redemptionContext } from '../sites/shared.ts';

/**
 * The network policy's dated versions (top office only): the version in
 * force, the upcoming ones (each may be withdrawn), the history, and a form
 * that publishes a new version from a future date.
 */
const PolicyQuery = Form.object({ published: Form.optional(Form.text(10)), withdrawn: Form.optional(Form.text(10)) });
const PublishForm = Form.object({
  idempotency_key: Form.idempotencyKey(), effective_date: Form.optional(Form.text(20)), ...amountFields('cap'), cap_mode: Form.optional(Form.oneOf(['refuse', 'divert'])),
  care_age: Form.integer(0, 999, { messageKey: 'redemption.error.care_age_invalid' }),
  care_age_registered: Form.optional(Form.text(3)), relatives_only: Form.checkbox('1'),
  spouse_lineal: Form.checkbox('1'), team_donate_only: Form.checkbox('1'), priority_threshold: Form.optional(Form.text(4)),
  ...amountFields('minimum'), ...amountFields('yearly'), note: Form.optional(Form.text(200)),
});

/** A blank box is "off" (null); otherwise the minutes typed (NaN when malformed, which the domain refuses). */
function minutesOrNull(body: unknown, name: string): number | null {
  return amountFieldsBlank(body, name) ? null : minutesFromAmountFields(body, name);
}

/** A blank box is "off" (null); otherwise the whole number typed (NaN when not one, which the domain refuses). */
function wholeOrNull(text: string | undefined): number | null {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return null;
  return /^\d{1,3}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

function rulesFromForm(body: unknown): NetworkPolicy {
  const typed = typedValues(body);
  return {
    balanceCapMinutes: minutesOrNull(body, 'cap'), capMode: typed.cap_mode === 'divert' ? 'divert' : 'refuse',
    careAgeYears: Number(typed.care_age), careAgeRegisteredYears: wholeOrNull(typed.care_age_registered),
    giftsRelativesOnly: typed.relatives_only === '1',
    firstRedemptionMinimumMinutes: minutesOrNull(body, 'minimum'), yearlyRedemptionLimitMinutes: minutesOrNull(body, 'yearly'),
    giftsSpouseOrLinealSixtyPlus: typed.spouse_lineal === '1', teamCreditsDonateOnly: typed.team_donate_only === '1',
    priorityStockThreshold: wholeOrNull(typed.priority_threshold),
  };
}

function renderPolicyPage(app: RouteApp, request: FastifyRequest, reply: FastifyReply, problems: Problem[], values: Record<string, string> = {}, status = 200) {
  const user = request.requireUser();
  const page = policyPage(redemptionContext(app), user.actor);
  if (!page.ok) return refusalPage(page);
  const query = request.query as { published?: string; withdrawn?: string };
  const latest = page.value.upcoming[0];
  return reply.page('pages/redemption/policy/index', {
    ...page.value, formRules: latest ? rulesOfRow(latest) : page.value.current.rules, rulesOf: rulesOfRow,
    when: (ms: number) => formatDateTime(ms, request.locale), durationParts,
    published: query.published === '1', withdrawn: query.withdrawn === '1',
    values, errors: problemsToForm(request.t, problems).summary,
  }, { titleKey: 'redemption.policy.title', status });
}

const policyRoutes: RoutePlugin = async (app) => {
  app.get('/policy', { schema: { querystring: PolicyQuery } }, async (request, reply) => renderPolicyPage(app, request, reply, []));

  app.post('/policy/versions', { schema: { body: PublishForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    const denied = policyAccess(user.actor);
    if (denied) refusalPage(denied);
    const values = typedValues(request.body);
    const shape = shapeProblems(request);
    if (shape.length > 0) return renderPolicyPage(app, request, reply, shape, values, 422);
    const idempotencyKey = readIdempotencyKey(request.body);
    if (!idempotencyKey) return renderPolicyPage(app, request, reply, [{ code: 'redemption.error.key_reused' }], values, 400);
    const result = publishPolicyVersion(redemptionContext(app), user.actor, {
      effectiveDate: values.effective_date ?? '', rules: rulesFromForm(request.body), note: values.note ?? '', idempotencyKey,
    });
    if (!result.ok) return renderPolicyPage(app, request, reply, result.problems, values, result.status);
    return reply.seeOther('/policy?published=1');
  });

  app.post('/policy/versions/:id/withdraw', { schema: { params: IdParams } }, async (request, reply) => {
    const user = request.requireUser();
    const result = withdrawPolicyVersion(redemptionContext(app), user.actor, request.params.id);
    if (!result.ok) {
      if (result.status === 403) refusalPage(result);
      return renderPolicyPage(app, request, reply, result.problems, {}, result.status);
    }
    return reply.seeOther('/policy?withdrawn=1');
  });
};
export default policyRoutes;

import type { FastifyReply, FastifyRequest } from 'fastify';
import { serviceCategories } from '../../db/schema/hours.ts';
import { isTopOffice, publishVersion, formatCoefficient, type ServiceTypeInput } from '../../domain/hours/standard.ts';
import { standardPage } from '../../domain/hours/standard-page.ts';
import { updatePolicy } from '../../domain/hours/policy.ts';
import { addDays } from '../../domain/hours/time.ts';
import { Form, type Static } from '../../lib/form-schema.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';
import { formatters, hoursContext, problemOf } from './support.ts';
import { noErrors, problemsToForm, shapeProblems, typedValues, type FormErrors } from '../../plugins/forms.ts';

/** One cell of the standard's table, a column of which arrives as a list (one value per row). */
const column = () => Form.optional(Form.list(Form.text(200), 200));
/** A new version of the standard: its date, a note, and the table (the domain checks every value). */
const PublishForm = Form.object({
  effective_date: Form.optional(Form.text(40)), note: Form.optional(Form.text(200)),
  code: column(), name_zh: column(), name_en: column(), category: column(), coefficient: column(), max_minutes: column(), recipient_required: column(), active: column(),
});
type PublishInput = Static<typeof PublishForm>;
/** The policy's numbers as typed (the domain checks their ranges, which are policy). */
const PolicyForm = Form.object({
  backdate_days: Form.optional(Form.text(20)), daily_max_hours: Form.optional(Form.text(20)), unreviewed_expiry_days: Form.optional(Form.text(20)), auto_approve: Form.optional(Form.text(10)),
});
const policyPageNames = { backdate_days: 'backdateDays', daily_max_hours: 'dailyMaxHours', unreviewed_expiry_days: 'unreviewedExpiryDays' };

const standardRoutes: RoutePlugin = async (app) => {
  const context = hoursContext(app);

  function rowsFromBody(body: PublishInput): ServiceTypeInput[] {
    // A refused shape leaves a column as sent (not always a list): such a column shows empty.
    const list = (values: unknown): string[] => (Array.isArray(values) ? values.map(String) : []);
    const codes = list(body.code);
    const [nameZh, nameEn, category, coefficient, maxMinutes] = [body.name_zh, body.name_en, body.category, body.coefficient, body.max_minutes].map(list) as [string[], string[], string[], string[], string[]];
    const recipient = new Set(list(body.recipient_required));
    const active = new Set(list(body.active));
    return codes.slice(0, 60).map((code, index) => ({
      code, nameZh: nameZh[index] ?? '', nameEn: nameEn[index] ?? '', category: category[index] ?? '', coefficient: coefficient[index] ?? '',
      maxMinutes: maxMinutes[index] ?? '', recipientRequired: recipient.has(String(index)), active: active.has(String(index)),
    })).filter((row, index) => !(index === codes.length - 1 && row.code.trim() === '' && row.nameZh.trim() === '' && row.nameEn.trim() === ''));
  }

  async function showStandard(request: FastifyRequest, reply: FastifyReply, publish: { values: { effectiveDate: string; note: string; rows: ServiceTypeInput[] }; errors: FormErrors } | null, policyForm: { errors: FormErrors; values: Record<string, string | boolean> } | null, status = 200) {
    const outcome = standardPage(context, request.requireUser().actor);
    if (!outcome.ok) throw problemOf(outcome);
    const { today, current, types, upcoming, versions, latestTypes, top, policy } = outcome.value;
    const baseRows: ServiceTypeInput[] = latestTypes.map((type) => ({
      code: type.code, nameZh: type.nameZh, nameEn: type.nameEn, category: type.category, coefficient: formatCoefficient(type.coefficientMilli),
      maxMinutes: String(type.maxMinutes), recipientRequired: type.recipientRequired, active: type.active,
    }));
    return reply.page(
      'pages/hours/standard',
      {
        current, types, upcoming, versions, top, categories: serviceCategories,
        publish: publish ?? { values: { effectiveDate: addDays(today, 1), note: '', rows: baseRows }, errors: noErrors },
        policy, policyForm: policyForm ?? { errors: noErrors, values: { backdateDays: String(policy.backdateDays), dailyMaxHours: String(policy.dailyMaxMinutes / 60), unreviewedExpiryDays: String(policy.unreviewedExpiryDays), autoApprove: policy.autoApproveCardConfirmed } },
        formatCoefficient, f: formatters(request), query: request.query,
      },
      { titleKey: 'hours.standard.title', status },
    );
  }

  app.get('/hours/standard', async (request, reply) => showStandard(request, reply, null, null));

  app.post('/hours/standard', { schema: { body: PublishForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    if (!isTopOffice(context, user.actor)) throw new HttpProblem(403, 'hours.error.top_office_only');
    const typed = typedValues(request.body);
    const values = { effectiveDate: typed.effective_date ?? '', note: typed.note ?? '', rows: rowsFromBody(request.body) };
    const shape = shapeProblems(request);
    if (shape.length > 0) return showStandard(request, reply, { values, errors: problemsToForm(request.t, shape) }, null, 422);
    const outcome = publishVersion(context, user.actor, { effectiveDate: values.effectiveDate, note: values.note, types: values.rows }, request.ip);
    if (!outcome.ok) return showStandard(request, reply, { values, errors: problemsToForm(request.t, outcome.problems) }, null, outcome.status);
    return reply.seeOther('/hours/standard?published=1');
  });

  app.post('/hours/policy', { schema: { body: PolicyForm }, attachValidation: true }, async (request, reply) => {
    const user = request.requireUser();
    if (!isTopOffice(context, user.actor)) throw new HttpProblem(403, 'hours.error.top_office_only');
    const typed = typedValues(request.body);
    const values = {
      backdateDays: typed.backdate_days ?? '', dailyMaxHours: typed.daily_max_hours ?? '',
      unreviewedExpiryDays: typed.unreviewed_expiry_days ?? '', autoApprove: typed.auto_approve === '1',
    };
    const shape = shapeProblems(request, policyPageNames);
    if (shape.length > 0) return showStandard(request, reply, null, { values, errors: problemsToForm(request.t, shape) }, 422);
    const outcome = updatePolicy(context, user.actor, { ...values, autoApproveCardConfirmed: values.autoApprove });
    if (!outcome.ok) return showStandard(request, reply, null, { values, errors: problemsToForm(request.t, outcome.problems) }, outcome.status);
    return reply.seeOther('/hours/standard?policy=1#policy-title');
  });
};
export default standardRoutes;

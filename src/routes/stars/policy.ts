import type { FastifyReply, FastifyRequest } from 'fastify';
import { awardingLevels } from '../../db/schema/stars.ts';
import { addDays } from '../../domain/hours/time.ts';
import { isTopOffice } from '../../domain/hours/standard.ts';
import { publishStarPolicy, starPolicyPage, type StarPolicyInput } from '../../domain/stars/policy.ts';
import { Form } from '../../lib/form-schema.ts';
import { noErrors, problemsToForm, shapeProblems, typedValues, type FormErrors } from '../../plugins/forms.ts';
import { HttpProblem, refusalPage } from '../../plugins/http-errors.ts';
import type { RouteApp } from '../../plugins/route-options.ts';
import { hoursContext } from '../hours/support.ts';

const hours = () => Form.optional(Form.text(20));
const level = () => Form.optional(Form.text(20));
/** A new version: its date, notice days, hours and awarding level per star (the domain checks every value, which are policy). */
const PolicyForm = Form.object({
  effective_date: Form.optional(Form.text(40)), notice_working_days: Form.optional(Form.text(20)), note: Form.optional(Form.text(200)),
  min_hours_1: hours(), min_hours_2: hours(), min_hours_3: hours(), min_hours_4: hours(), min_hours_5: hours(),
  awarding_level_1: level(), awarding_level_2: level(), awarding_level_3: level(), awarding_level_4: level(), awarding_level_5: level(),
});
const pageNames: Record<string, string> = { effective_date: 'effectiveDate', notice_working_days: 'noticeWorkingDays' };
for (const star of [1, 2, 3, 4, 5]) {
  pageNames[`min_hours_${star}`] = `minHours${star}`;
  pageNames[`awarding_level_${star}`] = `awardingLevel${star}`;
}

type Values = Record<string, string>;

async function showPolicy(app: RouteApp, request: FastifyRequest, reply: FastifyReply, form: { values: Values; errors: FormErrors } | null, status = 200) {
  const outcome = starPolicyPage(hoursContext(app), request.requireUser().actor);
  if (!outcome.ok) refusalPage(outcome);
  const { today, inForce } = outcome.value;
  const initial: Values = { effectiveDate: addDays(today, 1), noticeWorkingDays: String(inForce.noticeWorkingDays), note: '' };
  for (const level of inForce.levels) {
    initial[`minHours${level.star}`] = String(level.minHours);
    initial[`awardingLevel${level.star}`] = level.awardingLevel;
  }
  return reply.page('pages/stars/policy', { ...outcome.value, awardingLevels, published: (request.query as { published?: string }).published === '1', form: form ?? { values: initial, errors: noErrors } }, { titleKey: 'stars.policy.title', status });
}

function inputOf(values: Values): StarPolicyInput {
  const whole = (text: string | undefined) => (/^\d{1,6}$/.test((text ?? '').trim()) ? Number(text) : Number.NaN);
  return {
    effectiveDate: (values.effectiveDate ?? '').trim(), noticeWorkingDays: whole(values.noticeWorkingDays), note: values.note ?? '',
    minHours: [1, 2, 3, 4, 5].map((star) => whole(values[`minHours${star}`])),
    awardingLevels: [1, 2, 3, 4, 5].map((star) => values[`awardingLevel${star}`] ?? ''),
  };
}

/** The star policy: anyone in an office reads it; the top office publishes a version for a future date. */
export function registerPolicyRoutes(app: RouteApp): void {
  app.get('/stars/policy', async (request, reply) => showPolicy(app, request, reply, null));

  app.post('/stars/policy', { schema: { body: PolicyForm }, attachValidation: true }, async (request, reply) => {
    const actor = request.requireUser().actor;
    if (!isTopOffice(hoursContext(app), actor)) throw new HttpProblem(403, 'stars.error.top_office_only');
    const typed = typedValues(request.body);
    const values: Values = {};
    for (const [name, pageName] of Object.entries({ ...pageNames, note: 'note' })) values[pageName] = typed[name] ?? '';
    const shape = shapeProblems(request, pageNames);
    if (shape.length > 0) return showPolicy(app, request, reply, { values, errors: problemsToForm(request.t, shape) }, 422);
    const outcome = publishStarPolicy(hoursContext(app), actor, inputOf(values));
    if (!outcome.ok) return showPolicy(app, request, reply, { values, errors: problemsToForm(request.t, outcome.problems) }, outcome.status);
    return reply.seeOther('/stars/policy?published=1');
  });
}

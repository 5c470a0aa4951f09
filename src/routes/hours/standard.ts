import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { serviceCategories } from '../../db/schema/hours.ts';
import { isTopOffice, listVersions, publishVersion, typesOfVersion, versionInForce, formatCoefficient, type ServiceTypeInput } from '../../domain/hours/standard.ts';
import { canReadStandard } from '../../domain/hours/permissions.ts';
import { readPolicy, updatePolicy } from '../../domain/hours/policy.ts';
import { shanghaiDateOf, addDays } from '../../domain/hours/time.ts';
import { field } from '../../lib/forms.ts';
import { HttpProblem } from '../../plugins/http-errors.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { fieldList, formatters, hoursContext } from './support.ts';
import { noErrors, problemsToForm, type FormErrors } from '../../plugins/forms.ts';

const standardRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  const context = hoursContext(app);

  function rowsFromBody(body: unknown): ServiceTypeInput[] {
    const codes = fieldList(body, 'code');
    const list = (name: string) => fieldList(body, name);
    const [nameZh, nameEn, category, coefficient, maxMinutes] = ['name_zh', 'name_en', 'category', 'coefficient', 'max_minutes'].map(list) as [string[], string[], string[], string[], string[]];
    const recipient = new Set(list('recipient_required'));
    const active = new Set(list('active'));
    return codes.slice(0, 60).map((code, index) => ({
      code, nameZh: nameZh[index] ?? '', nameEn: nameEn[index] ?? '', category: category[index] ?? '', coefficient: coefficient[index] ?? '',
      maxMinutes: maxMinutes[index] ?? '', recipientRequired: recipient.has(String(index)), active: active.has(String(index)),
    })).filter((row, index) => !(index === codes.length - 1 && row.code.trim() === '' && row.nameZh.trim() === '' && row.nameEn.trim() === ''));
  }

  async function showStandard(request: FastifyRequest, reply: FastifyReply, publish: { values: { effectiveDate: string; note: string; rows: ServiceTypeInput[] }; errors: FormErrors } | null, policyForm: { errors: FormErrors; values: Record<string, string | boolean> } | null, status = 200) {
    const user = request.requireUser();
    request.authorize(canReadStandard);
    const today = shanghaiDateOf(app.clock());
    const current = versionInForce(context, today);
    const versions = listVersions(context);
    const upcoming = versions.filter((version) => version.effectiveDate > today);
    const types = current ? typesOfVersion(context, current.id) : [];
    const top = isTopOffice(context, user.actor);
    const latest = versions[0];
    const baseRows: ServiceTypeInput[] = (latest ? typesOfVersion(context, latest.id) : []).map((type) => ({
      code: type.code, nameZh: type.nameZh, nameEn: type.nameEn, category: type.category, coefficient: formatCoefficient(type.coefficientMilli),
      maxMinutes: String(type.maxMinutes), recipientRequired: type.recipientRequired, active: type.active,
    }));
    const policy = readPolicy(context);
    return reply.page(
      'pages/hours/standard',
      {
        current, types, upcoming: upcoming.map((version) => ({ version, types: typesOfVersion(context, version.id) })), versions, top, categories: serviceCategories,
        publish: publish ?? { values: { effectiveDate: addDays(today, 1), note: '', rows: baseRows }, errors: noErrors },
        policy, policyForm: policyForm ?? { errors: noErrors, values: { backdateDays: String(policy.backdateDays), dailyMaxHours: String(policy.dailyMaxMinutes / 60), unreviewedExpiryDays: String(policy.unreviewedExpiryDays), autoApprove: policy.autoApproveCardConfirmed } },
        formatCoefficient, f: formatters(request), query: request.query,
      },
      { titleKey: 'hours.standard.title', status },
    );
  }

  app.get('/hours/standard', async (request, reply) => showStandard(request, reply, null, null));

  app.post('/hours/standard', async (request, reply) => {
    const user = request.requireUser();
    if (!isTopOffice(context, user.actor)) throw new HttpProblem(403, 'hours.error.top_office_only');
    const values = { effectiveDate: field(request.body, 'effective_date'), note: field(request.body, 'note'), rows: rowsFromBody(request.body) };
    const outcome = publishVersion(context, user.actor, { effectiveDate: values.effectiveDate, note: values.note, types: values.rows }, request.ip);
    if (!outcome.ok) return showStandard(request, reply, { values, errors: problemsToForm(request.t, outcome.problems) }, null, outcome.status);
    return reply.seeOther('/hours/standard?published=1');
  });

  app.post('/hours/policy', async (request, reply) => {
    const user = request.requireUser();
    if (!isTopOffice(context, user.actor)) throw new HttpProblem(403, 'hours.error.top_office_only');
    const values = {
      backdateDays: field(request.body, 'backdate_days'), dailyMaxHours: field(request.body, 'daily_max_hours'),
      unreviewedExpiryDays: field(request.body, 'unreviewed_expiry_days'), autoApprove: field(request.body, 'auto_approve') === '1',
    };
    const outcome = updatePolicy(context, user.actor, { ...values, autoApproveCardConfirmed: values.autoApprove });
    if (!outcome.ok) return showStandard(request, reply, null, { values, errors: problemsToForm(request.t, outcome.problems) }, outcome.status);
    return reply.seeOther('/hours/standard?policy=1#policy-title');
  });
};
export default standardRoutes;

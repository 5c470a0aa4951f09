import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { elderCategories } from '../../../domain/people/elders/categories.ts';
import { getElder, listElders } from '../../../domain/people/elders/query.ts';
import { registerElderWithCard, type ConsentInput } from '../../../domain/people/elders/register.ts';
import { closeElder, updateElderCare } from '../../../domain/people/elders/update.ts';
import { elderServices } from '../../../domain/hours/coverage.ts';
import { registrationChoices, villageChoices } from '../../../domain/people/members/choices.ts';
import { todayInShanghai } from '../../../domain/people/members/context.ts';
import { newIdempotencyKey, readIdempotencyKey } from '../../../lib/forms.ts';
import { IdParams } from '../../../lib/form-schema.ts';
import type { RouteApp, RoutePlugin } from '../../../plugins/route-options.ts';
import { peopleContext } from '../members/support.ts';
import { shapeProblems, typedValues } from '../../../plugins/forms.ts';
import { PageNoticeQuery } from '../members/schemas.ts';
import { ElderCareForm, elderFieldNames, ElderForm, ElderListQuery, ReasonForm } from './schemas.ts';
import { firstProblem } from '../../../domain/kernel/outcome.ts';
import { problemsToForm } from '../../../plugins/forms.ts';
import { refusalPage } from '../../../plugins/http-errors.ts';

interface ElderFormValues {
  realName: string;
  idNumber: string;
  phone: string;
  villageCode: string;
  memberCard: string;
  categories: string[];
  visitIntervalDays: string;
  familyContactName: string;
  familyContactRelation: string;
  familyContactPhone: string;
  consentGivenBy: string;
  consentGivenByName: string;
  consentMethod: string;
  sensitiveConsent: boolean;
}

/** The categories ticked, as sent (one value or several; only text values). */
function ticked(body: unknown): string[] {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).categories : undefined;
  return [value ?? []].flat().filter((entry): entry is string => typeof entry === 'string');
}

/** The elder form as typed (a refused form shows it again). */
function readForm(body: unknown): ElderFormValues {
  const typed = typedValues(body);
  const text = (name: string) => typed[name] ?? '';
  return {
    realName: text('real_name'), idNumber: text('id_number'), phone: text('phone'), villageCode: text('village_code'),
    memberCard: text('member_card').trim(), categories: ticked(body), visitIntervalDays: text('visit_interval_days'),
    familyContactName: text('family_contact_name'), familyContactRelation: text('family_contact_relation'), familyContactPhone: text('family_contact_phone'),
    consentGivenBy: text('consent_given_by'), consentGivenByName: text('consent_given_by_name'), consentMethod: text('consent_method'),
    sensitiveConsent: text('sensitive_consent') === 'yes',
  };
}

/** Blank is the default interval; the schema let through only '' or a whole number. */
function intervalOf(days: number | '' | undefined): number | null {
  return days === undefined || days === '' ? null : days;
}

const emptyValues: ElderFormValues = {
  realName: '', idNumber: '', phone: '', villageCode: '', memberCard: '', categories: [], visitIntervalDays: '30', familyContactName: '',
  familyContactRelation: '', familyContactPhone: '', consentGivenBy: '', consentGivenByName: '', consentMethod: '', sensitiveConsent: false,
};


async function showNew(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, form: { values: ElderFormValues; errors: Record<string, string>; messages: string[]; idempotencyKey: string }, status = 200) {
  const villages = registrationChoices(peopleContext(app), request.requireUser().actor, request.locale);
  if (!villages.ok) refusalPage(villages);
  return reply.page('pages/people/elders/new', { form, villages: villages.value, categories: elderCategories }, { titleKey: 'elders.new.title', status });
}

async function showElder(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, id: number, extra: Record<string, unknown> = {}, status = 200) {
  const result = getElder(peopleContext(app), request.requireUser().actor, id);
  if (!result.ok) refusalPage(result);
  return reply.page(
    'pages/people/elders/show',
    { elder: result.value, visits: visitSummary(app, request, id, result.value.visitIntervalDays), categories: elderCategories, notice: (request.query as { done?: string }).done ?? ((request.query as { registered?: string }).registered ? 'registered' : ''), careErrors: {}, closeError: '', ...extra },
    { titleKey: 'elders.show.title', titleVariables: { name: result.value.realName }, status },
  );
}

/**
 * The visits and services the elder received (the hours area's records): a
 * summary, the latest few, and a link to the full list on the coverage page.
 * Null when the user may not see coverage (the same roles may, in practice).
 */
function visitSummary(app: FastifyInstance, request: FastifyRequest, elderId: number, intervalDays: number) {
  const outcome = elderServices({ db: app.db, now: app.clock }, request.requireUser().actor, elderId);
  if (!outcome.ok) return null;
  const services = outcome.value.services;
  const approved = services.filter((service) => service.status === 'approved');
  const lastDate = approved.reduce<string | null>((latest, service) => (latest === null || service.serviceDate > latest ? service.serviceDate : latest), null);
  const today = todayInShanghai(peopleContext(app));
  const dueDate = lastDate === null ? null : new Date(Date.parse(`${lastDate}T00:00:00Z`) + intervalDays * 86_400_000).toISOString().slice(0, 10);
  return {
    approvedCount: approved.length,
    pendingCount: services.filter((service) => service.status === 'pending').length,
    approvedMinutes: approved.reduce((sum, service) => sum + service.durationMinutes, 0),
    lastDate,
    dueDate,
    overdue: dueDate === null || dueDate < today,
    latest: services.slice(0, 5).map((service) => ({
      id: service.id,
      serviceDate: service.serviceDate,
      typeName: request.locale === 'en' ? service.typeNameEn : service.typeNameZh,
      volunteerName: service.volunteerName,
      durationMinutes: service.durationMinutes,
      status: service.status,
    })),
    total: services.length,
  };
}

/** The list of elders, with filters. */
function registerElderListRoutes(app: RouteApp): void {
  app.get('/elders', { schema: { querystring: ElderListQuery } }, async (request, reply) => {
    const actor = request.requireUser().actor;
    const context = peopleContext(app);
    const filter = {
      category: request.query.category ?? '',
      village: /^\d{12}$/.test(request.query.village ?? '') ? (request.query.village ?? '') : '',
      q: (request.query.q ?? '').slice(0, 40),
      sensitive: request.query.sensitive === '1',
    };
    const result = listElders(context, actor, { category: filter.category || undefined, villageCode: filter.village || undefined, query: filter.q, includeSensitive: filter.sensitive, page: Number(request.query.page) || 1 });
    if (!result.ok && result.status !== 422) refusalPage(result);
    const villages = villageChoices(context, actor, request.locale);
    const filterError = result.ok ? '' : request.t(result.problems[0]?.code ?? 'errors.badRequest.message', result.problems[0]?.params);
    return reply.page('pages/people/elders/index', { filter, filterError, result: result.ok ? result.value : { items: [], total: 0, page: 1, pageCount: 1 }, categories: elderCategories, villages }, { titleKey: 'elders.title', status: result.ok ? 200 : 422 });
  });
}

/** Registering an elder. */
function registerNewElderRoutes(app: RouteApp): void {
  app.get('/elders/new', async (request, reply) => {
    return showNew(app, request, reply, { values: emptyValues, errors: {}, messages: [], idempotencyKey: newIdempotencyKey() });
  });

  app.post('/elders', { schema: { body: ElderForm }, attachValidation: true }, async (request, reply) => {
    const values = readForm(request.body);
    const key = readIdempotencyKey(request.body);
    const shape = shapeProblems(request, elderFieldNames);
    if (shape.length > 0) {
      const { byField: errors, general: messages } = problemsToForm(request.t, shape);
      return showNew(app, request, reply, { values, errors, messages, idempotencyKey: key ?? newIdempotencyKey() }, 422);
    }
    const consent: ConsentInput | null = values.consentGivenBy
      ? { givenBy: values.consentGivenBy as ConsentInput['givenBy'], givenByName: values.consentGivenByName, method: (values.consentMethod || 'invalid') as ConsentInput['method'] }
      : null;
    const input = {
      realName: values.realName, idNumber: values.idNumber, phone: values.phone, villageCode: values.villageCode, memberCard: values.memberCard,
      categories: values.categories, visitIntervalDays: intervalOf(request.body.visit_interval_days),
      familyContactName: values.familyContactName, familyContactRelation: values.familyContactRelation, familyContactPhone: values.familyContactPhone,
      consent, sensitiveConsent: consent && values.sensitiveConsent ? consent : null,
    };
    const result = registerElderWithCard(peopleContext(app), request.requireUser().actor, input, key);
    if (!result.ok) {
      const { byField: errors, general: messages } = problemsToForm(request.t, result.problems);
      const status = result.status === 403 ? 403 : result.status === 409 || result.status === 429 ? result.status : 422;
      return showNew(app, request, reply, { values, errors, messages, idempotencyKey: key ?? newIdempotencyKey() }, status);
    }
    return reply.seeOther(`/elders/${result.value.elderId}?registered=1`);
  });
}

/** One elder: the page (with the visits received), care details and closing the record. */
function registerElderRoutes(app: RouteApp): void {
  app.get('/elders/:id', { schema: { params: IdParams, querystring: PageNoticeQuery } }, async (request, reply) => {
    return showElder(app, request, reply, request.params.id);
  });

  app.post('/elders/:id/care', { schema: { params: IdParams, body: ElderCareForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request, elderFieldNames);
    const id = request.params.id;
    const body = request.body;
    const giver = body.consent_given_by ?? '';
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape } : updateElderCare(peopleContext(app), request.requireUser().actor, id, {
      categories: ticked(body),
      visitIntervalDays: intervalOf(body.visit_interval_days),
      familyContactName: body.family_contact_name ?? '',
      familyContactRelation: body.family_contact_relation ?? '',
      familyContactPhone: body.family_contact_phone ?? '',
      sensitiveConsent: body.sensitive_consent === 'yes' && giver ? { givenBy: giver as ConsentInput['givenBy'], method: 'written' } : null,
    });
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refusalPage(result);
      return showElder(app, request, reply, id, { careErrors: problemsToForm(request.t, result.problems).byField }, result.status);
    }
    return reply.seeOther(`/elders/${id}?done=updated`);
  });

  app.post('/elders/:id/close', { schema: { params: IdParams, body: ReasonForm }, attachValidation: true }, async (request, reply) => {
    const shape = shapeProblems(request);
    const id = request.params.id;
    const result = shape.length > 0 ? { ok: false as const, status: 422 as const, problems: shape } : closeElder(peopleContext(app), request.requireUser().actor, id, request.body.reason ?? '');
    if (!result.ok) {
      if (result.status === 403 || result.status === 404) refusalPage(result);
      return showElder(app, request, reply, id, { closeError: request.t(firstProblem(result).code, firstProblem(result).params) }, result.status);
    }
    return reply.seeOther('/elders?closed=1');
  });
}

const eldersRoutes: RoutePlugin = async (app) => {
  registerElderListRoutes(app);
  registerNewElderRoutes(app);
  registerElderRoutes(app);
};

export default eldersRoutes;

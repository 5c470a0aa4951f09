import type { FastifyPluginAsync } from 'fastify';
import { elderServices, visitCoverage } from '../../domain/hours/coverage.ts';
import { canViewCoverage } from '../../domain/hours/permissions.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import { formatters, hoursContext, positiveInteger, problemOf } from './support.ts';

const coverageRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app) => {
  const context = hoursContext(app);

  app.get('/coverage', async (request, reply) => {
    const user = request.requireUser();
    request.authorize(canViewCoverage);
    const village = (request.query as Record<string, string | undefined>).village ?? '';
    const outcome = visitCoverage(context, user.actor, /^\d{12}$/.test(village) ? { villageCode: village } : {});
    if (!outcome.ok) throw problemOf(outcome);
    return reply.page('pages/hours/coverage', { coverage: outcome.value, f: formatters(request) }, { titleKey: 'hours.coverage.title' });
  });

  app.get<{ Params: { id: string } }>('/coverage/elders/:id', async (request, reply) => {
    const user = request.requireUser();
    request.authorize(canViewCoverage);
    const outcome = elderServices(context, user.actor, positiveInteger(request.params.id) ?? 0);
    if (!outcome.ok) throw problemOf(outcome);
    return reply.page('pages/hours/elder', { page: outcome.value, f: formatters(request) }, { titleKey: 'hours.coverage.elderTitle', titleVariables: { name: outcome.value.elder.realName } });
  });
};
export default coverageRoutes;

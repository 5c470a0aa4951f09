import { elderServices, visitCoverage } from '../../domain/hours/coverage.ts';
import { Form, IdParams } from '../../lib/form-schema.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';
import { formatters, hoursContext, problemOf } from './support.ts';

/** The village filter; a value that is not a village code shows the whole area. */
const CoverageQuery = Form.object({ village: Form.optional(Form.text(200)) });

const coverageRoutes: RoutePlugin = async (app) => {
  const context = hoursContext(app);

  app.get('/coverage', { schema: { querystring: CoverageQuery } }, async (request, reply) => {
    const user = request.requireUser();
    const village = request.query.village ?? '';
    const outcome = visitCoverage(context, user.actor, /^\d{12}$/.test(village) ? { villageCode: village } : {});
    if (!outcome.ok) throw problemOf(outcome);
    return reply.page('pages/hours/coverage', { coverage: outcome.value, f: formatters(request) }, { titleKey: 'hours.coverage.title' });
  });

  app.get('/coverage/elders/:id', { schema: { params: IdParams } }, async (request, reply) => {
    const user = request.requireUser();
    const outcome = elderServices(context, user.actor, request.params.id);
    if (!outcome.ok) throw problemOf(outcome);
    return reply.page('pages/hours/elder', { page: outcome.value, f: formatters(request) }, { titleKey: 'hours.coverage.elderTitle', titleVariables: { name: outcome.value.elder.realName } });
  });
};
export default coverageRoutes;

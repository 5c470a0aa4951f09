import type { FastifyPluginAsync } from 'fastify';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import activityRoutes from './activities.ts';
import coverageRoutes from './coverage.ts';
import logRoutes from './log.ts';
import passbookRoutes from './passbook.ts';
import reviewRoutes from './review.ts';
import standardRoutes from './standard.ts';

/**
 * Service hours: logging, review, passbook, standard and policy, activities
 * with sign-in, visit coverage. The expiry of unreviewed records runs in
 * src/jobs (the expireHours job).
 */
const hoursRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app, options) => {
  await app.register(logRoutes, options);
  await app.register(reviewRoutes, options);
  await app.register(passbookRoutes, options);
  await app.register(standardRoutes, options);
  await app.register(activityRoutes, options);
  await app.register(coverageRoutes, options);
};
export default hoursRoutes;

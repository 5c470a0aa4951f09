import type { FastifyPluginAsync } from 'fastify';
import { expireUnreviewed } from '../../domain/hours/review.ts';
import type { RoutePluginOptions } from '../../plugins/route-options.ts';
import activityRoutes from './activities.ts';
import coverageRoutes from './coverage.ts';
import logRoutes from './log.ts';
import passbookRoutes from './passbook.ts';
import reviewRoutes from './review.ts';
import standardRoutes from './standard.ts';
import { hoursContext } from './support.ts';

/** How often the server sweeps unreviewed records past the policy's expiry. */
export const expirySweepIntervalMs = 15 * 60_000;

/**
 * Service hours: logging, review, passbook, standard and policy, activities
 * with sign-in, visit coverage. Also runs the expiry sweep on a timer while
 * the server listens (and once at start), so unreviewed records expire even
 * when nobody runs `npm run cli -- hours expire`.
 */
const hoursRoutes: FastifyPluginAsync<RoutePluginOptions> = async (app, options) => {
  await app.register(logRoutes, options);
  await app.register(reviewRoutes, options);
  await app.register(passbookRoutes, options);
  await app.register(standardRoutes, options);
  await app.register(activityRoutes, options);
  await app.register(coverageRoutes, options);

  let timer: NodeJS.Timeout | undefined;
  const sweep = () => {
    try {
      const expired = expireUnreviewed(hoursContext(app));
      if (expired.length > 0) app.log.info({ expired: expired.length }, 'expired unreviewed service records');
    } catch (error) {
      app.log.error({ err: error }, 'expiry sweep failed');
    }
  };
  // Only a listening server sweeps; app.inject() tests call expireUnreviewed themselves.
  app.addHook('onListen', async () => {
    sweep();
    timer = setInterval(sweep, expirySweepIntervalMs);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
  });
};
export default hoursRoutes;

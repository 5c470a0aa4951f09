import { authorize } from '../../domain/access/authorize.ts';
import { canLogOwnHours } from '../../domain/hours/permissions.ts';
import { awardedStarOf } from '../../domain/stars/notices.ts';
import { navigationFor } from '../../plugins/navigation.ts';
import { describeGrants } from './scopes.ts';
import type { RoutePlugin } from '../../plugins/route-options.ts';

/** Home: who you are, in which scope, and what you can do here. */
const homeRoutes: RoutePlugin = async (app) => {
  app.get('/', async (request, reply) => {
    const user = request.requireUser();
    const grants = describeGrants(app.db, user.actor.grants, request.locale);
    // Logging a service is what volunteers come for: one tap from home, first.
    const logTile = authorize(user.actor, canLogOwnHours) ? [{ href: '/hours/new', labelKey: 'hours.action.log', current: false }] : [];
    const shortcuts = [...logTile, ...navigationFor(user.actor, '/').filter((item) => item.href !== '/')];
    // A volunteer's star level (星级), when they are a member: shown on home and on their card.
    const star = user.actor.memberId ? awardedStarOf(app.db, user.actor.memberId) : null;
    return reply.page('pages/home/index', { grants, shortcuts, star }, { titleKey: 'home.title' });
  });
};
export default homeRoutes;

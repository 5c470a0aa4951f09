import type { RoutePlugin } from '../plugins/route-options.ts';
import accountRoutes from './accounts/own.ts';
import accountsRoutes from './accounts/staff.ts';
import auditRoutes from './audit/routes.ts';
import authRoutes from './auth/routes.ts';
import eldersRoutes from './people/elders/routes.ts';
import homeRoutes from './home/routes.ts';
import hoursRoutes from './hours/routes.ts';
import importRoutes from './people/import/routes.ts';
import membersRoutes from './people/members/routes.ts';
import messagesRoutes from './messages/routes.ts';
import preferencesRoutes from './preferences/routes.ts';
import regionsRoutes from './regions/routes.ts';
import offlineRoutes from './offline/routes.ts';
import systemRoutes from './system/routes.ts';
import teamsRoutes from './people/teams/routes.ts';
import clearingRoutes from './redemption/clearing/routes.ts';
import counterRoutes from './redemption/counter/routes.ts';
import policyRoutes from './redemption/policy/routes.ts';
import giftsRoutes from './redemption/gifts/routes.ts';
import requestsRoutes from './redemption/requests/routes.ts';
import sitesRoutes from './redemption/sites/routes.ts';
import vouchersRoutes from './redemption/vouchers/routes.ts';
import reportsRoutes from './reports/routes.ts';
import recordsRoutes from './records/routes.ts';
import liabilityRoutes from './reports/liability.ts';
import starsRoutes from './stars/routes.ts';

/**
 * Every route plugin of the application, registered in this order by
 * buildApp(). A new area adds its plugin here (see docs/WEB.md).
 */
export const routePlugins: RoutePlugin[] = [
  systemRoutes,
  offlineRoutes,
  preferencesRoutes,
  authRoutes,
  accountRoutes,
  homeRoutes,
  regionsRoutes,
  auditRoutes,
  membersRoutes,
  accountsRoutes,
  importRoutes,
  eldersRoutes,
  teamsRoutes,
  hoursRoutes,
  sitesRoutes,
  counterRoutes,
  giftsRoutes,
  vouchersRoutes,
  requestsRoutes,
  clearingRoutes,
  policyRoutes,
  liabilityRoutes,
  reportsRoutes,
  messagesRoutes,
  recordsRoutes,
  starsRoutes,
];

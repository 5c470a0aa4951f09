import type { DashboardCache } from '../domain/reports/dashboard-cache.ts';

/**
 * The options buildApp() passes to every route plugin. It lives with the
 * plugins (not in src/routes/index.ts) so a route file importing it makes no
 * circle with the route index that imports the route.
 */
export interface RoutePluginOptions {
  signInAttemptsPerAddress: number;
  /** Office dashboards kept in memory between changes of their figures (one per app). */
  dashboardCache: DashboardCache;
}

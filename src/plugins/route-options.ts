import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
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

/**
 * A route plugin: its `app` knows TypeBox schemas, so a route that declares
 * `schema: { body, querystring, params }` gets `request.body` (and the rest)
 * typed from them (docs/ARCHITECTURE.md, "How to add a route").
 */
export type RoutePlugin = FastifyPluginAsyncTypebox<RoutePluginOptions>;

/** The `app` a route plugin receives, for helpers that register its routes. */
export type RouteApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

import type { FastifyServerOptions } from 'fastify';

/**
 * The server's pino options. No personal data in logs: a request is logged by
 * method, route pattern and request id only — never the URL (queries hold
 * names, paths hold card tokens), headers (cookies) or bodies (passwords, PINs,
 * ID numbers). `stream` lets a test read what would be written.
 */
export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    serializers: {
      req: (request: { method: string; id: string; routeOptions?: { url?: string } }) => ({ method: request.method, route: request.routeOptions?.url ?? '(no route)', id: request.id }),
    },
    ...(stream ? { stream } : {}),
  };
}

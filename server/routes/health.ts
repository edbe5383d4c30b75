import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { errors } from './schemas.js';

export function healthRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['ops'],
          summary: 'Liveness: the process answers',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['ops'],
          summary: 'Readiness: the database answers',
          response: { 200: z.object({ status: z.literal('ready') }), ...errors(503) },
        },
      },
      async (req, reply) => {
        try {
          await ctx.ping();
          return { status: 'ready' as const };
        } catch (err) {
          req.log.error({ err }, 'readiness check failed');
          return reply.code(503).send({ statusCode: 503, code: 'NOT_READY', message: 'database not reachable' });
        }
      },
    );
    app.get(
      '/metrics',
      { schema: { tags: ['ops'], summary: 'Prometheus metrics', produces: ['text/plain'] }, logLevel: 'warn' },
      async (_req, reply) => {
        const body = await ctx.metrics.registry.metrics();
        return reply.type(ctx.metrics.registry.contentType).send(body);
      },
    );
  };
}

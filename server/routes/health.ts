import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { unauthorized } from '../errors.js';
import { secretsEqual } from '../services/secrets.js';
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
      {
        schema: {
          tags: ['ops'],
          summary: 'Prometheus metrics (Bearer APPWACHT_METRICS_TOKEN when that is set)',
          produces: ['text/plain'],
        },
        logLevel: 'warn',
        onRequest: async (req) => {
          const want = ctx.config.metricsToken;
          if (want === null) return;
          const got = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
          if (got === undefined || !secretsEqual(got, want))
            throw unauthorized('metrics need Authorization: Bearer <APPWACHT_METRICS_TOKEN>');
        },
      },
      async (_req, reply) => {
        const body = await ctx.metrics.registry.metrics();
        return reply.type(ctx.metrics.registry.contentType).send(body);
      },
    );
  };
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AgentRoutes } from '../../protocol/api.js';
import { Report, ReportAck } from '../../protocol/report.js';
import type { AppContext } from '../context.js';
import { requireDevice } from '../plugins/auth.js';
import { clampScannedAt } from '../repositories/reports.js';
import { errors } from './schemas.js';

export function reportRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      AgentRoutes.reports,
      {
        onRequest: requireDevice(ctx),
        // Per device token, after authentication (the limiter's hook runs after requireDevice) and before the body is
        // parsed: one token cannot fill the database (issue 14, finding 3). The agent waits Retry-After, report queued.
        config: {
          rateLimit: {
            max: ctx.config.rateLimits.reportsPerDeviceMinute,
            timeWindow: 60_000,
            keyGenerator: (req) => `device:${req.deviceId}`,
          },
        },
        schema: {
          tags: ['agent'],
          summary: 'Post a compliance report; idempotent by reportId (a retry answers 200 with stored=false)',
          body: Report,
          response: { 200: ReportAck, 201: ReportAck, ...errors(400, 401, 403, 409, 413, 415, 429) },
        },
      },
      async (req, reply) => {
        const report = req.body;
        const now = ctx.now();
        const { stored, ladder } = await ctx.ingest.submit({
          deviceId: req.deviceId!,
          report,
          receivedAt: now,
          scannedAt: clampScannedAt(report, now),
        });
        return reply.code(stored ? 201 : 200).send({ reportId: report.reportId, stored, ...(ladder ? { ladder } : {}) });
      },
    );
  };
}

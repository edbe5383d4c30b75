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
        schema: {
          tags: ['agent'],
          summary: 'Post a compliance report; idempotent by reportId (a retry answers 200 with stored=false)',
          body: Report,
          response: { 200: ReportAck, 201: ReportAck, ...errors(400, 401, 409, 413, 415) },
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

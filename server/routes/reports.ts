import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AgentRoutes } from '../../protocol/api.js';
import { Report, ReportAck } from '../../protocol/report.js';
import type { AppContext } from '../context.js';
import { HttpError } from '../errors.js';
import { requireDevice } from '../plugins/auth.js';
import { errors } from './schemas.js';

const MAX_FUTURE_SKEW_MS = 24 * 3600_000;

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
        // A clock far ahead would pin the device's state (newer scans could never replace it).
        if (Date.parse(report.scannedAt) > now + MAX_FUTURE_SKEW_MS) {
          throw new HttpError(
            400,
            'SCANNED_AT_IN_FUTURE',
            'scannedAt lies more than a day in the future; check the device clock',
          );
        }
        const { stored, ladder } = await ctx.ingest.submit({ deviceId: req.deviceId!, report, receivedAt: now });
        return reply.code(stored ? 201 : 200).send({ reportId: report.reportId, stored, ...(ladder ? { ladder } : {}) });
      },
    );
  };
}

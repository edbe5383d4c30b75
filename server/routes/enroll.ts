import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AgentRoutes } from '../../protocol/api.js';
import { EnrollRequest, EnrollResponse } from '../../protocol/enrollment.js';
import type { AppContext } from '../context.js';
import { HttpError } from '../errors.js';
import { auditRepo } from '../repositories/audit.js';
import { devicesRepo } from '../repositories/devices.js';
import { ladderRepo } from '../repositories/ladder.js';
import { hashToken, newToken, secretsEqual } from '../services/secrets.js';
import { errors } from './schemas.js';

export function enrollRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      AgentRoutes.enroll,
      {
        config: { rateLimit: { max: ctx.config.rateLimits.enrollPerMinute, timeWindow: 60_000 } },
        schema: {
          tags: ['agent'],
          summary: 'Enroll a device with the installer-provided secret; re-enrolling a machine replaces its token',
          body: EnrollRequest,
          response: { 200: EnrollResponse, ...errors(400, 403, 413, 415, 429) },
        },
      },
      async (req) => {
        if (!secretsEqual(req.body.enrollmentSecret, ctx.secrets.enrollmentSecret)) {
          ctx.metrics.enrollments.inc({ result: 'rejected' });
          throw new HttpError(403, 'ENROLLMENT_SECRET_INVALID', 'the enrollment secret is wrong');
        }
        const token = newToken('device');
        const now = ctx.now();
        const { id, reenrolled } = await ctx.handle.db.transaction().execute(async (trx) => {
          const r = await devicesRepo(trx).enroll(req.body.host, hashToken(token), now);
          // The new device's ladder: evaluated by the next sweep (and by its first report).
          await ladderRepo(trx).create(r.id, now, now);
          await auditRepo(trx).append({
            at: now,
            actor: `device:${r.id}`,
            action: r.reenrolled ? 'device.reenroll' : 'device.enroll',
            target: `device:${r.id}`,
            details: {
              hostname: req.body.host.hostname,
              os: req.body.host.os,
              agentVersion: req.body.host.agentVersion,
              ip: req.ip,
            },
          });
          return r;
        });
        // The replaced token must stop working here at once.
        ctx.deviceTokens.forgetDevice(id);
        ctx.metrics.enrollments.inc({ result: reenrolled ? 'reenrolled' : 'new' });
        return { deviceId: id, deviceToken: token };
      },
    );
  };
}

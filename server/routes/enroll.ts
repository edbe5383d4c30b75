import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AgentRoutes } from '../../protocol/api.js';
import { EnrollRequest, EnrollResponse } from '../../protocol/enrollment.js';
import type { AppContext } from '../context.js';
import { HttpError } from '../errors.js';
import { bearer } from '../plugins/auth.js';
import { enrollMachine } from '../services/enrollment.js';
import { hashToken, newToken, secretsEqual, TOKEN_PREFIX } from '../services/secrets.js';
import { errors } from './schemas.js';

export function enrollRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      AgentRoutes.enroll,
      {
        config: { rateLimit: { max: ctx.config.rateLimits.enrollPerMinute, timeWindow: 60_000 } },
        schema: {
          tags: ['agent'],
          summary:
            'Enroll a device with the installer-provided secret. A known machine needs its current device token ' +
            '(Authorization: Bearer) to get a new one; without it the answer is 202 and the token waits for an admin',
          body: EnrollRequest,
          response: { 200: EnrollResponse, 202: EnrollResponse, ...errors(400, 403, 413, 415, 429) },
        },
      },
      async (req, reply) => {
        if (!secretsEqual(req.body.enrollmentSecret, ctx.secrets.enrollmentSecret)) {
          ctx.metrics.enrollments.inc({ result: 'rejected' });
          throw new HttpError(403, 'ENROLLMENT_SECRET_INVALID', 'the enrollment secret is wrong');
        }
        const presented = bearer(req);
        const token = newToken('device');
        const now = ctx.now();
        const outcome = await ctx.tx(async (repos) => {
          const o = await enrollMachine(repos, {
            host: req.body.host,
            presentedTokenHash: presented?.startsWith(TOKEN_PREFIX.device) ? hashToken(presented) : null,
            newTokenHash: hashToken(token),
            ip: req.ip,
            now,
          });
          // The device's ladder (kept if it has one): evaluated by the next sweep and by its first report.
          if (o.kind !== 'pending') await repos.ladder.create(o.deviceId, now, now);
          return o;
        });
        ctx.metrics.enrollments.inc({ result: outcome.kind === 'renewed' ? 'reenrolled' : outcome.kind });
        if (outcome.kind === 'pending')
          return reply.code(202).send({ deviceId: outcome.deviceId, deviceToken: token, pendingApproval: true });
        // The replaced token must stop working here at once.
        ctx.deviceTokens.forgetDevice(outcome.deviceId);
        return { deviceId: outcome.deviceId, deviceToken: token };
      },
    );
  };
}

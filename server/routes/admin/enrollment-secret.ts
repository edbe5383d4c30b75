import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import { errors } from '../schemas.js';

/** The enrollment secret on request (the server prints it on its first start only); every read is audited. */
export function adminEnrollmentSecretRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      `${ADMIN_PREFIX}/enrollment-secret`,
      {
        schema: {
          tags: ['admin'],
          summary: 'The enrollment secret installers need (shown on the first start only; every read is audited)',
          response: { 200: z.object({ enrollmentSecret: z.string() }), ...errors(401) },
        },
      },
      async (req, reply) => {
        await ctx.repos.audit.append({ at: ctx.now(), actor: req.admin!.actor, action: 'enrollment_secret.read', target: null });
        void reply.header('cache-control', 'no-store');
        return { enrollmentSecret: ctx.secrets.enrollmentSecret };
      },
    );
  };
}

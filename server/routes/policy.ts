import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AgentRoutes } from '../../protocol/api.js';
import { SignedPolicy } from '../../protocol/policy.js';
import type { AppContext } from '../context.js';
import { HttpError } from '../errors.js';
import { requireDevice } from '../plugins/auth.js';
import { errors } from './schemas.js';

/** RFC 9110 If-None-Match: a list of entity tags or `*`; weak tags (W/) compare weakly, which is fine for GET. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export function policyRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      AgentRoutes.policy,
      {
        onRequest: requireDevice(ctx),
        schema: {
          tags: ['agent'],
          summary: 'The current signed policy; send If-None-Match with the last ETag to get 304',
          headers: z.object({ 'if-none-match': z.string().max(1000).optional() }),
          response: { 200: SignedPolicy, 304: z.null().describe('not modified'), ...errors(401, 404) },
        },
      },
      async (req, reply) => {
        const current = await ctx.policies.forAgents();
        if (!current) throw new HttpError(404, 'NO_POLICY', 'no policy has been published yet');
        reply.header('etag', current.etag).header('cache-control', 'private, no-cache');
        // No payload at all: send(null) would serialise "null" and announce Content-Length: 4 on a 304, which
        // RFC 9110 §8.6 forbids and which stalls clients that wait for those 4 bytes (autocannon did).
        if (etagMatches(req.headers['if-none-match'], current.etag)) return reply.code(304).send(undefined as never);
        // Pre-serialised once per version: a string body skips the serializer.
        return reply.type('application/json; charset=utf-8').send(current.body as never);
      },
    );
  };
}

import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import { errors, LimitParam } from '../schemas.js';

const AuditItem = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  details: z.unknown(),
});

export function adminAuditRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      `${ADMIN_PREFIX}/audit`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Audit log, newest first: who did what when',
          querystring: z.strictObject({
            limit: LimitParam(500, 100),
            before: z.coerce.number().int().min(1).optional(),
            action: z.string().max(100).optional(),
            actor: z.string().max(200).optional(),
          }),
          response: {
            200: z.object({ items: z.array(AuditItem), nextBefore: z.number().int().nullable() }),
            ...errors(400, 401),
          },
        },
      },
      async (req) => {
        const q = req.query;
        const rows = await ctx.repos.audit.list({
          limit: q.limit,
          ...(q.before !== undefined ? { beforeId: q.before } : {}),
          ...(q.action ? { action: q.action } : {}),
          ...(q.actor ? { actor: q.actor } : {}),
        });
        const page = rows.slice(0, q.limit);
        return {
          items: page.map((r) => ({
            id: Number(r.id),
            at: new Date(r.at).toISOString(),
            actor: r.actor,
            action: r.action,
            target: r.target,
            details: r.details === null ? null : (JSON.parse(r.details) as unknown),
          })),
          nextBefore: rows.length > q.limit ? Number(page[page.length - 1]!.id) : null,
        };
      },
    );
  };
}

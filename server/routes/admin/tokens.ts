import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.js';
import { HttpError, notFound } from '../../errors.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import { hashToken, newToken } from '../../services/secrets.js';
import { errors } from '../schemas.js';

const TokenInfo = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  expiresAt: z.string(),
});
const DAY_MS = 86_400_000;
/** Without an explicit lifetime a token lives 90 days; a year at most. */
const DEFAULT_TOKEN_DAYS = 90;
const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function adminTokenRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      `${ADMIN_PREFIX}/tokens`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Admin API tokens (never the token itself)',
          response: { 200: z.object({ items: z.array(TokenInfo) }), ...errors(401) },
        },
      },
      async () => ({
        items: (await ctx.repos.tokens.list()).map((t) => ({
          id: t.id,
          name: t.name,
          createdAt: new Date(t.created_at).toISOString(),
          lastUsedAt: isoOrNull(t.last_used_at),
          revokedAt: isoOrNull(t.revoked_at),
          expiresAt: new Date(t.expires_at).toISOString(),
        })),
      }),
    );

    app.post(
      `${ADMIN_PREFIX}/tokens`,
      {
        schema: {
          tags: ['admin'],
          summary:
            'Create an admin API token (from a login session only, never from another token); the token is shown once (use as Authorization: Bearer …)',
          body: z.strictObject({
            name: z.string().regex(/^[\p{L}\p{N} ._-]{1,64}$/u, 'letters, digits, space . _ - (max 64)'),
            expiresInDays: z.number().int().min(1).max(365).default(DEFAULT_TOKEN_DAYS),
          }),
          response: { 201: TokenInfo.extend({ token: z.string() }), ...errors(400, 401, 403) },
        },
      },
      async (req, reply) => {
        const a = req.admin!;
        // A token that could mint tokens would let a leaked one outlive its own revocation (issue 14 finding 4).
        if (a.via !== 'session')
          throw new HttpError(403, 'SESSION_REQUIRED', 'API tokens can only be created from a login session, not with a token');
        const token = newToken('admin');
        const now = ctx.now();
        const id = randomUUID();
        const expiresAt = now + req.body.expiresInDays * DAY_MS;
        await ctx.tx(async (repos) => {
          await repos.tokens.create({
            id,
            name: req.body.name,
            token_hash: hashToken(token),
            admin_id: a.adminId,
            created_at: now,
            last_used_at: null,
            revoked_at: null,
            expires_at: expiresAt,
            created_in_session: a.sessionHash ?? null,
          });
          await repos.audit.append({
            at: now,
            actor: a.actor,
            action: 'token.create',
            target: `token:${id}`,
            details: { name: req.body.name, expiresAt: new Date(expiresAt).toISOString() },
          });
        });
        return reply.code(201).send({
          id,
          name: req.body.name,
          token,
          createdAt: new Date(now).toISOString(),
          lastUsedAt: null,
          revokedAt: null,
          expiresAt: new Date(expiresAt).toISOString(),
        });
      },
    );

    app.delete(
      `${ADMIN_PREFIX}/tokens/:id`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Revoke an admin API token',
          params: z.strictObject({ id: z.uuid() }),
          response: { 204: z.null(), ...errors(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        const now = ctx.now();
        if (!(await ctx.repos.tokens.revoke(req.params.id, now))) throw notFound('no such active token');
        await ctx.repos.audit.append({
          at: now,
          actor: req.admin!.actor,
          action: 'token.revoke',
          target: `token:${req.params.id}`,
        });
        return reply.code(204).send(null);
      },
    );
  };
}

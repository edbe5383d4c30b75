import { INT4_MAX } from '../../../protocol/common.js';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Policy, SignedPolicy } from '../../../protocol/policy.js';
import type { AppContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import { PolicyDraft } from '../../services/policy-store.js';
import { errors, LimitParam } from '../schemas.js';

const VersionInfo = z.object({
  version: z.number().int(),
  keyId: z.string(),
  etag: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});
const VersionDetail = VersionInfo.extend({ policy: Policy, signed: SignedPolicy });

export function adminPolicyRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  const detail = (version: number, etag: string, signed: SignedPolicy, createdAt: number, createdBy: string) => ({
    version,
    keyId: signed.keyId,
    etag,
    createdAt: new Date(createdAt).toISOString(),
    createdBy,
    policy: JSON.parse(signed.payload) as Policy,
    signed,
  });
  return async (app) => {
    app.get(
      `${ADMIN_PREFIX}/policies`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Policy versions, newest first',
          querystring: z.strictObject({
            limit: LimitParam(200, 50),
            before: z.coerce.number().int().min(1).max(INT4_MAX).optional(),
          }),
          response: {
            200: z.object({ items: z.array(VersionInfo), nextBefore: z.number().int().nullable() }),
            ...errors(400, 401),
          },
        },
      },
      async (req) => {
        const rows = await ctx.repos.policies.list({ limit: req.query.limit, beforeVersion: req.query.before });
        const page = rows.slice(0, req.query.limit);
        return {
          items: page.map((r) => ({
            version: r.version,
            keyId: r.key_id,
            etag: r.etag,
            createdAt: new Date(r.created_at).toISOString(),
            createdBy: r.created_by,
          })),
          nextBefore: rows.length > req.query.limit ? page[page.length - 1]!.version : null,
        };
      },
    );

    app.get(
      `${ADMIN_PREFIX}/policies/:version`,
      {
        schema: {
          tags: ['admin'],
          summary: 'One policy version with its signed payload',
          params: z.strictObject({ version: z.coerce.number().int().min(1).max(INT4_MAX) }),
          response: { 200: VersionDetail, ...errors(400, 401, 404) },
        },
      },
      async (req) => {
        const row = await ctx.repos.policies.get(req.params.version);
        if (!row) throw notFound(`policy version ${req.params.version} does not exist`);
        return detail(
          row.version,
          row.etag,
          { keyId: row.key_id, payload: row.payload, signature: row.signature },
          row.created_at,
          row.created_by,
        );
      },
    );

    app.post(
      `${ADMIN_PREFIX}/policies`,
      {
        bodyLimit: ctx.config.policyBodyLimit,
        schema: {
          tags: ['admin'],
          summary: 'Publish a new policy version (the server assigns version and issuedAt, signs it and writes the audit log)',
          body: PolicyDraft,
          response: { 201: VersionDetail, ...errors(400, 401, 403, 409, 413, 415) },
        },
      },
      async (req, reply) => {
        const created = await ctx.policies.create(req.body, req.admin!.actor);
        return reply.code(201).send(detail(created.version, created.etag, created.signed, created.createdAt, created.createdBy));
      },
    );
  };
}

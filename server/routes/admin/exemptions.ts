import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IsoDateTime } from '../../../protocol/common.js';
import type { AppContext } from '../../context.js';
import { badRequest, conflict, notFound } from '../../errors.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import { errors, LimitParam } from '../schemas.js';
import { ExemptionItem, toExemption } from './employees.js';

const DAY = 86_400_000;
/** An exemption is a bridge, not a way out: at most a year, renewable. */
const MAX_DAYS = 366;

/** An employee is named by mail address, compared lower-cased (as the mapping stores it). */
const EmployeeEmail = z
  .email()
  .max(254)
  .transform((s) => s.toLowerCase());

const Grant = z
  .strictObject({
    deviceId: z.uuid().optional(),
    employee: EmployeeEmail.optional(),
    reason: z.string().trim().min(3).max(500),
    until: IsoDateTime,
  })
  .refine((g) => (g.deviceId === undefined) !== (g.employee === undefined), {
    message: 'name exactly one of deviceId or employee',
  });

/** Exemptions: time-limited, per device or per employee, with a reason and who granted it; granting and revoking are audited. */
export function adminExemptionRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      `${ADMIN_PREFIX}/exemptions`,
      {
        schema: {
          tags: ['admin'],
          summary:
            'Grant an exemption to a device or an employee until a time (at most 366 days); a block it covers is lifted at once',
          body: Grant,
          response: { 201: ExemptionItem, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        const g = req.body;
        const now = ctx.now();
        const until = Date.parse(g.until);
        if (until <= now) throw badRequest('UNTIL_PAST', 'until must lie in the future');
        if (until > now + MAX_DAYS * DAY) throw badRequest('UNTIL_TOO_FAR', `until may lie at most ${MAX_DAYS} days ahead`);
        const out = await ctx.tx(async (repos) => {
          if (g.deviceId !== undefined) {
            const device = await repos.devices.get(g.deviceId);
            if (!device) return 'missing' as const;
            if (device.retired_at !== null) return 'retired' as const;
          }
          const row = await repos.employees.createExemption({
            device_id: g.deviceId ?? null,
            employee: g.employee ?? null,
            reason: g.reason,
            granted_by: req.admin!.actor,
            granted_at: now,
            until,
          });
          await repos.audit.append({
            at: now,
            actor: req.admin!.actor,
            action: 'exemption.grant',
            target: g.deviceId ? `device:${g.deviceId}` : `employee:${g.employee}`,
            details: { id: row.id, reason: g.reason, until: g.until },
          });
          const devices = g.deviceId ? [g.deviceId] : await repos.ladder.devicesOfEmployee(g.employee!);
          return { row, devices };
        });
        if (out === 'missing') throw notFound('no such device');
        if (out === 'retired') throw conflict('DEVICE_RETIRED', 'the device is retired; it no longer counts anyway');
        await ctx.escalation.refresh(out.devices, now);
        return reply.code(201).send(toExemption(out.row, now));
      },
    );

    app.get(
      `${ADMIN_PREFIX}/exemptions`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Exemptions, newest first; state=active (default) or all (revoked and expired too)',
          querystring: z.strictObject({
            state: z.enum(['active', 'all']).default('active'),
            deviceId: z.uuid().optional(),
            employee: EmployeeEmail.optional(),
            limit: LimitParam(1000, 200),
          }),
          response: { 200: z.object({ items: z.array(ExemptionItem) }), ...errors(400, 401) },
        },
      },
      async (req) => {
        const q = req.query;
        const now = ctx.now();
        const rows = await ctx.repos.employees.exemptions({
          limit: q.limit,
          ...(q.state === 'active' ? { activeAt: now } : {}),
          ...(q.deviceId !== undefined ? { deviceId: q.deviceId } : {}),
          ...(q.employee !== undefined ? { employee: q.employee } : {}),
        });
        return { items: rows.map((r) => toExemption(r, now)) };
      },
    );

    app.delete(
      `${ADMIN_PREFIX}/exemptions/:id`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Revoke an exemption; what the ladder has due by now is done at once',
          params: z.strictObject({ id: z.uuid() }),
          response: { 204: z.null(), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        const now = ctx.now();
        const out = await ctx.tx(async (repos) => {
          const row = await repos.employees.exemption(req.params.id);
          if (!row) return 'missing' as const;
          if (!(await repos.employees.revokeExemption(row.id, now))) return 'revoked' as const;
          await repos.audit.append({
            at: now,
            actor: req.admin!.actor,
            action: 'exemption.revoke',
            target: row.device_id ? `device:${row.device_id}` : `employee:${row.employee}`,
            details: { id: row.id, reason: row.reason },
          });
          return row.device_id ? [row.device_id] : await repos.ladder.devicesOfEmployee(row.employee!);
        });
        if (out === 'missing') throw notFound('no such exemption');
        if (out === 'revoked') throw conflict('EXEMPTION_REVOKED', 'the exemption is revoked already');
        await ctx.escalation.refresh(out, now);
        return reply.code(204).send(null);
      },
    );
  };
}

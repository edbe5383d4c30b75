import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.js';
import { conflict, notFound } from '../../errors.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import { errors } from '../schemas.js';

/** Retire a device (token revoked, history kept) or delete it with its history; both audited (issue 14 finding 8). */
export function adminDeviceActionRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      `${ADMIN_PREFIX}/devices/:id/retire`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Retire a device: its token stops working at once, retiredAt is set, its history stays',
          params: z.strictObject({ id: z.uuid() }),
          response: { 204: z.null(), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        const id = req.params.id;
        const now = ctx.now();
        const outcome = await ctx.tx(async (repos) => {
          const device = await repos.devices.get(id);
          if (!device) return 'missing' as const;
          if (!(await repos.devices.retire(id, now))) return 'retired' as const;
          await repos.audit.append({
            at: now,
            actor: req.admin!.actor,
            action: 'device.retire',
            target: `device:${id}`,
            details: { hostname: device.hostname },
          });
          return 'done' as const;
        });
        if (outcome === 'missing') throw notFound('no such device');
        if (outcome === 'retired') throw conflict('DEVICE_RETIRED', 'the device is retired already');
        ctx.deviceTokens.forgetDevice(id);
        // A retired device no longer counts for its employee: a block it caused is lifted now, not at the next sweep.
        await ctx.escalation.refresh([id], now);
        return reply.code(204).send(null);
      },
    );

    app.delete(
      `${ADMIN_PREFIX}/devices/:id`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Delete a device with its apps and report history (the audit log keeps that it happened)',
          params: z.strictObject({ id: z.uuid() }),
          response: { 204: z.null(), ...errors(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        const id = req.params.id;
        const now = ctx.now();
        const deleted = await ctx.tx(async (repos) => {
          const device = await repos.devices.get(id);
          const employee = device ? await repos.ladder.employeeOf(id) : null;
          if (!device || !(await repos.devices.delete(id))) return false;
          await repos.audit.append({
            at: now,
            actor: req.admin!.actor,
            action: 'device.delete',
            target: `device:${id}`,
            details: { hostname: device.hostname, machineId: device.machine_id },
          });
          return { employee };
        });
        if (!deleted) throw notFound('no such device');
        ctx.deviceTokens.forgetDevice(id);
        // Its ladder row went with it: the employee's decision is recomputed from the devices left.
        if (deleted.employee) await ctx.escalation.resettle([deleted.employee], now);
        return reply.code(204).send(null);
      },
    );
  };
}

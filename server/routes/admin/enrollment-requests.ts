import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { OsName } from '../../../protocol/common.js';
import type { AppContext } from '../../context.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import type { EnrollmentRequestView } from '../../repositories/enrollment-requests.js';
import { decideEnrollmentRequest } from '../../services/enrollment.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { errors, LimitParam } from '../schemas.js';

const Status = z.enum(['pending', 'approved', 'denied']);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const EnrollmentRequestItem = z.object({
  id: z.uuid(),
  deviceId: z.uuid(),
  /** What the device is called now, next to what the requester says it is called. */
  deviceHostname: z.string(),
  machineId: z.string(),
  hostname: z.string(),
  os: OsName,
  osVersion: z.string(),
  osUser: z.string(),
  agentVersion: z.string(),
  ip: z.string(),
  requestedAt: z.string(),
  status: Status,
  decidedAt: z.string().nullable(),
  decidedBy: z.string().nullable(),
});

const toItem = (r: EnrollmentRequestView): z.infer<typeof EnrollmentRequestItem> => ({
  id: r.id,
  deviceId: r.device_id,
  deviceHostname: r.device_hostname,
  machineId: r.machine_id,
  hostname: r.hostname,
  os: r.os,
  osVersion: r.os_version,
  osUser: r.os_user,
  agentVersion: r.agent_version,
  ip: r.ip,
  requestedAt: iso(r.requested_at)!,
  status: r.status,
  decidedAt: iso(r.decided_at),
  decidedBy: r.decided_by,
});

const Cursor = z.tuple([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.uuid()]);

/**
 * Re-enrollments of known machines that came without the device's current token (issue 14, finding 1): a reinstalled
 * laptop that lost its token, a cloned image, or someone trying to take a colleague's device over. An admin decides.
 */
export function adminEnrollmentRequestRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      `${ADMIN_PREFIX}/enrollment-requests`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Re-enrollment requests waiting for (or decided by) an admin, newest first',
          querystring: z.strictObject({
            status: Status.optional(),
            limit: LimitParam(200, 50),
            cursor: z.string().max(200).optional(),
          }),
          response: {
            200: z.object({ items: z.array(EnrollmentRequestItem), nextCursor: z.string().nullable() }),
            ...errors(400, 401),
          },
        },
      },
      async (req) => {
        const { status, limit, cursor } = req.query;
        const rows = await ctx.repos.enrollmentRequests.list({
          limit,
          ...(status ? { status } : {}),
          ...(cursor !== undefined ? { before: decodeCursor(cursor, Cursor) } : {}),
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          items: page.map(toItem),
          nextCursor: rows.length > limit && last ? encodeCursor([last.requested_at, last.id]) : null,
        };
      },
    );

    for (const [verb, decision] of [
      ['approve', 'approved'],
      ['deny', 'denied'],
    ] as const) {
      app.post(
        `${ADMIN_PREFIX}/enrollment-requests/:id/${verb}`,
        {
          schema: {
            tags: ['admin'],
            summary:
              decision === 'approved'
                ? "Approve: the requester's token becomes the device's token (the old one stops working)"
                : "Deny: the requester's token never works",
            params: z.strictObject({ id: z.uuid() }),
            response: { 200: EnrollmentRequestItem, ...errors(400, 401, 403, 404, 409) },
          },
        },
        async (req) => {
          const { deviceId } = await ctx.tx((repos) =>
            decideEnrollmentRequest(repos, req.params.id, decision, req.admin!.actor, ctx.now()),
          );
          // An approval replaced the device's token: the old one must stop working here at once.
          ctx.deviceTokens.forgetDevice(deviceId);
          return toItem((await ctx.repos.enrollmentRequests.view(req.params.id))!);
        },
      );
    }
  };
}

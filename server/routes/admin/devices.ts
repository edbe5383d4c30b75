import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IsoDateTime, OsName, Slug } from '../../../protocol/common.js';
import { LadderReason, LadderStep } from '../../../protocol/ladder.js';
import type { AppContext } from '../../context.js';
import type { DeviceRow } from '../../db/schema.js';
import { badRequest, notFound } from '../../errors.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import {
  DEVICE_SORTS,
  DEVICE_STATES,
  type DeviceListRow,
  type DeviceAppRow,
  type DeviceFilter,
  type DeviceKey,
  type DeviceSort,
} from '../../repositories/devices.js';
import { csvLine } from '../../services/csv.js';
import type { DeviceApp } from '../schemas.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { csvList, DeviceStatusSchema, DeviceSummary, errors, LimitParam, ReportHistoryItem } from '../schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

const Millis = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Order = z.enum(['asc', 'desc']);
const Id = z.uuid();
/**
 * Where the previous page ended: sort, order, the last row's sort value typed per sort key (a value of another type
 * would reach the query and make PostgreSQL fail: issue 14, finding 7) and its id.
 */
const DeviceCursor = z.discriminatedUnion('s', [
  z.strictObject({ s: z.literal('lastSeen'), o: Order, v: Millis, i: Id }),
  z.strictObject({ s: z.literal('enrolledAt'), o: Order, v: Millis, i: Id }),
  z.strictObject({ s: z.literal('hostname'), o: Order, v: z.string().max(255), i: Id }),
  z.strictObject({ s: z.literal('status'), o: Order, v: DeviceStatusSchema, i: Id }),
]);
/** The device's escalation ladder: the times each step happened (the dashboard draws them as a timeline). */
const LadderInfo = z.object({
  employee: z.string().nullable(),
  step: LadderStep,
  reason: LadderReason,
  why: z.string(),
  deadline: z.string().nullable(),
  failingSince: z.string().nullable(),
  warnedAt: z.string().nullable(),
  remindedAt: z.string().nullable(),
  reminders: z.number().int(),
  blockedAt: z.string().nullable(),
  clearedAt: z.string().nullable(),
  staleSince: z.string().nullable(),
  unknownSince: z.string().nullable(),
  exemptUntil: z.string().nullable(),
  changedAt: z.string(),
});
const HistoryCursor = z.tuple([z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER), Id]);

const toApp = (a: DeviceAppRow): z.infer<typeof DeviceApp> => ({
  ruleId: a.rule_id,
  appId: a.app_id,
  name: a.name,
  action: a.action,
  evidence: a.evidence,
  firstSeenAt: iso(a.first_seen_at),
});

function toSummary(d: DeviceRow | DeviceListRow, apps: DeviceAppRow[]): z.infer<typeof DeviceSummary> {
  return {
    ...('state' in d ? { state: d.state } : {}),
    id: d.id,
    hostname: d.hostname,
    os: d.os,
    osVersion: d.os_version,
    osUser: d.os_user,
    agentVersion: d.agent_version,
    enrolledAt: iso(d.enrolled_at),
    lastSeenAt: iso(d.last_seen_at),
    lastScannedAt: isoOrNull(d.last_scanned_at),
    status: d.status,
    failingSince: isoOrNull(d.failing_since),
    deadline: isoOrNull(d.deadline),
    pastDeadline: d.past_deadline === 1,
    policyVersion: d.policy_version,
    retiredAt: isoOrNull(d.retired_at),
    apps: apps.map(toApp),
  };
}

const ListQuery = z.strictObject({
  status: csvList(DeviceStatusSchema).optional(),
  os: csvList(OsName).optional(),
  lastSeenBefore: IsoDateTime.optional(),
  lastSeenAfter: IsoDateTime.optional(),
  app: Slug.optional(),
  hostname: z.string().min(1).max(255).optional().describe('hostname prefix'),
  search: z.string().min(1).max(255).optional().describe('hostname or OS user prefix'),
  state: csvList(z.enum(DEVICE_STATES)).optional().describe('dashboard state (ladder and last status)'),
  policyVersion: z.coerce.number().int().min(1).max(2147483647).optional(),
  sort: z.enum(DEVICE_SORTS).default('lastSeen'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: LimitParam(500, 50),
  cursor: z.string().max(1000).optional(),
});

const CsvQuery = ListQuery.omit({ limit: true, cursor: true });

function filterOf(q: z.infer<typeof CsvQuery>): DeviceFilter {
  return {
    ...(q.status ? { status: q.status } : {}),
    ...(q.os ? { os: q.os } : {}),
    ...(q.lastSeenBefore ? { lastSeenBefore: Date.parse(q.lastSeenBefore) } : {}),
    ...(q.lastSeenAfter ? { lastSeenAfter: Date.parse(q.lastSeenAfter) } : {}),
    ...(q.app ? { app: q.app } : {}),
    ...(q.hostname ? { hostnamePrefix: q.hostname } : {}),
    ...(q.search ? { search: q.search } : {}),
    ...(q.state ? { state: q.state } : {}),
    ...(q.policyVersion !== undefined ? { policyVersion: q.policyVersion } : {}),
  };
}

const CSV_HEADER = [
  'id',
  'hostname',
  'os',
  'osVersion',
  'osUser',
  'agentVersion',
  'status',
  'pastDeadline',
  'deadline',
  'failingSince',
  'lastSeenAt',
  'lastScannedAt',
  'enrolledAt',
  'policyVersion',
  'retiredAt',
  'apps',
];
/** Devices per query while the CSV export walks the whole list. */
const CSV_PAGE = 500;

export function adminDeviceRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      `${ADMIN_PREFIX}/devices`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Devices with filters; keyset paging (pass nextCursor back as cursor)',
          querystring: ListQuery,
          response: { 200: z.object({ items: z.array(DeviceSummary), nextCursor: z.string().nullable() }), ...errors(400, 401) },
        },
      },
      async (req) => {
        const q = req.query;
        let after: DeviceKey | undefined;
        if (q.cursor !== undefined) {
          const c = decodeCursor(q.cursor, DeviceCursor);
          if (c.s !== q.sort || c.o !== q.order)
            throw badRequest('BAD_CURSOR', 'the cursor belongs to another sort order; start again without it');
          after = [c.v, c.i];
        }
        const rows = await ctx.repos.devices.list({
          ...filterOf(q),
          sort: q.sort,
          order: q.order,
          limit: q.limit,
          ...(after ? { after } : {}),
        });
        const page = rows.slice(0, q.limit);
        const apps = await ctx.repos.devices.appsOf(page.map((d) => d.id));
        const byDevice = new Map<string, DeviceAppRow[]>();
        for (const a of apps) byDevice.set(a.device_id, [...(byDevice.get(a.device_id) ?? []), a]);
        const last = page[page.length - 1];
        const sort: DeviceSort = q.sort;
        return {
          items: page.map((d) => toSummary(d, byDevice.get(d.id) ?? [])),
          nextCursor:
            rows.length > q.limit && last
              ? encodeCursor({ s: sort, o: q.order, v: ctx.repos.devices.sortValue(last, sort), i: last.id })
              : null,
        };
      },
    );

    app.get(
      `${ADMIN_PREFIX}/devices/:id`,
      {
        schema: {
          tags: ['admin'],
          summary: 'One device: current state, apps found, report history (newest first)',
          params: z.strictObject({ id: z.uuid() }),
          querystring: z.strictObject({ reportsLimit: LimitParam(200, 20), reportsCursor: z.string().max(200).optional() }),
          response: {
            200: DeviceSummary.extend({
              machineId: z.string(),
              lastReportId: z.string().nullable(),
              ladder: LadderInfo.nullable(),
              reports: z.object({ items: z.array(ReportHistoryItem), nextCursor: z.string().nullable() }),
            }),
            ...errors(400, 401, 404),
          },
        },
      },
      async (req) => {
        const d = await ctx.repos.devices.getWithState(req.params.id);
        if (!d) throw notFound('no such device');
        const before = req.query.reportsCursor === undefined ? undefined : decodeCursor(req.query.reportsCursor, HistoryCursor);
        const [apps, history, ladder] = await Promise.all([
          ctx.repos.devices.appsOf([d.id]),
          ctx.repos.reports.history(d.id, req.query.reportsLimit, before),
          ctx.repos.ladder.load([d.id]),
        ]);
        const l = ladder[0];
        const page = history.slice(0, req.query.reportsLimit);
        const last = page[page.length - 1];
        return {
          ...toSummary(d, apps),
          machineId: d.machine_id,
          lastReportId: d.last_report_id,
          ladder: l
            ? {
                employee: l.employee,
                step: l.step,
                reason: l.reason,
                why: l.why,
                deadline: isoOrNull(l.deadline),
                failingSince: isoOrNull(l.failing_since),
                warnedAt: isoOrNull(l.warned_at),
                remindedAt: isoOrNull(l.reminded_at),
                reminders: l.reminders,
                blockedAt: isoOrNull(l.blocked_at),
                clearedAt: isoOrNull(l.cleared_at),
                staleSince: isoOrNull(l.stale_since),
                unknownSince: isoOrNull(l.unknown_since),
                exemptUntil: isoOrNull(l.exempt_until),
                changedAt: iso(l.changed_at),
              }
            : null,
          reports: {
            items: page.map((r) => ({
              reportId: r.id,
              receivedAt: iso(r.received_at),
              scannedAt: iso(r.scanned_at),
              kind: r.kind,
              status: r.status,
              policyVersion: r.policy_version,
              agentVersion: r.agent_version,
              report: JSON.parse(r.body) as unknown,
            })),
            nextCursor: history.length > req.query.reportsLimit && last ? encodeCursor([last.scanned_at, last.id]) : null,
          },
        };
      },
    );

    app.get(
      `${ADMIN_PREFIX}/devices.csv`,
      {
        schema: {
          tags: ['admin'],
          summary:
            'All devices matching the filters as CSV (UTF-8 with BOM); hostnames and user names that look like formulas are defused',
          querystring: CsvQuery,
          produces: ['text/csv'],
        },
      },
      async (req, reply) => {
        const q = req.query;
        const lines = ['\ufeff' + csvLine(CSV_HEADER)];
        let after: DeviceKey | undefined;
        for (;;) {
          const rows = await ctx.repos.devices.list({
            ...filterOf(q),
            sort: q.sort,
            order: q.order,
            limit: CSV_PAGE,
            ...(after ? { after } : {}),
          });
          const page = rows.slice(0, CSV_PAGE);
          const apps = await ctx.repos.devices.appsOf(page.map((d) => d.id));
          for (const d of page) {
            const s = toSummary(
              d,
              apps.filter((a) => a.device_id === d.id),
            );
            lines.push(
              csvLine([
                s.id,
                s.hostname,
                s.os,
                s.osVersion,
                s.osUser,
                s.agentVersion,
                s.status,
                s.pastDeadline,
                s.deadline,
                s.failingSince,
                s.lastSeenAt,
                s.lastScannedAt,
                s.enrolledAt,
                s.policyVersion,
                s.retiredAt,
                s.apps.map((a) => a.appId).join(' '),
              ]),
            );
          }
          const last = page[page.length - 1];
          if (rows.length <= CSV_PAGE || !last) break;
          after = [ctx.repos.devices.sortValue(last, q.sort), last.id];
        }
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="appwacht-devices.csv"')
          .header('cache-control', 'no-store')
          .send(lines.join(''));
      },
    );
  };
}

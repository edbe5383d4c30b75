import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.js';
import { mailIdentity, parseEmployeeCsv } from '../../employees/identity.js';
import { notFound } from '../../errors.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import type { ExemptionRow } from '../../repositories/employees.js';
import { ApiErrorSchema, errors, LimitParam } from '../schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const STEPS = ['compliant', 'notice', 'overdue', 'blocked'] as const;
const Email = z
  .email()
  .max(254)
  .transform((s) => s.toLowerCase());

export const Decision = z.object({
  decision: z.enum(['allow', 'deny']),
  /** When the block began (deny only). */
  since: z.string().nullable(),
});

export const ExemptionItem = z.object({
  id: z.uuid(),
  deviceId: z.uuid().nullable(),
  employee: z.string().nullable(),
  reason: z.string(),
  grantedBy: z.string(),
  grantedAt: z.string(),
  until: z.string(),
  revokedAt: z.string().nullable(),
  active: z.boolean(),
});

export function toExemption(r: ExemptionRow, now: number): z.infer<typeof ExemptionItem> {
  return {
    id: r.id,
    deviceId: r.device_id,
    employee: r.employee,
    reason: r.reason,
    grantedBy: r.granted_by,
    grantedAt: iso(r.granted_at),
    until: iso(r.until),
    revokedAt: isoOrNull(r.revoked_at),
    active: r.revoked_at === null && r.until > now,
  };
}

const EmployeeSummary = z.object({
  email: z.string(),
  devices: z.number().int(),
  worstStep: z.enum(STEPS),
  decision: Decision.shape.decision,
  blockedSince: z.string().nullable(),
});

const EmployeeDevice = z.object({
  id: z.uuid(),
  hostname: z.string(),
  os: z.enum(['windows', 'macos', 'linux']),
  osUser: z.string(),
  status: z.enum(['unknown', 'compliant', 'warning', 'violation']),
  lastSeenAt: z.string(),
  retiredAt: z.string().nullable(),
  /** Retired devices no longer count for the decision. */
  counts: z.boolean(),
  apps: z.array(z.object({ name: z.string(), action: z.enum(['ban', 'warn']) })),
  ladder: z.object({
    step: z.enum(STEPS),
    reason: z.string(),
    why: z.string(),
    deadline: z.string().nullable(),
    failingSince: z.string().nullable(),
    warnedAt: z.string().nullable(),
    remindedAt: z.string().nullable(),
    reminders: z.number().int(),
    blockedAt: z.string().nullable(),
    clearedAt: z.string().nullable(),
    staleSince: z.string().nullable(),
    exemptUntil: z.string().nullable(),
    nextAt: z.string().nullable(),
  }),
});

const MailItem = z.object({
  id: z.number().int(),
  kind: z.string(),
  status: z.string(),
  deviceId: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  lastError: z.string().nullable(),
});

const CsvLineError = z.object({ line: z.number().int(), message: z.string() });

export function adminEmployeeRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    // `curl --data-binary @map.csv -H 'content-type: text/csv'` works as well as JSON {csv}.
    app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    app.get(
      `${ADMIN_PREFIX}/employees`,
      {
        schema: {
          tags: ['admin'],
          summary:
            'Employees with active devices, their worst ladder step and decision; paged by address (pass nextAfter as after)',
          querystring: z.strictObject({
            limit: LimitParam(500, 100),
            after: z.string().max(254).optional(),
            prefix: z.string().min(1).max(254).optional().describe('address prefix'),
            blocked: z.enum(['true', 'false']).optional(),
          }),
          response: {
            200: z.object({ items: z.array(EmployeeSummary), nextAfter: z.string().nullable() }),
            ...errors(400, 401),
          },
        },
      },
      async (req) => {
        const q = req.query;
        const rows = await ctx.repos.employees.list({
          limit: q.limit,
          ...(q.after !== undefined ? { after: q.after } : {}),
          ...(q.prefix !== undefined ? { prefix: q.prefix.toLowerCase() } : {}),
          ...(q.blocked !== undefined ? { blocked: q.blocked === 'true' } : {}),
        });
        const page = rows.slice(0, q.limit);
        return {
          items: page.map((r) => ({
            email: r.email,
            devices: r.devices,
            worstStep: STEPS[r.worst] ?? 'compliant',
            decision: r.blocked_since === null ? ('allow' as const) : ('deny' as const),
            blockedSince: isoOrNull(r.blocked_since),
          })),
          nextAfter: rows.length > q.limit ? page[page.length - 1]!.email : null,
        };
      },
    );

    app.get(
      `${ADMIN_PREFIX}/employees/unmapped`,
      {
        schema: {
          tags: ['admin'],
          summary: 'OS users of active devices that map to no mail address (neither the template nor an imported mapping)',
          response: {
            200: z.object({
              items: z.array(
                z.object({ osUser: z.string(), devices: z.number().int(), hostname: z.string(), lastSeenAt: z.string() }),
              ),
            }),
            ...errors(401),
          },
        },
      },
      async () => {
        const overrides = new Map((await ctx.repos.employees.mappings()).map((m) => [m.os_user, m.email]));
        const users = await ctx.repos.employees.osUsers();
        return {
          items: users
            .filter((u) => mailIdentity(u.os_user, ctx.config.escalation.mailTemplate, overrides) === null)
            .map((u) => ({ osUser: u.os_user, devices: u.devices, hostname: u.hostname, lastSeenAt: iso(u.last_seen_at) })),
        };
      },
    );

    app.get(
      `${ADMIN_PREFIX}/employees/mapping`,
      {
        schema: {
          tags: ['admin'],
          summary: 'The imported OS user → mail address mapping (it overrides the template)',
          response: {
            200: z.object({
              template: z.string().nullable(),
              items: z.array(z.object({ osUser: z.string(), email: z.string(), importedAt: z.string() })),
            }),
            ...errors(401),
          },
        },
      },
      async () => ({
        template: ctx.config.escalation.mailTemplate,
        items: (await ctx.repos.employees.mappings()).map((m) => ({
          osUser: m.os_user,
          email: m.email,
          importedAt: iso(m.imported_at),
        })),
      }),
    );

    app.post(
      `${ADMIN_PREFIX}/employees/mapping`,
      {
        schema: {
          tags: ['admin'],
          summary:
            'Import `os_user,email` lines (CSV, `;` works too) as JSON {csv} or text/csv. Any bad line: nothing is imported and every bad line is named. mode=replace drops mappings the file does not name',
          querystring: z.strictObject({ mode: z.enum(['merge', 'replace']).default('merge') }),
          body: z.union([z.string().max(2_000_000), z.strictObject({ csv: z.string().max(2_000_000) })]),
          response: {
            200: z.object({ imported: z.number().int(), removed: z.number().int(), changedDevices: z.number().int() }),
            400: ApiErrorSchema.extend({ errors: z.array(CsvLineError).optional() }),
            ...errors(401),
          },
        },
      },
      async (req, reply) => {
        const text = typeof req.body === 'string' ? req.body : req.body.csv;
        const parsed = parseEmployeeCsv(text);
        const errs = parsed.errors;
        if (errs.length > 0 || parsed.rows.length === 0) {
          const message =
            errs.length > 0
              ? `${errs.length} bad line(s); nothing was imported`
              : 'no mapping lines found (expected os_user,email per line)';
          return reply.code(400).send({
            statusCode: 400,
            code: 'CSV_INVALID',
            message,
            errors: errs.slice(0, 200),
          });
        }
        const now = ctx.now();
        const replace = req.query.mode === 'replace';
        const template = ctx.config.escalation.mailTemplate;
        const result = await ctx.tx(async (repos) => {
          const before = new Map((await repos.employees.mappings()).map((m) => [m.os_user, m.email]));
          await repos.employees.importMappings(parsed.rows, replace, now);
          const after = new Map((await repos.employees.mappings()).map((m) => [m.os_user, m.email]));
          const removed = [...before.keys()].filter((k) => !after.has(k)).length;
          // The devices whose mail identity this import changes: re-evaluated below, so blocks follow their owner.
          const changed = (await repos.employees.activeDeviceUsers())
            .filter((d) => mailIdentity(d.os_user, template, before) !== mailIdentity(d.os_user, template, after))
            .map((d) => d.id);
          await repos.audit.append({
            at: now,
            actor: req.admin!.actor,
            action: 'employees.import',
            target: null,
            details: { mode: req.query.mode, lines: parsed.rows.length, removed, changedDevices: changed.length },
          });
          return { imported: parsed.rows.length, removed, changed };
        });
        ctx.escalation.forgetIdentities();
        await ctx.escalation.refresh(result.changed, now);
        return { imported: result.imported, removed: result.removed, changedDevices: result.changed.length };
      },
    );

    app.get(
      `${ADMIN_PREFIX}/employees/:email`,
      {
        schema: {
          tags: ['admin'],
          summary: 'One employee: the decision, every device with its ladder, exemptions and the latest mails',
          params: z.strictObject({ email: Email }),
          response: {
            200: z.object({
              email: z.string(),
              decision: Decision,
              devices: z.array(EmployeeDevice),
              exemptions: z.array(ExemptionItem),
              mails: z.array(MailItem),
            }),
            ...errors(400, 401, 404),
          },
        },
      },
      async (req) => {
        const email = req.params.email;
        const now = ctx.now();
        const [devices, decision] = await Promise.all([
          ctx.repos.employees.devices(email),
          ctx.repos.employees.blockedSince(email),
        ]);
        const ids = devices.map((d) => d.device_id);
        const [apps, exemptions, mails] = await Promise.all([
          ctx.repos.devices.appsOf(ids),
          ctx.repos.employees.exemptionsOf(email, ids),
          ctx.repos.employees.recentMails(email, 20),
        ]);
        if (devices.length === 0 && decision === null && exemptions.length === 0 && mails.length === 0)
          throw notFound('no such employee');
        const since = decision?.blockedSince ?? null;
        return {
          email,
          decision: { decision: since === null ? ('allow' as const) : ('deny' as const), since: isoOrNull(since) },
          devices: devices.map((d) => ({
            id: d.device_id,
            hostname: d.hostname,
            os: d.os,
            osUser: d.os_user,
            status: d.status,
            lastSeenAt: iso(d.last_seen_at),
            retiredAt: isoOrNull(d.retired_at),
            counts: d.retired_at === null,
            apps: apps.filter((a) => a.device_id === d.device_id).map((a) => ({ name: a.name, action: a.action })),
            ladder: {
              step: d.step,
              reason: d.reason,
              why: d.why,
              deadline: isoOrNull(d.deadline),
              failingSince: isoOrNull(d.failing_since),
              warnedAt: isoOrNull(d.warned_at),
              remindedAt: isoOrNull(d.reminded_at),
              reminders: d.reminders,
              blockedAt: isoOrNull(d.blocked_at),
              clearedAt: isoOrNull(d.cleared_at),
              staleSince: isoOrNull(d.stale_since),
              exemptUntil: isoOrNull(d.exempt_until),
              nextAt: isoOrNull(d.next_at),
            },
          })),
          exemptions: exemptions.map((e) => toExemption(e, now)),
          mails: mails.map((m) => ({
            id: Number(m.id),
            kind: m.kind,
            status: m.status,
            deviceId: m.device_id,
            createdAt: iso(m.created_at),
            sentAt: isoOrNull(m.sent_at),
            lastError: m.last_error,
          })),
        };
      },
    );
  };
}

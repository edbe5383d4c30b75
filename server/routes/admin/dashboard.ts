import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { catalog } from '../../../agent/catalog/index.js';
import type { CatalogApp } from '../../../agent/catalog/index.js';
import { OsName, Slug } from '../../../protocol/common.js';
import type { Policy } from '../../../protocol/policy.js';
import type { AppContext } from '../../context.js';
import { conflict, HttpError } from '../../errors.js';
import { ADMIN_PREFIX } from '../../plugins/auth.js';
import { DEVICE_STATES } from '../../repositories/devices.js';
import { dayOf } from '../../services/compliance-history.js';
import { isUniqueViolation } from '../../services/policy-store.js';
import { hashPassword } from '../../services/secrets.js';
import { errors } from '../schemas.js';

const DAY = 24 * 3600_000;
const StateCounts = z.object(
  Object.fromEntries(DEVICE_STATES.map((s) => [s, z.number().int()])) as Record<(typeof DEVICE_STATES)[number], z.ZodNumber>,
);

const Overview = z.object({
  counts: StateCounts,
  history: z.array(z.object({ day: z.string(), counts: StateCounts.partial() })),
  topApps: z.array(z.object({ appId: z.string(), name: z.string(), devices: z.number().int() })),
  silent: z.array(z.object({ id: z.string(), hostname: z.string(), os: OsName, osUser: z.string(), lastSeenAt: z.string() })),
  staleAfterHours: z.number().int(),
  policyVersion: z.number().int().nullable(),
});

const Settings = z.object({
  smtp: z.object({ server: z.string(), from: z.string() }).nullable(),
  mailTemplate: z.string().nullable(),
  webhook: z.object({ url: z.string() }).nullable(),
  decisionOnError: z.enum(['allow', 'deny']),
  webhookLog: z.array(
    z.object({
      id: z.number().int(),
      createdAt: z.string(),
      employee: z.string(),
      status: z.string(),
      attempts: z.number().int(),
      lastStatus: z.number().int().nullable(),
      lastError: z.string().nullable(),
    }),
  ),
});

const Role = z.enum(['admin', 'readonly']);
const AdminInfo = z.object({ id: z.string(), username: z.string(), role: Role, createdAt: z.string() });

/** What a catalog app's rule matches on one OS: identifier kind → values (or name patterns). */
const CatalogEntry = z.object({
  id: z.string(),
  name: z.string(),
  vendor: z.string(),
  status: z.string(),
  container: z.boolean(),
  matches: z.partialRecord(OsName, z.record(z.string(), z.array(z.string()))),
});

function matchesOf(app: CatalogApp): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const os of ['windows', 'macos', 'linux'] as const) {
    const sig = app[os] as Record<string, { values?: readonly string[]; pattern?: string }[] | undefined> | undefined;
    if (!sig) continue;
    const kinds: Record<string, string[]> = {};
    for (const [kind, groups] of Object.entries(sig)) {
      if (!Array.isArray(groups)) continue;
      kinds[kind] = groups.flatMap((g) => (g.values ? [...g.values] : g.pattern ? [g.pattern] : []));
    }
    out[os] = kinds;
  }
  return out;
}

/** The overview, the catalog for the policy editor, and the admin accounts (issue 9). */
export function adminDashboardRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  const catalogEntries = catalog.map((a) => ({
    id: a.id,
    name: a.name,
    vendor: a.vendor,
    status: a.status,
    container: a.container !== undefined,
    matches: matchesOf(a),
  }));
  return async (app) => {
    app.get(
      `${ADMIN_PREFIX}/overview`,
      {
        schema: {
          tags: ['admin'],
          summary:
            'The dashboard overview: devices per state, daily history (kept by a timer, not recomputed), top apps, silent devices',
          querystring: z.strictObject({ days: z.coerce.number().int().min(1).max(730).default(90) }),
          response: { 200: Overview, ...errors(400, 401) },
        },
      },
      async (req) => {
        const now = ctx.now();
        const current = await ctx.policies.current();
        const policy = current ? (JSON.parse(current.signed.payload) as Policy) : null;
        const staleAfterHours = policy?.escalation.staleAfterHours ?? 72;
        const [counts, history, topApps, silent] = await Promise.all([
          ctx.repos.dashboard.stateCounts(),
          ctx.repos.dashboard.daily(dayOf(now - req.query.days * DAY)),
          ctx.repos.dashboard.topApps(10),
          ctx.repos.dashboard.silentSince(now - staleAfterHours * 3600_000, 10),
        ]);
        return {
          counts,
          history: history.map((h) => ({ day: h.day, counts: h.counts })),
          topApps,
          silent: silent.map((d) => ({
            id: d.id,
            hostname: d.hostname,
            os: d.os,
            osUser: d.os_user,
            lastSeenAt: new Date(d.last_seen_at).toISOString(),
          })),
          staleAfterHours,
          policyVersion: current?.version ?? null,
        };
      },
    );

    app.get(
      `${ADMIN_PREFIX}/policy-impact`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Before publishing: active devices, and how many have one of the apps a change adds or alters',
          querystring: z.strictObject({
            apps: z
              .string()
              .max(20_000)
              .transform((v) => v.split(',').filter(Boolean))
              .pipe(z.array(Slug).max(500))
              .optional(),
          }),
          response: { 200: z.object({ active: z.number().int(), affected: z.number().int() }), ...errors(400, 401) },
        },
      },
      async (req) => ctx.repos.dashboard.impact(req.query.apps ?? []),
    );

    app.get(
      `${ADMIN_PREFIX}/catalog`,
      {
        schema: {
          tags: ['admin'],
          summary: 'The app catalog policy rules can name, with what each app is recognised by per OS',
          response: { 200: z.object({ items: z.array(CatalogEntry) }), ...errors(401) },
        },
      },
      async () => ({ items: catalogEntries }),
    );

    app.get(
      `${ADMIN_PREFIX}/settings`,
      {
        schema: {
          tags: ['admin'],
          summary:
            'What the server configuration sets for mail, webhooks and the decision endpoints (never a secret), and the webhook delivery log',
          response: { 200: Settings, ...errors(401) },
        },
      },
      async () => {
        const e = ctx.config.escalation;
        const host = (url: string) => {
          const u = new URL(url);
          return `${u.protocol}//${u.host}`;
        };
        const log = await ctx.repos.dashboard.webhookLog(20);
        return {
          smtp: e.smtp ? { server: host(e.smtp.url), from: e.smtp.from } : null,
          mailTemplate: e.mailTemplate,
          webhook: e.webhook ? { url: host(e.webhook.url) } : null,
          decisionOnError: e.decisionOnError,
          webhookLog: log.map((d) => ({
            id: Number(d.id),
            createdAt: new Date(Number(d.created_at)).toISOString(),
            employee: d.employee,
            status: d.status,
            attempts: d.attempts,
            lastStatus: d.last_status,
            lastError: d.last_error,
          })),
        };
      },
    );

    app.post(
      `${ADMIN_PREFIX}/settings/smtp-test`,
      {
        schema: {
          tags: ['admin'],
          summary: "Send one test mail through the configured SMTP server (audited); 502 with the server's answer when it fails",
          body: z.object({ to: z.email().max(254) }),
          response: { 200: z.object({ response: z.string() }), ...errors(400, 401, 403, 409, 502) },
        },
      },
      async (req) => {
        if (!ctx.mail) throw conflict('SMTP_NOT_CONFIGURED', 'no SMTP server is configured (APPWACHT_SMTP_URL)');
        const audit = (outcome: string) =>
          ctx.repos.audit.append({
            at: ctx.now(),
            actor: req.admin!.actor,
            action: 'smtp.test',
            target: `mail:${req.body.to}`,
            details: { outcome: outcome.slice(0, 300) },
          });
        try {
          const sent = await ctx.mail.sendTest(req.body.to);
          await audit('sent');
          return sent;
        } catch (err) {
          const message = String((err as Error).message ?? err).slice(0, 300);
          await audit(`failed: ${message}`);
          throw new HttpError(502, 'SMTP_FAILED', message);
        }
      },
    );

    app.get(
      `${ADMIN_PREFIX}/admins`,
      {
        schema: {
          tags: ['admin'],
          summary: 'The admin accounts and their roles',
          response: { 200: z.object({ items: z.array(AdminInfo) }), ...errors(401) },
        },
      },
      async () => ({
        items: (await ctx.repos.admins.list()).map((a) => ({
          id: a.id,
          username: a.username,
          role: a.role,
          createdAt: new Date(a.created_at).toISOString(),
        })),
      }),
    );

    app.post(
      `${ADMIN_PREFIX}/admins`,
      {
        config: { rateLimit: { max: ctx.config.rateLimits.loginPerMinute, timeWindow: 60_000 } },
        schema: {
          tags: ['admin'],
          summary: 'Create an admin account: role admin (may change things) or readonly (may only look)',
          body: z.strictObject({
            username: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/),
            password: z.string().min(12).max(200),
            role: Role,
          }),
          response: { 201: AdminInfo, ...errors(400, 401, 403, 409, 429) },
        },
      },
      async (req, reply) => {
        const now = ctx.now();
        const row = { id: randomUUID(), username: req.body.username, role: req.body.role, created_at: now };
        const passwordHash = await hashPassword(req.body.password);
        try {
          await ctx.tx(async (repos) => {
            await repos.admins.create({ ...row, password_hash: passwordHash });
            await repos.audit.append({
              at: now,
              actor: req.admin!.actor,
              action: 'admin.create',
              target: `admin:${row.username}`,
              details: { role: row.role },
            });
          });
        } catch (err) {
          if (isUniqueViolation(err)) throw conflict('ADMIN_EXISTS', 'an admin with this username exists');
          throw err;
        }
        return reply
          .code(201)
          .send({ id: row.id, username: row.username, role: row.role, createdAt: new Date(now).toISOString() });
      },
    );
  };
}

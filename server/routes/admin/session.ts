import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../../context.js';
import { HttpError } from '../../errors.js';
import { ADMIN_PREFIX, SESSION_COOKIE } from '../../plugins/auth.js';
import { hashPassword, hashToken, newToken, verifyPassword } from '../../services/secrets.js';
import { errors } from '../schemas.js';

const SessionInfo = z.object({
  username: z.string(),
  /** `readonly`: the server refuses every change (403 READ_ONLY); the dashboard greys its buttons out to match. */
  role: z.enum(['admin', 'readonly']),
  via: z.enum(['session', 'token']),
  /** Send as `x-csrf-token` with every state-changing request that uses the session cookie. */
  csrfToken: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

const cookieOpts = (ctx: AppContext) => ({
  path: ADMIN_PREFIX,
  httpOnly: true,
  sameSite: 'strict' as const,
  secure: ctx.config.tls !== null,
});

/** The one admin route without credentials (registered outside the authenticated context, see index.ts). */
export function loginRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      `${ADMIN_PREFIX}/login`,
      {
        config: { rateLimit: { max: ctx.config.rateLimits.loginPerMinute, timeWindow: 60_000 } },
        schema: {
          tags: ['admin'],
          summary: 'Log in with username and password; sets the session cookie and returns a CSRF token',
          body: z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) }),
          response: { 200: SessionInfo, ...errors(400, 401, 429) },
        },
      },
      async (req, reply) => {
        const admin = await ctx.repos.admins.findByUsername(req.body.username);
        const ok = await verifyPassword(req.body.password, admin?.password_hash);
        const now = ctx.now();
        if (!ok || !admin) {
          await ctx.repos.audit.append({
            at: now,
            actor: 'anonymous',
            action: 'admin.login_failed',
            target: null,
            details: { username: req.body.username.slice(0, 64), ip: req.ip },
          });
          throw new HttpError(401, 'LOGIN_FAILED', 'wrong username or password');
        }
        const session = newToken('session');
        const sessionHash = hashToken(session);
        const expiresAt = now + ctx.config.sessionHours * 3600_000;
        await ctx.repos.sessions.create({ id_hash: sessionHash, admin_id: admin.id, created_at: now, expires_at: expiresAt });
        await ctx.repos.audit.append({
          at: now,
          actor: `admin:${admin.username}`,
          action: 'admin.login',
          target: null,
          details: { ip: req.ip },
        });
        reply.setCookie(SESSION_COOKIE, session, { ...cookieOpts(ctx), maxAge: ctx.config.sessionHours * 3600 });
        const csrfToken = reply.generateCsrf({ ...cookieOpts(ctx), userInfo: sessionHash });
        return {
          username: admin.username,
          role: admin.role,
          via: 'session' as const,
          csrfToken,
          expiresAt: new Date(expiresAt).toISOString(),
        };
      },
    );
  };
}

/** Who am I, password, logout: authenticated (and CSRF-checked) by the admin plugin around them. */
export function sessionRoutes(ctx: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      `${ADMIN_PREFIX}/session`,
      {
        schema: {
          tags: ['admin'],
          summary: 'Who am I; a fresh CSRF token for a session',
          response: { 200: SessionInfo, ...errors(401) },
        },
      },
      async (req, reply) => {
        const a = req.admin!;
        const csrfToken = a.via === 'session' ? reply.generateCsrf({ ...cookieOpts(ctx), userInfo: a.sessionHash! }) : null;
        return { username: a.username, role: a.role, via: a.via, csrfToken, expiresAt: null };
      },
    );

    app.post(
      `${ADMIN_PREFIX}/password`,
      {
        config: { rateLimit: { max: ctx.config.rateLimits.loginPerMinute, timeWindow: 60_000 } },
        schema: {
          tags: ['admin'],
          summary:
            'Change the own password (the generated first-start password should be replaced); ends other sessions and revokes every API token of this admin',
          body: z.strictObject({ currentPassword: z.string().min(1).max(200), newPassword: z.string().min(12).max(200) }),
          response: { 204: z.null(), ...errors(400, 401, 403, 429) },
        },
      },
      async (req, reply) => {
        const a = req.admin!;
        const admin = await ctx.repos.admins.get(a.adminId);
        if (!admin || !(await verifyPassword(req.body.currentPassword, admin.password_hash))) {
          throw new HttpError(403, 'PASSWORD_WRONG', 'the current password is wrong');
        }
        const passwordHash = await hashPassword(req.body.newPassword);
        // Everything that descends from the old password ends with it: other sessions and every API token.
        await ctx.tx(async (repos) => {
          await repos.admins.setPassword(admin.id, passwordHash);
          await repos.sessions.deleteForAdmin(admin.id, a.sessionHash);
          const tokensRevoked = await repos.tokens.revokeAllOf(admin.id, ctx.now());
          await repos.audit.append({
            at: ctx.now(),
            actor: a.actor,
            action: 'admin.password_change',
            target: `admin:${admin.username}`,
            details: { tokensRevoked },
          });
        });
        return reply.code(204).send(null);
      },
    );

    app.post(
      `${ADMIN_PREFIX}/logout`,
      {
        schema: { tags: ['admin'], summary: 'End the session', response: { 204: z.null(), ...errors(401, 403) } },
      },
      async (req, reply) => {
        const a = req.admin!;
        if (a.via === 'session') {
          await ctx.repos.sessions.delete(a.sessionHash!);
          await ctx.repos.audit.append({ at: ctx.now(), actor: a.actor, action: 'admin.logout', target: null });
        }
        reply.clearCookie(SESSION_COOKIE, { path: ADMIN_PREFIX });
        return reply.code(204).send(null);
      },
    );
  };
}

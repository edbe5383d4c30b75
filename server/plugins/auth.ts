import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { AppContext } from '../context.js';
import type { AdminRole } from '../db/schema.js';
import { forbidden, unauthorized } from '../errors.js';
import { hashToken, TOKEN_PREFIX } from '../services/secrets.js';

export const SESSION_COOKIE = 'appwacht_session';
export const ADMIN_PREFIX = '/api/v1/admin';

export interface AdminPrincipal {
  adminId: string;
  username: string;
  /** `readonly`: every state-changing admin route answers 403 READ_ONLY (see requireWriter). */
  role: AdminRole;
  via: 'session' | 'token';
  /** `admin:<name>` or `token:<name>`: what the audit log records as "who". */
  actor: string;
  sessionHash?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    deviceId: string | null;
    admin: AdminPrincipal | null;
  }
}

/** How long an agent whose enrollment waits for approval is asked to wait before its next call. */
export const PENDING_RETRY_AFTER_S = 300;

const BEARER = /^Bearer ([A-Za-z0-9_-]{10,200})$/;

export function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  return BEARER.exec(h)?.[1] ?? null;
}

/** Agent calls: the device token decides which device is writing; the body never does. */
export function requireDevice(ctx: AppContext) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(req);
    if (token === null || !token.startsWith(TOKEN_PREFIX.device))
      throw unauthorized('a device token is required (Authorization: Bearer …)');
    const hash = hashToken(token);
    let id = ctx.deviceTokens.get(hash);
    if (id === undefined) {
      id = await ctx.repos.devices.findIdByTokenHash(hash);
      if (id === undefined) {
        const request = await ctx.repos.enrollmentRequests.findByTokenHash(hash);
        if (request?.status === 'pending') {
          // Not a dead token: the agent keeps it and asks again later (its reporter keeps the reports queued).
          reply.header('retry-after', String(PENDING_RETRY_AFTER_S));
          throw forbidden('ENROLLMENT_PENDING', 'this device waits for an administrator to approve its enrollment');
        }
        throw unauthorized('unknown or revoked device token; enroll again');
      }
      ctx.deviceTokens.set(hash, id);
    }
    req.deviceId = id;
  };
}

const TOUCH_EVERY_MS = 60_000;

/** Admin calls: an API token (Bearer awa_…) or a session cookie from /admin/login. */
export function requireAdmin(ctx: AppContext) {
  return async (req: FastifyRequest) => {
    const token = bearer(req);
    if (token !== null) {
      if (!token.startsWith(TOKEN_PREFIX.admin)) throw unauthorized('not an admin API token');
      const now = ctx.now();
      const row = await ctx.repos.tokens.findActiveByHash(hashToken(token), now);
      if (!row) throw unauthorized('unknown, expired or revoked API token');
      // Last-used is informative; writing it on every call would turn reads into writes.
      if (row.last_used_at === null || now - row.last_used_at > TOUCH_EVERY_MS) await ctx.repos.tokens.touch(row.id, now);
      req.admin = {
        adminId: row.admin_id,
        username: row.username,
        role: row.role,
        via: 'token',
        actor: `token:${row.name}`,
      };
      return;
    }
    const cookie = req.cookies[SESSION_COOKIE];
    if (typeof cookie === 'string' && cookie.startsWith(TOKEN_PREFIX.session) && cookie.length < 200) {
      const sessionHash = hashToken(cookie);
      const row = await ctx.repos.sessions.findValid(sessionHash, ctx.now());
      if (row) {
        req.admin = {
          adminId: row.admin_id,
          username: row.username,
          role: row.role,
          via: 'session',
          actor: `admin:${row.username}`,
          sessionHash,
        };
        return;
      }
    }
    throw unauthorized('admin login or API token required');
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF: only a browser session can be ridden by another site; Bearer tokens are never sent ambiently.
 * So state-changing requests that authenticated by cookie must carry the token from /admin/session in `x-csrf-token`.
 */
export const csrfForSessions: onRequestHookHandler = function (req, reply: FastifyReply, done) {
  if (req.admin?.via !== 'session' || SAFE_METHODS.has(req.method)) return done();
  this.csrfProtection(req, reply, done);
};

/**
 * Roles: a read-only admin sees everything and changes nothing. Every state-changing admin route refuses them,
 * except the few in `allowed` (their own logout and password), so a new route is guarded without knowing about roles.
 */
export function requireWriter(allowed: ReadonlySet<string>): onRequestHookHandler {
  return function (req, _reply, done) {
    if (SAFE_METHODS.has(req.method) || req.admin?.role !== 'readonly') return done();
    if (allowed.has(`${req.method} ${req.routeOptions.url ?? ''}`)) return done();
    done(forbidden('READ_ONLY', 'this account is read-only: it may look at everything and change nothing'));
  };
}

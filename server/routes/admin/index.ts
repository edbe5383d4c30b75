import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import { ADMIN_PREFIX, csrfForSessions, requireAdmin, requireWriter } from '../../plugins/auth.js';
import { adminAuditRoutes } from './audit.js';
import { adminDashboardRoutes } from './dashboard.js';
import { adminDeviceActionRoutes } from './device-actions.js';
import { adminDeviceRoutes } from './devices.js';
import { adminEnrollmentRequestRoutes } from './enrollment-requests.js';
import { adminEmployeeRoutes } from './employees.js';
import { adminEnrollmentSecretRoutes } from './enrollment-secret.js';
import { adminExemptionRoutes } from './exemptions.js';
import { adminMailTemplateRoutes } from './mail-templates.js';
import { adminPolicyRoutes } from './policies.js';
import { loginRoutes, sessionRoutes } from './session.js';
import { adminTokenRoutes } from './tokens.js';
import { adminUpdateRoutes } from './updates.js';

/** The admin routes that answer without credentials: logging in is how one gets them. */
export const PUBLIC_ADMIN_ROUTES = new Set([`POST ${ADMIN_PREFIX}/login`]);

/** The state-changing admin routes a read-only admin may call: they change only the caller's own session. */
export const READ_ONLY_ALLOWED = new Set([`POST ${ADMIN_PREFIX}/logout`, `POST ${ADMIN_PREFIX}/password`]);

/**
 * Every admin route file, registered inside the one context that carries `requireAdmin` and the CSRF hook.
 * A new admin route file goes here and nowhere else: then it cannot forget authentication.
 */
const ADMIN_ROUTE_FILES = [
  sessionRoutes,
  adminPolicyRoutes,
  adminDeviceRoutes,
  adminAuditRoutes,
  adminTokenRoutes,
  adminEnrollmentRequestRoutes,
  adminDeviceActionRoutes,
  adminEnrollmentSecretRoutes,
  adminEmployeeRoutes,
  adminExemptionRoutes,
  adminMailTemplateRoutes,
  adminDashboardRoutes,
  adminUpdateRoutes,
];

export class AdminRouteOutsideError extends Error {
  readonly code = 'ADMIN_ROUTE_UNGUARDED';
}

/**
 * The admin API as one plugin: the public login, then every other admin route behind authentication and CSRF.
 * `check` is given the app's whole route table once it is ready and refuses a route under the admin prefix that was
 * registered elsewhere, so a route added outside this plugin stops the server at start-up instead of answering
 * without login.
 */
export function adminApi(ctx: AppContext): {
  plugin: FastifyPluginAsync;
  check(routes: readonly { method: string; url: string }[]): void;
} {
  const guarded = new Set<string>();
  return {
    plugin: async (admin) => {
      await admin.register(loginRoutes(ctx));
      await admin.register(async (authed) => {
        authed.addHook('onRequest', requireAdmin(ctx));
        authed.addHook('onRequest', csrfForSessions);
        authed.addHook('onRequest', requireWriter(READ_ONLY_ALLOWED));
        authed.addHook('onRoute', (r) => {
          for (const m of [r.method].flat()) guarded.add(`${m} ${r.url}`);
        });
        for (const routes of ADMIN_ROUTE_FILES) await authed.register(routes(ctx));
      });
    },
    check(routes) {
      const loose = routes
        .map((r) => `${r.method} ${r.url}`)
        .filter((r) => isAdminRoute(r) && !guarded.has(r) && !PUBLIC_ADMIN_ROUTES.has(r));
      if (loose.length > 0)
        throw new AdminRouteOutsideError(
          `admin routes registered outside the admin plugin (they would answer without login): ${loose.join(', ')}`,
        );
    },
  };
}

/** `METHOD /url` of a route under the admin prefix. */
export function isAdminRoute(route: string): boolean {
  const url = route.slice(route.indexOf(' ') + 1);
  return url === ADMIN_PREFIX || url.startsWith(`${ADMIN_PREFIX}/`);
}

/**
 * Walks every route the real app registers (its onRoute table) and knocks on each without credentials.
 * Admin routes must answer 401, and 403 to a cookie session that sends no CSRF token; every other route must be on
 * the short list below. A route added outside the admin plugin, or a new public route, makes this test fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { OPENAPI_PATH } from '../../../server/app.js';
import {
  AdminRouteOutsideError,
  isAdminRoute,
  PUBLIC_ADMIN_ROUTES,
  READ_ONLY_ALLOWED,
} from '../../../server/routes/admin/index.js';
import { ADMIN_PASSWORD, bearer, createTestApp, type TestApp } from '../helpers.js';

/** Routes outside the admin API, and who may call them. Adding one here is a decision: say it in review. */
const OTHER_ROUTES: Record<string, 'public' | 'device'> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'public',
  [`GET ${OPENAPI_PATH}`]: 'public',
  'POST /api/v1/enroll': 'public',
  'GET /api/v1/policy': 'device',
  'POST /api/v1/reports': 'device',
  // The dashboard's static page (server/web/serve.ts): holds no data, every call it makes is an admin route.
  'GET /': 'public',
  'GET /admin': 'public',
  'GET /admin/': 'public',
  'GET /admin/:file': 'public',
  // The update feed (server/updates/): installers and their electron-updater index, no secrets in them (the settings
  // come from the deployment tool); the tray app's updater asks without a device token.
  'GET /updates/:channel/:file': 'public',
};

/** The access-decision endpoints for mail and web gateways: each needs its own token (server/decision/). */
const DECISION_PREFIX = '/api/v1/decision/';
const isDecisionRoute = (route: string) => route.split(' ')[1]!.startsWith(DECISION_PREFIX);

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Any value fits a path parameter: authentication runs in onRequest, before the parameters are validated. */
const fill = (url: string) => url.replace(/:\w+/g, '00000000-0000-4000-8000-000000000000');
const knock = (route: string, extra: Partial<InjectOptions> = {}): InjectOptions => {
  const [method, url] = route.split(' ') as [InjectOptions['method'], string];
  return { method, url: fill(url), ...(SAFE.has(String(method)) ? {} : { payload: {} }), ...extra } as InjectOptions;
};

describe('route walk: every registered route is authenticated or known to be public', () => {
  let t: TestApp;
  let routes: string[];
  before(async () => {
    t = await createTestApp('sqlite');
    await t.app.ready();
    routes = t.app.appwachtRoutes.map((r) => `${r.method} ${r.url}`);
  });
  after(() => t.close());

  it('knows every route outside the admin API', () => {
    const unknown = routes.filter((r) => !isAdminRoute(r) && !isDecisionRoute(r) && !(r in OTHER_ROUTES));
    assert.deepEqual(unknown, [], 'a new route outside the admin plugin: put it under routes/admin/ or list it here');
    assert.ok(routes.filter(isAdminRoute).length >= 10, `only ${routes.filter(isAdminRoute).length} admin routes found`);
  });

  it('answers 401 on every admin route without credentials, or with a device token', async () => {
    const dev = await t.enroll();
    const open: string[] = [];
    for (const r of routes.filter((r) => isAdminRoute(r) && !PUBLIC_ADMIN_ROUTES.has(r))) {
      for (const extra of [{}, { headers: bearer(dev.deviceToken) }, { cookies: { appwacht_session: 'aws_forged' } }]) {
        const res = await t.app.inject(knock(r, extra));
        if (res.statusCode !== 401 || res.json<{ code: string }>().code !== 'UNAUTHORIZED') open.push(`${r} → ${res.statusCode}`);
      }
    }
    assert.deepEqual(open, []);
  });

  it('answers 401 on the device routes without a device token', async () => {
    for (const r of Object.keys(OTHER_ROUTES).filter((r) => OTHER_ROUTES[r] === 'device')) {
      assert.equal((await t.app.inject(knock(r))).statusCode, 401, r);
    }
  });

  it('answers 401 on every access-decision route without its token, or with a device or admin token', async () => {
    const dev = await t.enroll();
    const admin = await t.adminToken();
    const decision = routes.filter(isDecisionRoute);
    assert.ok(decision.length >= 3, `only ${decision.length} decision routes`);
    const open: string[] = [];
    for (const r of decision) {
      for (const extra of [{}, { headers: bearer(dev.deviceToken) }, { headers: bearer(admin) }]) {
        const res = await t.app.inject(knock(r, extra));
        if (res.statusCode !== 401) open.push(`${r} → ${res.statusCode}`);
      }
    }
    assert.deepEqual(open, []);
  });

  it('answers 403 CSRF_INVALID to every state-changing admin route called by cookie without (or with a wrong) CSRF token', async () => {
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    assert.equal(login.statusCode, 200);
    const cookies = Object.fromEntries(login.cookies.map((c) => [c.name, c.value]));
    const changing = routes.filter((r) => isAdminRoute(r) && !PUBLIC_ADMIN_ROUTES.has(r) && !SAFE.has(r.split(' ')[0]!));
    assert.ok(changing.length >= 5, `only ${changing.length} state-changing admin routes`);
    const unprotected: string[] = [];
    for (const r of changing) {
      for (const headers of [{}, { 'x-csrf-token': 'forged' }]) {
        const res = await t.app.inject(knock(r, { cookies, headers }));
        if (res.statusCode !== 403 || res.json<{ code: string }>().code !== 'CSRF_INVALID')
          unprotected.push(`${r} → ${res.statusCode}`);
      }
    }
    assert.deepEqual(unprotected, []);
    // The session itself still works: the refusals above were about CSRF, not a dead cookie.
    assert.equal((await t.app.inject({ url: '/api/v1/admin/session', cookies })).statusCode, 200);
  });

  it('answers 403 READ_ONLY to a read-only admin on every state-changing admin route, with a valid CSRF token', async () => {
    const admin = await t.adminToken();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/admins',
      headers: bearer(admin),
      payload: { username: 'auditor', password: 'read only but long enough', role: 'readonly' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/login',
      payload: { username: 'auditor', password: 'read only but long enough' },
    });
    assert.equal(login.statusCode, 200);
    assert.equal(login.json<{ role: string }>().role, 'readonly');
    const cookies = Object.fromEntries(login.cookies.map((c) => [c.name, c.value]));
    const headers = { 'x-csrf-token': login.json<{ csrfToken: string }>().csrfToken };
    const changing = routes.filter(
      (r) => isAdminRoute(r) && !PUBLIC_ADMIN_ROUTES.has(r) && !READ_ONLY_ALLOWED.has(r) && !SAFE.has(r.split(' ')[0]!),
    );
    const open: string[] = [];
    for (const r of changing) {
      const res = await t.app.inject(knock(r, { cookies, headers }));
      if (res.statusCode !== 403 || res.json<{ code: string }>().code !== 'READ_ONLY') open.push(`${r} → ${res.statusCode}`);
    }
    assert.deepEqual(open, []);
    // Reading works, and an admin's own read-write session is not refused (the 403s above were about the role).
    assert.equal((await t.app.inject({ url: '/api/v1/admin/devices', cookies })).statusCode, 200);
    const write = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/admins',
      headers: bearer(admin),
      payload: { username: 'auditor', password: 'read only but long enough', role: 'readonly' },
    });
    assert.equal(write.statusCode, 409, 'the admin is refused for the duplicate name, not the role');
  });
});

describe('admin plugin guard', () => {
  it('refuses to start an app with an admin route registered outside the admin plugin', async (c) => {
    const t = await createTestApp('sqlite');
    c.after(() => t.close().catch(() => undefined));
    t.app.get('/api/v1/admin/forgotten', async () => ({ secret: 'fleet data' }));
    await assert.rejects(
      async () => void (await t.app.ready()),
      (err: unknown) => {
        assert.ok(err instanceof AdminRouteOutsideError, String(err));
        assert.equal(err.code, 'ADMIN_ROUTE_UNGUARDED');
        assert.match(err.message, /GET \/api\/v1\/admin\/forgotten/);
        return true;
      },
    );
  });
});

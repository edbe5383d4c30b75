import assert from 'node:assert/strict';
import { ESSENTIAL_SOURCES } from '../../../protocol/coverage.js';
import { after, before, describe, it } from 'node:test';
import { Policy } from '../../../protocol/policy.js';
import { publicKeyFromBase64, verifyPayload } from '../../../protocol/signing.js';
import { ADMIN_PASSWORD, bearer, createTestApp, finding, validReport, type TestApp } from '../helpers.js';
import policyFixture from '../../fixtures/server/default-policy.json' with { type: 'json' };

async function login(t: TestApp) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/login',
    payload: { username: 'admin', password: ADMIN_PASSWORD },
  });
  assert.equal(res.statusCode, 200, res.body);
  const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
  return { cookies, csrf: (res.json() as { csrfToken: string }).csrfToken, res };
}

const draft = (over: Record<string, unknown> = {}) => {
  const { version: _v, issuedAt: _i, ...rest } = policyFixture;
  return { ...rest, ...over };
};

describe('admin login, sessions and CSRF', () => {
  let t: TestApp;
  // More than the 10 logins a minute this suite would otherwise be refused (the limit is tested in ops.test.ts).
  before(async () => (t = await createTestApp('sqlite', { APPWACHT_LOGIN_RATE_LIMIT: '30' })));
  after(() => t.close());

  it('sets an HttpOnly, SameSite=Strict session cookie scoped to the admin API', async () => {
    const { res } = await login(t);
    const session = res.cookies.find((c) => c.name === 'appwacht_session');
    assert.ok(session);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/api/v1/admin');
    assert.equal(session.secure, undefined, 'not Secure without TLS');
    const row = await t.db.handle.db.selectFrom('sessions').selectAll().execute();
    assert.ok(
      row.every((r) => r.id_hash !== session.value),
      'only the hash is stored',
    );
  });

  it('refuses a wrong password with 401 and audits it', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/login',
      payload: { username: 'admin', password: 'nope' },
    });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'LOGIN_FAILED');
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/login',
      payload: { username: 'ghost', password: 'nope' },
    });
    assert.equal(unknown.statusCode, 401);
    const audit = await t.app.appwacht.repos.audit.list({ limit: 5, action: 'admin.login_failed' });
    assert.ok(audit.length >= 2);
  });

  it('requires the CSRF token for state-changing session requests, but not for reads or Bearer tokens', async () => {
    const { cookies, csrf } = await login(t);
    const read = await t.app.inject({ method: 'GET', url: '/api/v1/admin/devices', cookies });
    assert.equal(read.statusCode, 200);
    const noCsrf = await t.app.inject({ method: 'POST', url: '/api/v1/admin/tokens', cookies, payload: { name: 'x' } });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(noCsrf.json().code, 'CSRF_INVALID');
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/tokens',
      cookies,
      headers: { 'x-csrf-token': 'abc' },
      payload: { name: 'x' },
    });
    assert.equal(wrong.statusCode, 403);
    // A token from another session does not work in this one (bound to the session).
    const other = await login(t);
    const crossed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/tokens',
      cookies,
      headers: { 'x-csrf-token': other.csrf },
      payload: { name: 'x' },
    });
    assert.equal(crossed.statusCode, 403);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/tokens',
      cookies,
      headers: { 'x-csrf-token': csrf },
      payload: { name: 'ci' },
    });
    assert.equal(ok.statusCode, 201, ok.body);
    const { token, id } = ok.json() as { token: string; id: string };
    // A Bearer token needs no CSRF token for a state change (tokens cannot create tokens: see admin-tokens.test.ts).
    const viaToken = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/tokens/${id}`, headers: bearer(token) });
    assert.equal(viaToken.statusCode, 204);
  });

  it('changes the password: the old one stops working, other sessions end, this one stays', async () => {
    const other = await login(t);
    const { cookies, csrf } = await login(t);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/password',
      cookies,
      headers: { 'x-csrf-token': csrf },
      payload: { currentPassword: 'not it', newPassword: 'a brand new long password' },
    });
    assert.equal(wrong.statusCode, 403);
    const short = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/password',
      cookies,
      headers: { 'x-csrf-token': csrf },
      payload: { currentPassword: ADMIN_PASSWORD, newPassword: 'short' },
    });
    assert.equal(short.statusCode, 400);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/password',
      cookies,
      headers: { 'x-csrf-token': csrf },
      payload: { currentPassword: ADMIN_PASSWORD, newPassword: 'a brand new long password' },
    });
    assert.equal(ok.statusCode, 204, ok.body);
    assert.equal((await t.app.inject({ url: '/api/v1/admin/session', cookies })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/api/v1/admin/session', cookies: other.cookies })).statusCode, 401);
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    assert.equal(old.statusCode, 401);
    // Put it back for the other tests in this suite.
    const back = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/password',
      cookies,
      headers: { 'x-csrf-token': csrf },
      payload: { currentPassword: 'a brand new long password', newPassword: ADMIN_PASSWORD },
    });
    assert.equal(back.statusCode, 204);
  });

  it('logs out: the session stops working', async () => {
    const { cookies, csrf } = await login(t);
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/admin/logout', cookies, headers: { 'x-csrf-token': csrf } });
    assert.equal(out.statusCode, 204);
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/admin/session', cookies });
    assert.equal(after.statusCode, 401);
  });

  it('revokes API tokens; a revoked token is refused', async () => {
    const token = await t.adminToken();
    const { cookies, csrf } = await login(t);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/tokens',
      cookies,
      headers: { 'x-csrf-token': csrf },
      payload: { name: 'short-lived' },
    });
    const { id, token: second } = created.json() as { id: string; token: string };
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/tokens', headers: bearer(token) });
    assert.ok(!list.body.includes(second), 'the listing never shows a token');
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/tokens/${id}`, headers: bearer(token) });
    assert.equal(del.statusCode, 204);
    const refused = await t.app.inject({ method: 'GET', url: '/api/v1/admin/devices', headers: bearer(second) });
    assert.equal(refused.statusCode, 401);
    const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/tokens/${id}`, headers: bearer(token) });
    assert.equal(again.statusCode, 404);
  });

  it('does not accept a device token for admin routes, nor an admin token for agent routes', async () => {
    const dev = await t.enroll();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/devices', headers: bearer(dev.deviceToken) });
    assert.equal(res.statusCode, 401);
    const token = await t.adminToken();
    const rep = await t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: bearer(token), payload: validReport() });
    assert.equal(rep.statusCode, 401);
  });
});

describe('admin policies', () => {
  let t: TestApp;
  before(async () => (t = await createTestApp('sqlite')));
  after(() => t.close());

  it('creates version 2: numbered by the server, signed, served to agents, audit-logged', async () => {
    const token = await t.adminToken();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/policies',
      headers: bearer(token),
      payload: draft({ message: { de: 'Neue Regeln', en: 'New rules' } }),
    });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.version, 2);
    assert.equal(body.createdBy, 'token:tests');
    const payload = verifyPayload(body.signed, publicKeyFromBase64(t.secrets.publicKey));
    assert.equal(Policy.parse(JSON.parse(payload)).message.en, 'New rules');

    const dev = await t.enroll();
    const served = await t.app.inject({ method: 'GET', url: '/api/v1/policy', headers: bearer(dev.deviceToken) });
    assert.equal(JSON.parse(served.json().payload).version, 2);
    assert.equal(served.headers.etag, body.etag);

    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit?action=policy.create', headers: bearer(token) });
    const items = audit.json().items as { actor: string; target: string }[];
    assert.deepEqual(
      items.map((i) => [i.actor, i.target]),
      [
        ['token:tests', 'policy:2'],
        ['system', 'policy:1'],
      ],
    );
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/policies', headers: bearer(token) });
    assert.deepEqual(
      list.json().items.map((i: { version: number }) => i.version),
      [2, 1],
    );
    const v1 = await t.app.inject({ method: 'GET', url: '/api/v1/admin/policies/1', headers: bearer(token) });
    assert.equal(v1.json().policy.version, 1);
  });

  it('refuses an invalid policy with 400 and a stale optimistic version with 409; nothing is stored', async () => {
    const token = await t.adminToken();
    const before = await t.app.appwacht.repos.audit.count();
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/policies',
      headers: bearer(token),
      payload: draft({ rules: 'all' }),
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'VALIDATION');
    const both = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/policies',
      headers: bearer(token),
      payload: draft({
        rules: [{ id: 'x', app: 'whatsapp', custom: { name: 'X', match: {} }, action: 'ban', deadline: '2026-01-01T00:00:00Z' }],
      }),
    });
    assert.equal(both.statusCode, 400);
    const stale = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/policies',
      headers: bearer(token),
      payload: draft({ version: 1 }),
    });
    assert.equal(stale.statusCode, 409);
    assert.equal(stale.json().code, 'POLICY_VERSION_CONFLICT');
    const versions = await t.app.appwacht.policies.current();
    assert.equal(versions?.version, 2);
    assert.equal(await t.app.appwacht.repos.audit.count(), before);
  });

  it('numbers concurrent creates without gaps or duplicates', async () => {
    const token = await t.adminToken();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.app.inject({ method: 'POST', url: '/api/v1/admin/policies', headers: bearer(token), payload: draft() }),
      ),
    );
    const ok = results.filter((r) => r.statusCode === 201).map((r) => r.json().version as number);
    assert.ok(results.every((r) => r.statusCode === 201 || r.statusCode === 409));
    assert.deepEqual(
      [...ok].sort((a, b) => a - b),
      ok.map((_, i) => 3 + i),
    );
  });
});

describe('admin devices', () => {
  let t: TestApp;
  let token: string;
  before(async () => {
    t = await createTestApp('sqlite');
    token = await t.adminToken();
  });
  after(() => t.close());

  it('lists with filters and keyset paging, and shows a detail with report history', async () => {
    const oses = ['windows', 'macos', 'linux'] as const;
    const devs = [];
    for (let i = 0; i < 30; i++) devs.push(await t.enroll({ hostname: `PC-${String(i).padStart(3, '0')}`, os: oses[i % 3]! }));
    for (const [i, d] of devs.entries()) {
      const findings = i % 5 === 0 ? [finding('whatsapp')] : i % 7 === 0 ? [finding('telegram', { action: 'warn' })] : [];
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        headers: bearer(d.deviceToken),
        // Each device's own essential sources: a report without them would be stored as unknown (protocol/coverage.ts).
        payload: validReport({ findings, sources: ESSENTIAL_SOURCES[oses[i % 3]!].map((id) => ({ id, ok: true })) }),
      });
    }
    const get = (qs: string) => t.app.inject({ method: 'GET', url: `/api/v1/admin/devices?${qs}`, headers: bearer(token) });

    const viol = await get('status=violation');
    assert.equal(viol.statusCode, 200, viol.body);
    assert.equal(viol.json().items.length, 6);
    assert.ok(viol.json().items.every((d: { apps: { appId: string }[] }) => d.apps[0]?.appId === 'whatsapp'));
    const byApp = await get('app=telegram');
    assert.deepEqual(
      byApp.json().items.map((d: { status: string }) => d.status),
      Array(byApp.json().items.length).fill('warning'),
    );
    assert.ok(byApp.json().items.length > 0);
    const mac = await get('os=macos&status=compliant,violation');
    assert.ok(mac.json().items.every((d: { os: string }) => d.os === 'macos'));

    // Walk all pages by hostname: every device exactly once, in order.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`sort=hostname&order=asc&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.statusCode, 200, page.body);
      seen.push(...page.json().items.map((d: { hostname: string }) => d.hostname));
      cursor = page.json().nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...seen].sort());
    assert.equal(new Set(seen).size, 30);

    // A cursor from one sort cannot be used with another.
    const first = await get('sort=hostname&order=asc&limit=2');
    const mixed = await get(`sort=lastSeen&cursor=${first.json().nextCursor}`);
    assert.equal(mixed.statusCode, 400);
    assert.equal(mixed.json().code, 'BAD_CURSOR');
    const garbage = await get('cursor=%2E%2E%2Fetc');
    assert.equal(garbage.statusCode, 400);

    const before = await get(`lastSeenBefore=${encodeURIComponent('2000-01-01T00:00:00Z')}`);
    assert.equal(before.json().items.length, 0);

    const detail = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/devices/${devs[0]!.deviceId}`,
      headers: bearer(token),
    });
    assert.equal(detail.statusCode, 200);
    assert.equal(detail.json().reports.items.length, 1);
    assert.equal(detail.json().reports.items[0].report.findings[0].appId, 'whatsapp');
    const missing = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/devices/00000000-0000-4000-8000-000000000000',
      headers: bearer(token),
    });
    assert.equal(missing.statusCode, 404);
  });
});

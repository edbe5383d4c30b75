/**
 * Issue 14 finding 4: an API token minted a second token that survived revoking the first and changing the password.
 * Only an interactive session creates tokens now, every token expires, and a password change ends the admin's tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, bearer, createTestApp, type TestApp } from '../helpers.js';

const NEW_PASSWORD = 'a brand new long password';

async function login(t: TestApp, password = ADMIN_PASSWORD) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/admin/login', payload: { username: 'admin', password } });
  assert.equal(res.statusCode, 200, res.body);
  return {
    cookies: Object.fromEntries(res.cookies.map((c) => [c.name, c.value])),
    csrf: (res.json() as { csrfToken: string }).csrfToken,
  };
}

async function createToken(t: TestApp, s: { cookies: Record<string, string>; csrf: string }, body: Record<string, unknown>) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/tokens',
    cookies: s.cookies,
    headers: { 'x-csrf-token': s.csrf },
    payload: body,
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: string; token: string; expiresAt: string };
}

const works = async (t: TestApp, token: string) =>
  (await t.app.inject({ method: 'GET', url: '/api/v1/admin/devices', headers: bearer(token) })).statusCode;

describe('admin API tokens (issue 14 finding 4)', () => {
  let t: TestApp;
  let clock = Date.parse('2026-06-01T08:00:00Z');
  before(async () => (t = await createTestApp('sqlite', {}, () => clock)));
  after(() => t.close());

  it("replays the review's attack: a token cannot mint a token, and nothing minted survives revocation + password change", async () => {
    const s = await login(t);
    const first = await createToken(t, s, { name: 'automation' });
    const minted = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/tokens',
      headers: bearer(first.token),
      payload: { name: 'backdoor' },
    });
    const second = minted.statusCode === 201 ? (minted.json() as { id: string; token: string }) : null;
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/tokens/${first.id}`,
      cookies: s.cookies,
      headers: { 'x-csrf-token': s.csrf },
    });
    assert.equal(revoke.statusCode, 204);
    const pw = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/password',
      cookies: s.cookies,
      headers: { 'x-csrf-token': s.csrf },
      payload: { currentPassword: ADMIN_PASSWORD, newPassword: NEW_PASSWORD },
    });
    assert.equal(pw.statusCode, 204, pw.body);
    // Both the refusal and the lineage: even had the token been minted, it must be dead now.
    assert.equal(second === null ? 401 : await works(t, second.token), 401, 'the minted token survived');
    assert.equal(minted.statusCode, 403, minted.body);
    assert.equal(minted.json().code, 'SESSION_REQUIRED');
    const back = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/password',
      cookies: s.cookies,
      headers: { 'x-csrf-token': s.csrf },
      payload: { currentPassword: NEW_PASSWORD, newPassword: ADMIN_PASSWORD },
    });
    assert.equal(back.statusCode, 204);
  });

  it('ends every token of the admin when the password changes, and says so in the audit log', async () => {
    const s = await login(t);
    const a = await createToken(t, s, { name: 'ci' });
    const b = await createToken(t, s, { name: 'backup' });
    assert.equal(await works(t, a.token), 200);
    const pw = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/password',
      cookies: s.cookies,
      headers: { 'x-csrf-token': s.csrf },
      payload: { currentPassword: ADMIN_PASSWORD, newPassword: NEW_PASSWORD },
    });
    assert.equal(pw.statusCode, 204);
    assert.equal(await works(t, a.token), 401);
    assert.equal(await works(t, b.token), 401);
    const list = await t.app.inject({ url: '/api/v1/admin/tokens', cookies: s.cookies });
    const items = (list.json() as { items: { id: string; revokedAt: string | null }[] }).items;
    assert.ok(items.filter((i) => [a.id, b.id].includes(i.id)).every((i) => i.revokedAt !== null));
    const audit = await t.app.appwacht.repos.audit.list({ limit: 1, action: 'admin.password_change' });
    assert.deepEqual(JSON.parse(audit[0]!.details!), { tokensRevoked: 2 });
    // A token made after the change works: the change ends what came before it, not what comes after.
    const c = await createToken(t, s, { name: 'after' });
    assert.equal(await works(t, c.token), 200);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/password',
      cookies: s.cookies,
      headers: { 'x-csrf-token': s.csrf },
      payload: { currentPassword: NEW_PASSWORD, newPassword: ADMIN_PASSWORD },
    });
  });

  it('gives every token an expiry (90 days unless asked for fewer) and refuses it afterwards', async () => {
    const s = await login(t);
    const dflt = await createToken(t, s, { name: 'default' });
    assert.equal(Date.parse(dflt.expiresAt), clock + 90 * 86_400_000);
    const short = await createToken(t, s, { name: 'short', expiresInDays: 1 });
    assert.equal(Date.parse(short.expiresAt), clock + 86_400_000);
    for (const bad of [0, 366, 1.5, '7', -1]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/tokens',
        cookies: s.cookies,
        headers: { 'x-csrf-token': s.csrf },
        payload: { name: 'bad', expiresInDays: bad },
      });
      assert.equal(res.statusCode, 400, `expiresInDays ${JSON.stringify(bad)}: ${res.body}`);
    }
    assert.equal(await works(t, short.token), 200);
    clock += 86_400_000;
    assert.equal(await works(t, short.token), 401, 'expired on the dot');
    assert.equal(await works(t, dflt.token), 200);
    clock -= 86_400_000;
  });
});

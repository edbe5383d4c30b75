import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DecisionTokens } from '../../../server/decision/tokens.js';
import { createTestApp, type TestApp } from '../helpers.js';

const ENV = {
  APPWACHT_EMPLOYEE_MAIL_TEMPLATE: '{user}@stadt.example',
  APPWACHT_DOVECOT_TOKEN: 'dovecot-token-0123456789',
  APPWACHT_NGINX_TOKEN: 'nginx-token-0123456789ab',
  APPWACHT_BLOCKLIST_TOKEN: 'blocklist-token-01234567',
};
const T: DecisionTokens = {
  dovecot: ENV.APPWACHT_DOVECOT_TOKEN,
  nginx: ENV.APPWACHT_NGINX_TOKEN,
  blocklist: ENV.APPWACHT_BLOCKLIST_TOKEN,
};
const SINCE = Date.parse('2026-04-01T08:00:00Z');

async function withApp(env: Record<string, string>, fn: (t: TestApp) => Promise<void>) {
  const t = await createTestApp('sqlite', env);
  try {
    await t.db.handle.db
      .insertInto('employees')
      .values([
        { email: 'ben@stadt.example', blocked_since: SINCE, changed_at: SINCE },
        { email: 'anna@stadt.example', blocked_since: null, changed_at: SINCE },
      ])
      .execute();
    await fn(t);
  } finally {
    await t.close();
  }
}

const dovecot = (t: TestApp, body: unknown, opts: { command?: string; token?: string; raw?: string } = {}) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/decision/dovecot?command=${opts.command ?? 'allow'}`,
    headers: { 'x-appwacht-token': opts.token ?? T.dovecot, 'content-type': 'application/json' },
    payload: opts.raw ?? JSON.stringify(body),
  });

describe('Dovecot authentication policy endpoint', () => {
  it('refuses a blocked employee with the message, lets others in, whatever form the login takes', () =>
    withApp(ENV, async (t) => {
      const cases: [login: string, status: number][] = [
        ['ben', -1],
        ['BEN@stadt.example', -1],
        ['KOMMUNE\\ben', -1],
        ['anna', 0],
        ['nobody-known', 0], // never blocked: no row
        ['weird user name with spaces', 0], // unmapped: not ours to decide
      ];
      for (const [login, status] of cases) {
        const res = await dovecot(t, { login, remote: '192.0.2.7', protocol: 'imap', pwhash: 'abc', session_id: 'x' });
        assert.equal(res.statusCode, 200, login);
        const body = res.json() as { status: number; msg: string };
        assert.equal(body.status, status, login);
        if (status === -1) assert.match(body.msg, /Zugang gesperrt.*Access blocked/);
      }
    }));

  it('answers command=report with 0 and never blocks after the fact', () =>
    withApp(ENV, async (t) => {
      const res = await dovecot(t, { login: 'ben', success: true, policy_reject: false }, { command: 'report' });
      assert.deepEqual(res.json(), { status: 0, msg: '' });
    }));

  it('odd requests: a missing or non-string login, or a body that is no object, get the admin’s error choice', async () => {
    for (const [mode, status] of [
      ['allow', 0],
      ['deny', -1],
    ] as const) {
      await withApp({ ...ENV, APPWACHT_DECISION_ON_ERROR: mode }, async (t) => {
        for (const body of [{}, { login: 42 }, { login: '' }, [1, 2], 'text', null, { login: 'x'.repeat(600) }]) {
          const res = await dovecot(t, body);
          assert.equal(res.statusCode, 200, JSON.stringify(body).slice(0, 40));
          assert.equal((res.json() as { status: number }).status, status, `${mode}: ${JSON.stringify(body).slice(0, 40)}`);
        }
        // Unknown extra fields are ignored.
        const extra = await dovecot(t, { login: 'ben', tls: true, '💥': 'x', nested: { a: [1] } });
        assert.equal((extra.json() as { status: number }).status, -1);
      });
    }
  });

  it('a database that is gone is the admin’s choice too, not a crash', async () => {
    for (const [mode, status] of [
      ['allow', 0],
      ['deny', -1],
    ] as const) {
      const t = await createTestApp('sqlite', { ...ENV, APPWACHT_DECISION_ON_ERROR: mode });
      try {
        await t.db.handle.db.schema.dropTable('employees').execute();
        const res = await dovecot(t, { login: 'ben' });
        assert.equal(res.statusCode, 200);
        assert.equal((res.json() as { status: number }).status, status, mode);
      } finally {
        await t.close();
      }
    }
  });

  it('reuses a decision for APPWACHT_DECISION_CACHE_MS, and forgets it when this process changes it', () =>
    withApp({ ...ENV, APPWACHT_DECISION_CACHE_MS: '60000' }, async (t) => {
      const status = async (login: string) => ((await dovecot(t, { login })).json() as { status: number }).status;
      assert.equal(await status('ben'), -1);
      // Written behind the server's back (as another instance would): the cached answer stands for now.
      await t.db.handle.db.updateTable('employees').set({ blocked_since: null }).where('email', '=', 'ben@stadt.example').execute();
      assert.equal(await status('ben'), -1, 'cached');
      // Settled by this process (ben has no blocked device, so the decision flips to allow): seen at once.
      await t.db.handle.db.updateTable('employees').set({ blocked_since: SINCE }).where('email', '=', 'ben@stadt.example').execute();
      await t.app.appwacht.escalation.resettle(['ben@stadt.example']);
      assert.equal(await status('ben'), 0, 'forgotten on change');
    }));

  it('with APPWACHT_DECISION_CACHE_MS=0 every login reads the database', () =>
    withApp({ ...ENV, APPWACHT_DECISION_CACHE_MS: '0' }, async (t) => {
      const status = async (login: string) => ((await dovecot(t, { login })).json() as { status: number }).status;
      assert.equal(await status('ben'), -1);
      await t.db.handle.db.updateTable('employees').set({ blocked_since: null }).where('email', '=', 'ben@stadt.example').execute();
      assert.equal(await status('ben'), 0);
    }));

  it('wants its own token: none, a wrong one or the nginx token get 401', () =>
    withApp(ENV, async (t) => {
      for (const token of ['', 'wrong', T.nginx]) assert.equal((await dovecot(t, { login: 'ben' }, { token })).statusCode, 401);
    }));
});

describe('nginx auth_request endpoint', () => {
  const basic = (user: string) => `Basic ${Buffer.from(`${user}:secret`).toString('base64')}`;
  it('403 for a blocked employee (Basic user or header), 204 for others and for requests without a user', () =>
    withApp(ENV, async (t) => {
      const ask = (method: 'GET' | 'PROPFIND', headers: Record<string, string>) =>
        t.app.inject({ method, url: '/api/v1/decision/nginx', headers: { 'x-appwacht-token': T.nginx, ...headers } });
      const blocked = await ask('PROPFIND', { authorization: basic('ben') });
      assert.equal(blocked.statusCode, 403);
      assert.equal(blocked.headers['x-appwacht-blocked-since'], new Date(SINCE).toISOString());
      assert.equal((await ask('GET', { 'x-appwacht-user': 'ben@stadt.example' })).statusCode, 403);
      assert.equal((await ask('PROPFIND', { authorization: basic('anna') })).statusCode, 204);
      assert.equal((await ask('GET', {})).statusCode, 204);
      assert.equal((await ask('GET', { authorization: 'Basic !!!not-base64' })).statusCode, 204);
      const wrong = await t.app.inject({
        method: 'GET',
        url: '/api/v1/decision/nginx',
        headers: { 'x-appwacht-token': T.dovecot },
      });
      assert.equal(wrong.statusCode, 401);
    }));
});

describe('blocked list', () => {
  it('lists who is blocked as JSON and as CSV', () =>
    withApp(ENV, async (t) => {
      const json = await t.app.inject({
        method: 'GET',
        url: '/api/v1/decision/blocked',
        headers: { authorization: `Bearer ${T.blocklist}` },
      });
      assert.deepEqual((json.json() as { items: unknown[] }).items, [
        { employee: 'ben@stadt.example', blockedSince: new Date(SINCE).toISOString() },
      ]);
      const csv = await t.app.inject({
        method: 'GET',
        url: '/api/v1/decision/blocked?format=csv',
        headers: { 'x-appwacht-token': T.blocklist },
      });
      assert.equal(csv.body, `"employee","blocked_since"\r\n"ben@stadt.example","${new Date(SINCE).toISOString()}"\r\n`);
      const denied = await t.app.inject({
        method: 'GET',
        url: '/api/v1/decision/blocked',
        headers: { 'x-appwacht-token': T.dovecot },
      });
      assert.equal(denied.statusCode, 401);
    }));
});

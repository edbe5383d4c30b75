/**
 * The decision endpoints run in a context of their own (server/app.ts, server/decision/routes.ts): without the generic
 * hooks (cookies, URL NUL check, per-request latency histogram), with pre-serialized Dovecot answers and a counter.
 * What they answer, and that the generic routes keep their hooks, on both dialects.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { loadOrCreateDecisionTokens } from '../../../server/decision/tokens.js';
import { appTest, DIALECTS, type TestApp } from '../helpers.js';

const ENV = { APPWACHT_EMPLOYEE_MAIL_TEMPLATE: '{user}@stadt.example' };

const basic = (user: string) => `Basic ${Buffer.from(`${user}:secret`).toString('base64')}`;

const tokens = (t: TestApp) => loadOrCreateDecisionTokens(t.dataDir, t.config.escalation.tokens);

async function blockBen(t: TestApp) {
  await t.db.handle.db
    .insertInto('employees')
    .values({ email: 'ben@stadt.example', blocked_since: Date.parse('2026-04-01T08:00:00Z'), changed_at: 0 })
    .execute();
}

const metric = (text: string, prefix: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .join('\n');

for (const dialect of DIALECTS) {
  describe(`decision endpoints in their own context on ${dialect}`, () => {
    const test = appTest(dialect, ENV);

    test('Dovecot gets the exact JSON bytes; decisions are counted, not put in the latency histogram', async (t) => {
      await blockBen(t);
      const T = tokens(t);
      const ask = (login: string, command = 'allow') =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/decision/dovecot?command=${command}`,
          // A cookie header as a browser might send: nothing here parses or sets cookies.
          headers: { 'x-appwacht-token': T.dovecot, 'content-type': 'application/json', cookie: 'appwacht_session=x' },
          payload: JSON.stringify({ login, remote: '192.0.2.1' }),
        });
      const anna = await ask('anna');
      assert.equal(anna.statusCode, 200);
      assert.equal(anna.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(anna.body, '{"status":0,"msg":""}');
      assert.equal(anna.headers['set-cookie'], undefined);
      const ben = await ask('KOMMUNE\\ben');
      const body = JSON.parse(ben.body) as { status: number; msg: string };
      assert.equal(body.status, -1);
      assert.match(body.msg, /Zugang gesperrt.*Access blocked/);
      assert.equal((await ask('ben')).body, ben.body, 'the same bytes again');
      assert.equal((await ask('ben', 'report')).body, '{"status":0,"msg":""}');
      // Any other command decides, as before (only `report` is exempt).
      assert.equal(JSON.parse((await ask('ben', 'x'.repeat(50))).body).status, -1);
      const unmapped = await ask('\u00e4\u00f6\u00fc weird');
      assert.equal(JSON.parse(unmapped.body).status, 0);

      const m = (await t.app.inject({ url: '/metrics' })).body;
      const decisions = metric(m, 'appwacht_decisions_total{');
      assert.match(decisions, /endpoint="dovecot",answer="allow"\} 2/);
      assert.match(decisions, /endpoint="dovecot",answer="deny"\} 3/);
      assert.doesNotMatch(metric(m, 'appwacht_http_request_duration_seconds_count{'), /decision/);
    });

    test('the generic routes keep their hooks: unknown URLs are metered, a NUL in the URL is refused', async (t) => {
      assert.equal((await t.app.inject({ url: '/no/such/route' })).json<{ code: string }>().code, 'NOT_FOUND');
      assert.equal((await t.app.inject({ url: '/api/v1/decision/nothing-here' })).statusCode, 404);
      const nul = await t.app.inject({ url: '/healthz?probe=%00' });
      assert.equal(nul.statusCode, 400);
      assert.equal(nul.json<{ code: string }>().code, 'NUL_IN_STRING');
      const m = (await t.app.inject({ url: '/metrics' })).body;
      assert.match(metric(m, 'appwacht_http_request_duration_seconds_count{'), /route="unmatched",status_code="404"\} 2/);
    });

    test('a NUL in the login (a Basic-auth user can carry one) is the admin’s error choice, the same on both dialects', async (t) => {
      await blockBen(t);
      const T = tokens(t);
      const nginx = (user: string) =>
        t.app.inject({ url: '/api/v1/decision/nginx', headers: { 'x-appwacht-token': T.nginx, authorization: basic(user) } });
      assert.equal((await nginx('ben')).statusCode, 403);
      // Default APPWACHT_DECISION_ON_ERROR=allow: 204, counted as an error, not a crash or a 500.
      assert.equal((await nginx('ben\u0000')).statusCode, 204);
      assert.equal((await nginx('\u0000')).statusCode, 204);
      const m = (await t.app.inject({ url: '/metrics' })).body;
      assert.match(metric(m, 'appwacht_decisions_total{'), /endpoint="nginx",answer="error"\} 2/);
      // A NUL in Dovecot's JSON body is refused by the JSON parser, as for every route: Dovecot applies its own
      // auth_policy_reject_on_fail then.
      const dovecot = await t.app.inject({
        method: 'POST',
        url: '/api/v1/decision/dovecot?command=allow',
        headers: { 'x-appwacht-token': T.dovecot, 'content-type': 'application/json' },
        payload: JSON.stringify({ login: 'ben\u0000' }),
      });
      assert.equal(dovecot.statusCode, 400);
      assert.equal(dovecot.json<{ code: string }>().code, 'NUL_IN_STRING');
    });
  });
}

/**
 * The API client against a STAND-IN server (test/helpers/stand-in-server.ts) over real HTTP on loopback, through the
 * real headless transport (undici). The peer is a protocol-faithful stand-in, not server/; the end-to-end test with the
 * real server comes later.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKeys, signPayload, type EnrollRequest, type Report } from '../../../protocol/index.js';
import { ServerError } from '../../../agent/transport/errors.js';
import { createApiClient, parseRetryAfter, type ApiClient } from '../../../agent/transport/api-client.js';
import { createHttpTransport, type HttpTransport } from '../../../agent/transport/http.js';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.js';

const host = {
  hostname: 'laptop-17',
  os: 'linux' as const,
  osVersion: 'Debian 12',
  osUser: 'erika',
  agentVersion: '0.1.0',
  machineId: 'a'.repeat(64),
};

function report(overrides: Partial<Report> = {}): Report {
  return {
    reportId: randomUUID(),
    kind: 'heartbeat',
    scannedAt: new Date().toISOString(),
    agentVersion: '0.1.0',
    policyVersion: 3,
    state: { status: 'compliant', pastDeadline: false, daysPastDeadline: 0 },
    findings: [],
    sources: [{ id: 'dpkg', ok: true }],
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<ServerError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ServerError, `expected a ServerError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('createApiClient() against a stand-in server', () => {
  let server: StandInServer;
  let transport: HttpTransport;
  let token: string | undefined;
  let client: ApiClient;
  const enrollRequest = (): EnrollRequest => ({ enrollmentSecret: server.secret, host });

  before(async () => {
    server = await startStandInServer();
    transport = await createHttpTransport({ env: {} });
    client = createApiClient({ serverUrl: server.url, fetch: transport.fetch, getToken: () => token, timeoutMs: 2000 });
  });
  after(async () => {
    await transport.close();
    await server.close();
  });

  it('enrolls, and the same machine enrolling again keeps its device id', async () => {
    const first = await client.enroll(enrollRequest());
    const second = await client.enroll(enrollRequest());
    assert.equal(second.deviceId, first.deviceId);
    assert.notEqual(second.deviceToken, first.deviceToken);
    token = second.deviceToken;
    const sent = server.requests.at(-1)!;
    assert.equal(sent.headers['content-type'], 'application/json');
    assert.match(String(sent.headers['user-agent']), /^appwacht-agent\//);
    assert.equal(sent.headers.authorization, undefined, 'enrollment carries no token');
  });

  it('maps a refused enrollment secret to UNAUTHORIZED with the server code', async () => {
    const err = await rejection(client.enroll({ ...enrollRequest(), enrollmentSecret: 'w'.repeat(20) }));
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.equal(err.details.serverCode, 'BAD_SECRET');
    assert.equal(err.details.status, 401);
  });

  it('refuses to send an enrollment request that is not the protocol (REJECTED, no request made)', async () => {
    const before = server.requests.length;
    const err = await rejection(client.enroll({ ...enrollRequest(), enrollmentSecret: 'short' }));
    assert.equal(err.code, 'REJECTED');
    assert.equal(server.requests.length, before);
  });

  it('fetches the signed policy with its ETag and gets 304 when sending it back', async () => {
    const keys = generateSigningKeys();
    server.policy = signPayload('{"schema":1}', keys.privateKeyPem);
    const first = await client.getPolicy();
    assert.equal(first.status, 'ok');
    assert.ok(first.etag);
    assert.equal(first.status === 'ok' && first.signed.payload, '{"schema":1}');
    const second = await client.getPolicy(first.etag);
    assert.deepEqual(second, { status: 'not-modified', etag: first.etag });
    assert.equal(server.requests.at(-1)!.headers['if-none-match'], first.etag);
    assert.equal(server.requests.at(-1)!.headers.authorization, `Bearer ${token}`);
  });

  it('posts a report; a retry with the same id is acknowledged with stored: false', async () => {
    const r = report();
    assert.deepEqual(await client.postReport(r), { reportId: r.reportId, stored: true });
    assert.deepEqual(await client.postReport(r), { reportId: r.reportId, stored: false });
    assert.equal(server.reports.size, 1);
  });

  it('does not send a report that is not the protocol (REJECTED, so it is not retried forever)', async () => {
    const before = server.requests.length;
    const err = await rejection(client.postReport({ ...report(), reportId: 'not-a-uuid' }));
    assert.equal(err.code, 'REJECTED');
    assert.equal(server.requests.length, before);
  });

  it('fails authenticated calls with UNAUTHORIZED and no request when not enrolled', async () => {
    const anonymous = createApiClient({ serverUrl: server.url, fetch: transport.fetch, getToken: async () => undefined });
    const before = server.requests.length;
    const err = await rejection(anonymous.getPolicy());
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.match(err.message, /not enrolled/);
    assert.equal(server.requests.length, before);
  });

  it('maps a revoked token (401) to UNAUTHORIZED', async () => {
    const stale = createApiClient({ serverUrl: server.url, fetch: transport.fetch, getToken: () => 'revoked-token-'.repeat(3) });
    const err = await rejection(stale.postReport(report()));
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.equal(err.transient, false);
  });

  const faults: {
    name: string;
    answer: (res: ServerResponse) => void;
    code: ServerError['code'];
    check?: (err: ServerError) => void;
  }[] = [
    {
      name: '500 with an API error body → UNAVAILABLE (transient)',
      answer: (res) =>
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"statusCode":500,"code":"INTERNAL","message":"boom"}'),
      code: 'UNAVAILABLE',
      check: (err) => {
        assert.equal(err.details.status, 500);
        assert.equal(err.details.serverCode, 'INTERNAL');
        assert.equal(err.transient, true);
      },
    },
    {
      name: "a reverse proxy's HTML 502 page → UNAVAILABLE",
      answer: (res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway</body></html>'),
      code: 'UNAVAILABLE',
    },
    {
      name: '503 with Retry-After → UNAVAILABLE carrying the delay',
      answer: (res) => res.writeHead(503, { 'retry-after': '30' }).end(),
      code: 'UNAVAILABLE',
      check: (err) => assert.equal(err.details.retryAfterMs, 30_000),
    },
    {
      name: '429 with Retry-After in seconds → RATE_LIMITED with retryAfterMs',
      answer: (res) =>
        res.writeHead(429, { 'retry-after': '7' }).end('{"statusCode":429,"code":"RATE_LIMITED","message":"slow down"}'),
      code: 'RATE_LIMITED',
      check: (err) => {
        assert.equal(err.details.retryAfterMs, 7000);
        assert.equal(err.transient, true);
      },
    },
    {
      name: '429 without Retry-After → RATE_LIMITED, delay left to the caller',
      answer: (res) => res.writeHead(429).end(),
      code: 'RATE_LIMITED',
      check: (err) => assert.equal(err.details.retryAfterMs, undefined),
    },
    {
      name: '403 → UNAUTHORIZED',
      answer: (res) => res.writeHead(403).end(),
      code: 'UNAUTHORIZED',
    },
    {
      name: '400 with an API error body → REJECTED with the server code and message',
      answer: (res) => res.writeHead(400).end('{"statusCode":400,"code":"BAD_REQUEST","message":"findings too long"}'),
      code: 'REJECTED',
      check: (err) => {
        assert.equal(err.details.serverCode, 'BAD_REQUEST');
        assert.match(err.message, /findings too long/);
        assert.equal(err.transient, false);
      },
    },
    {
      name: 'a 200 with a garbage body → BAD_RESPONSE',
      answer: (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<<<garbage>>>'),
      code: 'BAD_RESPONSE',
      check: (err) => assert.match(err.message, /not JSON/),
    },
    {
      name: 'a 200 with JSON that is not the protocol → BAD_RESPONSE naming the field',
      answer: (res) => res.writeHead(200).end('{"reportId":"x","stored":"yes"}'),
      code: 'BAD_RESPONSE',
      check: (err) => assert.match(err.message, /does not match the protocol: reportId/),
    },
    {
      name: 'an acknowledgement for another report id → BAD_RESPONSE',
      answer: (res) => res.writeHead(200).end(JSON.stringify({ reportId: randomUUID(), stored: true })),
      code: 'BAD_RESPONSE',
      check: (err) => assert.match(err.message, /acknowledged report/),
    },
    {
      name: 'an answer larger than the limit → BAD_RESPONSE',
      answer: (res) => res.writeHead(200).end('x'.repeat(70_000)),
      code: 'BAD_RESPONSE',
      check: (err) => assert.match(err.message, /larger than 65536 bytes/),
    },
    {
      name: 'a redirect → BAD_RESPONSE naming the target (the token is not carried along)',
      answer: (res) => res.writeHead(301, { location: 'http://elsewhere.example/api/v1/reports' }).end(),
      code: 'BAD_RESPONSE',
      check: (err) => assert.match(err.message, /redirected to http:\/\/elsewhere\.example/),
    },
  ];

  for (const fault of faults) {
    it(`postReport: ${fault.name}`, async (t) => {
      server.intercept = (_req, res) => (fault.answer(res), true);
      t.after(() => (server.intercept = undefined));
      const small = createApiClient({
        serverUrl: server.url,
        fetch: transport.fetch,
        getToken: () => token,
        maxBodyBytes: 65_536,
      });
      const err = await rejection(small.postReport(report()));
      assert.equal(err.code, fault.code, err.message);
      fault.check?.(err);
    });
  }

  it('a server that never answers → UNAVAILABLE after the deadline', async (t) => {
    server.intercept = () => true; // swallow the request, answer nothing
    t.after(() => (server.intercept = undefined));
    const quick = createApiClient({ serverUrl: server.url, fetch: transport.fetch, getToken: () => token, timeoutMs: 300 });
    const started = Date.now();
    const err = await rejection(quick.getPolicy());
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, /no complete answer within/);
    assert.ok(Date.now() - started < 2000, 'gave up near the deadline');
  });

  it('a server that sends headers and then stalls the body → UNAVAILABLE after the deadline', async (t) => {
    server.intercept = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keyId":"');
      return true;
    };
    t.after(() => (server.intercept = undefined));
    const quick = createApiClient({ serverUrl: server.url, fetch: transport.fetch, getToken: () => token, timeoutMs: 300 });
    const err = await rejection(quick.getPolicy());
    assert.equal(err.code, 'UNAVAILABLE');
  });

  it('an aborted call (agent shutting down) → UNAVAILABLE', async (t) => {
    server.intercept = () => true;
    t.after(() => (server.intercept = undefined));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await rejection(client.getPolicy(undefined, { signal: controller.signal }));
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, /aborted/);
  });

  it('keeps a path prefix of the server URL', async () => {
    const prefixed = createApiClient({ serverUrl: `${server.url}/appwacht/`, fetch: transport.fetch, getToken: () => token });
    await rejection(prefixed.getPolicy());
    assert.equal(server.requests.at(-1)!.url, '/appwacht/api/v1/policy');
  });
});

describe('createApiClient() without a server', () => {
  it('maps connection refused to UNAVAILABLE naming the cause', async () => {
    // A port that was just free: listen, note it, close.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const transport = await createHttpTransport({ env: {} });
    try {
      const client = createApiClient({ serverUrl: `http://127.0.0.1:${port}`, fetch: transport.fetch, getToken: () => 't' });
      const err = await rejection(client.postReport(report()));
      assert.equal(err.code, 'UNAVAILABLE');
      assert.match(err.message, /ECONNREFUSED/);
      assert.equal(err.transient, true);
    } finally {
      await transport.close();
    }
  });
});

describe('parseRetryAfter()', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');
  const cases: [string | null, number | undefined][] = [
    ['120', 120_000],
    ['0', 0],
    ['Sat, 01 Mar 2025 12:00:30 GMT', 30_000],
    ['Sat, 01 Mar 2025 11:00:00 GMT', 0], // in the past: now
    ['soon', undefined],
    ['-5', undefined],
    ['', undefined],
    [null, undefined],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} → ${expected}`, () => assert.equal(parseRetryAfter(value, now), expected));
  }
});

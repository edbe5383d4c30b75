/**
 * Enrollment against a STAND-IN server (test/helpers/stand-in-server.ts: protocol-faithful, not server/; the end-to-end
 * test with the real server comes later) over real HTTP, with the real file token store in a temp state folder.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostFacts } from '../../../protocol/index.js';
import { createServerConnection, type EnrollmentOptions } from '../../../agent/enroll/enroll.js';
import { createFileTokenStore, type TokenStore } from '../../../agent/enroll/token-store.js';
import { memoryLogger } from '../../../agent/log.js';
import { createHttpTransport, type HttpTransport } from '../../../agent/transport/http.js';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.js';

const host: HostFacts = {
  hostname: 'laptop-17',
  os: 'linux',
  osVersion: 'Debian GNU/Linux 12 (bookworm)',
  osUser: 'erika',
  agentVersion: '0.1.0',
  machineId: 'c'.repeat(64),
};

let dir: string;
let server: StandInServer;
let transport: HttpTransport;
let store: TokenStore;
let log: ReturnType<typeof memoryLogger>;
let clock: number;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-enroll-'));
  server = await startStandInServer();
  transport = await createHttpTransport({ env: {} });
  store = createFileTokenStore(dir);
  log = memoryLogger();
  clock = Date.parse('2026-07-01T08:00:00Z');
});
afterEach(async () => {
  await transport.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function connect(overrides: Partial<EnrollmentOptions> & { serverUrl?: string } = {}) {
  return createServerConnection({
    serverUrl: server.url,
    secret: server.secret,
    fetch: transport.fetch,
    store,
    hostFacts: async () => host,
    log,
    now: () => new Date(clock),
    random: () => 1, // the jitter's upper end, so the waits are predictable
    backoff: { baseMs: 60_000, capMs: 3_600_000 },
    timeoutMs: 2000,
    ...overrides,
  });
}
const enrollRequests = () => server.requests.filter((r) => r.url === '/api/v1/enroll').length;

describe('ensureEnrolled()', () => {
  it('enrolls on first run when a secret is configured, and the token works', async () => {
    const { api, enrollment } = connect();
    const state = await enrollment.ensureEnrolled();
    assert.equal(state.state, 'enrolled');
    assert.equal(state.state === 'enrolled' && state.fresh, true);
    const sent = JSON.parse(server.requests[0]!.body);
    assert.deepEqual(sent.host, host);
    server.policy = undefined;
    await assert.rejects(
      api.getPolicy(),
      { code: 'REJECTED', details: { status: 404, serverCode: 'NO_POLICY' } },
      'authenticated',
    );
  });

  it('after a restart uses the stored token without enrolling again', async () => {
    await connect().enrollment.ensureEnrolled();
    const again = await connect().enrollment.ensureEnrolled();
    assert.equal(again.state === 'enrolled' && again.fresh, false);
    assert.equal(enrollRequests(), 1);
  });

  it('without a server: local mode, nothing tried', async () => {
    const { createEnrollment } = await import('../../../agent/enroll/enroll.js');
    const state = await createEnrollment({ store, hostFacts: async () => host }).ensureEnrolled();
    assert.deepEqual(state, { state: 'unenrolled', reason: 'no-server', message: 'no server configured: local mode' });
  });

  it('without a secret: unenrolled, says how to enroll, nothing sent', async () => {
    const state = await connect({ secret: undefined }).enrollment.ensureEnrolled();
    assert.equal(state.state === 'unenrolled' && state.reason, 'no-secret');
    assert.match(state.state === 'unenrolled' ? state.message : '', /appwacht enroll/);
    assert.equal(server.requests.length, 0);
  });

  it('a refused secret: unenrolled (refused), logged, and no second attempt inside the backoff window', async () => {
    const { enrollment } = connect({ secret: 'a-wrong-secret-of-enough-length' });
    const first = await enrollment.ensureEnrolled();
    assert.equal(first.state === 'unenrolled' && first.reason, 'refused');
    assert.equal(first.state === 'unenrolled' && first.retryAt?.toISOString(), new Date(clock + 60_000).toISOString());
    assert.ok(log.lines.some((l) => l.msg === 'enrollment failed' && l.level === 'error'));
    const second = await enrollment.ensureEnrolled();
    assert.equal(second.state === 'unenrolled' && second.reason, 'waiting');
    assert.equal(enrollRequests(), 1);
    clock += 61_000;
    await enrollment.ensureEnrolled();
    assert.equal(enrollRequests(), 2, 'tried again after the wait');
  });

  it('server down: unenrolled (server-unavailable), retried later with growing waits', async () => {
    await server.close();
    const { enrollment } = connect();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await enrollment.ensureEnrolled();
      assert.equal(s.state === 'unenrolled' && s.reason, 'server-unavailable');
      const retryAt = s.state === 'unenrolled' ? s.retryAt!.getTime() : 0;
      waits.push(retryAt - clock);
      clock = retryAt;
    }
    assert.deepEqual(waits, [60_000, 120_000, 240_000, 480_000]);
  });

  it('a token for another server is not used; the agent enrolls with the configured one', async () => {
    await store.save({
      serverUrl: 'https://old.example',
      deviceId: crypto.randomUUID(),
      deviceToken: 'o'.repeat(40),
      enrolledAt: new Date().toISOString(),
    });
    const state = await connect().enrollment.ensureEnrolled();
    assert.equal(state.state === 'enrolled' && state.fresh, true);
    assert.ok(log.lines.some((l) => l.msg === 'device token belongs to another server'));
  });

  it(
    'a token file with wrong permissions is discarded and replaced by a fresh enrollment',
    { skip: process.platform === 'win32' ? 'POSIX permissions' : false },
    async () => {
      const first = await connect().enrollment.ensureEnrolled();
      await chmod(store.location, 0o644);
      const second = await connect().enrollment.ensureEnrolled();
      assert.equal(second.state === 'enrolled' && second.fresh, true);
      assert.equal(
        second.state === 'enrolled' && first.state === 'enrolled' && second.credentials.deviceId,
        first.state === 'enrolled' && first.credentials.deviceId,
        'same machine, same device',
      );
      assert.notEqual(
        second.state === 'enrolled' && second.credentials.deviceToken,
        first.state === 'enrolled' && first.credentials.deviceToken,
      );
      assert.ok(log.lines.some((l) => l.msg === 'device token unusable' && String(l.reason).includes('mode 0644')));
    },
  );
});

describe('handleUnauthorized()', () => {
  it('after the server revokes the token: forgets it, re-enrolls with the secret, calls work again', async () => {
    const { api, enrollment } = connect();
    await enrollment.ensureEnrolled();
    server.policy = { keyId: '0'.repeat(16), payload: '{}', signature: 'AA==' };
    await api.getPolicy(); // the token proved itself
    server.revokeAll();
    server.policy = undefined;
    const err = await api.getPolicy().catch((e: unknown) => e);
    assert.equal((err as { code?: string }).code, 'UNAUTHORIZED');
    const state = await enrollment.handleUnauthorized();
    assert.equal(state.state === 'enrolled' && state.fresh, true);
    await assert.rejects(api.getPolicy(), { code: 'REJECTED' }, 'the new token is accepted (404 no policy, not 401)');
    assert.equal(server.devices.size, 1, 're-enrolling made no twin');
  });

  it('without a secret: token-rejected, says to run appwacht enroll, token gone', async () => {
    await connect().enrollment.ensureEnrolled();
    const { enrollment } = connect({ secret: undefined });
    const state = await enrollment.handleUnauthorized();
    assert.equal(state.state === 'unenrolled' && state.reason, 'token-rejected');
    assert.deepEqual(await store.load(), { status: 'missing' });
    assert.equal(await enrollment.getToken(), undefined);
  });

  it('a server that accepts enrollment but refuses every token causes no enrollment storm', async () => {
    server.intercept = (req, res) => {
      if (req.url !== '/api/v1/policy') return false;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"statusCode":401,"code":"UNAUTHORIZED","message":"no"}');
      return true;
    };
    const { api, enrollment } = connect();
    // A loop turn every 5 minutes for 2 hours, as a naive background loop would do.
    for (let turn = 0; turn < 24; turn++) {
      const state = await enrollment.ensureEnrolled();
      if (state.state === 'enrolled') {
        const err = await api.getPolicy().catch((e: unknown) => e);
        if ((err as { code?: string }).code === 'UNAUTHORIZED') await enrollment.handleUnauthorized();
      }
      clock += 5 * 60_000;
    }
    // Waits of 1, 2, 4, 8, 16, 32, 60 min: 6 enrollments in 2 hours, not 24.
    assert.ok(enrollRequests() <= 7, `${enrollRequests()} enrollments`);
    assert.ok(enrollRequests() >= 4, 'but it keeps trying');
  });

  it('a successful authenticated call resets the backoff', async () => {
    server.policy = undefined;
    const { api, enrollment } = connect();
    await enrollment.ensureEnrolled();
    server.revokeAll();
    await enrollment.handleUnauthorized(); // attempt 1 (immediate), next wait 1 min
    await api.getPolicy().catch(() => {}); // 404 NO_POLICY is not an auth failure…
    server.revokeAll();
    // …but a 404 is an error, so noteAuthorized was not called: the next re-enrollment waits.
    assert.equal((await enrollment.handleUnauthorized()).state, 'unenrolled');
    clock += 61_000;
    assert.equal((await enrollment.handleUnauthorized()).state, 'enrolled');
    server.policy = { keyId: '0'.repeat(16), payload: '{}', signature: 'AA==' };
    await api.getPolicy(); // 200: the token works → backoff reset
    server.revokeAll();
    assert.equal((await enrollment.handleUnauthorized()).state, 'enrolled', 'no wait after a success');
  });
});

describe('enrollNow()', () => {
  it('enrolls even when a token exists (appwacht enroll), replacing it', async () => {
    const { enrollment } = connect();
    const a = await enrollment.enrollNow();
    const b = await enrollment.enrollNow();
    assert.notEqual(a.deviceToken, b.deviceToken);
    assert.equal((await store.load()).status === 'ok' && (await enrollment.getToken()), b.deviceToken);
  });

  it('throws the ServerError so the command can say what went wrong', async () => {
    await assert.rejects(connect({ secret: 'a-wrong-secret-of-enough-length' }).enrollment.enrollNow(), {
      code: 'UNAUTHORIZED',
      details: { status: 401, serverCode: 'BAD_SECRET' },
    });
  });

  it('without a secret: NOT_CONFIGURED', async () => {
    await assert.rejects(connect({ secret: undefined }).enrollment.enrollNow(), { code: 'NOT_CONFIGURED' });
  });
});

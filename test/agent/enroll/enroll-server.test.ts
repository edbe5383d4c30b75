/**
 * The agent's enrollment against the REAL server (server/ on loopback, SQLite) over real HTTP, with the real file token
 * store: re-enrolling proves itself with the stored token; a machine the server knows, enrolling without it, waits for
 * an admin, and its calls wait (RATE_LIMITED with the server's Retry-After) instead of re-enrolling in a loop.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServerConnection } from '../../../agent/enroll/enroll.js';
import { createFileTokenStore } from '../../../agent/enroll/token-store.js';
import { createHttpTransport, type HttpTransport } from '../../../agent/transport/http.js';
import { bearer, createTestApp, validHost, validReport, type TestApp } from '../../server/helpers.js';

describe('enrollment against the real server', () => {
  let t: TestApp;
  let url: string;
  let transport: HttpTransport;
  const dirs: string[] = [];
  before(async () => {
    t = await createTestApp('sqlite');
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    transport = await createHttpTransport({ env: {} });
  });
  after(async () => {
    await transport.close();
    await t.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const host = validHost({ os: 'linux', hostname: 'laptop-17' });
  const agentWithStateDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'appwacht-enroll-real-'));
    dirs.push(dir);
    return createServerConnection({
      serverUrl: url,
      secret: t.secrets.enrollmentSecret,
      fetch: transport.fetch,
      store: createFileTokenStore(dir),
      hostFacts: async () => host,
      timeoutMs: 10_000,
    });
  };

  it('appwacht enroll twice: the stored token proves it, same device, the old token dies', async () => {
    const { enrollment } = await agentWithStateDir();
    const first = await enrollment.enrollNow();
    const second = await enrollment.enrollNow();
    assert.equal(second.deviceId, first.deviceId);
    assert.equal(second.pendingApproval, undefined);
    const old = await t.app.inject({ method: 'GET', url: '/api/v1/policy', headers: bearer(first.deviceToken) });
    assert.equal(old.statusCode, 401);
  });

  it('a fresh state folder on a known machine waits for approval; its reports wait, then land after approval', async () => {
    const { api, enrollment } = await agentWithStateDir();
    const creds = await enrollment.enrollNow();
    assert.equal(creds.pendingApproval, true);
    const report = validReport();
    await assert.rejects(api.postReport(report), (err: { code: string; details: { retryAfterMs?: number } }) => {
      assert.equal(err.code, 'RATE_LIMITED', 'kept and retried later, not a reason to re-enroll');
      assert.equal(err.details.retryAfterMs, 300_000);
      return true;
    });
    assert.equal(await enrollment.getToken(), creds.deviceToken, 'the pending token is kept');

    const list = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/enrollment-requests?status=pending',
      headers: bearer(await t.adminToken()),
    });
    const [request] = (list.json() as { items: { id: string; hostname: string }[] }).items;
    assert.equal(request?.hostname, 'laptop-17');
    const approve = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/enrollment-requests/${request!.id}/approve`,
      headers: bearer(await t.adminToken()),
    });
    assert.equal(approve.statusCode, 200);
    const ack = await api.postReport(report);
    assert.equal(ack.reportId, report.reportId);
    assert.equal(ack.stored, true);
  });
});

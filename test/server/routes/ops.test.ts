import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CLOCK_SKEW_MS } from '../../../server/repositories/reports.js';
import { pruneOnce } from '../../../server/services/pruner.js';
import { bearer, createTestApp, finding, validHost, validReport } from '../helpers.js';

describe('health, metrics, rate limits, retention', () => {
  it('reports liveness, readiness and Prometheus metrics; readiness fails when the database is gone', async () => {
    const t = await createTestApp('sqlite');
    try {
      assert.deepEqual((await t.app.inject({ url: '/healthz' })).json(), { status: 'ok' });
      assert.deepEqual((await t.app.inject({ url: '/readyz' })).json(), { status: 'ready' });
      const d = await t.enroll();
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        headers: bearer(d.deviceToken),
        payload: validReport({ findings: [finding()] }),
      });
      const m = await t.app.inject({ url: '/metrics' });
      assert.equal(m.statusCode, 200);
      assert.match(m.headers['content-type'] as string, /^text\/plain/);
      assert.match(m.body, /appwacht_devices\{status="violation"\} 1/);
      assert.match(m.body, /appwacht_reports_total\{outcome="stored"\} 1/);
      assert.match(m.body, /appwacht_enrollments_total\{result="new"\} 1/);
      assert.match(m.body, /appwacht_policy_version 1/);
      assert.match(
        m.body,
        /appwacht_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/reports",status_code="201"\} 1/,
      );
    } finally {
      await t.close().catch(() => undefined);
    }
    // A second app in the same process gets its own registry (no "already registered" clash, no shared counts).
    const t2 = await createTestApp('sqlite');
    try {
      const m = await t2.app.inject({ url: '/metrics' });
      assert.doesNotMatch(m.body, /appwacht_reports_total\{outcome="stored"\} 1/);
      await t2.db.handle.close();
      const r = await t2.app.inject({ url: '/readyz' });
      assert.equal(r.statusCode, 503);
      assert.equal(r.json().code, 'NOT_READY');
    } finally {
      await t2.app.close();
      t2.db.cleanup().catch(() => undefined);
    }
  });

  it('rate-limits enrollment and login per client address with 429', async () => {
    const t = await createTestApp('sqlite', { APPWACHT_ENROLL_RATE_LIMIT: '3', APPWACHT_LOGIN_RATE_LIMIT: '2' });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/enroll',
          payload: { enrollmentSecret: t.secrets.enrollmentSecret, host: validHost() },
        });
        codes.push(res.statusCode);
        if (res.statusCode === 429) assert.equal(res.json().code, 'RATE_LIMITED');
      }
      assert.deepEqual(codes, [200, 200, 200, 429, 429]);
      assert.equal(await t.app.appwacht.repos.devices.count(), 3);
      // Another address has its own budget.
      const other = await t.app.inject({
        method: 'POST',
        url: '/api/v1/enroll',
        remoteAddress: '10.1.2.3',
        payload: { enrollmentSecret: t.secrets.enrollmentSecret, host: validHost() },
      });
      assert.equal(other.statusCode, 200);
      const logins = [];
      for (let i = 0; i < 3; i++) {
        logins.push(
          (
            await t.app.inject({
              method: 'POST',
              url: '/api/v1/admin/login',
              payload: { username: 'admin', password: 'wrong-password' },
            })
          ).statusCode,
        );
      }
      assert.deepEqual(logins, [401, 401, 429]);
    } finally {
      await t.close();
    }
  });

  it('prunes reports older than the retention but keeps the device state', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    const t = await createTestApp('sqlite', { APPWACHT_REPORT_RETENTION_DAYS: '30' }, () => now);
    try {
      const d = await t.enroll();
      const post = (scannedAt: number) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/reports',
          headers: bearer(d.deviceToken),
          payload: validReport({ scannedAt: new Date(scannedAt).toISOString(), findings: [finding()] }),
        });
      await post(now);
      now += 20 * 86_400_000;
      await post(now);
      now += 15 * 86_400_000; // the first report is now 35 days old, the second 15
      const pruned = await pruneOnce(t.app.appwacht);
      assert.equal(pruned.reports, 1);
      assert.equal(await t.app.appwacht.repos.reports.count(), 1);
      const dev = await t.app.appwacht.repos.devices.get(d.deviceId);
      assert.equal(dev?.status, 'violation');
      assert.equal(dev?.failing_since, Date.parse('2026-06-01T00:00:00Z'));
    } finally {
      await t.close();
    }
  });

  it('a scannedAt far ahead is cut back to minutes and cannot mask the genuine reports that follow', async () => {
    const t = await createTestApp('sqlite');
    try {
      const d = await t.enroll();
      const post = (r: ReturnType<typeof validReport>) =>
        t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: bearer(d.deviceToken), payload: r });
      // The review's case: a violation dated 23 h ahead, then the device's genuine compliant reports.
      const before = Date.now();
      const forged = validReport({
        scannedAt: new Date(before + 23 * 3600_000).toISOString(),
        findings: [finding('whatsapp')],
      });
      assert.equal((await post(forged)).statusCode, 201, 'stored, not refused: nothing is lost');
      const row = await t.app.appwacht.repos.reports.get(forged.reportId);
      assert.ok(row && row.scanned_at <= Date.now() + MAX_CLOCK_SKEW_MS, `scanned_at ${row?.scanned_at} is cut back`);
      assert.equal((JSON.parse(row.body) as { scannedAt: string }).scannedAt, forged.scannedAt, 'the body keeps the original');
      assert.equal((await t.app.appwacht.repos.devices.get(d.deviceId))?.status, 'violation');

      const genuine = validReport({ scannedAt: new Date().toISOString() });
      assert.equal((await post(genuine)).statusCode, 201);
      const dev = await t.app.appwacht.repos.devices.get(d.deviceId);
      assert.equal(dev?.status, 'compliant', 'the later report wins');
      assert.equal(dev?.last_report_id, genuine.reportId);
      assert.deepEqual(await t.app.appwacht.repos.devices.appsOf([d.deviceId]), []);
    } finally {
      await t.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { policyEtag, publicKeyFromBase64, verifyPayload } from '../../../protocol/signing.js';
import { Policy, SignedPolicy } from '../../../protocol/policy.js';
import { appTest, bearer, DIALECTS, finding, validReport } from '../helpers.js';

for (const dialect of DIALECTS) {
  describe(`agent API on ${dialect}`, () => {
    const withApp = appTest(dialect);

    withApp('enrolls, stores only the token hash, and re-enrolling the same machine makes no twin', async (t) => {
      const first = await t.enroll({ hostname: 'PC-1' });
      assert.match(first.deviceToken, /^awd_[A-Za-z0-9_-]{43}$/);
      const row = await t.db.handle.db
        .selectFrom('devices')
        .selectAll()
        .where('id', '=', first.deviceId)
        .executeTakeFirstOrThrow();
      assert.notEqual(row.token_hash, first.deviceToken);
      assert.ok(!JSON.stringify(row).includes(first.deviceToken.slice(4)), 'token must not be stored in clear');

      // Use the first token once, so it sits in the token cache when the machine re-enrolls.
      assert.equal(
        (await t.app.inject({ method: 'GET', url: '/api/v1/policy', headers: bearer(first.deviceToken) })).statusCode,
        200,
      );
      // Re-enrolling a known machine takes its current token (test/server/routes/reenroll.test.ts has the rest).
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/enroll',
        headers: bearer(first.deviceToken),
        payload: { enrollmentSecret: t.secrets.enrollmentSecret, host: { ...first.host, hostname: 'PC-1-renamed' } },
      });
      assert.equal(res.statusCode, 200, res.body);
      const again = res.json() as { deviceId: string; deviceToken: string };
      assert.equal(again.deviceId, first.deviceId);
      assert.notEqual(again.deviceToken, first.deviceToken);
      assert.equal(await t.app.appwacht.repos.devices.count(), 1);
      const renamed = await t.app.appwacht.repos.devices.get(first.deviceId);
      assert.equal(renamed?.hostname, 'PC-1-renamed');

      // The old token stops working at once.
      const old = await t.app.inject({ method: 'GET', url: '/api/v1/policy', headers: bearer(first.deviceToken) });
      assert.equal(old.statusCode, 401);
      const fresh = await t.app.inject({ method: 'GET', url: '/api/v1/policy', headers: bearer(again.deviceToken) });
      assert.equal(fresh.statusCode, 200);
      const audit = await t.app.appwacht.repos.audit.list({ limit: 10 });
      assert.deepEqual(
        audit.filter((a) => a.action.startsWith('device.')).map((a) => a.action),
        ['device.reenroll', 'device.enroll'],
      );
    });

    withApp('rejects a wrong enrollment secret with 403 and creates nothing', async (t) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/enroll',
        payload: { enrollmentSecret: 'x'.repeat(32), host: (await import('../helpers.js')).validHost() },
      });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().code, 'ENROLLMENT_SECRET_INVALID');
      assert.equal(await t.app.appwacht.repos.devices.count(), 0);
    });

    withApp('serves the signed policy with a strong ETag and answers 304 on a match', async (t) => {
      const { deviceToken } = await t.enroll();
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/policy', headers: bearer(deviceToken) });
      assert.equal(res.statusCode, 200);
      const etag = res.headers.etag as string;
      const signed = SignedPolicy.parse(res.json());
      assert.equal(etag, policyEtag(signed), 'the ETag is the hash of the signed bytes, as the agent computes it');
      const payload = verifyPayload(signed, publicKeyFromBase64(t.secrets.publicKey));
      const policy = Policy.parse(JSON.parse(payload));
      assert.equal(policy.version, 1);
      assert.equal(policy.organization.name, 'Stadtverwaltung Musterstadt');

      const same = await t.app.inject({
        method: 'GET',
        url: '/api/v1/policy',
        headers: { ...bearer(deviceToken), 'if-none-match': etag },
      });
      assert.equal(same.statusCode, 304);
      assert.equal(same.body, '');
      const listed = await t.app.inject({
        method: 'GET',
        url: '/api/v1/policy',
        headers: { ...bearer(deviceToken), 'if-none-match': `"other", ${etag}` },
      });
      assert.equal(listed.statusCode, 304);
      const stale = await t.app.inject({
        method: 'GET',
        url: '/api/v1/policy',
        headers: { ...bearer(deviceToken), 'if-none-match': '"v0-x"' },
      });
      assert.equal(stale.statusCode, 200);
      const noAuth = await t.app.inject({ method: 'GET', url: '/api/v1/policy' });
      assert.equal(noAuth.statusCode, 401);
      assert.deepEqual(Object.keys(noAuth.json()).sort(), ['code', 'message', 'statusCode']);
    });

    withApp('stores a report once, answers a replay with stored=false, and refuses the id from another device', async (t) => {
      const a = await t.enroll();
      const b = await t.enroll();
      const report = validReport({ findings: [finding('whatsapp')] });
      const first = await t.app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        headers: bearer(a.deviceToken),
        payload: report,
      });
      assert.equal(first.statusCode, 201);
      const { ladder, ...ack } = first.json() as { ladder?: { step: string } };
      assert.deepEqual(ack, { reportId: report.reportId, stored: true });
      // The fixture's deadline (2026-03-01) lies behind us: the answer says the device is past the block point.
      assert.equal(ladder?.step, 'blocked');
      const replay = await t.app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        headers: bearer(a.deviceToken),
        payload: report,
      });
      assert.equal(replay.statusCode, 200);
      assert.deepEqual(replay.json(), { reportId: report.reportId, stored: false });
      const foreign = await t.app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        headers: bearer(b.deviceToken),
        payload: report,
      });
      assert.equal(foreign.statusCode, 409);
      assert.equal(foreign.json().code, 'REPORT_ID_TAKEN');
      assert.equal(await t.app.appwacht.repos.reports.count(), 1);
      const stored = await t.app.appwacht.repos.reports.get(report.reportId);
      assert.equal(stored?.device_id, a.deviceId);
      const devB = await t.app.appwacht.repos.devices.get(b.deviceId);
      assert.equal(devB?.status, 'unknown', 'the refused report must not touch the other device');
    });

    withApp('folds reports into the current state; an older report stays history only', async (t) => {
      const { deviceId, deviceToken } = await t.enroll();
      const post = (r: ReturnType<typeof validReport>) =>
        t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: bearer(deviceToken), payload: r });
      const t0 = Date.parse('2026-04-01T08:00:00Z');
      const at = (min: number) => new Date(t0 + min * 60_000).toISOString();

      assert.equal((await post(validReport({ scannedAt: at(0) }))).statusCode, 201);
      let d = await t.app.appwacht.repos.devices.get(deviceId);
      assert.equal(d?.status, 'compliant');
      assert.equal(d?.failing_since, null);

      await post(validReport({ scannedAt: at(10), findings: [finding('whatsapp', { evidence: ['installed', 'running'] })] }));
      d = await t.app.appwacht.repos.devices.get(deviceId);
      assert.equal(d?.status, 'violation');
      assert.equal(d?.failing_since, t0 + 10 * 60_000);

      // Still failing later (snapchat added): failing_since stays at the first failing scan.
      await post(validReport({ scannedAt: at(20), findings: [finding('whatsapp'), finding('snapchat')] }));
      d = await t.app.appwacht.repos.devices.get(deviceId);
      assert.equal(d?.failing_since, t0 + 10 * 60_000);
      const apps = await t.app.appwacht.repos.devices.appsOf([deviceId]);
      assert.deepEqual(apps.map((a) => a.app_id).sort(), ['snapchat', 'whatsapp']);
      assert.equal(apps.find((a) => a.app_id === 'whatsapp')?.first_seen_at, t0 + 10 * 60_000);

      // A report whose scan time is older (the device clock stepped back) arrives later: it is the current state now.
      const stepped = validReport({ scannedAt: at(5), findings: [finding('whatsapp'), finding('snapchat')] });
      assert.equal((await post(stepped)).statusCode, 201);
      d = await t.app.appwacht.repos.devices.get(deviceId);
      assert.equal(d?.last_report_id, stepped.reportId);
      assert.equal(d?.last_scanned_at, t0 + 5 * 60_000);
      assert.equal(d?.failing_since, t0 + 10 * 60_000, 'still failing since the first failing scan');

      // Clean again.
      await post(validReport({ scannedAt: at(30), agentVersion: '0.2.0', policyVersion: 2 }));
      d = await t.app.appwacht.repos.devices.get(deviceId);
      assert.equal(d?.status, 'compliant');
      assert.equal(d?.failing_since, null);
      assert.equal(d?.agent_version, '0.2.0');
      assert.equal(d?.policy_version, 2);
      assert.deepEqual(await t.app.appwacht.repos.devices.appsOf([deviceId]), []);

      // Failing again: a new failing_since.
      await post(validReport({ scannedAt: at(40), findings: [finding('kik', { action: 'warn' })] }));
      d = await t.app.appwacht.repos.devices.get(deviceId);
      assert.equal(d?.status, 'warning');
      assert.equal(d?.failing_since, t0 + 40 * 60_000);
    });

    withApp('acknowledges concurrent reports from many devices, each stored exactly once (group commit)', async (t) => {
      const devices = await Promise.all(Array.from({ length: 20 }, () => t.enroll()));
      const reports = devices.flatMap((d) => Array.from({ length: 5 }, () => ({ d, r: validReport({ kind: 'heartbeat' }) })));
      const results = await Promise.all(
        reports.map(({ d, r }) =>
          t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: bearer(d.deviceToken), payload: r }),
        ),
      );
      assert.deepEqual(new Set(results.map((r) => r.statusCode)), new Set([201]));
      assert.equal(await t.app.appwacht.repos.reports.count(), 100);
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
      const batches = /appwacht_report_commit_batch_size_count (\d+)/.exec(metrics.body);
      assert.ok(batches, 'batch metric present');
      assert.ok(Number(batches[1]) < 100, `expected fewer transactions than reports, got ${batches[1]}`);
    });
  });
}

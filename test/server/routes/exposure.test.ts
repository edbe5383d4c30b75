/**
 * Issue 14 finding 8 (exposure): /metrics behind an optional bearer token, the enrollment secret on request,
 * hostile hostnames defused in the CSV export, and a way to retire or delete one device.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, bearer, createTestApp, validHost, validReport, type TestApp } from '../helpers.js';

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('/metrics with APPWACHT_METRICS_TOKEN', () => {
  let t: TestApp;
  before(async () => (t = await createTestApp('sqlite', { APPWACHT_METRICS_TOKEN: METRICS_TOKEN })));
  after(() => t.close());

  it('answers 401 without the token or with a wrong one, and the metrics with it', async () => {
    for (const headers of [{}, bearer('metrics-token-wrong-0000'), { authorization: METRICS_TOKEN }]) {
      const res = await t.app.inject({ url: '/metrics', headers });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.equal(res.json().code, 'UNAUTHORIZED');
      assert.doesNotMatch(res.body, /appwacht_/);
    }
    const ok = await t.app.inject({ url: '/metrics', headers: bearer(METRICS_TOKEN) });
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /appwacht_devices/);
  });

  it('refuses a short metrics token at start-up, naming the variable but not the value', async () => {
    await assert.rejects(createTestApp('sqlite', { APPWACHT_METRICS_TOKEN: 'short' }), (err: Error) => {
      assert.match(err.message, /APPWACHT_METRICS_TOKEN/);
      assert.doesNotMatch(err.message, /"short"/);
      return true;
    });
  });
});

describe('admin: enrollment secret, CSV export, retire and delete', () => {
  let t: TestApp;
  let token: string;
  before(async () => {
    t = await createTestApp('sqlite');
    token = await t.adminToken();
  });
  after(() => t.close());

  it('hands out the enrollment secret to an admin only, and audits every read', async () => {
    assert.equal((await t.app.inject({ url: '/api/v1/admin/enrollment-secret' })).statusCode, 401);
    const res = await t.app.inject({ url: '/api/v1/admin/enrollment-secret', headers: bearer(token) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().enrollmentSecret, t.secrets.enrollmentSecret);
    assert.equal(res.headers['cache-control'], 'no-store');
    const audit = await t.app.appwacht.repos.audit.list({ limit: 1, action: 'enrollment_secret.read' });
    assert.equal(audit.length, 1);
  });

  it('exports devices as CSV with formulas and control characters in hostnames and user names defused', async () => {
    const evil = await t.enroll({ hostname: '=HYPERLINK("http://evil.example","x")', osUser: '@SUM(1+1)\r\n-2' });
    await t.enroll({ hostname: 'PC-AMT-0001', osUser: 'CITY\\a.b' });
    const res = await t.app.inject({ url: '/api/v1/admin/devices.csv?sort=hostname&order=asc', headers: bearer(token) });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.match(String(res.headers['content-disposition']), /attachment/);
    const lines = res.body.replace(/^\ufeff/, '').split('\r\n');
    assert.equal(lines.at(-1), '', 'ends with CRLF');
    assert.match(lines[0]!, /^"id","hostname","os"/);
    const row = lines.find((l) => l.startsWith(`"${evil.deviceId}"`));
    assert.ok(row, res.body);
    assert.ok(row.includes(`"'=HYPERLINK(""http://evil.example"",""x"")"`), row);
    assert.ok(row.includes(`"'@SUM(1+1)\ufffd\ufffd-2"`), row);
    assert.equal(lines.length, 4, 'header, two devices, empty tail: the CR LF in the user name did not split the row');
    const unauth = await t.app.inject({ url: '/api/v1/admin/devices.csv' });
    assert.equal(unauth.statusCode, 401);
    const bad = await t.app.inject({ url: '/api/v1/admin/devices.csv?status=nope', headers: bearer(token) });
    assert.equal(bad.statusCode, 400);
  });

  it('exports more devices than one page (500) holds, each once', async () => {
    // Straight through the repository: 501 enrollments over HTTP would only make the test slow.
    const devices = t.app.appwacht.repos.devices;
    for (let i = 0; i < 501; i++) await devices.enroll(validHost({ hostname: `PAGE-${String(i).padStart(3, '0')}` }), `h${i}`, i);
    const res = await t.app.inject({
      url: '/api/v1/admin/devices.csv?hostname=PAGE-&sort=hostname&order=asc',
      headers: bearer(token),
    });
    const rows = res.body.split('\r\n').slice(1, -1);
    assert.equal(rows.length, 501);
    assert.equal(new Set(rows).size, 501);
    assert.match(rows[500]!, /"PAGE-500"/);
  });

  it('retires a device: its token dies at once, retiredAt is set, history stays, audited; twice is 409', async () => {
    const dev = await t.enroll({ hostname: 'PC-RETIRE' });
    const report = validReport();
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: bearer(dev.deviceToken), payload: report }))
        .statusCode,
      201,
    );
    const retire = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/devices/${dev.deviceId}/retire`,
      headers: bearer(token),
    });
    assert.equal(retire.statusCode, 204, retire.body);
    const after = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: bearer(dev.deviceToken),
      payload: validReport(),
    });
    assert.equal(after.statusCode, 401, 'the retired token still works (token cache?)');
    const row = await t.app.appwacht.repos.devices.get(dev.deviceId);
    assert.equal(typeof row?.retired_at, 'number');
    assert.ok(await t.app.appwacht.repos.reports.get(report.reportId), 'history stays');
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/devices/${dev.deviceId}/retire`,
      headers: bearer(token),
    });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'DEVICE_RETIRED');
    const audit = await t.app.appwacht.repos.audit.list({ limit: 1, action: 'device.retire' });
    assert.equal(audit[0]?.target, `device:${dev.deviceId}`);
    const csv = await t.app.inject({ url: '/api/v1/admin/devices.csv?hostname=PC-RETIRE', headers: bearer(token) });
    assert.match(csv.body, /"PC-RETIRE".*"\d{4}-\d\d-\d\dT[^"]+Z",""\r\n$/);
  });

  it('deletes a device with its history; its token dies; audited; unknown ids are 404', async () => {
    const dev = await t.enroll({ hostname: 'PC-DELETE' });
    const report = validReport();
    await t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: bearer(dev.deviceToken), payload: report });
    // Warm the token cache, so the test also proves the delete evicts it.
    assert.equal((await t.app.inject({ url: '/api/v1/policy', headers: bearer(dev.deviceToken) })).statusCode, 200);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/devices/${dev.deviceId}`, headers: bearer(token) });
    assert.equal(del.statusCode, 204, del.body);
    assert.equal(await t.app.appwacht.repos.devices.get(dev.deviceId), undefined);
    assert.equal(await t.app.appwacht.repos.reports.get(report.reportId), undefined);
    assert.equal((await t.app.inject({ url: '/api/v1/policy', headers: bearer(dev.deviceToken) })).statusCode, 401);
    const audit = await t.app.appwacht.repos.audit.list({ limit: 1, action: 'device.delete' });
    assert.equal(audit[0]?.target, `device:${dev.deviceId}`);
    const gone = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/devices/${dev.deviceId}`, headers: bearer(token) });
    assert.equal(gone.statusCode, 404);
    const junk = await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/devices/not-a-uuid', headers: bearer(token) });
    assert.equal(junk.statusCode, 400);
  });

  it('needs the CSRF token for retire and delete from a browser session', async () => {
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    const cookies = Object.fromEntries(login.cookies.map((c) => [c.name, c.value]));
    const dev = await t.enroll();
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/devices/${dev.deviceId}`, cookies });
    assert.equal(res.statusCode, 403);
    assert.ok(await t.app.appwacht.repos.devices.get(dev.deviceId));
  });
});

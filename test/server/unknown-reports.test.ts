/**
 * The server does not take the agent's word that a device is clean (issue 13): against the real server process
 * (SQLite file, HTTP), a report claiming compliant whose essential sources failed is stored as unknown, and one whose
 * only failed source is not essential stays compliant and keeps that source's error for the admin.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../protocol/index.js';
import { AdminApi, serverReports, startServer, tempDir, type ServerProcess } from '../e2e/helpers.js';
import { validHost, validReport } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let server: ServerProcess;
let admin: AdminApi;

before(async () => {
  tmp = await tempDir('appwacht-unknown-');
  server = await startServer(join(tmp.dir, 'server'));
  admin = await AdminApi.login(server.info.url);
});
after(async () => {
  await server?.stop();
  await tmp?.remove();
});

async function enroll(os: 'windows' | 'linux'): Promise<{ deviceId: string; token: string }> {
  const res = await fetch(`${server.info.url}/api/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enrollmentSecret: server.info.enrollmentSecret, host: validHost({ os }) }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { deviceId: string; deviceToken: string };
  return { deviceId: body.deviceId, token: body.deviceToken };
}

async function post(token: string, report: Report): Promise<void> {
  const res = await fetch(`${server.info.url}/api/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(report),
  });
  assert.equal(res.status, 201, await res.clone().text());
}

describe('reports the server classifies itself', () => {
  it('stores a report claiming compliant with every source failed as unknown (history row and device)', async () => {
    const { deviceId, token } = await enroll('windows');
    const report = validReport({
      sources: [
        { id: 'registry', ok: false, error: 'EACCES: reg.exe: access denied' },
        { id: 'appx', ok: false, error: 'TOOL_MISSING: powershell missing' },
        { id: 'processes', ok: false, error: 'EPERM: no process list' },
      ],
    });
    assert.equal(report.state.status, 'compliant', 'what the agent claims');
    await post(token, report);
    const device = await admin.device(deviceId);
    assert.equal(device.status, 'unknown');
    const stored = device.reports.items.find((r) => r.reportId === report.reportId)!;
    assert.equal(stored.status, 'unknown');
    assert.equal((stored.report as Report).state.status, 'compliant', 'the body keeps what the agent claimed');
    assert.equal(serverReports(join(tmp.dir, 'server')).find((r) => r.id === report.reportId)?.status, 'unknown');
    const filtered = (await fetchDevices('unknown')).map((d) => d.id);
    assert.ok(filtered.includes(deviceId), 'filterable as unknown');
  });

  it('stores a report that lists no source at all as unknown', async () => {
    const { deviceId, token } = await enroll('linux');
    await post(token, validReport({ sources: [] }));
    assert.equal((await admin.device(deviceId)).status, 'unknown');
  });

  it('keeps a violation a violation although an essential source failed (the app was seen)', async () => {
    const { deviceId, token } = await enroll('windows');
    const report = validReport({
      findings: [
        {
          ruleId: 'ban-whatsapp',
          appId: 'whatsapp',
          name: 'WhatsApp',
          action: 'ban',
          deadline: '2026-03-01T00:00:00Z',
          evidence: ['installed'],
          installs: [{ source: 'appx', scope: 'user', name: 'WhatsApp', matchedBy: 'appxName' }],
          processes: [],
        },
      ],
      sources: [
        { id: 'registry', ok: false, error: 'EXIT: HKLM\\SOFTWARE\\…\\Uninstall (EXIT: Access is denied.)' },
        { id: 'appx', ok: true },
      ],
    });
    await post(token, report);
    assert.equal((await admin.device(deviceId)).status, 'violation');
  });

  it('keeps a report compliant when only a non-essential source failed, and shows that source’s error', async () => {
    const { deviceId, token } = await enroll('linux');
    const report = validReport({
      sources: [
        { id: 'dpkg', ok: true },
        { id: 'rpm', ok: true },
        { id: 'flatpak', ok: true },
        { id: 'snap', ok: false, error: 'EACCES: /snap cannot be listed' },
        { id: 'appimage', ok: true },
        { id: 'desktop-entry', ok: true },
      ],
    });
    await post(token, report);
    const device = await admin.device(deviceId);
    assert.equal(device.status, 'compliant');
    const stored = device.reports.items.find((r) => r.reportId === report.reportId)!;
    assert.equal(stored.status, 'compliant');
    const snap = (stored.report as Report).sources.find((s) => s.id === 'snap');
    assert.deepEqual(snap, { id: 'snap', ok: false, error: 'EACCES: /snap cannot be listed' });
  });

  it('stores a Linux report without its per-user places (flatpak missing) as unknown', async () => {
    const { deviceId, token } = await enroll('linux');
    await post(
      token,
      validReport({
        sources: ['dpkg', 'rpm', 'appimage', 'desktop-entry'].map((id) => ({ id, ok: true })),
      }),
    );
    assert.equal((await admin.device(deviceId)).status, 'unknown');
  });
});

async function fetchDevices(status: string): Promise<{ id: string }[]> {
  // The admin API's own filter: devices whose scans could not tell are listed apart.
  const res = await fetch(`${admin.url}/api/v1/admin/devices?status=${status}`, {
    headers: { authorization: `Bearer ${(admin as unknown as { token: string }).token}` },
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { items: { id: string }[] }).items;
}

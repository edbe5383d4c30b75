/**
 * The update feed (issue 11) over real HTTP: the files electron-updater's generic provider fetches
 * (/updates/<channel>/latest*.yml, then the installer it names, checked against the index's sha512, as electron-updater
 * does), hostile names refused, a broken index reported to the admin instead of breaking the overview, and the agent
 * versions the fleet runs. The app side (electron-updater in the tray app) cannot run here: no Electron.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Policy, publicKeyFromBase64, UPDATE_SIGNATURE_HEADER, verifyPayload, verifyUpdateIndex } from '../../protocol/index.js';
import { bearer, createTestApp, publishPolicyWith } from './helpers.js';

async function publish(dataDir: string, channel: string, files: Record<string, string | Buffer>) {
  const dir = join(dataDir, 'updates', channel);
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
}

const installer = Buffer.from('stand-in installer bytes '.repeat(1000));
const sha512 = createHash('sha512').update(installer).digest('base64');
const index = (version: string, url: string) =>
  `version: ${version}\nfiles:\n  - url: ${url}\n    sha512: ${sha512}\n    size: ${installer.length}\npath: ${url}\nsha512: ${sha512}\nreleaseDate: '2026-12-05T12:00:00.000Z'\n`;

describe('update feed', () => {
  it('serves the index and the installer it names, verifiable like electron-updater does', async () => {
    const t = await createTestApp('sqlite');
    try {
      await publish(t.dataDir, 'stable', {
        'latest.yml': index('0.2.0', 'Appwacht-Setup-0.2.0.exe'),
        'Appwacht-Setup-0.2.0.exe': installer,
      });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}/updates/stable`;
      const res = await fetch(`${base}/latest.yml`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^text\/yaml/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      const info = parse(await res.text()) as { version: string; path: string; sha512: string };
      assert.equal(info.version, '0.2.0');
      const file = await fetch(`${base}/${info.path}`);
      assert.equal(file.status, 200);
      const bytes = Buffer.from(await file.arrayBuffer());
      assert.equal(createHash('sha512').update(bytes).digest('base64'), info.sha512);
      assert.equal(file.headers.get('content-length'), String(installer.length));
      // The index is signed with the policy key (what the machine agent's update client requires); installers are not.
      const signed = await fetch(`${base}/latest.yml`);
      const indexBytes = Buffer.from(await signed.arrayBuffer());
      const check = (channel: string) =>
        verifyUpdateIndex(
          channel,
          'latest.yml',
          indexBytes,
          signed.headers.get(UPDATE_SIGNATURE_HEADER),
          publicKeyFromBase64(t.secrets.publicKey),
        );
      check('stable');
      assert.throws(() => check('beta'), /does not verify/, 'bound to its channel');
      assert.equal(file.headers.get(UPDATE_SIGNATURE_HEADER), null);
    } finally {
      await t.close();
    }
  });

  it('refuses names outside the feed: traversal, hidden files, folders, unknown channels', async () => {
    const t = await createTestApp('sqlite');
    try {
      await publish(t.dataDir, 'stable', { 'latest.yml': index('0.2.0', 'a.exe'), '.secret': 'x' });
      await writeFile(join(t.dataDir, 'outside.txt'), 'not for the feed');
      for (const url of [
        '/updates/stable/..%2F..%2Foutside.txt',
        '/updates/stable/%2e%2e',
        '/updates/../outside.txt',
        '/updates/stable/.secret',
        '/updates/Stable/latest.yml',
        '/updates/beta/latest.yml',
        '/updates/stable/a.exe',
        `/updates/stable/${'a'.repeat(300)}`,
      ]) {
        const res = await t.app.inject({ method: 'GET', url });
        // 404; a name past the server's URL limit is refused before routing (414).
        assert.ok([404, 414].includes(res.statusCode), `${url} → ${res.statusCode}`);
        assert.doesNotMatch(res.body, /not for the feed/);
      }
    } finally {
      await t.close();
    }
  });

  it('tells the admin what each channel offers (and what is broken) and which versions the fleet runs', async () => {
    const t = await createTestApp('sqlite');
    try {
      await publish(t.dataDir, 'stable', {
        'latest.yml': index('0.2.0', 'Appwacht-Setup-0.2.0.exe'),
        'Appwacht-Setup-0.2.0.exe': installer,
        'latest-linux.yml': index('0.2.0', 'appwacht_0.2.0_amd64.deb'), // the deb was not copied
        'latest-mac.yml': ': not yaml : [',
      });
      await t.enroll({ agentVersion: '0.1.0', os: 'windows' });
      await t.enroll({ agentVersion: '0.1.0', os: 'windows' });
      await t.enroll({ agentVersion: '0.2.0', os: 'windows' });
      await t.enroll({ agentVersion: '0.1.0', os: 'linux' });
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/updates', headers: bearer(await t.adminToken()) });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as {
        releases: { channel: string; os: string; version?: string; problem?: string }[];
        fleet: { agentVersion: string; os: string; devices: number }[];
      };
      const byOs = Object.fromEntries(body.releases.map((r) => [r.os, r]));
      assert.equal(byOs.windows!.version, '0.2.0');
      assert.equal(byOs.windows!.problem, undefined);
      assert.match(byOs.linux!.problem!, /appwacht_0\.2\.0_amd64\.deb/);
      assert.match(byOs.macos!.problem!, /cannot be read/);
      assert.deepEqual(body.fleet, [
        { agentVersion: '0.1.0', os: 'linux', devices: 1 },
        { agentVersion: '0.1.0', os: 'windows', devices: 2 },
        { agentVersion: '0.2.0', os: 'windows', devices: 1 },
      ]);
      const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/admin/updates' });
      assert.equal(anonymous.statusCode, 401);
    } finally {
      await t.close();
    }
  });

  it('the policy editor accepts an updates block and signs it for the agents; a bad one is refused with 400', async () => {
    const t = await createTestApp('sqlite');
    try {
      const updates = { enabled: true, channel: 'stable', checkEveryHours: 6, installWindow: { from: '22:00', to: '05:00' } };
      const created = await publishPolicyWith(t, { updates });
      assert.equal(created.statusCode, 201, created.body);
      const payload = verifyPayload(created.json().signed, publicKeyFromBase64(t.secrets.publicKey));
      assert.deepEqual(Policy.parse(JSON.parse(payload)).updates, updates);
      for (const bad of [
        { ...updates, channel: '../stable' },
        { ...updates, channel: 'Stable' },
        { ...updates, checkEveryHours: 0 },
        { ...updates, installWindow: { from: '22:00', to: '22:00' } },
        { ...updates, installWindow: { from: '24:00', to: '05:00' } },
        { ...updates, url: 'https://elsewhere.example/' },
      ]) {
        const res = await publishPolicyWith(t, { updates: bad });
        assert.equal(res.statusCode, 400, JSON.stringify(bad));
      }
    } finally {
      await t.close();
    }
  });
});

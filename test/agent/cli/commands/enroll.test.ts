/**
 * `appwacht enroll` against a STAND-IN server (test/helpers/stand-in-server.ts: protocol-faithful, not server/; the
 * end-to-end test with the real server comes later), real HTTP, real files in temp folders.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lang } from '../../../../protocol/index.js';
import { createEnrollCommand } from '../../../../agent/cli/commands/enroll.js';
import type { CliContext, OptionValues } from '../../../../agent/cli/command.js';
import { resolveConfig } from '../../../../agent/config/resolve.js';
import { startStandInServer, type StandInServer } from '../../../helpers/stand-in-server.js';

const FIXTURES = new URL('../../../fixtures/config/', import.meta.url).pathname;
const KEY = 'ThwClyJZOnPHW5+krOmaaP6t+uITGrD10lFy6p+ZQaU=';
const host = {
  hostname: 'laptop-17',
  os: 'linux' as const,
  osVersion: 'Debian 12',
  osUser: 'erika',
  agentVersion: '0.1.0',
  machineId: 'd'.repeat(64),
};

let home: string;
let server: StandInServer;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'appwacht-cli-enroll-'));
  server = await startStandInServer();
});
afterEach(async () => {
  await server.close();
  await rm(home, { recursive: true, force: true });
});

const stateDir = () => join(home, 'state');
const settingsFile = () => join(home, '.config', 'appwacht', 'settings.json');

async function runEnroll(values: OptionValues, { lang = 'en' as Lang, env = {} as NodeJS.ProcessEnv, root = home } = {}) {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    lang,
    env: { APPWACHT_STATE_DIR: stateDir(), ...env },
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    signal: new AbortController().signal,
  };
  // Managed settings are read below `root` (a fixture or an empty folder), never from this machine's /etc.
  const command = createEnrollCommand({
    resolve: (o) => resolveConfig({ ...o, os: 'linux', root, home, user: 'erika' }),
    hostFacts: async () => host,
  });
  const code = await command.run(values, ctx);
  return { code, out, err };
}

describe('appwacht enroll', () => {
  it(
    'refuses a state folder others can write to (0777, owned by nobody when root) before asking the server for a token',
    { skip: process.platform === 'win32' ? 'POSIX owners and modes do not apply on Windows' : false },
    async () => {
      await mkdir(stateDir());
      if (process.geteuid?.() === 0) await chown(stateDir(), 65534, 65534);
      await chmod(stateDir(), 0o777);
      await assert.rejects(runEnroll({ server: server.url, secret: server.secret, 'policy-key': KEY }), {
        code: 'STATE_FOLDER_UNSAFE',
      });
      assert.equal(server.devices.size, 0, 'no token was handed out');
      await assert.rejects(stat(join(stateDir(), 'device.json')), { code: 'ENOENT' });
    },
  );

  it('enrolls, stores the token owner-only, and saves server and key (never the secret) on an unmanaged device', async () => {
    const { code, out } = await runEnroll({ server: server.url, secret: server.secret, 'policy-key': KEY });
    assert.equal(code, 0);
    const [device] = [...server.devices.values()];
    assert.ok(device);
    assert.equal(
      out,
      `Enrolled: this device is registered with ${server.url} as ${device.deviceId}.\nServer settings saved to ${settingsFile()}.\n`,
    );
    const token = join(stateDir(), 'device.json');
    assert.equal(JSON.parse(await readFile(token, 'utf8')).deviceId, device.deviceId);
    if (process.platform !== 'win32') assert.equal((await stat(token)).mode & 0o777, 0o600);
    const saved = JSON.parse(await readFile(settingsFile(), 'utf8'));
    assert.deepEqual(saved, { serverUrl: server.url, policyPublicKey: KEY });
  });

  it('takes the secret from APPWACHT_ENROLLMENT_SECRET, answers in German, and notes a missing policy key', async () => {
    const { code, out } = await runEnroll(
      { server: server.url },
      { lang: 'de', env: { APPWACHT_ENROLLMENT_SECRET: server.secret } },
    );
    assert.equal(code, 0);
    assert.match(out, /^Angemeldet: dieses Gerät ist bei http:\/\/127\.0\.0\.1:\d+ als [0-9a-f-]{36} registriert\.$/m);
    assert.match(out, /kein Richtlinienschlüssel/);
  });

  it('--json', async () => {
    const { out } = await runEnroll({ server: server.url, secret: server.secret, json: true });
    const json = JSON.parse(out);
    assert.equal(json.serverUrl, server.url);
    assert.deepEqual(json.savedSettings, ['serverUrl']);
    assert.equal(json.policyKeySet, false);
    assert.equal(json.tokenFile, join(stateDir(), 'device.json'));
  });

  it('a refused secret: exit 2, says so, no token stored', async () => {
    const { code, err } = await runEnroll({ server: server.url, secret: 'definitely-the-wrong-secret' });
    assert.equal(code, 2);
    assert.match(err, /The server refused the enrollment .*BAD_SECRET.* \[UNAUTHORIZED\]/);
    await assert.rejects(stat(join(stateDir(), 'device.json')), { code: 'ENOENT' });
    await assert.rejects(stat(settingsFile()), { code: 'ENOENT' }, 'nothing saved after a failure');
  });

  it('the server is down: exit 2, says to try later', async () => {
    const url = server.url;
    await server.close();
    const { code, err } = await runEnroll({ server: url, secret: 'some-secret-long-enough' }, { lang: 'de' });
    assert.equal(code, 2);
    assert.match(err, /Server nicht erreichbar .*ECONNREFUSED.* \[UNAVAILABLE\]/);
  });

  it('a managed device refuses --server (IT pins it) with a usage error', async () => {
    await assert.rejects(
      runEnroll({ server: server.url, secret: server.secret }, { root: join(FIXTURES, 'linux', 'root') }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'USAGE');
        assert.match(err.message, /managed by IT \(server https:\/\/appwacht\.stadt\.example\); --server cannot be changed here/);
        return true;
      },
    );
    assert.equal(server.requests.length, 0);
  });

  it('without a server or a secret: usage errors that say what to give', async () => {
    await assert.rejects(runEnroll({ secret: server.secret }), { code: 'USAGE', message: /no server: give --server URL/ });
    await assert.rejects(runEnroll({ server: server.url }), { code: 'USAGE', message: /no enrollment secret/ });
  });

  it('a bad flag value is a config error naming the flag', async () => {
    await assert.rejects(runEnroll({ server: 'appwacht.example', secret: server.secret }), {
      code: 'CONFIG_INVALID',
      message: /--server \(command line\): must be an http\(s\) URL/,
    });
  });
});

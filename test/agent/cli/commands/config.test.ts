import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lang } from '../../../../protocol/index.js';
import { createConfigCommand } from '../../../../agent/cli/commands/config.js';
import type { CliContext } from '../../../../agent/cli/command.js';
import { resolveConfig } from '../../../../agent/config/resolve.js';

const FIXTURES = new URL('../../../fixtures/config/', import.meta.url).pathname;
const SECRET = 'user-secret-that-must-not-show-1234';

let home: string;
before(async () => {
  home = await mkdtemp(join(tmpdir(), 'appwacht-cli-config-'));
  await mkdir(join(home, '.config', 'appwacht'), { recursive: true });
  await writeFile(
    join(home, '.config', 'appwacht', 'settings.json'),
    JSON.stringify({ policyPublicKey: 'ThwClyJZOnPHW5+krOmaaP6t+uITGrD10lFy6p+ZQaU=', logLevel: 'debug', typo: 1 }),
  );
});
after(() => rm(home, { recursive: true, force: true }));

/** Managed settings come from the Linux fixture root, not from this machine's /etc. */
const command = (root = join(FIXTURES, 'linux', 'root')) =>
  createConfigCommand((options) => resolveConfig({ ...options, os: 'linux', root, home, user: 'erika' }));

async function runConfig(args: { json?: boolean }, lang: Lang, env: NodeJS.ProcessEnv = {}, root?: string) {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    lang,
    env,
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    signal: new AbortController().signal,
  };
  const code = await command(root).run(args, ctx);
  return { code, out, err };
}

describe('appwacht config', () => {
  it('shows each value with its origin, masks secrets, lists what IT pinned (English)', async () => {
    const { code, out } = await runConfig({}, 'en', { APPWACHT_ENROLLMENT_SECRET: SECRET });
    assert.equal(code, 0);
    assert.match(out, /Managed by IT: yes/);
    assert.match(
      out,
      /serverUrl\s+https:\/\/appwacht\.stadt\.example\s+← managed by IT \(computer\): .*etc\/appwacht\/config\.json/,
    );
    assert.match(out, /policyPublicKey\s+WITb0w5Bsj\/xkaQDQZBKITnrBW1yKRdpo7Oyda9Opy8= \(key id [0-9a-f]{16}\)/);
    assert.match(out, /enrollmentSecret\s+\*{8} \(36\)\s+← managed by IT/, 'the managed secret wins over the variable');
    assert.ok(!out.includes('ansible-rolled-out-secret'), 'the secret itself is never printed');
    assert.ok(!out.includes(SECRET));
    assert.match(out, /logLevel\s+debug\s+← user settings: .*settings\.json/);
    assert.match(out, /stateDir\s+.*\.local\/state\/appwacht\s+← default/);
    assert.match(out, /language\s+\(not set: system locale → (de|en)\)/);
    assert.match(out, /Not used \(pinned by IT\):\n\s+policyPublicKey\s+← user settings: /);
    assert.match(out, /Warnings:\n\s+.*unknown setting "typo" ignored/);
  });

  it('speaks German', async () => {
    const { out } = await runConfig({}, 'de');
    assert.match(out, /Verwaltet von der IT: ja/);
    assert.match(out, /← von der IT \(Computer\)/);
    assert.match(out, /unbekannte Einstellung "typo" ignoriert/);
    assert.match(out, /Datei der Benutzereinstellungen: /);
  });

  it('--json gives values, sources and masked secrets', async () => {
    const { out } = await runConfig({ json: true }, 'en', { APPWACHT_LOG_LEVEL: 'warn' });
    const json = JSON.parse(out);
    assert.equal(json.managed, true);
    assert.deepEqual(json.values.logLevel, { value: 'warn', source: 'env', from: 'APPWACHT_LOG_LEVEL' });
    assert.equal(json.values.enrollmentSecret.value, '******** (36)');
    assert.deepEqual(json.values.caFile, { value: null, source: null, from: null });
    assert.deepEqual(json.ignored, [
      { key: 'policyPublicKey', source: 'user', from: join(home, '.config', 'appwacht', 'settings.json') },
    ]);
  });

  it('an unmanaged machine: user values count', async () => {
    const { out } = await runConfig({ json: true }, 'en', { APPWACHT_SERVER_URL: 'https://mine.example' }, home);
    const json = JSON.parse(out);
    assert.equal(json.managed, false);
    assert.equal(json.values.serverUrl.value, 'https://mine.example');
    assert.equal(json.values.policyPublicKey.source, 'user');
  });

  it('a bad value fails with the key and its source', async () => {
    await assert.rejects(runConfig({}, 'en', { APPWACHT_PROXY: 'not a url' }, home), {
      code: 'CONFIG_INVALID',
      message: /APPWACHT_PROXY \(environment\): must be an http\(s\) URL of the proxy/,
    });
  });
});

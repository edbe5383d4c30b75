import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../../agent/config/resolve.js';
import { updateUserSettings, userSettingsPath } from '../../../agent/config/user-settings.js';
import { readManagedWindows, expandEnvironmentStrings } from '../../../agent/config/managed.windows.js';
import { SourceError } from '../../../agent/errors.js';
import type { RunOptions } from '../../../agent/inventory/exec.js';

const FIXTURES = new URL('../../fixtures/config/', import.meta.url).pathname;
const KEY_A = 'WITb0w5Bsj/xkaQDQZBKITnrBW1yKRdpo7Oyda9Opy8=';
const KEY_B = 'ThwClyJZOnPHW5+krOmaaP6t+uITGrD10lFy6p+ZQaU=';

let home: string;
before(async () => {
  home = await mkdtemp(join(tmpdir(), 'appwacht-config-'));
});
after(() => rm(home, { recursive: true, force: true }));

async function writeSettings(os: 'linux' | 'macos' | 'windows', json: unknown, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const path = userSettingsPath(os, env, home);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
}

describe('resolveConfig() on Linux (real files)', () => {
  it('reads /etc/appwacht/config.json below the root, the user file, the environment and flags', async () => {
    await writeSettings('linux', { serverUrl: 'https://mine.example', language: 'en', policyPublicKey: KEY_B });
    const resolved = await resolveConfig({
      os: 'linux',
      root: join(FIXTURES, 'linux', 'root'),
      home,
      env: { APPWACHT_LOG_LEVEL: 'debug' },
      cli: { enrollmentSecret: 'typed-on-the-command-line-0123' },
      user: 'erika',
    });
    assert.equal(resolved.managed, true);
    assert.equal(resolved.config.serverUrl, 'https://appwacht.stadt.example');
    assert.deepEqual(resolved.origins.serverUrl, {
      source: 'managed-machine',
      label: join(FIXTURES, 'linux', 'root', 'etc', 'appwacht', 'config.json'),
    });
    assert.equal(resolved.config.policyPublicKey, KEY_A);
    assert.equal(resolved.config.proxy, 'http://proxy.stadt.example:3128');
    assert.equal(resolved.config.enrollmentSecret, 'ansible-rolled-out-secret-0123456789', 'managed beats the flag');
    assert.equal(resolved.config.language, 'en');
    assert.equal(resolved.origins.language?.source, 'user');
    assert.equal(resolved.config.logLevel, 'debug');
    assert.equal(resolved.config.stateDir, join(home, '.local', 'state', 'appwacht'));
    assert.deepEqual(
      resolved.ignored.map((i) => `${i.key}:${i.source}`),
      ['serverUrl:user', 'policyPublicKey:user'],
    );
    assert.equal(resolved.settingsFile, join(home, '.config', 'appwacht', 'settings.json'));
  });

  it('an environment state folder override is reported as such', async () => {
    const resolved = await resolveConfig({
      os: 'linux',
      root: home,
      home,
      env: { APPWACHT_STATE_DIR: 'rel/state' },
      cwd: '/srv',
    });
    assert.equal(resolved.config.stateDir, '/srv/rel/state', 'relative paths from the shell are taken from the working folder');
    assert.equal(resolved.origins.stateDir?.source, 'env');
  });

  it('a broken managed file is an error naming the file, even for the background agent', async () => {
    const root = await mkdtemp(join(tmpdir(), 'appwacht-config-root-'));
    try {
      await mkdir(join(root, 'etc', 'appwacht'), { recursive: true });
      await writeFile(join(root, 'etc', 'appwacht', 'config.json'), '{ "serverUrl": ');
      await assert.rejects(
        resolveConfig({ os: 'linux', root, home, env: {}, tolerateUserErrors: true }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'CONFIG_MALFORMED');
          assert.match(err.message, /etc\/appwacht\/config\.json is not valid JSON/);
          return true;
        },
      );
      await writeFile(join(root, 'etc', 'appwacht', 'config.json'), '["serverUrl"]');
      await assert.rejects(resolveConfig({ os: 'linux', root, home, env: {} }), { message: /must hold a JSON object/ });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a broken user file stops an interactive command but not the background agent', async () => {
    const path = await writeSettings('linux', '{ this is not json');
    await assert.rejects(resolveConfig({ os: 'linux', root: home, home, env: {} }), { code: 'CONFIG_MALFORMED' });
    const tolerant = await resolveConfig({ os: 'linux', root: home, home, env: {}, tolerateUserErrors: true });
    assert.ok(tolerant.warnings.some(({ en: w }) => w.includes(path) && w.endsWith('(file ignored)')));
    await rm(path);
  });

  it('a user settings file with a BOM (Notepad) is read', async () => {
    await writeSettings('linux', '\uFEFF{"language":"de"}');
    const resolved = await resolveConfig({ os: 'linux', root: home, home, env: {} });
    assert.equal(resolved.config.language, 'de');
  });
});

describe('resolveConfig() on macOS (real plist files: XML for the computer, binary for the user)', () => {
  it('reads both managed preference files; computer-level beats user-level', async () => {
    await writeSettings('macos', { serverUrl: 'https://mine.example', caFile: '/Users/erika/ca.pem', logLevel: 'warn' });
    const resolved = await resolveConfig({ os: 'macos', root: join(FIXTURES, 'macos', 'root'), home, env: {}, user: 'erika' });
    assert.equal(resolved.managed, true);
    assert.equal(resolved.config.serverUrl, 'https://appwacht.stadt.example');
    assert.match(resolved.origins.serverUrl!.label, /Managed Preferences\/de\.appwacht\.agent\.plist$/);
    assert.equal(resolved.config.caFile, '/Library/Application Support/Appwacht/stadt-root-ca.pem');
    assert.equal(resolved.config.enrollmentSecret, 'mdm-user-secret-0123456789abcdef');
    assert.equal(resolved.origins.enrollmentSecret?.source, 'managed-user');
    assert.match(resolved.origins.enrollmentSecret!.label, /Managed Preferences\/erika\/de\.appwacht\.agent\.plist$/);
    assert.equal(resolved.config.language, 'de');
    assert.equal(resolved.config.logLevel, 'warn');
    assert.ok(resolved.warnings.some(({ en: w }) => w.includes('unknown setting "FutureSetting"')));
    assert.deepEqual(resolved.ignored.map((i) => i.key).sort(), ['caFile', 'serverUrl']);
    assert.equal(resolved.config.stateDir, join(home, 'Library', 'Application Support', 'Appwacht'));
  });

  it('another user does not get erika’s managed preferences', async () => {
    const resolved = await resolveConfig({ os: 'macos', root: join(FIXTURES, 'macos', 'root'), home, env: {}, user: 'max' });
    assert.equal(resolved.config.enrollmentSecret, undefined);
  });

  it('a managed file that is not a property list is an error naming the file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'appwacht-config-mac-'));
    try {
      const dir = join(root, 'Library', 'Managed Preferences');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'de.appwacht.agent.plist'), 'ServerUrl = https://x');
      await assert.rejects(resolveConfig({ os: 'macos', root, home, env: {}, user: 'erika' }), {
        code: 'CONFIG_MALFORMED',
        message: /de\.appwacht\.agent\.plist: neither an XML nor a binary property list/,
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

/**
 * reg.exe does not exist here: a FAKE runner answers with reg.exe-format text from test/fixtures/config/windows and
 * records the exact commands, which the tests assert.
 */
function fakeReg(answers: Record<string, string | Error>) {
  const calls: string[] = [];
  const run = async (file: string, args: readonly string[], _options?: RunOptions) => {
    calls.push([file, ...args].join(' '));
    const answer = answers[args[1]!];
    if (answer === undefined) throw new Error(`unexpected reg query ${args[1]}`);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { run, calls };
}
const fixture = (name: string) => readFile(join(FIXTURES, 'windows', name), 'utf8');

describe('resolveConfig() on Windows (fake reg runner)', () => {
  it('reads HKLM and HKCU SOFTWARE\\Policies\\Appwacht with the exact reg.exe commands', async () => {
    const reg = fakeReg({
      'HKLM\\SOFTWARE\\Policies': await fixture('hklm-policies.txt'),
      'HKLM\\SOFTWARE\\Policies\\Appwacht': await fixture('hklm-appwacht.txt'),
      'HKCU\\SOFTWARE\\Policies': await fixture('hkcu-policies.txt'),
    });
    const env = { ProgramData: 'C:\\ProgramData', SystemRoot: 'C:\\Windows', APPDATA: join(home, 'Roaming') };
    const resolved = await resolveConfig({ os: 'windows', home, env, run: reg.run, user: 'erika' });
    assert.deepEqual(reg.calls, [
      'C:\\Windows\\System32\\reg.exe query HKLM\\SOFTWARE\\Policies /reg:64',
      'C:\\Windows\\System32\\reg.exe query HKLM\\SOFTWARE\\Policies\\Appwacht /reg:64',
      'C:\\Windows\\System32\\reg.exe query HKCU\\SOFTWARE\\Policies /reg:64',
    ]);
    assert.equal(resolved.config.serverUrl, 'https://appwacht.stadt.example');
    assert.deepEqual(resolved.origins.serverUrl, { source: 'managed-machine', label: 'HKLM\\SOFTWARE\\Policies\\Appwacht' });
    assert.equal(resolved.config.policyPublicKey, KEY_A);
    assert.equal(resolved.config.caFile, 'C:\\ProgramData\\Appwacht\\stadt-root-ca.pem', 'REG_EXPAND_SZ is expanded');
    assert.equal(resolved.config.enrollmentSecret, 'gpo-rolled-out-secret-0123456789');
    assert.equal(resolved.settingsFile, join(home, 'Roaming', 'Appwacht', 'settings.json'));
  });

  it('a REG_DWORD where a string belongs is an error naming the value and the key', async () => {
    const reg = fakeReg({
      'HKLM\\SOFTWARE\\Policies': await fixture('hkcu-policies.txt'), // HKLM has no Appwacht key here
      'HKCU\\SOFTWARE\\Policies': (await fixture('hkcu-policies.txt')) + 'HKEY_CURRENT_USER\\SOFTWARE\\Policies\\Appwacht\r\n',
      'HKCU\\SOFTWARE\\Policies\\Appwacht': await fixture('hkcu-appwacht-bad.txt'),
    });
    await assert.rejects(resolveConfig({ os: 'windows', home, env: { SystemRoot: 'C:\\Windows' }, run: reg.run }), {
      code: 'CONFIG_INVALID',
      message: /LogLevel in HKCU\\SOFTWARE\\Policies\\Appwacht: must be a string, not object/,
    });
  });

  it('no Appwacht key in either hive: no managed settings, nothing else queried', async () => {
    const reg = fakeReg({
      'HKLM\\SOFTWARE\\Policies': '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\r\n',
      'HKCU\\SOFTWARE\\Policies': await fixture('hkcu-policies.txt'),
    });
    const resolved = await resolveConfig({ os: 'windows', home, env: {}, run: reg.run });
    assert.equal(resolved.managed, false);
    assert.equal(reg.calls.length, 2);
  });

  it('fails closed when reg.exe fails: the user’s settings must not take over', async () => {
    const reg = fakeReg({ 'HKLM\\SOFTWARE\\Policies': new SourceError('TIMEOUT', 'reg.exe did not finish within 15000 ms') });
    await assert.rejects(readManagedWindows({ run: reg.run, systemRoot: 'C:\\Windows' }), {
      code: 'CONFIG_UNREADABLE',
      message: /cannot read managed settings HKLM\\SOFTWARE\\Policies: reg\.exe did not finish/,
    });
  });

  it('expandEnvironmentStrings() expands known variables case-insensitively and keeps unknown ones', () => {
    assert.equal(
      expandEnvironmentStrings('%PROGRAMDATA%\\x\\%Missing%\\%programdata%', { ProgramData: 'C:\\PD' }),
      'C:\\PD\\x\\%Missing%\\C:\\PD',
    );
  });
});

describe('updateUserSettings()', () => {
  it('sets and removes keys, keeps the others, and writes the file owner-only', async () => {
    const path = join(home, 'u1', 'settings.json');
    await updateUserSettings(path, { serverUrl: 'https://a.example', language: 'de' });
    await updateUserSettings(path, { serverUrl: 'https://b.example', language: undefined });
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { serverUrl: 'https://b.example' });
    if (process.platform !== 'win32') assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('refuses to overwrite a file it cannot read as JSON', async () => {
    const path = join(home, 'u2', 'settings.json');
    await mkdir(join(home, 'u2'));
    await writeFile(path, 'hand-written notes');
    await assert.rejects(updateUserSettings(path, { language: 'de' }), {
      code: 'CONFIG_MALFORMED',
      message: /will not overwrite/,
    });
    assert.equal(await readFile(path, 'utf8'), 'hand-written notes');
  });
});

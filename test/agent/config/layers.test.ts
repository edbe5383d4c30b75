import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../agent/config/schema.js';
import { mergeLayers, type ConfigLayer, type ConfigSourceKind } from '../../../agent/config/layers.js';

const KEY_A = 'WITb0w5Bsj/xkaQDQZBKITnrBW1yKRdpo7Oyda9Opy8=';
const KEY_B = 'ThwClyJZOnPHW5+krOmaaP6t+uITGrD10lFy6p+ZQaU=';
const defaults = { stateDir: '/home/u/.local/state/appwacht', logLevel: 'info' as const };

const layer = (kind: ConfigSourceKind, values: ConfigLayer['values'], label: string = kind): ConfigLayer => ({
  kind,
  label,
  values,
});

describe('mergeLayers(): precedence', () => {
  const cases: {
    name: string;
    layers: ConfigLayer[];
    expect: Record<string, [value: string | undefined, source?: ConfigSourceKind]>;
    managed?: boolean;
    ignored?: string[];
  }[] = [
    {
      name: 'defaults only',
      layers: [],
      expect: { stateDir: [defaults.stateDir, 'default'], logLevel: ['info', 'default'], serverUrl: [undefined] },
      managed: false,
    },
    {
      name: 'user file < environment < command line (unmanaged)',
      layers: [
        layer('user', { serverUrl: 'https://user.example', language: 'de', logLevel: 'warn' }),
        layer('env', { serverUrl: 'https://env.example', language: 'en' }),
        layer('cli', { serverUrl: 'https://cli.example' }),
      ],
      expect: {
        serverUrl: ['https://cli.example', 'cli'],
        language: ['en', 'env'],
        logLevel: ['warn', 'user'],
      },
      managed: false,
    },
    {
      name: 'an unmanaged agent takes the policy key, CA file and proxy from the user',
      layers: [
        layer('user', { serverUrl: 'https://user.example', policyPublicKey: KEY_B, caFile: '/u/ca.pem', proxy: 'http://p:3128' }),
      ],
      expect: { policyPublicKey: [KEY_B, 'user'], caFile: ['/u/ca.pem', 'user'], proxy: ['http://p:3128', 'user'] },
      managed: false,
    },
    {
      name: 'machine policy > user policy > command line',
      layers: [
        layer('cli', { language: 'en', logLevel: 'debug' }),
        layer('managed-user', { language: 'de', logLevel: 'warn' }),
        layer('managed-machine', { logLevel: 'error' }),
      ],
      expect: { language: ['de', 'managed-user'], logLevel: ['error', 'managed-machine'] },
    },
    {
      name: 'a managed agent takes pinned keys only from managed sources; user values are listed as ignored',
      layers: [
        layer('managed-machine', { serverUrl: 'https://it.example', policyPublicKey: KEY_A }),
        layer('user', { policyPublicKey: KEY_B, caFile: '/home/u/mitm-ca.pem', proxy: 'http://127.0.0.1:8080', language: 'en' }),
        layer('cli', { serverUrl: 'https://evil.example', enrollmentSecret: 'a-secret-typed-by-the-user' }),
      ],
      expect: {
        serverUrl: ['https://it.example', 'managed-machine'],
        policyPublicKey: [KEY_A, 'managed-machine'],
        caFile: [undefined],
        proxy: [undefined],
        // Not pinned: a secret only buys a token from the server IT set; language is the user's.
        enrollmentSecret: ['a-secret-typed-by-the-user', 'cli'],
        language: ['en', 'user'],
      },
      managed: true,
      ignored: ['serverUrl:cli', 'policyPublicKey:user', 'caFile:user', 'proxy:user'],
    },
    {
      name: 'a managed policy key alone is enough to pin the server URL',
      layers: [layer('managed-user', { policyPublicKey: KEY_A }), layer('env', { serverUrl: 'https://elsewhere.example' })],
      expect: { serverUrl: [undefined], policyPublicKey: [KEY_A, 'managed-user'] },
      managed: true,
      ignored: ['serverUrl:env'],
    },
    {
      name: 'managed settings that name neither server nor key do not pin anything',
      layers: [layer('managed-machine', { language: 'de' }), layer('user', { serverUrl: 'https://user.example' })],
      expect: { serverUrl: ['https://user.example', 'user'], language: ['de', 'managed-machine'] },
      managed: false,
    },
    {
      name: 'empty values count as unset (an empty registry value, an empty variable)',
      layers: [layer('managed-machine', { language: '' }), layer('env', { language: '  ' }), layer('user', { language: 'en' })],
      expect: { language: ['en', 'user'] },
    },
    {
      name: 'values are normalised: trimmed, server URL without trailing slash',
      layers: [layer('user', { serverUrl: ' https://it.example/appwacht/ ' })],
      expect: { serverUrl: ['https://it.example/appwacht', 'user'] },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const result = mergeLayers(c.layers, defaults);
      for (const [key, [value, source]] of Object.entries(c.expect)) {
        assert.equal((result.config as unknown as Record<string, unknown>)[key], value, `${key} value`);
        assert.equal(result.origins[key as keyof typeof result.origins]?.source, source, `${key} source`);
      }
      if (c.managed !== undefined) assert.equal(result.managed, c.managed);
      assert.deepEqual(result.ignored.map((i) => `${i.key}:${i.source}`).sort(), (c.ignored ?? []).sort());
    });
  }

  it('names the environment variable and the flag as the origin', () => {
    const result = mergeLayers(
      [layer('env', { serverUrl: 'https://a.example' }), layer('cli', { enrollmentSecret: 's'.repeat(16) })],
      defaults,
    );
    assert.equal(result.origins.serverUrl?.label, 'APPWACHT_SERVER_URL');
    assert.equal(result.origins.enrollmentSecret?.label, '--secret');
  });
});

describe('mergeLayers(): validation', () => {
  it('throws one ConfigError naming every bad key and its source', () => {
    assert.throws(
      () =>
        mergeLayers(
          [
            layer(
              'managed-machine',
              { policyPublicKey: 'not-a-key', serverUrl: 'ftp://x' },
              'HKLM\\SOFTWARE\\Policies\\Appwacht',
            ),
            layer('env', { logLevel: 'verbose' }),
            layer(
              'user',
              { caFile: 'relative/ca.pem', enrollmentSecret: 'short', language: 'fr' },
              '/home/u/.config/appwacht/settings.json',
            ),
            layer('cli', { proxy: 'not a url' }),
          ],
          defaults,
        ),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'CONFIG_INVALID');
        const lines = err.message
          .split('\n')
          .slice(1)
          .map((l) => l.trim());
        assert.deepEqual(lines, [
          'ServerUrl in HKLM\\SOFTWARE\\Policies\\Appwacht: must be an http(s) URL of the Appwacht server, e.g. https://appwacht.intranet.example',
          'PolicyPublicKey in HKLM\\SOFTWARE\\Policies\\Appwacht: must be the base64 of a raw 32-byte Ed25519 public key (44 characters)',
          'APPWACHT_LOG_LEVEL (environment): must be one of "debug", "info", "warn", "error"',
          'enrollmentSecret in /home/u/.config/appwacht/settings.json: must be at least 16 characters',
          'caFile in /home/u/.config/appwacht/settings.json: must be an absolute path',
          'language in /home/u/.config/appwacht/settings.json: must be one of "de", "en"',
          '--proxy (command line): must be an http(s) URL of the proxy, e.g. https://appwacht.intranet.example',
        ]);
        return true;
      },
    );
  });

  it('rejects values that are not strings, saying what they are', () => {
    assert.throws(() => mergeLayers([layer('user', { serverUrl: 42, language: null }, 'settings.json')], defaults), {
      message:
        /serverUrl in settings\.json: must be a string, not number\n\s+language in settings\.json: must be a string, not null/,
    });
  });

  it('with tolerateUserErrors drops bad user values with a warning but still throws for bad managed values', () => {
    const result = mergeLayers(
      [
        layer('managed-machine', { serverUrl: 'https://it.example', policyPublicKey: KEY_A }),
        layer('user', { logLevel: 'loud' }, 'settings.json'),
      ],
      defaults,
      { tolerateUserErrors: true },
    );
    assert.equal(result.config.logLevel, 'info');
    assert.ok(result.warnings.some(({ en: w }) => /logLevel in settings\.json: .* \(value ignored\)/.test(w)));

    assert.throws(() => mergeLayers([layer('managed-machine', { serverUrl: 'nope' })], defaults, { tolerateUserErrors: true }), {
      code: 'CONFIG_INVALID',
    });
  });

  it('warns about unknown settings, a server without a policy key, and plain http', () => {
    const result = mergeLayers(
      [{ kind: 'user', label: 'settings.json', values: { serverUrl: 'http://it.example' }, unknown: ['serverURL2'] }],
      defaults,
    );
    assert.equal(result.warnings.length, 3);
    assert.match(result.warnings[0]!.en, /settings\.json: unknown setting "serverURL2" ignored/);
    assert.match(result.warnings[1]!.en, /policyPublicKey is not/);
    assert.match(result.warnings[2]!.en, /plain http/);
  });
});

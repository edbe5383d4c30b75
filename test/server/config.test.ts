import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../server/config.js';
import { ConfigError } from '../../server/errors.js';
import { tempDir } from './helpers.js';

describe('loadConfig()', () => {
  it('defaults to a loopback SQLite server in ./data', () => {
    const c = loadConfig({}, [], '/srv/appwacht');
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8080);
    assert.equal(c.dataDir, '/srv/appwacht/data');
    assert.deepEqual(c.database, { kind: 'sqlite', file: '/srv/appwacht/data/appwacht.sqlite', synchronous: 'full' });
    assert.equal(c.tls, null);
    assert.equal(c.retention.reportDays, 180);
    assert.equal(c.trustProxy, false);
  });

  it('switches to PostgreSQL with DATABASE_URL and lets flags override the environment', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@db/appwacht', PORT: '9000' }, [
      '--port',
      '0',
      '--data-dir',
      '/var/lib/aw',
    ]);
    assert.equal(c.database.kind, 'postgres');
    assert.equal(c.port, 0);
    assert.equal(c.dataDir, '/var/lib/aw');
  });

  it('parses trust proxy as boolean, hop count or address list', () => {
    assert.equal(loadConfig({ APPWACHT_TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ APPWACHT_TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ APPWACHT_TRUST_PROXY: '10.0.0.1, 10.0.0.0/8' }).trustProxy, ['10.0.0.1', '10.0.0.0/8']);
  });

  const bad: [string, Record<string, string>, string[], RegExp][] = [
    ['port not a number', { PORT: 'eighty' }, [], /^PORT: must be a whole number \(got "eighty"\)/],
    ['port out of range', { PORT: '70000' }, [], /^PORT: .*65535/],
    ['mysql url', { DATABASE_URL: 'mysql://x' }, [], /^DATABASE_URL: must be a postgres:\/\//],
    ['retention zero', { APPWACHT_REPORT_RETENTION_DAYS: '0' }, [], /^APPWACHT_REPORT_RETENTION_DAYS: /],
    ['only a cert', { APPWACHT_TLS_CERT: '/nope.pem' }, [], /^APPWACHT_TLS_CERT \/ APPWACHT_TLS_KEY: set both/],
    [
      'missing cert file',
      { APPWACHT_TLS_CERT: '/nope/cert.pem', APPWACHT_TLS_KEY: '/nope/key.pem' },
      [],
      /^APPWACHT_TLS_CERT: cannot read \/nope\/cert.pem \(ENOENT\)/,
    ],
    [
      'short admin password',
      { APPWACHT_ADMIN_PASSWORD: 'short' },
      [],
      /^APPWACHT_ADMIN_PASSWORD: must be at least 12 characters$/,
    ],
    ['unknown sync mode', { APPWACHT_SQLITE_SYNCHRONOUS: 'off' }, [], /^APPWACHT_SQLITE_SYNCHRONOUS: /],
    ['unknown flag', {}, ['--prot', '1'], /^command line: .*--port/],
    ['bad log level', { APPWACHT_LOG_LEVEL: 'loud' }, [], /^APPWACHT_LOG_LEVEL: /],
  ];
  for (const [name, env, argv, expected] of bad) {
    it(`names the variable when ${name}`, () => {
      assert.throws(
        () => loadConfig(env, argv),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.ok(
            err.problems.some((p) => expected.test(p)),
            `${JSON.stringify(err.problems)} should match ${expected}`,
          );
          return true;
        },
      );
    });
  }

  it('reports every problem at once and never echoes a password or database URL', () => {
    try {
      loadConfig({ PORT: 'x', APPWACHT_ADMIN_PASSWORD: 'hunter2', DATABASE_URL: 'mysql://root:s3cret@x' });
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 3);
      assert.ok(!err.message.includes('hunter2'));
      assert.ok(!err.message.includes('s3cret'));
    }
  });

  it('refuses TLS files that are not PEM', () => {
    const tmp = tempDir();
    try {
      writeFileSync(join(tmp.dir, 'cert.pem'), 'hello');
      writeFileSync(join(tmp.dir, 'key.pem'), 'world');
      assert.throws(
        () => loadConfig({ APPWACHT_TLS_CERT: join(tmp.dir, 'cert.pem'), APPWACHT_TLS_KEY: join(tmp.dir, 'key.pem') }),
        (err: ConfigError) => err.problems.length === 2 && /not a PEM certificate/.test(err.problems[0]!),
      );
    } finally {
      tmp.remove();
    }
  });
});

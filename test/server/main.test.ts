import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import pg from 'pg';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ServerInfo } from '../../server/start.js';
import { startServer } from '../../server/start.js';
import { makeTestPki, type TestPki } from '../helpers/tls-certs.js';
import {
  ADMIN_PASSWORD,
  FIXTURE_POLICY,
  PG_URL,
  postgresUnavailable,
  tempDir,
  testConfig,
  validHost,
  validReport,
} from './helpers.js';

const ROOT = new URL('../../', import.meta.url).pathname;

interface Spawned {
  child: ChildProcess;
  info: ServerInfo;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Spawns `server/main.ts` the way the agent's end-to-end test will, and waits for the ready line on stdout. */
function spawnServer(dataDir: string, env: Record<string, string> = {}): Promise<Spawned> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    env: {
      ...process.env,
      APPWACHT_INITIAL_POLICY: FIXTURE_POLICY,
      APPWACHT_ADMIN_PASSWORD: ADMIN_PASSWORD,
      APPWACHT_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not get ready: ${stderr}`)), 120_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('{"appwacht":"ready"')) return;
      clearTimeout(timer);
      const info = JSON.parse(line) as ServerInfo;
      // stderr is another pipe: give the banner written just before the ready line a moment to arrive.
      const settle = (n: number) =>
        stderr.includes('Appwacht server listening') || n === 0
          ? resolve({ child, info, stderr: () => stderr, exit })
          : setTimeout(() => settle(n - 1), 20);
      settle(100);
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
}

describe('npm run server (server/main.ts as a process)', () => {
  it('starts on SQLite, prints the ready line, keeps its identity across restarts and stops cleanly on SIGTERM', async () => {
    const tmp = tempDir();
    try {
      const s = await spawnServer(tmp.dir);
      assert.match(s.info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(s.info.database, 'sqlite');
      assert.equal(s.info.policyVersion, 1);
      assert.match(s.stderr(), /Enrollment secret \/ Registrierungsgeheimnis: /);
      assert.match(s.stderr(), /First admin \/ Erster Admin: admin {2}\(password from APPWACHT_ADMIN_PASSWORD\)/);
      const onDisk = JSON.parse(readFileSync(join(tmp.dir, 'server.json'), 'utf8')) as ServerInfo;
      assert.equal(onDisk.url, s.info.url);
      for (const f of ['policy-signing-key.pem', 'enrollment-secret', 'session-secret', 'server.json']) {
        assert.equal(statSync(join(tmp.dir, f)).mode & 0o777, 0o600, f);
      }
      assert.equal(statSync(tmp.dir).mode & 0o077, 0, 'data folder is owner-only');

      // Real socket: health, enroll, report.
      assert.equal((await fetch(`${s.info.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${s.info.url}/readyz`)).status, 200);
      const enroll = await fetch(`${s.info.url}/api/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ enrollmentSecret: s.info.enrollmentSecret, host: validHost() }),
      });
      assert.equal(enroll.status, 200);
      const { deviceToken } = (await enroll.json()) as { deviceToken: string };
      const report = await fetch(`${s.info.url}/api/v1/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${deviceToken}` },
        body: JSON.stringify(validReport()),
      });
      assert.equal(report.status, 201);

      // Huge headers are refused by Node's parser before any route runs.
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${s.info.url}/healthz`, { headers: { 'x-big': 'a'.repeat(20_000) } }, (res) =>
          resolve(res.statusCode ?? 0),
        );
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 431);

      s.child.kill('SIGTERM');
      assert.equal(await s.exit, 0);

      const again = await spawnServer(tmp.dir);
      assert.equal(again.info.publicKey, s.info.publicKey);
      assert.doesNotMatch(again.stderr(), /First admin/, 'the admin is announced only on the first start');
      // The enrollment secret too (issue 14 finding 8): stdout and stderr often end up in a journal others read.
      assert.ok(s.info.enrollmentSecret);
      assert.equal(again.info.enrollmentSecret, undefined);
      assert.ok(!again.stderr().includes(s.info.enrollmentSecret), 'the banner repeats the secret');
      assert.match(again.stderr(), /Enrollment secret: not shown again/);
      assert.ok(!readFileSync(join(tmp.dir, 'server.json'), 'utf8').includes(s.info.enrollmentSecret));
      again.child.kill('SIGTERM');
      assert.equal(await again.exit, 0);
      // …unless asked for.
      const asked = await spawnServer(tmp.dir, { APPWACHT_PRINT_ENROLLMENT_SECRET: 'true' });
      assert.equal(asked.info.enrollmentSecret, s.info.enrollmentSecret);
      asked.child.kill('SIGTERM');
      assert.equal(await asked.exit, 0);
    } finally {
      tmp.remove();
    }
  });

  it('exits with code 2 and names the variable on bad configuration', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: 'eighty', APPWACHT_REPORT_RETENTION_DAYS: '-3' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /PORT: must be a whole number \(got "eighty"\)/);
    assert.match(r.stderr, /APPWACHT_REPORT_RETENTION_DAYS: /);
  });

  it('exits with code 2 when the initial policy file is not a valid policy', () => {
    const tmp = tempDir();
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts', '--port', '0', '--data-dir', tmp.dir], {
        cwd: ROOT,
        env: { ...process.env, APPWACHT_INITIAL_POLICY: join(ROOT, 'package.json') },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /APPWACHT_INITIAL_POLICY: .*package\.json is not a valid policy/);
    } finally {
      tmp.remove();
    }
  });

  it('runs the same server on PostgreSQL when DATABASE_URL says so', async (t) => {
    const why = await postgresUnavailable();
    if (why) return t.skip(why);
    const schema = `aw_main_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const tmp = tempDir();
    try {
      const url = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const s = await spawnServer(tmp.dir, { DATABASE_URL: url });
      assert.equal(s.info.database, 'postgres');
      assert.equal((await fetch(`${s.info.url}/readyz`)).status, 200);
      assert.ok(!existsSync(join(tmp.dir, 'appwacht.sqlite')), 'no SQLite file when running on PostgreSQL');
      const tables = await admin.query(`select count(*)::int as n from information_schema.tables where table_schema = $1`, [
        schema,
      ]);
      assert.ok(tables.rows[0].n >= 8);
      s.child.kill('SIGTERM');
      assert.equal(await s.exit, 0);
    } finally {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
      tmp.remove();
    }
  });
});

describe('TLS', () => {
  it('serves HTTPS with the configured certificate and marks the session cookie Secure', async (t) => {
    const tmp = tempDir();
    try {
      let pki: TestPki;
      try {
        pki = await makeTestPki(tmp.dir);
      } catch (err) {
        return t.skip(`openssl cannot make a test certificate: ${(err as Error).message}`);
      }
      const server = await startServer(
        testConfig(join(tmp.dir, 'data'), { APPWACHT_TLS_CERT: pki.serverCertFile, APPWACHT_TLS_KEY: pki.serverKeyFile }),
        {
          logger: false,
        },
      );
      try {
        assert.match(server.info.url, /^https:\/\//);
        const dispatcher = new Agent({ connect: { ca: pki.caCert } });
        const res = await undiciFetch(`${server.info.url}/api/v1/admin/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
          dispatcher,
        });
        assert.equal(res.status, 200);
        const cookies = res.headers.getSetCookie();
        const session = cookies.find((c) => c.startsWith('appwacht_session='));
        assert.ok(session && /; Secure/i.test(session) && /HttpOnly/i.test(session) && /SameSite=Strict/i.test(session), session);
        await dispatcher.close();
      } finally {
        await server.close();
      }
    } finally {
      tmp.remove();
    }
  });
});

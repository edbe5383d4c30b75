/**
 * Shared test setup for the server: a real SQLite file in a temp dir, or a fresh PostgreSQL schema
 * (127.0.0.1:5432, user postgres, database test) that is dropped afterwards. Kysely's own tests do the same:
 * one body, run once per dialect.
 */
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import type { HostFacts } from '../../protocol/enrollment.js';
import type { Report } from '../../protocol/report.js';
import { buildApp } from '../../server/app.js';
import { loadConfig, type ServerConfig } from '../../server/config.js';
import { openDatabase, type DatabaseHandle, type DialectName } from '../../server/db/connect.js';
import { migrateToLatest } from '../../server/db/migrations/index.js';
import { bootstrapDatabase, loadOrCreateSecrets, type ServerSecrets } from '../../server/services/bootstrap.js';

export const DIALECTS: DialectName[] = ['sqlite', 'postgres'];
export const PG_URL = process.env.APPWACHT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const FIXTURE_POLICY = new URL('../fixtures/server/default-policy.json', import.meta.url).pathname;
export const ADMIN_PASSWORD = 'correct horse battery staple';

let pgReachable: Promise<string | null> | null = null;
/** null when reachable, otherwise the reason (for t.skip). */
export function postgresUnavailable(): Promise<string | null> {
  pgReachable ??= (async () => {
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.query('select 1');
      return null;
    } catch (err) {
      return `PostgreSQL not reachable at ${PG_URL}: ${(err as Error).message}`;
    } finally {
      await c.end().catch(() => undefined);
    }
  })();
  return pgReachable;
}

export interface TestDb {
  handle: DatabaseHandle;
  dialect: DialectName;
  /** For postgres: the schema; for sqlite: the file. */
  where: string;
  cleanup(): Promise<void>;
}

export function tempDir(prefix = 'appwacht-server-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function createTestDb(dialect: DialectName, opts: { migrate?: boolean; dataDir?: string } = {}): Promise<TestDb> {
  let db: TestDb;
  if (dialect === 'sqlite') {
    const tmp = opts.dataDir ? null : tempDir();
    const file = join(opts.dataDir ?? tmp!.dir, 'appwacht.sqlite');
    // NORMAL keeps the test suite fast; durability under FULL is what the SIGKILL test exercises.
    const handle = openDatabase({ kind: 'sqlite', file, synchronous: 'normal' });
    db = {
      handle,
      dialect,
      where: file,
      cleanup: async () => {
        await handle.close();
        tmp?.remove();
      },
    };
  } else {
    const schema = `aw_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const handle = openDatabase({ kind: 'postgres', url: PG_URL, poolMax: 4, searchPath: schema });
    db = {
      handle,
      dialect,
      where: schema,
      cleanup: async () => {
        await handle.close();
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop schema ${schema} cascade`);
        await c.end();
      },
    };
  }
  if (opts.migrate !== false) await migrateToLatest(db.handle.db as never, dialect);
  return db;
}

export function testConfig(dataDir: string, env: Record<string, string> = {}): ServerConfig {
  return loadConfig({
    APPWACHT_DATA_DIR: dataDir,
    APPWACHT_INITIAL_POLICY: FIXTURE_POLICY,
    APPWACHT_ADMIN_PASSWORD: ADMIN_PASSWORD,
    APPWACHT_LOG_LEVEL: 'silent',
    APPWACHT_SQLITE_SYNCHRONOUS: 'normal',
    PORT: '0',
    ...env,
  });
}

export interface TestApp {
  app: FastifyInstance;
  db: TestDb;
  config: ServerConfig;
  secrets: ServerSecrets;
  dataDir: string;
  /** Enrolls a fresh device and returns its id and token. */
  enroll(host?: Partial<HostFacts>): Promise<{ deviceId: string; deviceToken: string; host: HostFacts }>;
  /** An admin API token (created directly, as an admin would through the API). */
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

export async function createTestApp(
  dialect: DialectName = 'sqlite',
  env: Record<string, string> = {},
  now?: () => number,
): Promise<TestApp> {
  const tmp = tempDir();
  const config = testConfig(tmp.dir, env);
  const secrets = loadOrCreateSecrets(tmp.dir);
  const db = await createTestDb(dialect, { migrate: false, dataDir: tmp.dir });
  await bootstrapDatabase(db.handle, config, secrets, now);
  const app = await buildApp(config, { handle: db.handle, secrets, logger: false, ...(now ? { now } : {}) });
  let token: string | null = null;
  const t: TestApp = {
    app,
    db,
    config,
    secrets,
    dataDir: tmp.dir,
    async enroll(host = {}) {
      const h = validHost(host);
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/enroll',
        payload: { enrollmentSecret: secrets.enrollmentSecret, host: h },
      });
      if (res.statusCode !== 200) throw new Error(`enroll failed: ${res.statusCode} ${res.body}`);
      return { ...(res.json() as { deviceId: string; deviceToken: string }), host: h };
    },
    async adminToken() {
      if (token) return token;
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/admin/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      });
      if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
      const cookies = Object.fromEntries(login.cookies.map((c) => [c.name, c.value]));
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/admin/tokens',
        cookies,
        headers: { 'x-csrf-token': (login.json() as { csrfToken: string }).csrfToken },
        payload: { name: 'tests' },
      });
      if (res.statusCode !== 201) throw new Error(`token failed: ${res.body}`);
      token = (res.json() as { token: string }).token;
      return token;
    },
    async close() {
      await app.close();
      await db.cleanup();
      tmp.remove();
    },
  };
  return t;
}

/**
 * `it()` with a fresh fixture on `dialect`, closed afterwards; on PostgreSQL the test skips (saying why) when no server
 * is reachable. One copy of the per-dialect scaffold the tests share.
 */
function freshTest<T>(dialect: DialectName, open: () => Promise<T>, close: (t: T) => Promise<void>) {
  return (name: string, fn: (t: T) => Promise<void>) =>
    it(name, async (ctx) => {
      if (dialect === 'postgres') {
        const why = await postgresUnavailable();
        if (why) return ctx.skip(why);
      }
      const t = await open();
      try {
        await fn(t);
      } finally {
        await close(t);
      }
    });
}

/** A fresh app (with these environment variables). */
export const appTest = (dialect: DialectName, env: Record<string, string> = {}) =>
  freshTest(
    dialect,
    () => createTestApp(dialect, env),
    (t) => t.close(),
  );

/** A fresh migrated database. */
export const dbTest = (dialect: DialectName) =>
  freshTest(
    dialect,
    () => createTestDb(dialect),
    (t) => t.cleanup(),
  );

export function machineId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

export function validHost(over: Partial<HostFacts> = {}): HostFacts {
  return {
    hostname: 'PC-AMT-0042',
    os: 'windows',
    osVersion: '10.0.22631',
    osUser: 'CITY\\m.muster',
    agentVersion: '0.1.0',
    machineId: machineId(randomUUID()),
    ...over,
  };
}

export function finding(app = 'whatsapp', over: Partial<Report['findings'][number]> = {}): Report['findings'][number] {
  return {
    ruleId: `ban-${app}`,
    appId: app,
    name: app === 'whatsapp' ? 'WhatsApp' : app,
    action: 'ban',
    deadline: '2026-03-01T00:00:00Z',
    evidence: ['installed'],
    installs: [{ source: 'appx', scope: 'user', name: 'WhatsApp', version: '2.2406.1.0', matchedBy: 'appxName' }],
    processes: [],
    ...over,
  };
}

export function validReport(over: Partial<Report> = {}): Report {
  const findings = over.findings ?? [];
  const status =
    over.state?.status ?? (findings.some((f) => f.action === 'ban') ? 'violation' : findings.length ? 'warning' : 'compliant');
  return {
    reportId: randomUUID(),
    kind: 'change',
    scannedAt: new Date().toISOString(),
    agentVersion: '0.1.0',
    policyVersion: 1,
    state:
      status === 'compliant'
        ? { status, pastDeadline: false, daysPastDeadline: 0 }
        : { status, deadline: '2026-03-01T00:00:00Z', pastDeadline: false, daysPastDeadline: 0 },
    findings,
    // The essential sources of the default host's OS (windows): anything less is stored as unknown (protocol/coverage.ts).
    sources: [
      { id: 'registry', ok: true },
      { id: 'appx', ok: true },
    ],
    ...over,
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * Publishes the current policy again with `changes` through the admin API, as the dashboard's editor does (a draft of
 * the current version without what the server assigns); returns the answer.
 */
export async function publishPolicyWith(t: TestApp, changes: Record<string, unknown>) {
  const headers = bearer(await t.adminToken());
  const current = (await t.app.inject({ method: 'GET', url: '/api/v1/admin/policies', headers })).json() as {
    items: { version: number }[];
  };
  const latest = (
    await t.app.inject({ method: 'GET', url: `/api/v1/admin/policies/${current.items[0]!.version}`, headers })
  ).json() as {
    policy: Record<string, unknown>;
  };
  const { version: _v, issuedAt: _i, expiresAt: _e, ...draft } = latest.policy;
  return t.app.inject({ method: 'POST', url: '/api/v1/admin/policies', headers, payload: { ...draft, ...changes } });
}

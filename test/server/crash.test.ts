/**
 * SIGKILL during a report load: a real server process under concurrent report traffic is killed at a random moment,
 * restarted on the same data, and the database must hold every report that was acknowledged with a 2xx, with each
 * device's current state derived from its newest stored report (no half-applied batch). Several rounds per dialect.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Pool } from 'undici';
import type { Report } from '../../protocol/report.js';
import { call, enrollDevices, type EnrolledDevice } from '../../bench/server-client.js';
import { reportFor, type Profile } from '../../bench/server-payloads.js';
import { spawnAppwachtServer, type Spawned } from '../../bench/server-process.js';
import type { ServerInfo } from '../../server/start.js';
import { ADMIN_PASSWORD, FIXTURE_POLICY, PG_URL, postgresUnavailable, tempDir } from './helpers.js';

const DEVICES = 12;
const CLIENTS = 6;
const PROFILES: Profile[] = ['compliant', 'violation', 'warning'];

interface Acked {
  deviceId: string;
  status: Report['state']['status'];
  scannedAt: number;
}

/** What the database holds, read around the server (SQLite file or PostgreSQL schema). */
interface Stored {
  reports: { id: string; device_id: string; status: string; scanned_at: number; body: string }[];
  devices: {
    id: string;
    status: string;
    last_report_id: string | null;
    last_scanned_at: number | null;
    failing_since: number | null;
  }[];
  apps: { device_id: string; rule_id: string }[];
  integrity: string;
}

function readSqlite(file: string): Stored {
  const db = new SQLite(file, { readonly: true });
  try {
    return {
      reports: db.prepare('select id, device_id, status, scanned_at, body from reports').all() as Stored['reports'],
      devices: db
        .prepare('select id, status, last_report_id, last_scanned_at, failing_since from devices')
        .all() as Stored['devices'],
      apps: db.prepare('select device_id, rule_id from device_apps').all() as Stored['apps'],
      integrity: (db.pragma('integrity_check', { simple: true }) as string) ?? '?',
    };
  } finally {
    db.close();
  }
}

async function readPostgres(schema: string): Promise<Stored> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`set search_path to ${schema}`);
    const num = <T extends Record<string, unknown>>(rows: T[], ...cols: (keyof T)[]) =>
      rows.map((r) => ({ ...r, ...Object.fromEntries(cols.map((k) => [k, r[k] === null ? null : Number(r[k])])) }));
    return {
      reports: num((await c.query('select id, device_id, status, scanned_at, body from reports')).rows, 'scanned_at'),
      devices: num(
        (await c.query('select id, status, last_report_id, last_scanned_at, failing_since from devices')).rows,
        'last_scanned_at',
        'failing_since',
      ),
      apps: (await c.query('select device_id, rule_id from device_apps')).rows,
      integrity: 'ok',
    };
  } finally {
    await c.end();
  }
}

/**
 * Every acknowledged report is stored; every stored row is whole; every device's state is its newest stored report.
 * Reports in flight at the kill may or may not be stored — both are fine, but whichever it is must be consistent.
 */
function assertConsistent(stored: Stored, acked: Map<string, Acked>, round: number): void {
  assert.equal(stored.integrity, 'ok', `round ${round}: integrity_check`);
  const byId = new Map(stored.reports.map((r) => [r.id, r]));
  const missing = [...acked.keys()].filter((id) => !byId.has(id));
  assert.deepEqual(missing, [], `round ${round}: acknowledged reports lost after SIGKILL`);
  for (const [id, a] of acked) {
    const r = byId.get(id)!;
    assert.equal(r.device_id, a.deviceId, `report ${id} stored for another device`);
    assert.equal(r.status, a.status);
    assert.equal(Number(r.scanned_at), a.scannedAt);
  }
  for (const r of stored.reports) {
    const body = JSON.parse(r.body) as Report;
    assert.equal(body.reportId, r.id, 'body and row belong together');
    assert.equal(body.state.status, r.status);
    assert.equal(Date.parse(body.scannedAt), Number(r.scanned_at));
  }
  const newest = new Map<string, (typeof stored.reports)[number]>();
  for (const r of stored.reports) {
    const cur = newest.get(r.device_id);
    if (!cur || r.scanned_at > cur.scanned_at) newest.set(r.device_id, r);
  }
  const appsOf = new Map<string, string[]>();
  for (const a of stored.apps) appsOf.set(a.device_id, [...(appsOf.get(a.device_id) ?? []), a.rule_id].sort());
  for (const d of stored.devices) {
    const n = newest.get(d.id);
    if (!n) {
      assert.equal(d.status, 'unknown', `device ${d.id} has a state but no report`);
      continue;
    }
    assert.equal(d.last_report_id, n.id, `round ${round}: device ${d.id} is not folded from its newest report`);
    assert.equal(d.status, n.status);
    assert.equal(Number(d.last_scanned_at), Number(n.scanned_at));
    assert.equal(d.failing_since === null, n.status === 'compliant', 'failing_since is set exactly while failing');
    const body = JSON.parse(n.body) as Report;
    assert.deepEqual(
      appsOf.get(d.id) ?? [],
      body.findings.map((f) => f.ruleId).sort(),
      `device ${d.id}: apps of its newest report`,
    );
  }
}

interface RoundResult {
  acked: number;
  inFlightAtKill: number;
  killedAfterMs: number;
}

/**
 * CLIENTS loops, each owning DEVICES / CLIENTS devices and posting their reports one after another (so a device's
 * scan times strictly increase), until the server is killed at a random moment after at least a few acks.
 */
async function loadAndKill(
  server: Spawned<ServerInfo>,
  devices: EnrolledDevice[],
  acked: Map<string, Acked>,
  lastScan: Map<string, number>,
): Promise<RoundResult> {
  const pool = new Pool(server.info.url, { connections: CLIENTS });
  let stopped = false;
  let inFlight = 0;
  let ackedThisRound = 0;
  const clients = Array.from({ length: CLIENTS }, async (_, c) => {
    const mine = devices.filter((_, i) => i % CLIENTS === c);
    for (let n = 0; !stopped; n++) {
      const d = mine[n % mine.length]!;
      const scannedAt = Math.max(Date.now(), (lastScan.get(d.deviceId) ?? 0) + 1);
      lastScan.set(d.deviceId, scannedAt);
      const report = reportFor(PROFILES[randomInt(PROFILES.length)]!, d.os, new Date(scannedAt), false);
      inFlight++;
      try {
        const r = await call<{ stored: boolean }>(pool, 'POST', '/api/v1/reports', {
          headers: { authorization: `Bearer ${d.token}` },
          json: report,
          expect: [201],
        });
        assert.equal(r.body.stored, true);
        acked.set(report.reportId, { deviceId: d.deviceId, status: report.state.status, scannedAt });
        ackedThisRound++;
      } catch (err) {
        // Only the kill may end a client; a 4xx/5xx before it is a failure of the server under load.
        if (!stopped) throw err;
      } finally {
        inFlight--;
      }
    }
  });
  let clientError: unknown = null;
  const allClients = Promise.all(clients).catch((err: unknown) => {
    clientError ??= err;
  });
  const started = performance.now();
  // A random moment, but not before the load runs: at least 20 acks, then 0–700 ms more.
  while (ackedThisRound < 20) {
    if (clientError) throw clientError;
    if (performance.now() - started > 30_000) throw new Error(`only ${ackedThisRound} reports acknowledged in 30 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, randomInt(700)));
  const inFlightAtKill = inFlight;
  stopped = true;
  const killedAfterMs = Math.round(performance.now() - started);
  assert.equal(await server.kill(), 'SIGKILL');
  await allClients;
  await pool.destroy();
  if (clientError) throw clientError;
  return { acked: ackedThisRound, inFlightAtKill, killedAfterMs };
}

async function killRounds(
  t: TestContext,
  rounds: number,
  dataDir: string,
  databaseUrl: string | undefined,
  read: () => Promise<Stored>,
) {
  const start = () =>
    spawnAppwachtServer({
      dataDir,
      adminPassword: ADMIN_PASSWORD,
      ...(databaseUrl ? { databaseUrl } : {}),
      env: {
        APPWACHT_INITIAL_POLICY: FIXTURE_POLICY,
        APPWACHT_SQLITE_SYNCHRONOUS: 'full',
        APPWACHT_ENROLL_RATE_LIMIT: '1000',
        APPWACHT_REPORT_RATE_LIMIT: '1000000', // each client posts as fast as it can
        APPWACHT_LOG_LEVEL: 'warn',
      },
    });
  let server = await start();
  try {
    const secret = server.info.enrollmentSecret;
    assert.ok(secret, 'a first start prints the enrollment secret in its ready line');
    const devices = await enrollDevices(server.info.url, secret, DEVICES, 4);
    const acked = new Map<string, Acked>();
    const lastScan = new Map<string, number>();
    for (let round = 1; round <= rounds; round++) {
      const r = await loadAndKill(server, devices, acked, lastScan);
      t.diagnostic(
        `round ${round}: killed after ${r.killedAfterMs} ms, ${r.acked} acks this round, ${r.inFlightAtKill} in flight`,
      );
      server = await start(); // rejects if the server cannot start on the killed data
      assert.equal((await fetch(`${server.info.url}/readyz`)).status, 200);
      assertConsistent(await read(), acked, round);
    }
    // Through the admin API too: a device's detail shows its newest acknowledged report.
    const pool = new Pool(server.info.url, { connections: 1 });
    try {
      const login = await call<{ csrfToken: string }>(pool, 'POST', '/api/v1/admin/login', {
        json: { username: 'admin', password: ADMIN_PASSWORD },
      });
      const cookie = [login.headers['set-cookie'] ?? []]
        .flat()
        .map((c) => c.split(';')[0])
        .join('; ');
      const stored = await read();
      for (const d of devices.slice(0, 3)) {
        const detail = await call<{ lastReportId: string | null; reports: { items: { reportId: string }[] } }>(
          pool,
          'GET',
          `/api/v1/admin/devices/${d.deviceId}`,
          { headers: { cookie } },
        );
        const newest = stored.reports
          .filter((r) => r.device_id === d.deviceId)
          .sort((a, b) => Number(b.scanned_at) - Number(a.scanned_at))[0];
        assert.equal(detail.body.lastReportId, newest?.id ?? null);
        assert.equal(detail.body.reports.items[0]?.reportId, newest?.id);
      }
    } finally {
      await pool.close();
    }
    assert.equal(await server.stop(), 0, 'a clean SIGTERM after the kills');
    t.diagnostic(`${acked.size} acknowledged reports checked over ${rounds} kills`);
  } finally {
    // A failed assertion must not leave a server running (it would also keep the test process alive).
    if (server.child.exitCode === null && server.child.signalCode === null) await server.kill();
  }
}

describe('SIGKILL during a report load', () => {
  it('SQLite (synchronous=FULL): 5 kills at random moments lose no acknowledged report and leave no half-applied state', async (t) => {
    const tmp = tempDir('appwacht-crash-');
    try {
      const file = join(tmp.dir, 'appwacht.sqlite');
      await killRounds(t, 5, tmp.dir, undefined, async () => readSqlite(file));
    } finally {
      tmp.remove();
    }
  });

  it('PostgreSQL: 2 kills at random moments lose no acknowledged report', async (t) => {
    const why = await postgresUnavailable();
    if (why) return t.skip(why);
    const schema = `aw_crash_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const tmp = tempDir('appwacht-crash-pg-');
    try {
      const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
      await killRounds(t, 2, tmp.dir, url, () => readPostgres(schema));
    } finally {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
      tmp.remove();
    }
  });
});

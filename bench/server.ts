/**
 * npm run bench:server — the Appwacht server over loopback, next to a bare Fastify route, in one run.
 *
 * What runs where: the server (and the baseline app) are separate Node processes spawned exactly as `npm run server`
 * starts them; the load generator is a third process (bench/server-load.ts). All share this machine's cores unless
 * BENCH_PIN runs the pinned variant too (server on CPU 0, generator on CPU 1).
 *
 * - reports/s and p50/p99 at saturation: closed loop (autocannon), BENCH_CONNECTIONS keep-alive connections, devices
 *   enrolled over HTTP, every request a valid report with a fresh id from the next device (round robin);
 * - p99 at a fixed rate: open loop (server-open-loop.ts), latency from each request's due time;
 * - policy 304s/s: GET /api/v1/policy with the current ETag in If-None-Match, device tokens round robin;
 * - device list of a 100,000-device fleet through GET /api/v1/admin/devices, seeded by direct multi-row INSERTs
 *   (server-fleet.ts), N sequential requests per query, idle and while the fleet reports at 111 reports/s;
 * - baseline: bare Fastify routes (server-baseline.ts) under the same generators and connections.
 *
 * Knobs (environment): BENCH_SECONDS=10 BENCH_DEVICES=2000 BENCH_CONNECTIONS=50 BENCH_RATE=500 BENCH_FLEET=100000
 * BENCH_LIST_N=200 BENCH_SWEEP=10,200 (extra connection counts for SQLite reports, empty to skip) BENCH_PG=1 BENCH_PIN=1
 * APPWACHT_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { Pool } from 'undici';
import { openDatabase } from '../server/db/connect.js';
import { fmt, median, percentile, table } from './lib.js';
import { adminToken, call, enrollDevices, policyEtag } from './server-client.js';
import { seedFleet, type FleetSummary } from './server-fleet.js';
import type { LoadJob, LoadResult } from './server-load.js';
import { osFor, profileFor, type BenchDevice } from './server-payloads.js';
import { runLoadProcess, spawnAppwachtServer, spawnReady, type Spawned } from './server-process.js';

const env = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const SECONDS = env('BENCH_SECONDS', 10);
const WARMUP = Math.max(1, Math.round(SECONDS / 5));
const DEVICES = env('BENCH_DEVICES', 2000);
const CONNECTIONS = env('BENCH_CONNECTIONS', 50);
const RATE = env('BENCH_RATE', 500);
const OPEN_CONNECTIONS = 10;
const FLEET = env('BENCH_FLEET', 100_000);
const LIST_N = env('BENCH_LIST_N', 200);
const FLEET_RATE = Math.round(FLEET / (15 * 60)); // every laptop every 15 minutes
const SWEEP = (process.env.BENCH_SWEEP ?? '10,200').split(',').filter(Boolean).map(Number);
const WITH_PG = process.env.BENCH_PG !== '0';
const WITH_PIN = process.env.BENCH_PIN !== '0' && cpus().length >= 2;
const PG_URL = process.env.APPWACHT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN_PASSWORD = 'bench-admin-password-' + randomBytes(6).toString('hex');
const GOALS = { reportsPerSecond: 3000, p99AtRateMs: 50, listMs: 50 };

const work = mkdtempSync(join(tmpdir(), 'appwacht-bench-server-'));
const cleanups: (() => Promise<unknown> | unknown)[] = [() => rmSync(work, { recursive: true, force: true })];
const progress = (msg: string) => process.stderr.write(`[bench:server] ${msg}\n`);

// ---------- helpers ----------

/** user+system CPU seconds of a process so far (Linux /proc; clock ticks are 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat; idle and iowait count as not busy). */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
}

/** Average reports per transaction from the server's own histogram (appwacht_report_commit_batch_size). */
async function batchStats(origin: string): Promise<{ sum: number; count: number }> {
  const pool = new Pool(origin, { connections: 1 });
  try {
    const res = await pool.request({ method: 'GET', path: '/metrics' });
    const text = await res.body.text();
    const num = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    return { sum: num('appwacht_report_commit_batch_size_sum'), count: num('appwacht_report_commit_batch_size_count') };
  } finally {
    await pool.close();
  }
}

let jobCounter = 0;
function load(job: LoadJob, cpusList?: string) {
  const file = join(work, `job-${++jobCounter}.json`);
  writeFileSync(file, JSON.stringify(job));
  return runLoadProcess<LoadResult>(file, cpusList ? { cpus: cpusList } : {});
}

export interface Measured extends LoadResult {
  /** CPU the server process used per answered request, in microseconds (PostgreSQL's own processes not included). */
  serverCpuUs: number;
  /** Reports per transaction (group commit), for report runs. */
  avgBatch?: number;
  /** Cores busy with anything but the server and the generator during the run (PostgreSQL, other tenants, the kernel). */
  otherCores: number;
}

/**
 * A warm-up run (not measured), then the measured run, with the server's CPU time and commit batches read around it.
 * Every answer must be a 2xx or 304: a benchmark of error responses would be a fast benchmark of nothing.
 */
async function measure(
  job: Omit<LoadJob, 'warmupSec'>,
  server: { pid: number; reports: boolean },
  cpusList?: string,
): Promise<Measured> {
  await load({ ...job, durationSec: WARMUP, warmupSec: 0 }, cpusList).result;
  const batch0 = server.reports ? await batchStats(job.origin) : null;
  const cpu0 = cpuSeconds(server.pid);
  const machine0 = machineJiffies();
  const t0 = performance.now();
  const r = await load({ ...job, warmupSec: 0 }, cpusList).result;
  const cpu = cpuSeconds(server.pid) - cpu0;
  const wall = (performance.now() - t0) / 1000;
  const machine1 = machineJiffies();
  // Jiffies are per CPU, so busy/total × cores is the number of busy cores over the window.
  const busyCores = ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * cpus().length;
  const batch1 = batch0 ? await batchStats(job.origin) : null;
  const bad = Object.entries(r.statuses).filter(([s]) => !/^(2\d\d|304)$/.test(s));
  if (bad.length || r.errors || r.completed === 0)
    throw new Error(`${job.target} on ${job.origin}: unexpected answers ${JSON.stringify(r.statuses)}, ${r.errors} errors`);
  return {
    ...r,
    serverCpuUs: (cpu * 1e6) / r.completed,
    // The generator's own figure covers its measured seconds only; its start-up is left to "others" (small).
    otherCores: Math.max(0, busyCores - cpu / wall - (r.generatorCores * r.durationSec) / wall),
    ...(batch0 && batch1 ? { avgBatch: (batch1.sum - batch0.sum) / Math.max(1, batch1.count - batch0.count) } : {}),
  };
}

function devicesFile(name: string, devices: BenchDevice[]): string {
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(devices));
  return file;
}

async function pgSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `aw_bench_${randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
  const sep = PG_URL.includes('?') ? '&' : '?';
  return {
    url: `${PG_URL}${sep}options=-c%20search_path%3D${schema}`,
    drop: async () => {
      const d = new pg.Client({ connectionString: PG_URL });
      await d.connect();
      await d.query(`drop schema ${schema} cascade`);
      await d.end();
    },
  };
}

async function startServer(name: string, databaseUrl?: string) {
  const dataDir = join(work, name);
  const s = await spawnAppwachtServer({
    dataDir,
    adminPassword: ADMIN_PASSWORD,
    ...(databaseUrl ? { databaseUrl } : {}),
    // The bench drives each device far above an agent's rate: the per-device report limit would answer 429.
    env: { APPWACHT_ENROLL_RATE_LIMIT: '100000', APPWACHT_REPORT_RATE_LIMIT: '1000000' },
  });
  cleanups.push(() => (s.child.exitCode === null ? s.stop() : undefined));
  return { s, dataDir };
}

/** Moves a running process and all its threads to the given CPUs. */
function pin(pid: number, cpuList: string) {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

// ---------- phases ----------

interface ReportPhase {
  sat: Measured;
  sweep: { connections: number; r: Measured }[];
  pinned?: Measured;
  rate: Measured;
  policy?: Measured;
  enrollPerSecond: number;
}

async function reportPhase(label: string, databaseUrl?: string): Promise<ReportPhase> {
  const { s } = await startServer(label, databaseUrl);
  const origin = s.info.url;
  const server = { pid: s.info.pid, reports: true };
  progress(`${label}: server ${origin} (pid ${s.info.pid}); enrolling ${DEVICES} devices over HTTP`);
  const t0 = performance.now();
  const secret = s.info.enrollmentSecret;
  if (secret === undefined) throw new Error('a first start prints the enrollment secret in its ready line');
  const devices = await enrollDevices(origin, secret, DEVICES);
  const enrollPerSecond = DEVICES / ((performance.now() - t0) / 1000);
  const base = { origin, devicesFile: devicesFile(`${label}-devices`, devices), durationSec: SECONDS } as const;

  progress(`${label}: reports, closed loop, ${CONNECTIONS} connections`);
  const sat = await measure({ ...base, mode: 'closed', target: 'report', connections: CONNECTIONS }, server);
  const sweep: ReportPhase['sweep'] = [];
  let pinned: Measured | undefined;
  let policy: Measured | undefined;
  if (!databaseUrl) {
    for (const c of SWEEP) {
      progress(`${label}: reports, closed loop, ${c} connections`);
      sweep.push({ connections: c, r: await measure({ ...base, mode: 'closed', target: 'report', connections: c }, server) });
    }
    if (WITH_PIN) {
      progress(`${label}: reports, closed loop, server pinned to CPU 0, generator to CPU 1`);
      pin(s.info.pid, '0');
      try {
        pinned = await measure({ ...base, mode: 'closed', target: 'report', connections: CONNECTIONS }, server, '1');
      } finally {
        pin(s.info.pid, `0-${cpus().length - 1}`);
      }
    }
    progress(`${label}: policy 304, closed loop`);
    const etag = await policyEtag(origin, devices[0]!.token);
    policy = await measure(
      { ...base, mode: 'closed', target: 'policy304', connections: CONNECTIONS, etag },
      { pid: s.info.pid, reports: false },
    );
  }
  progress(`${label}: reports, open loop at ${RATE}/s`);
  const rate = await measure({ ...base, mode: 'open', target: 'report', connections: OPEN_CONNECTIONS, rate: RATE }, server);
  const code = await s.stop();
  if (code !== 0) throw new Error(`${label} server exited with ${code}: ${s.stderr().slice(-1000)}`);
  return { sat, sweep, ...(pinned ? { pinned } : {}), rate, ...(policy ? { policy } : {}), enrollPerSecond };
}

interface BaselinePhase {
  post: Measured;
  pinned?: Measured;
  get: Measured;
  rate: Measured;
}

async function baselinePhase(): Promise<BaselinePhase> {
  const b: Spawned<{ url: string; etag: string }> = await spawnReady({ script: 'bench/server-baseline.ts' }, 'baseline');
  cleanups.push(() => (b.child.exitCode === null ? b.stop() : undefined));
  const server = { pid: b.child.pid!, reports: false };
  const file = devicesFile(
    'baseline-devices',
    Array.from({ length: DEVICES }, (_, i) => ({ token: `awd_baseline_${i}`, profile: profileFor(i), os: osFor(i) })),
  );
  const base = { origin: b.info.url, devicesFile: file, durationSec: SECONDS } as const;
  progress('baseline: POST, closed loop');
  const post = await measure({ ...base, mode: 'closed', target: 'baseline-report', connections: CONNECTIONS }, server);
  let pinned: Measured | undefined;
  if (WITH_PIN) {
    progress('baseline: POST, closed loop, pinned');
    pin(server.pid, '0');
    try {
      pinned = await measure({ ...base, mode: 'closed', target: 'baseline-report', connections: CONNECTIONS }, server, '1');
    } finally {
      pin(server.pid, `0-${cpus().length - 1}`);
    }
  }
  progress('baseline: GET 304, closed loop');
  const get = await measure(
    { ...base, mode: 'closed', target: 'baseline-policy304', connections: CONNECTIONS, etag: b.info.etag },
    server,
  );
  progress(`baseline: POST, open loop at ${RATE}/s`);
  const rate = await measure(
    { ...base, mode: 'open', target: 'baseline-report', connections: OPEN_CONNECTIONS, rate: RATE },
    server,
  );
  await b.stop();
  return { post, ...(pinned ? { pinned } : {}), get, rate };
}

interface ListTiming {
  name: string;
  query: string;
  /** Counts towards the goal (pages of the default size). */
  goal: boolean;
  ms: number[];
  items: number;
}

async function timeQueries(origin: string, token: string, queries: Omit<ListTiming, 'ms' | 'items'>[]): Promise<ListTiming[]> {
  const pool = new Pool(origin, { connections: 1 });
  const headers = { authorization: `Bearer ${token}` };
  const out: ListTiming[] = [];
  try {
    for (const q of queries) {
      const ms: number[] = [];
      let items = 0;
      for (let i = 0; i < LIST_N + 5; i++) {
        const t = performance.now();
        const r = await call<{ items: unknown[] }>(pool, 'GET', `/api/v1/admin/devices${q.query}`, { headers });
        if (i >= 5) ms.push(performance.now() - t); // the first few warm the statement cache and the pages
        items = r.body.items.length;
      }
      out.push({ ...q, ms, items });
    }
  } finally {
    await pool.close();
  }
  return out;
}

/** Walks the cursor `rows` deep (pages of 500) and returns the cursor found there. */
async function deepCursor(origin: string, token: string, rows: number): Promise<string> {
  const pool = new Pool(origin, { connections: 1 });
  try {
    let cursor: string | null = null;
    for (let seen = 0; seen < rows; seen += 500) {
      const q: string = `/api/v1/admin/devices?limit=500${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await call<{ nextCursor: string | null }>(pool, 'GET', q, { headers: { authorization: `Bearer ${token}` } });
      if (!r.body.nextCursor) throw new Error(`the list ended before row ${rows}`);
      cursor = r.body.nextCursor;
    }
    return cursor!;
  } finally {
    await pool.close();
  }
}

interface FleetPhase {
  summary: FleetSummary;
  idle: ListTiming[];
  loaded: ListTiming[];
  background: LoadResult;
}

async function fleetPhase(label: string, databaseUrl?: string): Promise<FleetPhase> {
  const { s, dataDir } = await startServer(`${label}-fleet`, databaseUrl);
  const origin = s.info.url;
  progress(`${label}: seeding ${FLEET} devices by direct INSERTs`);
  const handle = openDatabase(
    databaseUrl
      ? { kind: 'postgres', url: databaseUrl, poolMax: 2 }
      : { kind: 'sqlite', file: join(dataDir, 'appwacht.sqlite'), synchronous: 'normal' },
  );
  let fleet;
  try {
    fleet = await seedFleet(handle.db, FLEET);
    // A fleet that grew to this size over months has had autovacuum's ANALYZE; a bulk load has not had it yet.
    // (SQLite gets nothing: the server does not run ANALYZE, so neither does the bench.)
    if (databaseUrl) await sql`analyze`.execute(handle.db);
  } finally {
    await handle.close();
  }
  progress(`${label}: seeded in ${(fleet.summary.ms / 1000).toFixed(1)} s; walking to a deep page`);
  const token = await adminToken(origin, ADMIN_PASSWORD);
  const deepRow = Math.floor(FLEET / 2);
  const deep = await deepCursor(origin, token, deepRow);
  const threeDaysAgo = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
  const queries: Omit<ListTiming, 'ms' | 'items'>[] = [
    { name: 'first page (last seen, newest first)', query: '', goal: true },
    { name: `deep page via cursor (row ${deepRow.toLocaleString('en')})`, query: `?cursor=${deep}`, goal: true },
    { name: 'sorted by last seen, oldest first', query: '?sort=lastSeen&order=asc', goal: true },
    { name: `app found: whatsapp (${fleet.summary.byApp.whatsapp ?? 0} devices)`, query: '?app=whatsapp', goal: true },
    { name: `app found: kik (${fleet.summary.byApp.kik ?? 0} devices)`, query: '?app=kik', goal: true },
    { name: 'app found: threema (no device)', query: '?app=threema', goal: true },
    { name: 'status=violation', query: '?status=violation', goal: true },
    { name: 'status=violation,warning & os=macos', query: '?status=violation,warning&os=macos', goal: true },
    { name: 'os=linux', query: '?os=linux', goal: true },
    { name: 'not seen for 3 days', query: `?lastSeenBefore=${threeDaysAgo}`, goal: true },
    { name: 'sorted by hostname', query: '?sort=hostname&order=asc', goal: true },
    { name: 'hostname prefix', query: '?hostname=SOZIAL-MAC', goal: true },
    { name: 'page of 500 (not a goal: 10x the default page)', query: '?limit=500', goal: false },
  ];
  progress(`${label}: device list, ${LIST_N} requests per query, idle`);
  const idle = await timeQueries(origin, token, queries);
  progress(`${label}: device list again while the fleet reports at ${FLEET_RATE}/s`);
  const bg = load({
    mode: 'open',
    origin,
    target: 'report',
    connections: OPEN_CONNECTIONS,
    rate: FLEET_RATE,
    durationSec: 3600,
    warmupSec: 0,
    untilSignal: true,
    devicesFile: devicesFile(`${label}-fleet-reporters`, fleet.reporters),
  });
  await new Promise((r) => setTimeout(r, 2000));
  let loaded: ListTiming[];
  try {
    loaded = await timeQueries(origin, token, queries);
  } finally {
    bg.stop();
  }
  const background = await bg.result;
  const code = await s.stop();
  if (code !== 0) throw new Error(`${label} fleet server exited with ${code}: ${s.stderr().slice(-1000)}`);
  return { summary: fleet.summary, idle, loaded, background };
}

// ---------- run ----------

function machineFacts(): string[] {
  const c = cpus();
  let fs = '?';
  try {
    fs = execFileSync('df', ['-T', work], { encoding: 'utf8' }).trim().split('\n')[1]?.split(/\s+/)[1] ?? '?';
  } catch {
    // no df: the file system stays unknown
  }
  return [
    `machine: ${c.length} cores (${c[0]?.model ?? '?'}), node ${process.version}, ${process.platform}, ${new Date().toISOString()}`,
    `data folder on ${fs}${fs === 'tmpfs' ? ' (WARNING: tmpfs makes fsync free; these are not durable-disk figures)' : ''}; ` +
      `load average at start ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  ];
}

const r0 = (n: number) => Math.round(n).toLocaleString('en');
const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : fmt(n));
const goal = (ok: boolean) => (ok ? 'met' : 'NOT met');

async function main() {
  const facts = machineFacts();
  let pgVersion = '';
  if (WITH_PG) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    pgVersion = ((await c.query('show server_version')).rows[0] as { server_version: string }).server_version.split(' ')[0]!;
    await c.end();
  }
  const baseline = await baselinePhase();
  const sqlite = await reportPhase('sqlite');
  let postgres: ReportPhase | undefined;
  if (WITH_PG) {
    const schema = await pgSchema();
    try {
      postgres = await reportPhase('postgres', schema.url);
    } finally {
      await schema.drop();
    }
  }
  const fleetSqlite = await fleetPhase('sqlite');
  let fleetPg: FleetPhase | undefined;
  if (WITH_PG) {
    const schema = await pgSchema();
    try {
      fleetPg = await fleetPhase('postgres', schema.url);
    } finally {
      await schema.drop();
    }
  }
  const loadAtEnd = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

  // ---------- print ----------
  const out: string[] = [];
  out.push(`bench:server — ${facts.join('\n')}, at end ${loadAtEnd}`);
  out.push(
    `Server: node --import tsx server/main.ts as its own process (SQLite: one file, WAL, synchronous=FULL; PostgreSQL ${pgVersion || '–'} ` +
      `on 127.0.0.1, own schema), log level info. ${DEVICES.toLocaleString('en')} devices enrolled over HTTP; each report is a valid one ` +
      'with a fresh id from the next device (round robin; 88% clean, 7% WhatsApp, 5% Telegram, 2% of reports a change).',
  );
  out.push(
    `The load generator is a third Node process on the same ${cpus().length} cores (except "pinned": server/baseline on CPU 0, ` +
      'generator on CPU 1), so figures include it competing for CPU: "gen cores" is what it used. "server CPU" is the ' +
      'server process\'s user+system time per answered request (PostgreSQL\'s own processes not counted). "other cores": ' +
      'CPU the rest of the machine used meanwhile (PostgreSQL, the kernel, other tenants): the noise gauge of each row.',
  );
  out.push('');
  out.push(
    `Saturation — closed loop: autocannon, ${CONNECTIONS} keep-alive connections unless said, ${SECONDS} s after ${WARMUP} s warm-up`,
  );
  const satRow = (name: string, r: Measured, base: Measured) => [
    name,
    r0(r.perSecond),
    ms(r.p50),
    ms(r.p99),
    ms(r.max),
    (r.perSecond / base.perSecond).toFixed(2),
    r0(r.serverCpuUs),
    r.avgBatch === undefined ? '–' : r.avgBatch.toFixed(1),
    r.generatorCores.toFixed(2),
    r.otherCores.toFixed(2),
  ];
  out.push(
    table([
      [
        'measure',
        'req/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'x baseline',
        'server CPU µs/req',
        'reports/commit',
        'gen cores',
        'other cores',
      ],
      satRow('baseline: bare Fastify POST, same body', baseline.post, baseline.post),
      satRow('reports, SQLite (FULL)', sqlite.sat, baseline.post),
      ...(postgres ? [satRow('reports, PostgreSQL', postgres.sat, baseline.post)] : []),
      ...sqlite.sweep.map((w) => satRow(`reports, SQLite, ${w.connections} connections`, w.r, baseline.post)),
      ...(baseline.pinned ? [satRow('baseline POST, pinned', baseline.pinned, baseline.pinned)] : []),
      ...(sqlite.pinned ? [satRow('reports, SQLite, pinned', sqlite.pinned, baseline.pinned ?? baseline.post)] : []),
      satRow('baseline: bare Fastify GET 304', baseline.get, baseline.get),
      ...(sqlite.policy ? [satRow('policy 304 (If-None-Match), SQLite', sqlite.policy, baseline.get)] : []),
    ]),
  );
  out.push(
    `(enrollment over HTTP, 8 at a time: SQLite ${r0(sqlite.enrollPerSecond)}/s${postgres ? `, PostgreSQL ${r0(postgres.enrollPerSecond)}/s` : ''})`,
  );
  out.push('');
  out.push(
    `Fixed rate — open loop: ${RATE} req/s due at even intervals, ${OPEN_CONNECTIONS} keep-alive connections (undici Pool), ${SECONDS} s ` +
      `after ${WARMUP} s; latency from each request's due time (a stall counts for every request it delays), "service" from the actual send`,
  );
  const rateRow = (name: string, r: Measured) => [
    name,
    r0(r.perSecond),
    ms(r.p50),
    ms(r.p90),
    ms(r.p99),
    ms(r.max),
    ms(r.serviceP99),
    ms(r.maxDispatchLagMs),
    r0(r.serverCpuUs),
    r.otherCores.toFixed(2),
  ];
  out.push(
    table([
      [
        'measure',
        'achieved/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'service p99',
        'gen late max',
        'server CPU µs/req',
        'other cores',
      ],
      rateRow('baseline: bare Fastify POST', baseline.rate),
      rateRow('reports, SQLite (FULL)', sqlite.rate),
      ...(postgres ? [rateRow('reports, PostgreSQL', postgres.rate)] : []),
    ]),
  );
  out.push('');
  const f = fleetSqlite.summary;
  out.push(
    `Device list — ${f.devices.toLocaleString('en')} devices seeded by direct multi-row INSERTs (not through the API; SQLite ` +
      `${(f.ms / 1000).toFixed(1)} s): ${Object.entries(f.byStatus)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; ${f.staleOver3Days} not seen for 3 days.`,
  );
  out.push(
    `GET /api/v1/admin/devices with an admin API token, limit 50 unless said, ${LIST_N} sequential requests per query after 5 ` +
      `unmeasured, one keep-alive connection; "loaded" = while the fleet posts ${FLEET_RATE} reports/s (every laptop every 15 minutes)`,
  );
  const header = ['query', 'items', 'SQLite median', 'p99', 'loaded median', 'p99'];
  if (fleetPg) header.push('PostgreSQL median', 'p99', 'loaded median', 'p99');
  const rows = fleetSqlite.idle.map((q, i) => {
    const l = fleetSqlite.loaded[i]!;
    const row = [q.name, String(q.items), ms(median(q.ms)), ms(percentile(q.ms, 99)), ms(median(l.ms)), ms(percentile(l.ms, 99))];
    if (fleetPg) {
      const p = fleetPg.idle[i]!;
      const pl = fleetPg.loaded[i]!;
      row.push(ms(median(p.ms)), ms(percentile(p.ms, 99)), ms(median(pl.ms)), ms(percentile(pl.ms, 99)));
    }
    return row;
  });
  out.push(table([header, ...rows]));
  const bg = [
    ['SQLite', fleetSqlite.background],
    ['PostgreSQL', fleetPg?.background],
  ].filter((x): x is [string, LoadResult] => x[1] !== undefined);
  out.push(
    `(background reports: ${bg.map(([n, b]) => `${n} ${r0(b.perSecond)}/s, p99 ${ms(b.p99)} ms, ${JSON.stringify(b.statuses)}`).join('; ')})`,
  );
  out.push('');

  const goalQueries = (p: FleetPhase, which: 'idle' | 'loaded') => p[which].filter((q) => q.goal);
  const worst = (qs: ListTiming[]) => Math.max(...qs.map((q) => percentile(q.ms, 99)));
  const listWorst = worst(goalQueries(fleetSqlite, 'idle'));
  out.push('Goals on this machine:');
  out.push(
    `  >= ${GOALS.reportsPerSecond.toLocaleString('en')} reports/s sustained on SQLite, ${CONNECTIONS} connections, unpinned: ` +
      `${r0(sqlite.sat.perSecond)}/s → ${goal(sqlite.sat.perSecond >= GOALS.reportsPerSecond)}` +
      (sqlite.pinned ? ` (pinned: ${r0(sqlite.pinned.perSecond)}/s)` : ''),
  );
  out.push(
    `  p99 < ${GOALS.p99AtRateMs} ms at ${RATE} reports/s on SQLite: ${ms(sqlite.rate.p99)} ms → ${goal(sqlite.rate.p99 < GOALS.p99AtRateMs)}`,
  );
  out.push(
    `  device list of ${f.devices.toLocaleString('en')} devices < ${GOALS.listMs} ms, worst p99 of the ${goalQueries(fleetSqlite, 'idle').length} ` +
      `page-of-50 queries, SQLite: ${ms(listWorst)} ms → ${goal(listWorst < GOALS.listMs)} ` +
      `(loaded: ${ms(worst(goalQueries(fleetSqlite, 'loaded')))} ms${fleetPg ? `; PostgreSQL ${ms(worst(goalQueries(fleetPg, 'idle')))} ms, loaded ${ms(worst(goalQueries(fleetPg, 'loaded')))} ms` : ''})`,
  );
  console.log(out.join('\n'));
  if (process.env.BENCH_JSON) {
    const strip = (p: FleetPhase | undefined) => {
      const summarize = (qs: ListTiming[]) => qs.map(({ ms: t, ...q }) => ({ ...q, median: median(t), p99: percentile(t, 99) }));
      return p && { ...p, idle: summarize(p.idle), loaded: summarize(p.loaded) };
    };
    writeFileSync(
      process.env.BENCH_JSON,
      JSON.stringify(
        { facts, loadAtEnd, baseline, sqlite, postgres, fleetSqlite: strip(fleetSqlite), fleetPg: strip(fleetPg) },
        null,
        1,
      ),
    );
  }
}

try {
  await main();
} finally {
  for (const c of cleanups.reverse()) await c();
}

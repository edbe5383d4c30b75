/**
 * bench:escalation (issue 8), on SQLite (BENCH_DIALECT=postgres: the same on PostgreSQL, for comparison):
 * 1. The sweep over a 100,000-device fleet where 5 % change state (their deadline passed: notice → overdue with a
 *    mail warning queued each); the other 95 % sleep until their stale time. Beside it, in the same run, the floor:
 *    reading the due ids through the next_at index alone. Goal: the sweep under 1 s.
 * 2. The Dovecot decision endpoint (POST /api/v1/decision/dovecot?command=allow) of a real server process on that
 *    database, closed loop with autocannon, beside a bare Fastify route that only parses the JSON and answers, in the
 *    same run, same connections, same pinning. Goal: ≥ 5,000 decisions/s and p99 < 10 ms.
 * Knobs: BENCH_DEVICES (100000), BENCH_SECONDS (10), BENCH_CONNECTIONS (10); BENCH_PROFILE_DIR=<dir> writes a
 * --cpu-prof of the server under load there (profile the sweep with `node --cpu-prof --import tsx bench/escalation.ts`).
 * A/B on a busy machine: BENCH_AB=<another checkout> (e.g. `git worktree add /tmp/old main`) runs its sweep and its
 * server interleaved with this checkout's, BENCH_ROUNDS (3) times; every row carries CPU time and the ratio to the
 * bare route of its round. BENCH_PART=sweep skips the decision part. It ends with one GOAL MET / GOAL NOT MET line per
 * goal, judged on this checkout's runs.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../server/config.js';
import { openDatabase, type DatabaseTarget } from '../server/db/connect.js';
import type { createEscalation } from '../server/escalation/service.js';
import { ladderRepo } from '../server/repositories/ladder.js';
import { policiesRepo } from '../server/repositories/policies.js';
import { bootstrapDatabase, loadOrCreateSecrets } from '../server/services/bootstrap.js';
import { seedFleet } from './escalation-fleet.js';
import { median, processCpuMs } from './lib.js';
import { ROOT, spawnAppwachtServer, spawnReady } from './server-process.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/** Another checkout (e.g. a worktree of the old main) to run interleaved with this one: sweeps and servers alike. */
const AB = process.env.BENCH_AB ?? '';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (AB ? 3 : 1));
/** BENCH_DIALECT=postgres: the same on PostgreSQL (BENCH_PG_URL), a fresh schema per sweep run; the goals are SQLite's. */
const DIALECT: 'sqlite' | 'postgres' = process.env.BENCH_DIALECT === 'postgres' ? 'postgres' : 'sqlite';
const PG_URL = process.env.BENCH_PG_URL ?? process.env.APPWACHT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** BENCH_PART=sweep: the sweeps alone (A/B of a sweep change without the minute of HTTP load). */
const SWEEP_ONLY = process.env.BENCH_PART === 'sweep';
const DAY = 86_400_000;
const HOUR = 3_600_000;
// The real clock: the server process of part 2 runs on it, and must find nothing due (it would sweep during the load).
const NOW = Date.now();
const DEADLINE = NOW - 15 * DAY; // past the warning point (14 days), before the block (28)
const FIXTURE_POLICY = new URL('../test/fixtures/server/default-policy.json', import.meta.url).pathname;
const changing = (i: number) => i % 20 === 0; // 5 %

const dir = mkdtempSync(join(tmpdir(), 'appwacht-bench-escalation-'));
// The fixture policy with its deadlines 15 days ago.
const policy = JSON.parse(readFileSync(FIXTURE_POLICY, 'utf8')) as { rules: { deadline?: string }[] };
for (const r of policy.rules) if (r.deadline) r.deadline = new Date(DEADLINE).toISOString();
writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy));
const cpus = availableParallelism() > 1 ? { server: '0' } : {};
const env = {
  APPWACHT_INITIAL_POLICY: join(dir, 'policy.json'),
  APPWACHT_EMPLOYEE_MAIL_TEMPLATE: '{user}@stadt.example',
  APPWACHT_DOVECOT_TOKEN: `bench-${randomBytes(16).toString('hex')}`,
  APPWACHT_LOG_LEVEL: 'warn',
  APPWACHT_SWEEP_SECONDS: '3600', // the server under load does not sweep; part 1 measured that alone
};

/** One checkout's code: this one, or the older one of an A/B run (BENCH_AB). */
interface Tree {
  label: string;
  root: string;
}

const trees: Tree[] = [
  ...(AB ? [{ label: `old ${commitOf(AB)}`, root: resolve(AB) }] : []),
  { label: `this ${commitOf(ROOT)}`, root: ROOT },
];

function commitOf(root: string): string {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/** Where a fleet lives: a SQLite file, or a PostgreSQL schema of its own. */
type Where = { kind: 'sqlite'; file: string } | { kind: 'postgres'; schema: string };
const schemas: string[] = [];

function target(w: Where): DatabaseTarget {
  return w.kind === 'sqlite' ? { kind: 'sqlite', file: w.file } : { kind: 'postgres', url: PG_URL, searchPath: w.schema };
}

async function pgAdmin(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

async function freshSchema(): Promise<Where> {
  const schema = `aw_bench_${randomBytes(6).toString('hex')}`;
  await pgAdmin(`create schema ${schema}`);
  schemas.push(schema);
  return { kind: 'postgres', schema };
}

/** Seeds the fleet with this checkout's code; returns the seed time and the floor (due ids alone). */
async function seed(where: Where) {
  const config = loadConfig({ APPWACHT_DATA_DIR: dir, APPWACHT_ADMIN_PASSWORD: 'bench-admin-password', PORT: '0', ...env });
  const handle = openDatabase(target(where));
  try {
    await bootstrapDatabase(handle, config, loadOrCreateSecrets(dir));
    const db = handle.db;
    const seedStart = performance.now();
    await seedFleet(db, {
      count: DEVICES,
      violating: changing,
      seenAt: NOW - HOUR,
      nextAt: (i) => (changing(i) ? DEADLINE : NOW - HOUR + 72 * HOUR),
      ladder: (i) =>
        changing(i)
          ? { step: 'notice', deadline: DEADLINE, employee: `u${i}@stadt.example` }
          : { step: 'compliant', deadline: null, employee: `u${i}@stadt.example` },
    });
    // The employees the decision endpoint is asked about: every 10th blocked.
    for (let i = 0; i < DEVICES; i += 500)
      await db
        .insertInto('employees')
        .values(
          Array.from({ length: Math.min(500, DEVICES - i) }, (_, k) => ({
            email: `u${i + k}@stadt.example`,
            blocked_since: (i + k) % 10 === 0 ? NOW - DAY : null,
            changed_at: NOW,
          })),
        )
        .execute();
    const version = await policiesRepo(db).latestVersion();
    await ladderRepo(db).setMeta('policy_version', String(version)); // a sweep after a policy change is another story
    const seedMs = performance.now() - seedStart;
    const t = performance.now();
    const due = await ladderRepo(db).due(NOW, DEVICES);
    return { seedMs, due: due.length, floorMs: performance.now() - t };
  } finally {
    await handle.close(); // SQLite: checkpoints the WAL into the file, so copies of it are complete
  }
}

/** One sweep over a copy of the seeded fleet, with a tree's own code. */
async function sweep(tree: Tree, where: Where) {
  const code = (path: string) => import(pathToFileURL(join(tree.root, path)).href);
  const { loadConfig: load } = (await code('server/config.ts')) as { loadConfig: typeof loadConfig };
  const { openDatabase: open } = (await code('server/db/connect.ts')) as { openDatabase: typeof openDatabase };
  const { createEscalation: create } = (await code('server/escalation/service.ts')) as {
    createEscalation: typeof createEscalation;
  };
  const config = load({ APPWACHT_DATA_DIR: dir, APPWACHT_ADMIN_PASSWORD: 'bench-admin-password', PORT: '0', ...env });
  const handle = open(target(where));
  try {
    const esc = create({ db: handle.db, config: config.escalation, now: () => NOW });
    const cpu0 = process.cpuUsage();
    let t = performance.now();
    const swept = await esc.sweepOnce(NOW);
    const sweepMs = performance.now() - t;
    const cpu = process.cpuUsage(cpu0);
    t = performance.now();
    const idle = await esc.sweepOnce(NOW);
    const idleMs = performance.now() - t;
    const mails = await handle.db
      .selectFrom('mail_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return { tree, swept, sweepMs, cpuMs: (cpu.user + cpu.system) / 1000, idle, idleMs, mails: Number(mails.n) };
  } finally {
    await handle.close();
  }
}

/** The fleet the server of part 2 runs on (SQLite: <dir>/appwacht.sqlite, the server's default file). */
let fleet: Where = { kind: 'sqlite', file: join(dir, 'appwacht.sqlite') };

async function sweepPart() {
  const runs: Awaited<ReturnType<typeof sweep>>[] = [];
  if (DIALECT === 'postgres') {
    // No cheap copy of a schema: a fresh one seeded per run (the seed figures are the first run's).
    let seeded: Awaited<ReturnType<typeof seed>> | null = null;
    for (let r = 0; r < ROUNDS; r++)
      for (const tree of trees) {
        const where = await freshSchema();
        const s = await seed(where);
        seeded ??= s;
        runs.push(await sweep(tree, where));
        fleet = where; // the last one swept is the one the server of part 2 runs on
      }
    return { ...seeded!, runs };
  }
  const base = join(dir, 'seeded.sqlite');
  const seeded = await seed({ kind: 'sqlite', file: base });
  for (let r = 0; r < ROUNDS; r++)
    for (const tree of trees) {
      const file = join(dir, 'appwacht.sqlite'); // the last copy swept is the one the server of part 2 runs on
      rmSync(file, { force: true });
      copyFileSync(base, file);
      runs.push(await sweep(tree, { kind: 'sqlite', file }));
    }
  rmSync(base, { force: true });
  return { ...seeded, runs };
}

function bodies(): { method: 'POST'; path: string; headers: Record<string, string>; body: string }[] {
  // 200 different logins, every 10th blocked, in the forms Dovecot sends them.
  return Array.from({ length: 200 }, (_, k) => {
    const i = k * 37;
    const login = k % 2 === 0 ? `u${i}@stadt.example` : `KOMMUNE\\u${i}`;
    return {
      method: 'POST' as const,
      path: '',
      headers: { 'content-type': 'application/json', 'x-appwacht-token': env.APPWACHT_DOVECOT_TOKEN },
      body: JSON.stringify({ login, remote: '192.0.2.10', protocol: 'imap' }),
    };
  });
}

async function load(url: string, path: string, pid: number | undefined) {
  const requests = bodies().map((r) => ({ ...r, path }));
  await autocannon({ url, connections: CONNECTIONS, duration: 2, requests }); // warm-up
  const cpu0 = pid ? processCpuMs(pid) : NaN;
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests });
  const cpuMs = pid ? processCpuMs(pid) - cpu0 : NaN;
  return {
    perSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    /** The server's CPU per 1,000 answers: what the route costs, less swayed by the machine's load than decisions/s. */
    cpuPer1000: (cpuMs / r.requests.total) * 1000,
  };
}
type Load = Awaited<ReturnType<typeof load>>;

async function appwachtLoad(tree: Tree): Promise<Load> {
  const server = await spawnAppwachtServer({
    dataDir: dir,
    adminPassword: 'bench-admin-password',
    env,
    root: tree.root,
    ...(fleet.kind === 'postgres'
      ? { databaseUrl: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${fleet.schema}` }
      : {}),
    ...(cpus.server ? { cpus: cpus.server } : {}),
    readyTimeoutMs: 120_000,
    ...(process.env.BENCH_PROFILE_DIR ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] } : {}),
  });
  try {
    // One request by hand: the endpoint must decide, not fail open by error.
    const probe = await fetch(`${server.info.url}/api/v1/decision/dovecot?command=allow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-appwacht-token': env.APPWACHT_DOVECOT_TOKEN },
      body: JSON.stringify({ login: 'u0@stadt.example' }),
    });
    const answer = (await probe.json()) as { status: number };
    if (answer.status !== -1) throw new Error(`u0 is blocked, the endpoint said ${JSON.stringify(answer)}`);
    return await load(server.info.url, '/api/v1/decision/dovecot?command=allow', server.child.pid);
  } finally {
    await server.stop();
  }
}

async function bareLoad(): Promise<Load> {
  const base = await spawnReady<{ url: string }>(
    { script: 'bench/server-baseline.ts', ...(cpus.server ? { cpus: cpus.server } : {}) },
    'baseline',
  );
  try {
    return await load(base.info.url, '/baseline/dovecot', base.child.pid);
  } finally {
    await base.stop();
  }
}

/** Interleaved: per round the bare route, then each tree; the ratio is taken to the bare route of the same round. */
async function decisionPart() {
  const runs: { round: number; label: string; bare: boolean; tree?: Tree; r: Load }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    runs.push({ round, label: 'bare Fastify (parse JSON, answer)', bare: true, r: await bareLoad() });
    for (const tree of trees)
      runs.push({ round, label: `Appwacht dovecot, ${tree.label}`, bare: false, tree, r: await appwachtLoad(tree) });
  }
  return runs;
}

try {
  const load0 = loadavg();
  const s = await sweepPart();
  const load1 = loadavg();
  const d = SWEEP_ONLY ? [] : await decisionPart();
  const load2 = loadavg();
  const f = (n: number, digits = 0) =>
    n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const la = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  const lines = [
    `bench:escalation — ${new Date().toISOString()}, ${availableParallelism()} cores, ${DIALECT === 'sqlite' ? 'SQLite' : 'PostgreSQL'}; load average ${la(load0)} at start, ${la(load1)} after the sweeps, ${la(load2)} at the end`,
    `fleet: ${f(DEVICES)} devices, ${f(s.due)} due (5 %), seeded in ${f(s.seedMs)} ms; ${ROUNDS} round(s)${AB ? `, A/B interleaved with ${AB}` : ''}`,
    '',
    '| sweep (a copy of the seeded fleet)          |      ms | CPU ms | rows | effects |',
    '| ------------------------------------------- | ------: | -----: | ---: | ------: |',
    `| floor: due ids through the next_at index    | ${f(s.floorMs, 1)} | | ${f(s.due)} | – |`,
    ...s.runs.map(
      (r) =>
        `| sweep, ${r.tree.label.padEnd(36)} | ${f(r.sweepMs, 1)} | ${f(r.cpuMs)} | ${f(r.swept.evaluated)} | ${f(r.swept.effects)} (${f(r.mails)} mails queued; again: ${f(r.idleMs, 1)} ms, ${r.idle.evaluated} rows) |`,
    ),
    '',
    ...(SWEEP_ONLY
      ? []
      : [
          `Dovecot decision, closed loop, ${CONNECTIONS} connections, ${SECONDS} s after 2 s warm-up${cpus.server ? ', server pinned to CPU 0' : ''}:`,
          '',
          '| round | endpoint                                  | decisions/s | p50 ms | p99 ms | server CPU ms / 1,000 | × bare | non-2xx | errors |',
          '| ----: | ----------------------------------------- | ----------: | -----: | -----: | --------------------: | -----: | ------: | -----: |',
          ...d.map((x) => {
            const bare = d.find((y) => y.bare && y.round === x.round)!.r;
            return `| ${x.round + 1} | ${x.label} | ${f(x.r.perSecond)} | ${f(x.r.p50, 1)} | ${f(x.r.p99, 1)} | ${f(x.r.cpuPer1000, 1)} | ${x.bare ? '' : f(x.r.perSecond / bare.perSecond, 2)} | ${x.r.non2xx} | ${x.r.errors} |`;
          }),
          '',
        ]),
  ];
  // The goals, judged on this checkout's runs (median over the rounds).
  const mine = ROOT;
  const sweepMs = median(s.runs.filter((r) => r.tree.root === mine).map((r) => r.sweepMs));
  const ours = d.filter((x) => x.tree?.root === mine).map((x) => x.r);
  const perSecond = median(ours.map((r) => r.perSecond));
  const p99 = median(ours.map((r) => r.p99));
  // The goals are defined on SQLite; a PostgreSQL run says how it compares, without judging.
  const goal = (ok: boolean, what: string, got: string) =>
    DIALECT === 'sqlite'
      ? `GOAL ${ok ? 'MET' : 'NOT MET'}: ${what} (got ${got}, SQLite)`
      : `PostgreSQL, for comparison (the goal is SQLite's): ${what} — ${ok ? 'would be met' : 'would not be met'} (got ${got})`;
  lines.push(
    goal(sweepMs < 1000, 'sweep of 100,000 devices with 5 % changing < 1,000 ms', `${f(sweepMs)} ms`),
    ...(SWEEP_ONLY
      ? []
      : [
          goal(perSecond >= 5000, 'Dovecot decisions ≥ 5,000/s', `${f(perSecond)}/s`),
          goal(p99 < 10, 'Dovecot decision p99 < 10 ms', `${f(p99, 1)} ms`),
        ]),
  );
  if (DEVICES !== 100_000) lines.push(`(BENCH_DEVICES=${DEVICES}: the sweep goal is defined for 100,000)`);
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await pgAdmin(`drop schema ${schema} cascade`);
}

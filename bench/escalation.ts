/**
 * bench:escalation (issue 8), on SQLite:
 * 1. The sweep over a 100,000-device fleet where 5 % change state (their deadline passed: notice → overdue with a
 *    mail warning queued each); the other 95 % sleep until their stale time. Beside it, in the same run, the floor:
 *    reading the due ids through the next_at index alone. Goal: the sweep under 1 s.
 * 2. The Dovecot decision endpoint (POST /api/v1/decision/dovecot?command=allow) of a real server process on that
 *    database, closed loop with autocannon, beside a bare Fastify route that only parses the JSON and answers, in the
 *    same run, same connections, same pinning. Goal: ≥ 5,000 decisions/s and p99 < 10 ms.
 * Knobs: BENCH_DEVICES (100000), BENCH_SECONDS (10), BENCH_CONNECTIONS (10); BENCH_PROFILE_DIR=<dir> writes a
 * --cpu-prof of the server under load there (profile the sweep with `node --cpu-prof --import tsx bench/escalation.ts`).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../server/config.js';
import { openDatabase } from '../server/db/connect.js';
import { createEscalation } from '../server/escalation/service.js';
import { ladderRepo } from '../server/repositories/ladder.js';
import { policiesRepo } from '../server/repositories/policies.js';
import { bootstrapDatabase, loadOrCreateSecrets } from '../server/services/bootstrap.js';
import { seedFleet } from './escalation-fleet.js';
import { spawnAppwachtServer, spawnReady } from './server-process.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
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

async function sweepPart() {
  const config = loadConfig({ APPWACHT_DATA_DIR: dir, APPWACHT_ADMIN_PASSWORD: 'bench-admin-password', PORT: '0', ...env });
  const handle = openDatabase({ kind: 'sqlite', file: join(dir, 'appwacht.sqlite') });
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

    let t = performance.now();
    const due = await ladderRepo(db).due(NOW, DEVICES);
    const floorMs = performance.now() - t;

    const esc = createEscalation({ db, config: config.escalation, now: () => NOW });
    t = performance.now();
    const swept = await esc.sweepOnce(NOW);
    const sweepMs = performance.now() - t;
    t = performance.now();
    const idle = await esc.sweepOnce(NOW);
    const idleMs = performance.now() - t;
    const mails = await db
      .selectFrom('mail_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return { seedMs, due: due.length, floorMs, swept, sweepMs, idle, idleMs, mails: Number(mails.n) };
  } finally {
    await handle.close();
  }
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

async function load(url: string, path: string) {
  const requests = bodies().map((r) => ({ ...r, path }));
  await autocannon({ url, connections: CONNECTIONS, duration: 2, requests }); // warm-up
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests });
  return {
    perSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

async function decisionPart() {
  const server = await spawnAppwachtServer({
    dataDir: dir,
    adminPassword: 'bench-admin-password',
    env,
    ...(cpus.server ? { cpus: cpus.server } : {}),
    readyTimeoutMs: 120_000,
    ...(process.env.BENCH_PROFILE_DIR ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] } : {}),
  });
  let appwacht;
  try {
    // One request by hand: the endpoint must decide, not fail open by error.
    const probe = await fetch(`${server.info.url}/api/v1/decision/dovecot?command=allow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-appwacht-token': env.APPWACHT_DOVECOT_TOKEN },
      body: JSON.stringify({ login: 'u0@stadt.example' }),
    });
    const answer = (await probe.json()) as { status: number };
    if (answer.status !== -1) throw new Error(`u0 is blocked, the endpoint said ${JSON.stringify(answer)}`);
    appwacht = await load(server.info.url, '/api/v1/decision/dovecot?command=allow');
  } finally {
    await server.stop();
  }
  const base = await spawnReady<{ url: string }>(
    { script: 'bench/server-baseline.ts', ...(cpus.server ? { cpus: cpus.server } : {}) },
    'baseline',
  );
  let bare;
  try {
    bare = await load(base.info.url, '/baseline/dovecot');
  } finally {
    await base.stop();
  }
  return { appwacht, bare };
}

try {
  const load0 = loadavg()[0]!;
  const s = await sweepPart();
  const d = await decisionPart();
  const f = (n: number, digits = 0) =>
    n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const lines = [
    `bench:escalation — ${new Date().toISOString()}, load average ${load0.toFixed(1)} at start, ${availableParallelism()} cores, SQLite`,
    `fleet: ${f(DEVICES)} devices, ${f(s.due)} due (5 %), seeded in ${f(s.seedMs)} ms`,
    '',
    '| sweep                                       | ms | rows | effects |',
    '| ------------------------------------------- | -: | ---: | ------: |',
    `| floor: due ids through the next_at index    | ${f(s.floorMs, 1)} | ${f(s.due)} | – |`,
    `| sweep: evaluate, write, queue mails         | ${f(s.sweepMs, 1)} | ${f(s.swept.evaluated)} | ${f(s.swept.effects)} (${f(s.mails)} mails queued) |`,
    `| sweep again, nothing due                    | ${f(s.idleMs, 1)} | ${f(s.idle.evaluated)} | ${f(s.idle.effects)} |`,
    '',
    `Dovecot decision, closed loop, ${CONNECTIONS} connections, ${SECONDS} s after 2 s warm-up${cpus.server ? ', server pinned to CPU 0' : ''}:`,
    '',
    '| endpoint                                  | decisions/s | p50 ms | p99 ms | non-2xx | errors |',
    '| ----------------------------------------- | ----------: | -----: | -----: | ------: | -----: |',
    `| bare Fastify (parse JSON, answer)         | ${f(d.bare.perSecond)} | ${f(d.bare.p50, 1)} | ${f(d.bare.p99, 1)} | ${d.bare.non2xx} | ${d.bare.errors} |`,
    `| Appwacht /api/v1/decision/dovecot         | ${f(d.appwacht.perSecond)} | ${f(d.appwacht.p50, 1)} | ${f(d.appwacht.p99, 1)} | ${d.appwacht.non2xx} | ${d.appwacht.errors} |`,
    '',
    `goals: sweep < 1000 ms: ${s.sweepMs < 1000 ? 'met' : 'NOT met'}; ≥ 5000 decisions/s: ${d.appwacht.perSecond >= 5000 ? 'met' : 'NOT met'}; p99 < 10 ms: ${d.appwacht.p99 < 10 ? 'met' : 'NOT met'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * npm run bench:agent — what the background agent costs while it waits, and how fast it notices a banned app.
 *
 * Starts the real server (SQLite, loopback) and `appwacht run` (the built CLI, live system, notifications on, the
 * city's policy with its own intervals: scan 15 min, heartbeat and refresh 60 min), each agent with its own server (all
 * would enroll as this machine):
 *   - the supervisor as installed (`node bin/appwacht.js run`): a small resident process that starts a short-lived turn
 *     process for each unit of work (agent/runtime/supervisor.ts);
 *   - the same with the V8 flag the autostart entry should pass (`node --max-semi-space-size=1 …`);
 *   - for comparison, the earlier single-process agent (`run --single-process`, with the flag): everything resident.
 * Next to them, in the same minute, a bare `node -e "setInterval(()=>{},1000)"` as the baseline. Once the agents are idle
 * (first scan reported, outbox empty, then BENCH_SETTLE_SECONDS (30) for V8's memory reducer), every second for
 * BENCH_IDLE_SECONDS (60): resident memory from /proc/<pid>/status (VmRSS, split into anonymous and file-backed pages),
 * CPU from /proc/<pid>/stat (utime+stime+cutime+cstime: the supervisor's turns count, once they have exited). Then it
 * starts a process named like a banned app (a copy of /bin/sleep called "whatsapp-for-linux") BENCH_STARTS (10) times,
 * BENCH_START_GAP_SECONDS (24: the watch's turn limit refills in that time) apart at a random moment of the watch tick,
 * and measures for every agent at once, from its log, when the process watch noticed it and when the change report was
 * recorded (by a turn started for it). The turns' own cost (CPU, peak RSS, duration) comes from the supervisor's
 * "turn done" lines.
 * Goals: idle RSS < 60 MB, CPU < 1 % of one core, start → noticed < 5 s.
 *
 * Every wait is bounded (BENCH_STEP_SECONDS, default 60, for each step that needs a turn): a step that takes longer ends
 * the bench with the step's name and the agent's log tail, and the clean-up kills what does not stop in time. Each start
 * is printed as it is measured, so a slow phase shows its progress.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { loadDefaultPolicy } from '../agent/policy/default-policy.js';
import { WATCH_TURN_LIMIT } from '../agent/runtime/driver.js';
import {
  AdminApi,
  BIN,
  agentEnv,
  agentStatus,
  spawnAgent,
  startServer,
  tempDir,
  waitFor,
  type AgentProcess,
  type ServerProcess,
} from '../test/e2e/helpers.js';
import { bounded, median, percentile, procMemoryMiB, table } from './lib.js';
import { benchTray } from './tray.js';

const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const STARTS = Number(process.env.BENCH_STARTS ?? 10);
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_SECONDS ?? 30);
/** Minutes of a server outage at the end (the flagged supervisor's server is stopped); 0: none. */
const OUTAGE_MINUTES = Number(process.env.BENCH_OUTAGE_MINUTES ?? 0);
const TUNED_FLAGS = ['--max-semi-space-size=1'];
/** Bound of a step that waits for a turn: a watch turn may first wait for the bucket (12 s) and a turn in progress. */
const STEP_MS = Number(process.env.BENCH_STEP_SECONDS ?? 60) * 1000;
/** Between two starts of the banned app: a start and its exit take two watch turns, which the bucket refills in this. */
const START_GAP_MS =
  process.env.BENCH_START_GAP_SECONDS !== undefined
    ? Number(process.env.BENCH_START_GAP_SECONDS) * 1000
    : 2 * WATCH_TURN_LIMIT.refillMs;
/** Bound of a step the process watch alone answers (its tick is 2 s). */
const WATCH_STEP_MS = Math.min(STEP_MS, 20_000);
/** The policy's scan interval (the city's bundled policy): turns per hour at idle, refresh and heartbeat folded in. */
const TURNS_PER_HOUR = 60 / loadDefaultPolicy().intervals.scanMinutes;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface Sample {
  rss: number;
  anon: number;
  file: number;
}

const memory = (pid: number): Sample => procMemoryMiB(pid);

/**
 * utime + stime + cutime + cstime in seconds (fields 14–17; the command name may hold spaces, so split after the last
 * ')'): a supervisor's turns are counted once they have exited and been waited for.
 */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

interface Subject {
  name: string;
  pid: number;
  samples: Sample[];
  cpu0: number;
  cpu1: number;
}

interface AgentRun {
  name: string;
  label: string;
  server: ServerProcess;
  agent: AgentProcess;
  env: NodeJS.ProcessEnv;
}

/** The last lines the agent logged, for a step that failed. */
function logTail(run: AgentRun, lines = 25): string {
  return `log tail of ${run.name} (pid ${run.agent.child.pid}):\n${run.agent.stderr().trimEnd().split('\n').slice(-lines).join('\n')}`;
}

async function startAgent(name: string, label: string, flags: string[], args: string[], dir: string): Promise<AgentRun> {
  const server = await startServer(join(dir, `server-${name}`)); // bounded inside (60 s)
  servers.push(server);
  // The city's own policy (the bundled one), intervals included.
  const { version: _v, issuedAt: _i, ...draft } = loadDefaultPolicy();
  await bounded(
    `${name}: admin login and policy`,
    30_000,
    (async () => {
      const admin = await AdminApi.login(server.info.url);
      await admin.createPolicy(draft);
    })(),
    server.stderr,
  );
  const env = {
    ...agentEnv({ server: server.info, stateDir: join(dir, `state-${name}`), home: join(dir, `home-${name}`) }),
    // A laptop session has a real locale (with LANG=C the CLI asks Intl, which maps ICU data: ~7 MB more).
    LANG: 'de_DE.UTF-8',
  };
  const agent = spawnAgent([], env, { file: process.execPath, args: [...flags, BIN, 'run', ...args] });
  return { name, label, server, agent, env };
}

async function idle(run: AgentRun): Promise<void> {
  try {
    await waitFor(
      `${run.name} idle (first scan reported, outbox empty)`,
      async () => {
        const s = await bounded('appwacht status --json', 20_000, agentStatus(run.env));
        return s.lastDelivery && s.outbox.queued === 0 && s.outbox.pending === 0 && s.compliance ? true : undefined;
      },
      120_000,
      500,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${logTail(run)}`, { cause: err });
  }
}

interface Detections {
  noticed: number[];
  recorded: number[];
}

/**
 * Starts the banned app STARTS times and measures every agent on the same start: all of them watch the same /proc, so
 * each start and exit asks every agent for a turn anyway. Measuring them one after the other made every agent's watch
 * turns wait for its token bucket (the starts came every ~5 s, two turns each, from three phases), and the phase ran
 * ~10 minutes without a line of output. The starts are START_GAP_MS apart so that the bucket refills between them:
 * what is measured is how fast a start is noticed and recorded, not the rate limit (set BENCH_START_GAP_SECONDS=3 to
 * see that instead).
 */
async function detections(exe: string): Promise<Record<string, Detections>> {
  const results: Record<string, Detections> = Object.fromEntries(runs.map((r) => [r.name, { noticed: [], recorded: [] }]));
  let lastStart = 0;
  for (let i = 0; i < STARTS; i++) {
    // A random moment relative to the 2-second watch tick.
    const gap = Math.max(0, lastStart + START_GAP_MS - Date.now());
    await new Promise((r) => setTimeout(r, gap + 1_000 + Math.random() * 2_000));
    const from = runs.map((r) => r.agent.log.length);
    const t0 = Date.now();
    lastStart = t0;
    const child: ChildProcess = spawn(exe, ['600'], { stdio: 'ignore' });
    apps.add(child);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`start ${i + 1}: ${exe} did not start`);
    const after = (what: string, ms: number, match: (l: Record<string, unknown>) => boolean) =>
      Promise.all(
        runs.map((run, j) =>
          run.agent
            .waitForLog(what, (l) => run.agent.log.indexOf(l) >= from[j]! && match(l), ms)
            .catch((err: unknown) => {
              throw new Error(`step "start ${i + 1}/${STARTS}: ${what}" failed for ${run.name}: ${(err as Error).message}`, {
                cause: err,
              });
            }),
        ),
      );
    const seen = await after('noticed', WATCH_STEP_MS, (l) => l.msg === 'banned app started' && l.pid === pid);
    const changed = await after('recorded', STEP_MS, (l) => l.msg === 'state changed' && l.status === 'violation');
    runs.forEach((r, j) => {
      results[r.name]!.noticed.push(Date.parse(seen[j]!.time as string) - t0);
      results[r.name]!.recorded.push(Date.parse(changed[j]!.time as string) - t0);
    });
    child.kill('SIGKILL');
    apps.delete(child);
    await after('exit noticed', WATCH_STEP_MS, (l) => l.msg === 'banned app exited' && l.pid === pid);
    await after('compliant again', STEP_MS, (l) => l.msg === 'state changed' && l.status === 'compliant');
    console.log(
      `  start ${i + 1}/${STARTS}, noticed/recorded ms: ` +
        runs.map((r) => `${r.name} ${results[r.name]!.noticed.at(-1)}/${results[r.name]!.recorded.at(-1)}`).join(', '),
    );
  }
  return results;
}

/** SIGTERM and wait; what does not stop within `ms` is killed (the agent with its whole process group) and said so. */
async function stopAll(ms: number): Promise<void> {
  for (const app of apps) app.kill('SIGKILL');
  for (const r of runs) {
    try {
      await bounded(`stop ${r.name}`, ms, r.agent.stop(), () => logTail(r));
    } catch (err) {
      console.error(`${(err as Error).message}\n→ killing ${r.name}'s process group`);
      await r.agent.kill();
    }
  }
  for (const s of servers) {
    try {
      await bounded(`stop the server in ${s.dataDir}`, ms, s.stop(), s.stderr);
    } catch (err) {
      console.error(`${(err as Error).message}\n→ killing it`);
      s.child.kill('SIGKILL');
    }
  }
}

// The tray app's part alone (bench/tray.ts): BENCH_TRAY_ONLY=1.
if (process.env.BENCH_TRAY_ONLY === '1') {
  await benchTray();
  process.exit(0);
}

const tmp = await tempDir('appwacht-bench-agent-');
const runs: AgentRun[] = [];
const servers: ServerProcess[] = [];
/** The copies of the banned app still running (killed at the end whatever happened). */
const apps = new Set<ChildProcess>();
let baseline: ChildProcess | undefined;
try {
  console.log(
    `bench:agent on ${process.platform} ${process.arch}, ${cpus()[0]?.model ?? '?'} × ${cpus().length}, node ${process.version}`,
  );
  runs.push(await startAgent('supervisor', 'appwacht run (supervisor, as installed)', [], [], tmp.dir));
  runs.push(await startAgent('tuned', `appwacht run (supervisor, node ${TUNED_FLAGS.join(' ')})`, TUNED_FLAGS, [], tmp.dir));
  runs.push(
    await startAgent(
      'single',
      `before: appwacht run --single-process (node ${TUNED_FLAGS.join(' ')})`,
      TUNED_FLAGS,
      ['--single-process'],
      tmp.dir,
    ),
  );
  baseline = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  for (const r of runs) await idle(r);
  // V8's memory reducer shrinks the heap with a few full GCs 10–30 s after the start-up burst: idle means after that.
  await new Promise((r) => setTimeout(r, SETTLE_SECONDS * 1000));

  const subjects: Subject[] = [
    { name: 'baseline: node -e "setInterval(()=>{},1000)"', pid: baseline.pid!, samples: [], cpu0: 0, cpu1: 0 },
    ...runs.map((r) => ({ name: r.label, pid: r.agent.child.pid!, samples: [], cpu0: 0, cpu1: 0 })),
  ];
  const turnsBefore = runs.map((r) => r.agent.log.filter((l) => l.msg === 'turn done').length);
  console.log(
    `load average before the idle minute: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const start = Date.now();
  for (const s of subjects) s.cpu0 = cpuSeconds(s.pid);
  for (let i = 0; i < IDLE_SECONDS; i++) {
    await new Promise((r) => setTimeout(r, start + (i + 1) * 1000 - Date.now()));
    for (const s of subjects) s.samples.push(memory(s.pid));
  }
  const elapsed = (Date.now() - start) / 1000;
  for (const s of subjects) s.cpu1 = cpuSeconds(s.pid);
  const rssAvg = (s: Subject) => s.samples.reduce((a, x) => a + x.rss, 0) / s.samples.length;
  const trayBeside = { rssMiB: rssAvg(subjects[1]!), baselineMiB: rssAvg(subjects[0]!) };
  const idleTurns = runs.map((r, i) => r.agent.log.filter((l) => l.msg === 'turn done').length - turnsBefore[i]!);
  console.log(
    `load average after the idle minute: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );

  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const mb = (x: number) => x.toFixed(1);
  console.log(`\nidle, sampled every second for ${elapsed.toFixed(0)} s (MB = MiB of resident memory)`);
  console.log(
    table([
      ['process', 'RSS avg', 'RSS max', 'anon avg', 'file avg', 'CPU % of one core (with children)'],
      ...subjects.map((s) => [
        s.name,
        mb(avg(s.samples.map((x) => x.rss))),
        mb(Math.max(...s.samples.map((x) => x.rss))),
        mb(avg(s.samples.map((x) => x.anon))),
        mb(avg(s.samples.map((x) => x.file))),
        ((100 * (s.cpu1 - s.cpu0)) / elapsed).toFixed(2),
      ]),
    ]),
  );

  console.log(
    `\nbanned app started ${STARTS}× (copy of sleep named whatsapp-for-linux), ${(START_GAP_MS / 1000).toFixed(0)} s apart, ` +
      `each seen by every agent → agent's log, ms after spawn`,
  );
  const rows: (string | number)[][] = [['agent', 'noticed median', 'p90', 'max', 'change recorded median', 'p90', 'max']];
  const exe = join(tmp.dir, 'bin', 'whatsapp-for-linux');
  await mkdir(join(tmp.dir, 'bin'), { recursive: true });
  await copyFile('/bin/sleep', exe);
  const results = await detections(exe);
  for (const r of runs) {
    const d = results[r.name]!;
    rows.push([
      r.name,
      median(d.noticed),
      percentile(d.noticed, 90),
      Math.max(...d.noticed),
      median(d.recorded),
      percentile(d.recorded, 90),
      Math.max(...d.recorded),
    ]);
  }
  console.log(table(rows));
  // Start by start: the supervisors' watch turns come from a bucket (5 at once, then one per 12 s; supervisor.ts).
  for (const [name, d] of Object.entries(results))
    console.log(`change recorded, start by start (s), ${name}: ${d.recorded.map((ms) => (ms / 1000).toFixed(1)).join(' ')}`);

  console.log(`turns during the idle minute: ${runs.map((r, i) => `${r.name} ${idleTurns[i]}`).join(', ')}`);

  // What one turn costs (from the supervisors' "turn done" lines: start-up, the first scans, the detections).
  const turnRows: (string | number)[][] = [
    ['supervisor', 'turns', 'CPU ms median', 'max', 'peak RSS MiB median', 'max', 'wall ms median'],
  ];
  const turnCpu: Record<string, number> = {};
  for (const r of runs.filter((x) => x.name !== 'single')) {
    const done = r.agent.log.filter((l) => l.msg === 'turn done');
    const cpu = done.map((l) => Number(l.cpuMs));
    const rss = done.map((l) => Number(l.maxRssMiB));
    turnCpu[r.name] = median(cpu);
    turnRows.push([
      r.name,
      done.length,
      median(cpu),
      Math.max(...cpu),
      median(rss).toFixed(1), // a median of two MiB figures is their mean: 100.30000000000001 without this
      Math.max(...rss),
      median(done.map((l) => Number(l.ms))),
    ]);
  }
  console.log('\nturn processes (each a node start, one unit of work, exit)');
  console.log(table(turnRows));

  const tuned = subjects[2]!;
  const tunedRss = avg(tuned.samples.map((x) => x.rss));
  const tunedCpu = (100 * (tuned.cpu1 - tuned.cpu0)) / elapsed;
  // At the policy's intervals a turn comes every scan interval (refresh and heartbeat fall into the same turns).
  const amortised = tunedCpu + (100 * TURNS_PER_HOUR * (turnCpu.tuned ?? 0)) / 1000 / 3600;
  const worst = Math.max(...Object.values(results).flatMap((d) => d.noticed));
  const worstRecorded = Math.max(
    ...Object.entries(results)
      .filter(([n]) => n !== 'single')
      .flatMap(([, d]) => d.recorded),
  );
  console.log(
    `\ngoals (supervisor with the flag): idle RSS < 60 MB → ${tunedRss < 60 ? 'met' : 'NOT met'} (${mb(tunedRss)} MB); ` +
      `CPU < 1 % → ${amortised < 1 ? 'met' : 'NOT met'} (${tunedCpu.toFixed(2)} % in the idle minute, ` +
      `${amortised.toFixed(2)} % with ${TURNS_PER_HOUR} turns an hour at the median turn's CPU); ` +
      `noticed < 5 s → ${worst < 5_000 ? 'met' : 'NOT met'} (max ${worst} ms; change recorded by a turn: max ${worstRecorded} ms)`,
  );

  if (OUTAGE_MINUTES > 0) {
    // A laptop off the intranet: the supervisor wakes a turn on each refresh retry (deliveries wait for it) and scan.
    const run = runs[1]!;
    await bounded(`stop the ${run.name} server for the outage`, 60_000, run.server.stop(), run.server.stderr);
    const pid = run.agent.child.pid!;
    const from = run.agent.log.length;
    const samples: Sample[] = [];
    const cpu0 = cpuSeconds(pid);
    const t0 = Date.now();
    while (Date.now() - t0 < OUTAGE_MINUTES * 60_000) {
      await new Promise((r) => setTimeout(r, 5_000));
      samples.push(memory(pid));
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = (100 * (cpuSeconds(pid) - cpu0)) / seconds;
    const turns = run.agent.log.slice(from).filter((l) => l.msg === 'turn done');
    console.log(
      `\nserver away for ${(seconds / 60).toFixed(1)} min (${run.label}): RSS avg ${mb(avg(samples.map((x) => x.rss)))} MiB, ` +
        `max ${mb(Math.max(...samples.map((x) => x.rss)))}; CPU with turns ${cpu.toFixed(2)} % of one core; ` +
        `${turns.length} turns (${((turns.length * 3600) / seconds).toFixed(1)} an hour: ` +
        `${turns.map((l) => String(l.trigger ?? 'no scan')).join(', ')}); load average ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
    );
  }
  await benchTray(trayBeside);
} finally {
  baseline?.kill('SIGKILL');
  await stopAll(60_000);
  await tmp.remove();
}

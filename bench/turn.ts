/**
 * node --import tsx bench/turn.ts [name=flags …] — what one turn process costs, A/B over node flags for the turn alone.
 *
 * Starts the real server (SQLite, loopback) with the city's policy, enrolls an agent with the real supervisor and stops
 * it; then plays the supervisor's part itself (turn-protocol.ts over IPC): starts `node <flags> bin/appwacht.js run
 * --turn` with the enrolled state folder, answers its hello with a turn whose refresh, scan and heartbeat are due (so
 * every turn refreshes the policy, scans this machine and delivers a report over HTTP), and waits for its result and
 * exit. The variants take turns one after the other, BENCH_TURN_ROUNDS (10) rounds, so load drifts hit all alike.
 * Per turn: CPU and peak RSS as the turn reports them (the supervisor's "turn done" line: getrusage), the peak of
 * RssAnon/RssFile sampled from /proc/<pid>/status every 10 ms, and the wall time from spawn to exit.
 *
 * A variant is `name=flag flag …` (node flags, before bin/appwacht.js) with optional `ENV=value` words for the turn's
 * environment, e.g. `semi1=--max-semi-space-size=1 UV_THREADPOOL_SIZE=1`, and `bin:<path>` for another checkout's
 * built bin/appwacht.js (a before/after in one run). Without arguments: this checkout, as the supervisor starts a turn
 * (TURN_NODE_FLAGS).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadDefaultPolicy } from '../agent/policy/default-policy.js';
import { readSchedule } from '../agent/runtime/schedule.js';
import { TURN_NODE_FLAGS } from '../agent/runtime/supervisor.js';
import type { FromTurn, ResultMessage, ToTurn } from '../agent/runtime/turn-protocol.js';
import { AdminApi, BIN, REPO, agentEnv, agentStatus, spawnAgent, startServer, tempDir, waitFor } from '../test/e2e/helpers.js';
import { bounded, median, procMemoryMiB, table } from './lib.js';

const ROUNDS = Number(process.env.BENCH_TURN_ROUNDS ?? 10);

interface Variant {
  name: string;
  flags: string[];
  env: Record<string, string>;
  bin: string;
}

function parseVariant(arg: string): Variant {
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  const words = (eq < 0 ? '' : arg.slice(eq + 1)).split(/\s+/).filter(Boolean);
  const env: Record<string, string> = {};
  const flags: string[] = [];
  let bin = BIN;
  for (const w of words) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(w);
    if (m) env[m[1]!] = m[2]!;
    else if (w.startsWith('bin:')) bin = w.slice(4);
    else flags.push(w);
  }
  return { name, flags, env, bin };
}

interface TurnFigures {
  cpuMs: number;
  maxRssMiB: number;
  anonMiB: number;
  fileMiB: number;
  wallMs: number;
  /** The turn's log lines at warn or error (a variant that breaks the turn shows here, not only in lower figures). */
  problems: string[];
}

function statusMiB(pid: number): { anon: number; file: number } | undefined {
  try {
    return procMemoryMiB(pid);
  } catch {
    return undefined; // the turn has exited
  }
}

/** One turn as the supervisor would start it, with everything due. */
function oneTurn(v: Variant, env: NodeJS.ProcessEnv, stateDir: string, schedule: unknown): Promise<TurnFigures> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...v.flags, v.bin, 'run', '--heartbeat-interval', '1', '--turn'], {
      cwd: REPO,
      env: { ...env, ...v.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let result: ResultMessage | undefined;
    let anon = 0;
    let file = 0;
    const sampler = setInterval(() => {
      const m = child.pid ? statusMiB(child.pid) : undefined;
      if (m && !Number.isNaN(m.anon)) {
        anon = Math.max(anon, m.anon);
        file = Math.max(file, m.file);
      }
    }, 10);
    child.on('message', (m: FromTurn) => {
      if (m.type === 'hello') {
        const now = Date.now();
        const message: ToTurn = {
          type: 'turn',
          stateDir,
          schedule: { ...(schedule as object), nextScanAt: now, nextRefreshAt: now, nextHeartbeatAt: now } as never,
          firstOfRun: false,
          supervisor: { pid: process.pid, startedAt: new Date().toISOString() },
          budgetMs: 60_000,
        };
        child.send(message);
      } else if (m.type === 'result') result = m;
      else reject(new Error(`turn answered ${m.type}`));
    });
    child.on('close', (code) => {
      clearInterval(sampler);
      if (!result) return reject(new Error(`turn of ${v.name} exited ${code} without a result:\n${stderr.slice(-2000)}`));
      resolve({
        cpuMs: result.usage.cpuMs,
        maxRssMiB: result.usage.maxRssMiB,
        anonMiB: anon,
        fileMiB: file,
        wallMs: performance.now() - t0,
        problems: stderr
          .split('\n')
          .filter((l) => /"level":"(warn|error)"/.test(l))
          .map((l) => String((JSON.parse(l) as { msg?: unknown }).msg)),
      });
    });
  });
}

const variants =
  process.argv.length > 2 ? process.argv.slice(2).map(parseVariant) : [parseVariant(`shipped=${TURN_NODE_FLAGS.join(' ')}`)];
const tmp = await tempDir('appwacht-bench-turn-');
const server = await startServer(join(tmp.dir, 'server'));
try {
  const { version: _v, issuedAt: _i, ...draft } = loadDefaultPolicy();
  const admin = await AdminApi.login(server.info.url);
  await admin.createPolicy(draft);
  const stateDir = join(tmp.dir, 'state');
  const env = {
    ...agentEnv({ server: server.info, stateDir, home: join(tmp.dir, 'home') }),
    LANG: 'de_DE.UTF-8',
  };
  // Enrolled by the real supervisor: the first scan reported, the outbox empty.
  const agent = spawnAgent(['run'], env);
  await waitFor(
    'enrolled and reported',
    async () => {
      const s = await bounded('appwacht status --json', 20_000, agentStatus(env));
      return s.lastDelivery && s.outbox.queued === 0 && s.outbox.pending === 0 ? true : undefined;
    },
    120_000,
    500,
  );
  await agent.stop();
  const read = await readSchedule(stateDir);
  if (read.status !== 'ok') throw new Error(`no schedule after enrollment: ${read.status}`);

  console.log(
    `bench:turn, node ${process.version}, ${ROUNDS} rounds; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const figures = new Map<string, TurnFigures[]>(variants.map((v) => [v.name, []]));
  await oneTurn(variants[0]!, env, stateDir, read.schedule); // warm the page cache and the server
  for (let round = 0; round < ROUNDS; round++)
    for (const v of round % 2 ? [...variants].reverse() : variants)
      figures.get(v.name)!.push(await bounded(`turn ${v.name}`, 60_000, oneTurn(v, env, stateDir, read.schedule)));
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const med = (v: string, k: Exclude<keyof TurnFigures, 'problems'>) => median(figures.get(v)!.map((f) => f[k]));
  const max = (v: string, k: Exclude<keyof TurnFigures, 'problems'>) => Math.max(...figures.get(v)!.map((f) => f[k]));
  console.log(
    table([
      [
        'variant',
        'CPU ms med',
        'max',
        'peak RSS MiB med',
        'max',
        'anon peak med',
        'file peak med',
        'wall ms med',
        'warn/error lines',
      ],
      ...variants.map((v) => [
        `${v.name} (${[...v.flags, ...Object.entries(v.env).map(([k, x]) => `${k}=${x}`)].join(' ') || 'no flags'}${v.bin === BIN ? '' : `; ${v.bin}`})`,
        med(v.name, 'cpuMs').toFixed(0),
        max(v.name, 'cpuMs').toFixed(0),
        med(v.name, 'maxRssMiB').toFixed(1),
        max(v.name, 'maxRssMiB').toFixed(1),
        med(v.name, 'anonMiB').toFixed(1),
        med(v.name, 'fileMiB').toFixed(1),
        med(v.name, 'wallMs').toFixed(0),
        [...new Set(figures.get(v.name)!.flatMap((f) => f.problems))].join('; ') || 'none',
      ]),
    ]),
  );
} finally {
  await server.stop();
  await tmp.remove();
}

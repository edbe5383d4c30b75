/**
 * The supervisor (agent/runtime/supervisor.ts) in this process, with real child processes. Its turns here are a stand-in
 * (test/fixtures/runtime/fake-turn.mjs) that speaks the turn's IPC protocol and takes the real turn lock but can be told
 * to crash, hang or run away with memory — the real turn cannot be made to do that on demand. The real turn under the
 * real supervisor is exercised by test/e2e (agent-server, agent-kill, agent-faults, process-watch) and by the import and
 * stop tests at the end of this file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { memoryLogger, type LogFields } from '../../../agent/log.js';
import { emptySchedule, writeSchedule } from '../../../agent/runtime/schedule.js';
import { runSupervisor, TURN_NODE_FLAGS, type SupervisorOptions } from '../../../agent/runtime/supervisor.js';
import { type InstanceLockError } from '../../../agent/state/lock.js';
import { spawnTs } from '../../helpers/child.js';
import { agentEnv, childPids, spawnAgent, startServer } from '../../e2e/helpers.js';
import { startTestProxy } from '../../helpers/test-proxy.js';
import { STATE_FILES } from '../../../agent/state/names.js';

const REPO = new URL('../../../', import.meta.url).pathname;

/** A process's command line from /proc, or undefined once it is gone. */
function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}
const FAKE = join(REPO, 'test', 'fixtures', 'runtime', 'fake-turn.mjs');

let tmp: string;
before(async () => {
  if (!existsSync(join(REPO, 'dist', 'agent', 'runtime', 'turn-lock.js')))
    throw new Error('dist/ is missing: run "npm run build" first (npm test does)');
  tmp = await mkdtemp(join(tmpdir(), 'appwacht-supervisor-'));
});
after(() => rm(tmp, { recursive: true, force: true }));

interface FakeEvent {
  pid: number;
  at: number;
  event: 'start' | 'turn' | 'stop' | 'busy';
  mode?: string;
  firstOfRun?: boolean;
  scanRequest?: string | null;
  hadSchedule?: boolean;
  execArgv?: string[];
  wasm?: boolean;
}

let counter = 0;
async function supervise(
  env: Record<string, string>,
  over: Partial<SupervisorOptions> = {},
  seed?: (stateDir: string) => Promise<void>,
) {
  const dir = join(tmp, `s${counter++}`);
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { recursive: true });
  await seed?.(stateDir);
  const eventsFile = join(dir, 'events.jsonl');
  const log = memoryLogger('debug');
  const controller = new AbortController();
  const done = runSupervisor({
    lang: 'en',
    signal: controller.signal,
    turnCommand: {
      file: process.execPath,
      args: [FAKE],
      env: { ...process.env, FAKE_STATE_DIR: stateDir, FAKE_EVENTS: eventsFile, ...env },
    },
    target: { os: 'linux', liveProcesses: false },
    log,
    ...over,
  });
  const events = async (): Promise<FakeEvent[]> =>
    existsSync(eventsFile)
      ? (await readFile(eventsFile, 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as FakeEvent)
      : [];
  // Generous: under load a turn process can take seconds to start; a passing test returns as soon as it sees its line.
  const waitFor = async <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}: ${JSON.stringify(log.lines.slice(-10))} ${JSON.stringify(await events())}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const logged = (match: (l: LogFields) => boolean) => waitFor('a log line', () => log.lines.find(match));
  return {
    dir,
    stateDir,
    log,
    done,
    events,
    waitFor,
    logged,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** A supervisor whose stand-in turns watch one process name, and a copy of sleep under that name to start. */
async function superviseWatching(prefix: string, over: Partial<SupervisorOptions>) {
  const name = `${prefix}${process.pid % 100000}`;
  const s = await supervise({ FAKE_TURNS: 'ok', FAKE_WATCH: name }, { target: { os: 'linux', liveProcesses: true }, ...over });
  const exe = join(s.dir, name);
  await copyFile('/bin/sleep', exe);
  return { s, name, exe };
}

describe('runSupervisor() watching over its turns', () => {
  it('takes the instance lock after the first hello, hands each turn the schedule the last one answered, and stops cleanly', async () => {
    const s = await supervise({ FAKE_TURNS: 'ok', FAKE_NEXT_MS: '700' });
    try {
      await s.logged((l) => l.msg === 'starting');
      const lock = JSON.parse(await readFile(join(s.stateDir, STATE_FILES.instanceLock), 'utf8')) as { pid: number };
      assert.equal(lock.pid, process.pid, 'the supervisor holds the instance lock');
      const turns = await s.waitFor('three turns', async () => {
        const t = (await s.events()).filter((e) => e.event === 'turn');
        return t.length >= 3 ? t : undefined;
      });
      assert.deepEqual(
        turns.slice(0, 3).map((t) => [t.firstOfRun, t.hadSchedule]),
        [
          [true, false],
          [false, true],
          [false, true],
        ],
        'the first turn of a run starts afresh; later ones get the schedule back',
      );
      const gap = turns[2]!.at - turns[1]!.at;
      assert.ok(gap >= 600, `the supervisor slept until the schedule said (${gap} ms apart)`);
      assert.ok(s.log.lines.filter((l) => l.msg === 'turn done').length >= 2);
    } finally {
      await s.stop();
    }
    assert.ok(!existsSync(join(s.stateDir, STATE_FILES.instanceLock)), 'the lock is released');
    assert.ok(s.log.lines.some((l) => l.msg === 'stopped'));
  });

  it('logs a crashing turn and retries it with growing backoff; the supervisor stays up', async () => {
    const s = await supervise({ FAKE_TURNS: 'crash,crash,ok' });
    try {
      await s.waitFor('a good turn after two crashes', async () =>
        s.log.lines.some((l) => l.msg === 'turn done') ? true : undefined,
      );
      const failed = s.log.lines.filter((l) => l.msg === 'turn failed; retrying with backoff');
      assert.deepEqual(
        failed.map((l) => [l.code, l.failures, l.retryInMs]),
        [
          [3, 1, 1000],
          [3, 2, 2000],
        ],
      );
      const starts = (await s.events()).filter((e) => e.event === 'start');
      assert.ok(starts[1]!.at - starts[0]!.at >= 900, 'the first retry waited about a second');
      assert.ok(starts[2]!.at - starts[1]!.at >= 1900, 'the second about two');
    } finally {
      await s.stop();
    }
  });

  it('backs off after a crash even when the schedule says the work is overdue', async () => {
    // The first turn answers a schedule due in 300 ms; the turns for that work crash: they must not be retried at once.
    const s = await supervise({ FAKE_TURNS: 'ok,crash,crash,ok', FAKE_NEXT_MS: '300' });
    try {
      await s.waitFor('a good turn after two crashes', async () =>
        s.log.lines.filter((l) => l.msg === 'turn done').length >= 2 ? true : undefined,
      );
      const starts = (await s.events()).filter((e) => e.event === 'start');
      assert.ok(
        starts[2]!.at - starts[1]!.at >= 900,
        `the first retry waited about a second (${starts[2]!.at - starts[1]!.at} ms)`,
      );
      assert.ok(starts[3]!.at - starts[2]!.at >= 1900, `the second about two (${starts[3]!.at - starts[2]!.at} ms)`);
    } finally {
      await s.stop();
    }
  });

  it("hands the first turn of a run the previous run's schedule (its backoffs) and watches its list until then", async () => {
    const previous = { ...emptySchedule(), watch: { processes: ['whatsapp-for-linux'] } };
    const s = await supervise({ FAKE_TURNS: 'ok' }, {}, (stateDir) => writeSchedule(stateDir, previous));
    try {
      const turn = await s.waitFor('the first turn', async () => (await s.events()).find((e) => e.event === 'turn'));
      assert.deepEqual([turn.firstOfRun, turn.hadSchedule], [true, true]);
    } finally {
      await s.stop();
    }
  });

  it('kills a turn that runs past its time budget, says so, and goes on', async () => {
    // The budget covers the fake turn's start as well: under load a node process can take seconds to get going.
    const s = await supervise({ FAKE_TURNS: 'hang,ok' }, { turnBudgetMs: 5_000 });
    try {
      const killed = await s.logged((l) => l.msg === 'turn ran past its time budget; killed');
      assert.equal(killed.signal, 'SIGKILL');
      assert.equal(killed.budgetMs, 5_000);
      await s.logged((l) => l.msg === 'turn done');
    } finally {
      await s.stop();
    }
  });

  it('kills a turn that runs away with memory', async (t) => {
    if (process.platform !== 'linux') return t.skip('the memory watch reads /proc (Linux)');
    const s = await supervise({ FAKE_TURNS: 'hog,ok' }, { turnMemoryLimitMiB: 200 });
    try {
      const killed = await s.logged((l) => l.msg === 'turn ran away with memory; killed');
      assert.equal(killed.signal, 'SIGKILL');
      assert.ok((killed.rssMiB as number) > 200, `it was over the limit (${killed.rssMiB} MiB)`);
      await s.logged((l) => l.msg === 'turn done');
    } finally {
      await s.stop();
    }
  });

  it('on stop tells the turn at work to stop and waits for its answer before it ends', async () => {
    const s = await supervise({ FAKE_TURNS: 'slow' });
    await s.waitFor('a turn at work', async () => ((await s.events()).some((e) => e.event === 'turn') ? true : undefined));
    await s.stop();
    const events = await s.events();
    assert.ok(
      events.some((e) => e.event === 'stop'),
      'the turn was told to stop',
    );
    assert.ok(
      s.log.lines.some((l) => l.msg === 'turn done'),
      'and its answer was taken',
    );
    const stopped = s.log.lines.findIndex((l) => l.msg === 'stopped');
    assert.ok(stopped > s.log.lines.findIndex((l) => l.msg === 'turn done'), 'the supervisor ended after its turn');
  });

  it('waits while a turn of an earlier run (its supervisor killed) holds the turn lock', async () => {
    const dir = join(tmp, 'orphan');
    const stateDir = join(dir, 'state');
    await mkdir(stateDir, { recursive: true });
    const holder = spawnTs('test/agent/runtime/children/turn-lock-holder.ts', [stateDir]);
    try {
      await holder.waitFor(/^locked$/);
      const log = memoryLogger('debug');
      const controller = new AbortController();
      const eventsFile = join(dir, 'events.jsonl');
      const done = runSupervisor({
        lang: 'en',
        signal: controller.signal,
        turnCommand: {
          file: process.execPath,
          args: [FAKE],
          env: { ...process.env, FAKE_STATE_DIR: stateDir, FAKE_EVENTS: eventsFile, FAKE_TURNS: 'ok' },
        },
        target: { os: 'linux', liveProcesses: false },
        log,
      });
      try {
        for (let i = 0; i < 300 && !log.lines.some((l) => String(l.msg).startsWith('a turn of an earlier run')); i++)
          await new Promise((r) => setTimeout(r, 25));
        const waiting = log.lines.find((l) => l.msg === 'a turn of an earlier run is still at work; waiting for it to finish');
        assert.equal(waiting?.pid, holder.child.pid, 'it names the holder');
        await new Promise((r) => setTimeout(r, 800));
        const read = async () => (existsSync(eventsFile) ? await readFile(eventsFile, 'utf8') : '');
        assert.ok(!(await read()).includes('"event":"turn"'), 'no turn worked while the lock was held');
        const killedAt = Date.now();
        await holder.kill();
        for (let i = 0; i < 400 && !(await read()).includes('"event":"turn"'); i++) await new Promise((r) => setTimeout(r, 25));
        const turn = (await read())
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as FakeEvent)
          .find((e) => e.event === 'turn');
        assert.ok(turn && turn.at >= killedAt, 'the turn ran once the holder was gone');
      } finally {
        controller.abort();
        await done;
      }
    } finally {
      await holder.kill();
    }
  });

  it('a first turn that cannot even start (invalid managed config: exit 2 before its hello) ends the supervisor', async () => {
    const s = await supervise({ FAKE_TURNS: 'refuse' });
    await assert.rejects(s.done, (err: InstanceLockError) => err.code === 'START_FAILED');
    assert.ok(!existsSync(join(s.stateDir, STATE_FILES.instanceLock)), 'no lock was taken');
  });

  it('a second supervisor on the same state folder refuses with ALREADY_RUNNING and leaves no turn behind', async () => {
    const s = await supervise({ FAKE_TURNS: 'ok' });
    try {
      await s.logged((l) => l.msg === 'starting');
      const eventsFile = join(s.dir, 'second.jsonl');
      await assert.rejects(
        runSupervisor({
          lang: 'de',
          signal: new AbortController().signal,
          turnCommand: {
            file: process.execPath,
            args: [FAKE],
            env: { ...process.env, FAKE_STATE_DIR: s.stateDir, FAKE_EVENTS: eventsFile, FAKE_TURNS: 'ok' },
          },
          target: { os: 'linux', liveProcesses: false },
          log: memoryLogger(),
        }),
        (err: InstanceLockError) => err.code === 'ALREADY_RUNNING' && /läuft für diesen Benutzer bereits/.test(err.message),
      );
      const second = (await readFile(eventsFile, 'utf8')).split('\n').filter(Boolean);
      assert.ok(
        second.every((l) => !l.includes('"event":"turn"')),
        'its turn was stopped before any work',
      );
    } finally {
      await s.stop();
    }
  });

  it('starts a turn with a scan request when the watch sees a watched process start', async (t) => {
    if (process.platform !== 'linux') return t.skip('the /proc process watch is Linux-only');
    const { s, name, exe } = await superviseWatching('awfake', { overrides: { watchMs: 200 } });
    let proc: ReturnType<typeof spawn> | undefined;
    try {
      await s.logged((l) => l.msg === 'turn done');
      await new Promise((r) => setTimeout(r, 500)); // the watch has its names and a baseline
      proc = spawn(exe, ['30'], { stdio: 'ignore' });
      const seen = await s.logged((l) => l.msg === 'banned app started');
      assert.equal(seen.pid, proc.pid);
      const turn = await s.waitFor('the requested turn', async () =>
        (await s.events()).find((e) => e.event === 'turn' && e.scanRequest),
      );
      assert.equal(turn.scanRequest, `process started: ${name} (${proc.pid})`);
    } finally {
      proc?.kill('SIGKILL');
      await s.stop();
    }
  });

  it('limits the turns of an app that starts and quits in a loop; the first ones still come at once', async (t) => {
    if (process.platform !== 'linux') return t.skip('the /proc process watch is Linux-only');
    const { s, exe } = await superviseWatching('awflap', {
      overrides: { watchMs: 100 },
      watchTurnLimit: { burst: 2, refillMs: 1_500 },
    });
    try {
      await s.logged((l) => l.msg === 'turn done');
      await new Promise((r) => setTimeout(r, 400)); // the watch has its names and a baseline
      const t0 = Date.now();
      // Start and kill it every 250 ms for 4.5 s: ~36 starts and exits the watch sees.
      while (Date.now() - t0 < 4_500) {
        const p = spawn(exe, ['30'], { stdio: 'ignore' });
        await new Promise((r) => setTimeout(r, 150));
        p.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300));
      const hits = s.log.lines.filter((l) => l.msg === 'banned app started').length;
      const requested = (await s.events()).filter((e) => e.event === 'turn' && e.scanRequest && e.at >= t0);
      assert.ok(hits >= 6, `the watch saw the starts (${hits})`);
      assert.ok(requested.length >= 2, `the watch kept asking for turns (${requested.length})`);
      // A bucket of 2 that refills one per 1.5 s: in 4.8 s about 5 (29 without the limit), and no stretch of turns denser
      // than the bucket allows (half a turn of slack for when the stand-in records its start).
      const gaps = requested.slice(1).map((r, i) => r.at - requested[i]!.at);
      const said = `${requested.length} turns for ${hits} starts (gaps ${gaps.join(', ')} ms)`;
      assert.ok(requested.length <= 6, said);
      assert.ok(requested[0]!.at - t0 < 2_000, `the first start got its turn at once (${requested[0]!.at - t0} ms)`);
      for (let a = 0; a < requested.length; a++)
        for (let b = a + 1; b < requested.length; b++)
          assert.ok(b - a + 1 <= 2 + (requested[b]!.at - requested[a]!.at) / 1_500 + 0.5, `turns ${a + 1}–${b + 1}: ${said}`);
    } finally {
      await s.stop();
    }
  });
});

describe("runSupervisor(): the turns' node flags (TURN_NODE_FLAGS)", () => {
  it('starts every turn with them: --jitless is in effect (no WebAssembly in the turn)', async () => {
    assert.ok(TURN_NODE_FLAGS.includes('--jitless'));
    const s = await supervise({ FAKE_TURNS: 'ok', FAKE_NEXT_MS: '200' });
    try {
      const starts = await s.waitFor('two turns started', async () => {
        const e = (await s.events()).filter((x) => x.event === 'start');
        return e.length >= 2 ? e : undefined;
      });
      for (const start of starts) {
        assert.deepEqual(start.execArgv, [...TURN_NODE_FLAGS]);
        assert.equal(start.wasm, false);
      }
    } finally {
      await s.stop();
    }
  });

  it('a turn that needs WebAssembly (a proxy) is stopped before its work and started again without them, and so are the next', async () => {
    const s = await supervise({ FAKE_TURNS: 'ok', FAKE_NEEDS_WASM: '1', FAKE_NEXT_MS: '200' });
    try {
      const turns = await s.waitFor('two turns done', async () => {
        const t = (await s.events()).filter((x) => x.event === 'turn');
        return t.length >= 2 ? t : undefined;
      });
      const events = await s.events();
      const starts = events.filter((x) => x.event === 'start');
      assert.deepEqual(starts[0]!.execArgv, [...TURN_NODE_FLAGS], 'the first turn gets the flags: nothing is known yet');
      assert.ok(
        events.some((x) => x.event === 'stop' && x.pid === starts[0]!.pid),
        'it was told to stop',
      );
      assert.ok(!turns.some((t) => t.pid === starts[0]!.pid), 'before any work');
      for (const start of starts.slice(1)) {
        assert.deepEqual(start.execArgv, []);
        assert.equal(start.wasm, true);
      }
      assert.equal(turns[0]!.firstOfRun, true, 'the turn started again is still the first of the run');
      assert.equal(s.log.lines.filter((l) => /started again without their node flags/.test(String(l.msg))).length, 1);
      assert.ok(!s.log.lines.some((l) => l.level === 'error'), 'no failure, no backoff');
    } finally {
      await s.stop();
    }
  });

  it('turnNodeFlags: [] starts the turns as the supervisor was started', async () => {
    const s = await supervise({ FAKE_TURNS: 'ok' }, { turnNodeFlags: [] });
    try {
      const start = await s.waitFor('a turn started', async () => (await s.events()).find((x) => x.event === 'start'));
      assert.deepEqual(start.execArgv, []);
      assert.equal(start.wasm, true);
    } finally {
      await s.stop();
    }
  });
});

describe('appwacht run (the built CLI): the real supervisor and real turns', () => {
  it('SIGTERM while a turn works: the turn finishes its step, the stop is recorded, nothing is left running', async () => {
    const dir = join(tmp, 'cli-stop');
    const stateDir = join(dir, 'state');
    const tree = join(REPO, 'test', 'fixtures', 'linux', 'laptop');
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(dir, '.keep'), '');
    const child = spawn(
      process.execPath,
      [join(REPO, 'bin', 'appwacht.js'), 'run', '--root', tree, '--os', 'linux', '--no-notifications', '--scan-interval', '0.2'],
      {
        cwd: REPO,
        env: { ...process.env, HOME: dir, APPWACHT_STATE_DIR: stateDir, LANG: 'C.UTF-8', LC_ALL: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let log = '';
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 400 && !log.includes('"turn done"'); i++) await new Promise((r) => setTimeout(r, 25));
      // Now turns follow each other every 0.2 s: one is at work or about to start. A real turn, seen from /proc: the
      // supervisor started it with the turn flags, before its own command line.
      let turnArgs: string[] | undefined;
      for (let i = 0; i < 400 && !turnArgs; i++) {
        turnArgs = childPids(child.pid!)
          .map((pid) => cmdline(pid))
          .find((args) => args?.includes('--turn'));
        if (!turnArgs) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(turnArgs, `a turn process was seen; log: ${log.slice(-1000)}`);
      assert.deepEqual(turnArgs.slice(1, 1 + TURN_NODE_FLAGS.length), [...TURN_NODE_FLAGS]);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, log.slice(-2000));
      assert.match(log, /"msg":"stopped"/);
      const state = JSON.parse(await readFile(join(stateDir, 'agent-state.json'), 'utf8')) as {
        agent: { pid: number; stoppedAt: string | null };
      };
      assert.equal(state.agent.pid, child.pid, 'the state names the supervisor, not a turn');
      assert.ok(state.agent.stoppedAt, 'the clean stop is recorded');
      assert.ok(
        !existsSync(join(stateDir, STATE_FILES.instanceLock)) && !existsSync(join(stateDir, 'turn.lock')),
        'both locks released',
      );
      const turns = [...log.matchAll(/"pid":(\d+),"supervisor":/g)].map((m) => Number(m[1]));
      for (const pid of new Set(turns)) assert.ok(!existsSync(`/proc/${pid}`), `turn ${pid} is gone`);
    } finally {
      child.kill('SIGKILL');
    }
  });
  it('behind a proxy: the real turn says it needs WebAssembly, runs again without the turn flags and reaches the server', async () => {
    const dir = join(tmp, 'cli-proxy');
    const server = await startServer(join(dir, 'server'));
    const proxy = await startTestProxy();
    const env = {
      ...agentEnv({ server: server.info, stateDir: join(dir, 'state'), home: join(dir, 'home') }),
      HTTP_PROXY: proxy.url,
    };
    const agent = spawnAgent(['run', '--processes', 'off', '--no-notifications'], env);
    try {
      const done = await agent.waitForLog('turn done', (l) => l.msg === 'turn done', 60_000);
      assert.ok(
        agent.log.some((l) => /started again without their node flags/.test(String(l.msg))),
        'the flagged turn was started again',
      );
      assert.ok(
        agent.log.some((l) => l.msg === 'enrolled'),
        `enrolled; log: ${agent.stderr().slice(-1500)}`,
      );
      assert.ok(
        proxy.seen.some((r) => r.startsWith('POST http://127.0.0.1')),
        `the turn's calls went through the proxy: ${proxy.seen.join(', ')}`,
      );
      assert.ok(!agent.log.some((l) => l.level === 'error'), agent.stderr().slice(-1500));
      assert.ok(Number(done.cpuMs) > 0);
    } finally {
      await agent.stop();
      await proxy.close();
      await server.stop();
    }
  });
});

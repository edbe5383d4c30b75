import assert from 'node:assert/strict';
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  AdminApi,
  LAPTOP_FIXTURE,
  LINE_DESKTOP_FILE,
  agentEnv,
  agentStatus,
  assertBuilt,
  copyLaptop,
  policyBanning,
  processesMentioning,
  readLogFile,
  serverReports,
  spawnAgent,
  startServer,
  tempDir,
  waitFor,
  type LogLine,
} from './helpers.js';
import { prng } from '../helpers/prng.js';

const ROUNDS = Number(process.env.APPWACHT_KILL_ROUNDS ?? 32);

/**
 * What a round kills: the whole process group (supervisor and turn: a logout, `kill -9 -<pgid>`), only the turn at work
 * (the supervisor retries it, then the group goes), or only the supervisor (its turn goes on as an orphan while the next
 * round's supervisor starts: it must wait for the turn lock). Rounds cycle through them.
 */
type KillMode = 'group' | 'turn' | 'supervisor';
const MODES = (process.env.APPWACHT_KILL_MODES ?? 'group,turn,supervisor').split(',') as KillMode[];

/** Whether the log file got a line with `needle` after byte `from` (read from there, not the whole file). */
function loggedSince(path: string, from: number, needle: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= from) return false;
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8').includes(needle);
  } finally {
    closeSync(fd);
  }
}

/** Every change report the agent recorded (committed): "state changed" lines and re-queued ones after a kill. */
function recordedChangeIds(lines: LogLine[]): Set<string> {
  const ids = new Set<string>();
  for (const l of lines) {
    if (typeof l.reportId !== 'string') continue;
    if (l.msg === 'state changed' && l.kind === 'change') ids.add(l.reportId);
    if (l.msg === 'report recovered from an interrupted run' && l.kind === 'change') ids.add(l.reportId);
  }
  return ids;
}

describe('SIGKILL at random points of the agent’s work', () => {
  it(`loses and doubles no state transition over ${ROUNDS} kills`, async (t) => {
    assertBuilt();
    const seed = Number(process.env.APPWACHT_KILL_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    t.diagnostic(`seed ${seed} (APPWACHT_KILL_SEED=${seed} repeats these kill points)`);
    const tmp = await tempDir();
    const dataDir = join(tmp.dir, 'server');
    const stateDir = join(tmp.dir, 'state');
    const logFile = join(tmp.dir, 'agent.log');
    const tree = await copyLaptop(join(tmp.dir, 'tree'));
    const lineFile = join(tree, LINE_DESKTOP_FILE);
    const lineContent = await readFile(join(LAPTOP_FIXTURE, LINE_DESKTOP_FILE));
    // LINE flips every 120–420 ms, so this agent reports far more often than any laptop: the server's per-device report
    // limit (30 a minute) would hold back the final delivery past the wait below, now that turns are quick enough to
    // record most flips. What is tested here is SIGKILL safety, not the limit (tested in test/server).
    const server = await startServer(dataDir, {
      env: { APPWACHT_ENROLL_RATE_LIMIT: '1000', APPWACHT_REPORT_RATE_LIMIT: '100000' },
    });
    let agent: ReturnType<typeof spawnAgent> | undefined;
    let flipping = true;
    let flips = 0;
    try {
      const admin = await AdminApi.login(server.info.url);
      await admin.createPolicy(policyBanning(['line']));
      const env = agentEnv({ server: server.info, stateDir, home: join(tmp.dir, 'home') });
      const args = [
        'run',
        ...['--root', tree, '--os', 'linux', '--no-notifications', '--log-file', logFile, '--log-level', 'debug'],
        // Short intervals: the agent is always scanning, writing, enqueueing or delivering when the kill comes.
        ...['--scan-interval', '0.1', '--refresh-interval', '0.5', '--heartbeat-interval', '0.7', '--retry-max', '0.3'],
      ];

      // LINE comes and goes all the time, so there is always a transition in flight.
      const flipper = (async () => {
        while (flipping) {
          if (existsSync(lineFile)) await rm(lineFile);
          else {
            await mkdir(dirname(lineFile), { recursive: true });
            await writeFile(lineFile, lineContent);
          }
          flips++;
          await new Promise((r) => setTimeout(r, 120 + random() * 300));
        }
      })();

      const delays: number[] = [];
      let duringStartUp = 0;
      const kills: Record<KillMode, number> = { group: 0, turn: 0, supervisor: 0 };
      let turnsKilled = 0;
      let atCommit = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const mode = MODES[round % MODES.length]!;
        const current = spawnAgent(args, env);
        agent = current;
        const delay = Math.round(random() * 2500);
        delays.push(delay);
        if (random() < 0.2) {
          // Now and then anywhere from the spawn on: loading, the first turn's hello, taking the locks, reading the state.
          duringStartUp++;
        } else {
          // Mostly counted from the start line, so that a loaded machine (slow start-up) still kills the agent at work.
          await waitFor(
            'the agent started',
            () =>
              current.child.exitCode !== null ||
              readLogFile(logFile).some((l) => l.pid === current.child.pid && l.msg === 'starting'),
            20_000,
            20,
          );
        }
        await new Promise((r) => setTimeout(r, delay));
        kills[mode]++;
        if (mode === 'group') await current.kill();
        else if (mode === 'supervisor') {
          // In half of these rounds once a turn is at its work (it has logged), so that it goes on as an orphan for a while.
          if (random() < 0.5) {
            const from = statSync(logFile).size;
            const needle = `"supervisor":${current.child.pid}`;
            await waitFor('a turn at work', () => loggedSince(logFile, from, needle), 10_000, 2).catch(() => {});
          }
          await current.killSupervisor();
        } else {
          // The turn at work (there is one nearly always: the intervals are short) — in half of these rounds the moment a
          // turn logs a commit ("state changed": the report is in the state file, not yet in the outbox) — then a moment
          // for the supervisor's retry, then the group.
          if (random() < 0.5) {
            atCommit++;
            const from = statSync(logFile).size;
            await waitFor('a commit', () => loggedSince(logFile, from, '"msg":"state changed"'), 10_000, 2).catch(() => {});
          }
          const turns = await waitFor('a turn at work', () => current.turnPids(), 5_000, 5).catch(() => []);
          for (const pid of turns) {
            try {
              process.kill(pid, 'SIGKILL');
              turnsKilled++;
            } catch {
              // it finished just now
            }
          }
          await new Promise((r) => setTimeout(r, Math.round(random() * 1500)));
          await current.kill();
        }
      }
      flipping = false;
      await flipper;

      // One last, undisturbed run: it must bring the server to the tree's final state with everything delivered.
      const present = existsSync(lineFile);
      const last = spawnAgent(args, env);
      agent = last;
      // The state file still says what an earlier run saw: wait for a scan of this run's own turns before judging it.
      await waitFor('the last run scanned', () =>
        readLogFile(logFile).some((l) => l.supervisor === last.child.pid && l.msg === 'scan done'),
      );
      await waitFor(
        'the final state delivered and the outbox empty',
        async () => {
          const s = await agentStatus(env);
          const want = present ? 'violation' : 'compliant';
          const [device] = await admin.devices();
          return s.outbox.queued === 0 && s.outbox.pending === 0 && s.compliance?.status === want && device?.status === want
            ? s
            : undefined;
        },
        60_000,
        200,
      );
      const exit = await agent.stop();
      assert.equal(
        exit.code,
        0,
        `the last run stops cleanly on SIGTERM (${exit.signal ?? exit.code}): ${readLogFile(logFile)
          .slice(-5)
          .map((l) => JSON.stringify(l))
          .join('\n')}\n${agent.stderr().slice(-2000)}`,
      );

      // Orphaned turns (their supervisor was killed) end by themselves: nothing of this test may be left running.
      // (Every agent process has the tree in its command line; the server has not.)
      const left = await waitFor('no agent process of this test left', () => {
        const procs = processesMentioning(tree);
        return procs.length === 0 ? procs : undefined;
      }).catch(() => processesMentioning(tree));
      assert.deepEqual(left, [], 'no turn outlives the test');

      const lines = readLogFile(logFile);
      assert.ok(!lines.some((l) => 'raw' in l), 'every log line is whole (sync appends survive SIGKILL)');
      const starts = lines.filter((l) => l.msg === 'starting').length;
      const recovered = lines.filter((l) => l.msg === 'report recovered from an interrupted run').length;
      const recorded = recordedChangeIds(lines);
      const rows = serverReports(dataDir);
      const changeRows = rows.filter((r) => r.kind === 'change');
      const waited = lines.filter((l) => l.msg === 'a turn of an earlier run is still at work; waiting for it to finish').length;
      const orphans = lines.filter((l) => l.msg === 'the supervisor is gone; finishing this turn alone').length;
      const busy = lines.filter((l) => l.msg === 'turn failed; retrying with backoff').length;
      t.diagnostic(
        `kills: ${kills.group} of the process group, ${kills.turn} of the turn at work (${atCommit} right after a commit, ` +
          `${turnsKilled} turns killed, ` +
          `${busy} failed turns logged by a supervisor), ${kills.supervisor} of the supervisor alone ` +
          `(${orphans} turns went on alone, ${waited} times a new supervisor waited for one)`,
      );
      t.diagnostic(
        `${ROUNDS} kills (${duringStartUp} counted from the spawn, the rest from the start line) after ` +
          `${Math.min(...delays)}–${Math.max(...delays)} ms, ${starts} starts, ${flips} flips, ` +
          `${recorded.size} transitions recorded, ${recovered} reports re-queued after a kill, ` +
          `${rows.length} reports on the server (${changeRows.length} changes)`,
      );

      if (turnsKilled > 0) assert.ok(busy > 0, 'a supervisor whose turn was killed says so and goes on');
      assert.ok(starts >= ROUNDS - duringStartUp, `every round not killed during start-up got as far as starting (${starts})`);
      assert.ok(recorded.size >= 10, `enough transitions to prove something (${recorded.size})`);
      const ids = rows.map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length, 'no report id stored twice');
      const lost = [...recorded].filter((id) => !changeRows.some((r) => r.id === id));
      assert.deepEqual(lost, [], 'every recorded transition reached the server');
      const unknown = changeRows.filter((r) => !recorded.has(r.id)).map((r) => r.id);
      assert.deepEqual(unknown, [], 'the server holds no change the agent did not record');
      // None doubled: a transition recorded twice (under two ids) would show as the same status twice in a row.
      const doubled = changeRows.filter((r, i) => i > 0 && changeRows[i - 1]!.status === r.status);
      assert.deepEqual(
        doubled.map((r) => `${r.id} ${r.status}`),
        [],
        'consecutive change reports on the server alternate between violation and compliant',
      );
      const firsts = lines.filter(
        (l) => l.msg === 'state changed' && (l.changes as string[] | undefined)?.includes('first state'),
      );
      assert.equal(firsts.length, 1, 'only the very first run reports a "first state": restarts remember the fingerprint');
    } finally {
      flipping = false;
      await agent?.kill();
      await server.stop();
      await tmp.remove();
    }
  });
});

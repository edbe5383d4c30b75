/**
 * One turn (turn.ts) on its own, in local mode: a real state store in a temporary folder, the real policy client
 * (bundled policy), the real evaluation; only the inventory is given (the scan function), so that a test says what
 * the machine holds. With a server, turns are tested through the drivers: agent.test.ts (in-process, stand-in server),
 * supervisor.test.ts and test/e2e (real turn processes, real server).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Policy } from '../../../protocol/index.js';
import type { RunningProcess } from '../../../agent/inventory/types.js';
import { memoryLogger, type LogFields } from '../../../agent/log.js';
import { createPolicyClient } from '../../../agent/policy/client.js';
import { evaluate } from '../../../agent/policy/evaluate.js';
import { createFilePolicyStore } from '../../../agent/policy/store.js';
import type { ScanResult } from '../../../agent/scan.js';
import { emptySchedule, nextWake } from '../../../agent/runtime/schedule.js';
import { RuntimeStateStore } from '../../../agent/runtime/state.js';
import { TurnRunner, type TurnInput, type TurnOptions } from '../../../agent/runtime/turn.js';
import { watchedProcessNames } from '../../../agent/runtime/watch-list.js';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'appwacht-turn-'));
});
after(() => rm(tmp, { recursive: true, force: true }));

let n = 0;
/** A turn runner on a fresh state folder; `machine.processes` is what the next scan finds running. */
async function harness(update?: TurnOptions['update']) {
  const stateDir = join(tmp, `t${n++}`);
  await mkdir(stateDir);
  const log = memoryLogger('debug');
  const { store } = await RuntimeStateStore.load(stateDir, { agentVersion: '0.1.0', log });
  const machine = { processes: [] as RunningProcess[], fail: undefined as Error | undefined, scans: 0 };
  const scan = async (policy: Policy): Promise<ScanResult> => {
    machine.scans++;
    if (machine.fail) throw machine.fail;
    const scannedAt = new Date();
    const input = { os: 'linux' as const, apps: [], processes: machine.processes, sources: [] };
    // Only what the turn reads of a scan: the evaluation, the sources, the time.
    return {
      evaluation: evaluate(input, policy, scannedAt),
      inventory: input,
      policy,
      scannedAt,
    } as unknown as ScanResult;
  };
  const runner = new TurnRunner({
    log,
    store,
    policyClient: createPolicyClient({ store: createFilePolicyStore(stateDir), log }),
    scan,
    ...(update ? { update } : {}),
  });
  const signal = new AbortController().signal;
  const turn = (over: Partial<TurnInput> = {}) =>
    runner.run({ schedule: emptySchedule(), firstOfRun: false, announcePending: false, signal, ...over });
  const said = (msg: string): LogFields[] => log.lines.filter((l) => l.msg === msg);
  return { stateDir, store, log, machine, turn, said };
}

describe('a turn in local mode', () => {
  it('first of a run: takes the bundled policy, says it once, scans, and hands back the schedule and watch list', async () => {
    const h = await harness();
    const result = await h.turn({ firstOfRun: true, announcePending: true });
    assert.equal(h.machine.scans, 1);
    assert.equal(result.trigger, 'interval');
    assert.equal(result.inForce.origin, 'bundled');
    assert.equal(result.stateSaved, true);
    assert.equal(h.store.state.policy?.origin, 'bundled', 'recorded for appwacht status');
    assert.equal(h.store.state.mode, 'local');
    assert.deepEqual(result.schedule.watch.processes, watchedProcessNames(result.inForce.policy));
    assert.equal(result.schedule.nextRefreshAt, null, 'no server: nothing to refresh');
    assert.ok(result.schedule.nextScanAt > Date.now() + 60_000, 'the next scan at the interval');
    const [policy, ...again] = h.said('policy in force');
    assert.equal(again.length, 0, 'said once');
    assert.equal(policy?.component, 'turn', 'the turn logs as the turn');
    const changed = h.said('state changed');
    assert.equal(changed.length, 1);
    assert.equal(changed[0]?.component, 'scan', 'the scan step logs as the scan');
    assert.equal(changed[0]?.mode, 'local');
  });

  it('nothing due: no scan; a scan request (process watch) scans and names its trigger; a change is said', async () => {
    const h = await harness();
    const first = await h.turn({ firstOfRun: true });
    const quiet = await h.turn({ schedule: first.schedule });
    assert.equal(h.machine.scans, 1, 'nothing was due');
    assert.equal(quiet.trigger, undefined);
    assert.equal(h.said('policy in force').length, 1, 'the same policy is not said again');

    const name = watchedProcessNames(first.inForce.policy)[0];
    assert.ok(name, 'the bundled policy watches some process');
    h.machine.processes = [{ pid: 4242, name }];
    const asked = await h.turn({ schedule: quiet.schedule, scanRequest: `process started: ${name} (4242)` });
    assert.equal(h.machine.scans, 2);
    assert.equal(asked.trigger, `process started: ${name} (4242)`);
    assert.equal(h.store.state.lastScan?.trigger, asked.trigger);
    assert.equal(h.said('state changed').length, 2, 'the running banned app changed the state');
  });

  it('a scan step that throws: said, kept as the last error, and tried again within a minute; the turn still ends', async () => {
    const h = await harness();
    h.machine.fail = new Error('inventory exploded');
    const before = Date.now();
    const result = await h.turn({ firstOfRun: true });
    const failed = h.said('scan turn failed; the loop goes on');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.component, 'turn');
    assert.match(h.store.state.lastError?.message ?? '', /inventory exploded/);
    const retryIn = result.schedule.nextScanAt - before;
    assert.ok(retryIn > 0 && retryIn <= 60_000 + 5_000, `retried within SCAN_RETRY_MS, not the 15 min interval (${retryIn} ms)`);
  });

  it('a state file that cannot be written: said once over turns, the state kept in memory, and said when it works again', async () => {
    const h = await harness();
    const first = await h.turn({ firstOfRun: true });
    // The state folder becomes a file: every write into it fails (ENOTDIR), as it would on a broken disk.
    await rm(h.stateDir, { recursive: true });
    await writeFile(h.stateDir, 'not a folder');
    const a = await h.turn({ schedule: first.schedule, scanRequest: 'test' });
    const b = await h.turn({ schedule: a.schedule, scanRequest: 'test' });
    assert.deepEqual([a.stateSaved, b.stateSaved], [false, false]);
    assert.equal(h.said('agent state file not written; the agent keeps running and retries').length, 1, 'said once');
    assert.ok(b.schedule.said.stateFile, 'the schedule carries what was said to the next turn');
    await rm(h.stateDir);
    await mkdir(h.stateDir);
    const c = await h.turn({ schedule: b.schedule, scanRequest: 'test' });
    assert.equal(c.stateSaved, true);
    assert.equal(h.said('agent state file written again').length, 1);
    assert.equal(c.schedule.said.stateFile, undefined);
  });
});

describe('the update step in a turn (machine service only: context.ts wires it)', () => {
  it('runs at the first turn of a run, then when its time in the schedule is due; null parks it', async () => {
    const calls: number[] = [];
    let answer: number | null = Date.now() + 3_600_000;
    const h = await harness(async () => {
      calls.push(Date.now());
      return answer;
    });
    const first = await h.turn({ firstOfRun: true, announcePending: true });
    assert.equal(calls.length, 1, 'a new run settles an install under way at once');
    assert.equal(first.schedule.nextUpdateAt, answer);
    assert.ok(nextWake(first.schedule) <= answer!, 'the supervisor wakes for it');
    await h.turn({ schedule: first.schedule });
    assert.equal(calls.length, 1, 'not before its time');
    answer = null;
    const due = await h.turn({ schedule: { ...first.schedule, nextUpdateAt: Date.now() - 1 } });
    assert.equal(calls.length, 2);
    assert.equal(due.schedule.nextUpdateAt, null);
    await h.turn({ schedule: due.schedule });
    assert.equal(calls.length, 2, 'parked until a new run or another policy');
  });

  it('a step that throws is said, and tried again in an hour; the turn still ends', async () => {
    const h = await harness(async () => {
      throw new Error('disk gone');
    });
    const result = await h.turn({ firstOfRun: true });
    assert.equal(h.said('update turn failed; the loop goes on').length, 1);
    assert.ok(result.schedule.nextUpdateAt! > Date.now() + 3_500_000);
    assert.equal(result.stateSaved, true);
  });

  it('without it (user mode, the tray) the schedule has no update time at all', async () => {
    const h = await harness();
    const result = await h.turn({ firstOfRun: true });
    assert.equal('nextUpdateAt' in result.schedule, false);
  });
});

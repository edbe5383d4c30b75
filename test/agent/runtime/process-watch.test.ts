import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getCatalogMatcher } from '../../../agent/catalog/index.js';
import type { RunningProcess } from '../../../agent/inventory/types.js';
import { MatcherSet } from '../../../agent/policy/match.js';
import { PidTracker, listProcPids, startProcessWatch, type WatchEvent } from '../../../agent/runtime/process-watch.js';

const banned = (p: RunningProcess) => p.name === 'Telegram';

/** A process table the test edits between ticks: pid → name (undefined: gone). */
function table(initial: Record<number, string>) {
  const procs = new Map<number, string>(Object.entries(initial).map(([k, v]) => [Number(k), v]));
  const reads: number[] = [];
  return {
    procs,
    reads,
    pids: () => [...procs.keys()],
    read: (pid: number): RunningProcess | undefined => {
      reads.push(pid);
      const name = procs.get(pid);
      return name === undefined ? undefined : { pid, name };
    },
  };
}

const summary = (events: WatchEvent[]) => events.map((e) => `${e.kind} ${e.process.name} ${e.process.pid}`);

describe('PidTracker', () => {
  it('reports nothing on the baseline tick, then starts and exits of banned processes only', () => {
    const t = table({ 1: 'systemd', 50: 'Telegram', 60: 'bash' });
    const tracker = new PidTracker();
    assert.deepEqual(tracker.tick(t.pids(), t.read, banned), [], 'baseline: already running is the scan’s business');
    assert.deepEqual(
      tracker.running.map((p) => p.pid),
      [50],
    );

    t.procs.set(70, 'Telegram');
    t.procs.set(71, 'vim');
    assert.deepEqual(summary(tracker.tick(t.pids(), t.read, banned)), ['started Telegram 70']);

    t.procs.delete(50);
    t.procs.delete(71);
    assert.deepEqual(summary(tracker.tick(t.pids(), t.read, banned)), ['exited Telegram 50']);
    t.procs.delete(60);
    assert.deepEqual(tracker.tick(t.pids(), t.read, banned), [], 'a harmless process that exits is no event');
  });

  it('looks at a pid when it is new and once more on the next tick (fork, then exec), then never again', () => {
    const t = table({ 1: 'systemd' });
    const tracker = new PidTracker();
    tracker.tick(t.pids(), t.read, banned);
    tracker.tick(t.pids(), t.read, banned); // pid 1's second look
    t.procs.set(80, 'sh'); // a launcher forked…
    t.reads.length = 0;
    assert.deepEqual(tracker.tick(t.pids(), t.read, banned), []);
    assert.deepEqual(t.reads, [80], 'only the new pid is read');
    t.procs.set(80, 'Telegram'); // …and exec()ed Telegram in the same pid
    t.reads.length = 0;
    assert.deepEqual(summary(tracker.tick(t.pids(), t.read, banned)), ['started Telegram 80']);
    assert.deepEqual(t.reads, [80]);
    t.reads.length = 0;
    tracker.tick(t.pids(), t.read, banned);
    tracker.tick(t.pids(), t.read, banned);
    assert.deepEqual(t.reads, [], 'known pids cost nothing');
  });

  it('does not report a banned process twice, and a reused pid is a new process', () => {
    const t = table({});
    const tracker = new PidTracker();
    tracker.tick(t.pids(), t.read, banned);
    t.procs.set(90, 'Telegram');
    assert.equal(tracker.tick(t.pids(), t.read, banned).length, 1);
    assert.equal(tracker.tick(t.pids(), t.read, banned).length, 0, 'the second look does not report it again');
    t.procs.delete(90);
    assert.deepEqual(summary(tracker.tick(t.pids(), t.read, banned)), ['exited Telegram 90']);
    t.procs.set(90, 'Telegram');
    assert.deepEqual(summary(tracker.tick(t.pids(), t.read, banned)), ['started Telegram 90']);
  });

  it('skips pids that vanish between listing and reading', () => {
    const tracker = new PidTracker();
    tracker.tick([], () => undefined, banned);
    assert.deepEqual(
      tracker.tick([5, 6], () => undefined, banned),
      [],
    );
  });

  it('after reset (another policy) takes a new baseline', () => {
    const t = table({ 50: 'Telegram' });
    const tracker = new PidTracker();
    tracker.tick(t.pids(), t.read, () => false);
    tracker.reset();
    assert.deepEqual(tracker.tick(t.pids(), t.read, banned), [], 'baseline again');
    assert.deepEqual(
      tracker.running.map((p) => p.pid),
      [50],
      'but it knows what runs, so its exit is reported',
    );
    t.procs.delete(50);
    assert.deepEqual(summary(tracker.tick(t.pids(), t.read, banned)), ['exited Telegram 50']);
  });
});

describe('startProcessWatch', () => {
  it('polls the whole process list where there is no /proc (macOS/Windows path), matching by the compiled policy', async () => {
    const set = new MatcherSet([getCatalogMatcher('telegram')!]);
    let list: RunningProcess[] = [{ pid: 1, name: 'explorer.exe' }];
    const events: WatchEvent[] = [];
    const watch = startProcessWatch({
      os: 'windows',
      mode: 'poll',
      intervalMs: 60_000,
      matchers: () => set,
      onEvent: (e) => events.push(e),
      listProcesses: async () => list,
    });
    try {
      assert.equal(watch.mode, 'poll');
      await watch.tick();
      list = [...list, { pid: 2, name: 'Telegram.exe' }, { pid: 3, name: 'TelegramMediaDownloader.exe' }];
      await watch.tick();
      assert.deepEqual(summary(events), ['started Telegram.exe 2'], 'exact process names only, case-insensitive .exe on Windows');
    } finally {
      watch.stop();
    }
  });

  it('on Linux sees a real process named like a banned app start and exit (real /proc)', async (t) => {
    if (process.platform !== 'linux') return t.skip('needs /proc');
    const dir = await mkdtemp(join(tmpdir(), 'appwacht-watch-'));
    const exe = join(dir, 'Telegram');
    await copyFile('/bin/sleep', exe);
    const set = new MatcherSet([getCatalogMatcher('telegram')!]);
    const events: WatchEvent[] = [];
    const watch = startProcessWatch({ os: 'linux', intervalMs: 60_000, matchers: () => set, onEvent: (e) => events.push(e) });
    const child = spawn(exe, ['30'], { stdio: 'ignore' });
    try {
      assert.equal(watch.mode, 'proc');
      await watch.tick();
      const started = events.find((e) => e.kind === 'started' && e.process.pid === child.pid);
      assert.ok(started, `the watch saw pid ${child.pid}: ${JSON.stringify(events)}`);
      assert.equal(started.process.path, exe);
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      await watch.tick();
      assert.ok(events.some((e) => e.kind === 'exited' && e.process.pid === child.pid));
    } finally {
      child.kill('SIGKILL');
      watch.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('listProcPids lists this process and no non-numeric entries', (t) => {
    if (process.platform !== 'linux') return t.skip('needs /proc');
    const pids = listProcPids();
    assert.ok(pids.includes(process.pid));
    assert.ok(pids.every((p) => Number.isInteger(p) && p > 0));
  });

  it('keeps ticking after a failing tick and logs it once', async () => {
    const lines: string[] = [];
    let calls = 0;
    const { createLogger } = await import('../../../agent/log.js');
    const log = createLogger({ sink: (l) => lines.push(l) });
    const watch = startProcessWatch({
      os: 'macos',
      mode: 'poll',
      intervalMs: 20,
      log,
      matchers: () => undefined,
      onEvent: () => {},
      listProcesses: async () => {
        calls++;
        throw new Error('ps is gone');
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    watch.stop();
    assert.ok(calls >= 3, `it went on ticking (${calls})`);
    assert.equal(lines.filter((l) => l.includes('process watch tick failed')).length, 1, 'the same error is logged once');
  });
});

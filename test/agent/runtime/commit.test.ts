/**
 * The commit protocol of reports (commit.ts), killed between each of its steps: what the next turn finds on disk must
 * lead to the report in the outbox exactly once — never lost, never a second copy, never a second id. A "crash" throws
 * out of the step and drops everything in memory; the next turn reopens the state file and the outbox from disk, as a
 * new process would. (The real SIGKILL of a whole agent is test/e2e/agent-kill.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../../protocol/index.js';
import { memoryLogger } from '../../../agent/log.js';
import { Outbox } from '../../../agent/outbox/outbox.js';
import { buildReport, fingerprint, stateChanges } from '../../../agent/report/build.js';
import { ReportCommit, type CommitContext } from '../../../agent/runtime/commit.js';
import { emptySchedule } from '../../../agent/runtime/schedule.js';
import { RuntimeStateStore } from '../../../agent/runtime/state.js';
import { StateFileError } from '../../../agent/state/files.js';
import { statePath } from '../../../agent/state/names.js';

class Crash extends Error {}

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'appwacht-commit-'));
});
after(() => rm(tmp, { recursive: true, force: true }));

const evaluation = {
  state: { status: 'violation' as const, pastDeadline: false, daysPastDeadline: 0 },
  findings: [],
};
const changeReport = (): Report =>
  buildReport({ evaluation, policyVersion: 3, agentVersion: '0.1.0', sources: [], kind: 'change', now: new Date() });

/** One "process": the state and the outbox as it finds them on disk. `saves` may crash a given save (1 = the first). */
async function turnOn(stateDir: string, options: { crashOnSave?: number } = {}) {
  const log = memoryLogger('debug');
  const { store } = await RuntimeStateStore.load(stateDir, { agentVersion: '0.1.0', continueRun: true });
  const outbox = await Outbox.open({ dir: statePath(stateDir, 'outbox') });
  let saves = 0;
  const context: CommitContext = {
    state: () => store.state,
    save: async () => {
      if (++saves === options.crashOnSave) throw new Crash('killed before the state file was written');
      await store.save();
      return true;
    },
    said: emptySchedule().said,
    log,
    now: () => new Date(),
    noteProblem: (message, err, fields) => log.error(message, { ...fields, error: err }),
  };
  return { store, outbox, log, commit: new ReportCommit(context) };
}

/** The outbox entries for `reportId`, and what is still pending, as a new process finds them. */
async function onDisk(stateDir: string, reportId: string) {
  const t = await turnOn(stateDir);
  return {
    queued: t.outbox.list().filter((e) => e.reportId === reportId).length,
    pending: t.store.state.pending.map((r) => r.reportId),
    fingerprint: t.store.state.lastFingerprint,
  };
}

/** The next turn flushes what it finds: the report ends up in the outbox once, nothing pending. */
async function nextTurnQueuesItOnce(dir: string, reportId: string): Promise<void> {
  const next = await turnOn(dir);
  await next.commit.flushPending(next.outbox);
  assert.deepEqual(await onDisk(dir, reportId), { queued: 1, pending: [], fingerprint: fingerprint(evaluation) });
}

let n = 0;
async function freshStateDir(): Promise<string> {
  const dir = join(tmp, `s${n++}`);
  const t = await turnOn(dir);
  await t.store.save(); // a state file from an earlier turn, with no report in it
  return dir;
}

describe('the commit protocol killed between its steps', () => {
  it('before the commit point: nothing recorded, and the next scan sees the change again', async () => {
    const dir = await freshStateDir();
    const t = await turnOn(dir, { crashOnSave: 1 });
    const report = changeReport();
    await assert.rejects(t.commit.record(report, 'change', fingerprint(evaluation), ['first state']), Crash);
    const found = await onDisk(dir, report.reportId);
    assert.deepEqual(found, { queued: 0, pending: [], fingerprint: null });
    assert.deepEqual(stateChanges(found.fingerprint ?? undefined, fingerprint(evaluation)), ['first state'], 'seen again');
  });

  it('after the commit point, before the outbox: the next turn queues the same report once', async () => {
    const dir = await freshStateDir();
    const t = await turnOn(dir);
    const report = changeReport();
    assert.equal(await t.commit.record(report, 'change', fingerprint(evaluation), ['first state']), true);
    assert.ok(
      t.log.lines.some((l) => l.msg === 'state changed' && l.reportId === report.reportId),
      'said after the commit',
    );
    // killed here
    const found = await onDisk(dir, report.reportId);
    assert.deepEqual(found, { queued: 0, pending: [report.reportId], fingerprint: fingerprint(evaluation) });
    await nextTurnQueuesItOnce(dir, report.reportId);
  });

  it('after the outbox, before it is dropped from pending: the next turn drops it without a second copy', async () => {
    const dir = await freshStateDir();
    const t = await turnOn(dir);
    const report = changeReport();
    await t.commit.record(report, 'change', fingerprint(evaluation), ['first state']);
    const enqueue = t.outbox.enqueue.bind(t.outbox);
    t.outbox.enqueue = async (r) => {
      await enqueue(r);
      throw new Crash('killed right after the enqueue');
    };
    await assert.rejects(t.commit.flushPending(t.outbox), Crash);
    assert.deepEqual(await onDisk(dir, report.reportId), {
      queued: 1,
      pending: [report.reportId],
      fingerprint: fingerprint(evaluation),
    });
    await nextTurnQueuesItOnce(dir, report.reportId);
  });

  it('after it is dropped, before the state file says so: the same as before, one copy', async () => {
    const dir = await freshStateDir();
    const t = await turnOn(dir, { crashOnSave: 2 });
    const report = changeReport();
    await t.commit.record(report, 'change', fingerprint(evaluation), ['first state']);
    await assert.rejects(t.commit.flushPending(t.outbox), Crash);
    assert.deepEqual((await onDisk(dir, report.reportId)).pending, [report.reportId], 'the drop was not written');
    await nextTurnQueuesItOnce(dir, report.reportId);
  });

  it('not killed: queued once, nothing pending, and a second flush changes nothing', async () => {
    const dir = await freshStateDir();
    const t = await turnOn(dir);
    const report = changeReport();
    await t.commit.record(report, 'change', fingerprint(evaluation), ['first state']);
    await t.commit.flushPending(t.outbox);
    await t.commit.flushPending(t.outbox);
    assert.deepEqual(await onDisk(dir, report.reportId), { queued: 1, pending: [], fingerprint: fingerprint(evaluation) });
  });
});

describe('the commit protocol on a full disk', () => {
  it('keeps what cannot be queued, says so once, and says when it is queued again', async () => {
    const dir = await freshStateDir();
    const t = await turnOn(dir);
    const first = changeReport();
    const second = changeReport();
    await t.commit.record(first, 'change', fingerprint(evaluation), ['first state']);
    await t.commit.record(second, 'change', fingerprint(evaluation), ['status compliant → violation']);
    const enqueue = t.outbox.enqueue.bind(t.outbox);
    let full = true;
    t.outbox.enqueue = (r) => (full ? Promise.reject(new StateFileError('DISK_FULL', 'disk full (simulated)')) : enqueue(r));
    await t.commit.flushPending(t.outbox);
    await t.commit.flushPending(t.outbox);
    const said = (msg: string) => t.log.lines.filter((l) => l.msg === msg).length;
    assert.equal(said('report could not be queued; it is kept and retried on the next turn'), 1, 'said once');
    assert.deepEqual(
      t.store.state.pending.map((r) => r.reportId),
      [first.reportId, second.reportId],
    );
    assert.equal(t.store.state.lastError?.code, 'DISK_FULL');
    full = false;
    await t.commit.flushPending(t.outbox);
    assert.equal(said('reports are queued again'), 1);
    assert.deepEqual(
      t.outbox.list().map((e) => e.reportId),
      [first.reportId, second.reportId],
      'both, oldest first',
    );
    assert.deepEqual(await onDisk(dir, first.reportId), { queued: 1, pending: [], fingerprint: fingerprint(evaluation) });
  });
});

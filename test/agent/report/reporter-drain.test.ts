/**
 * Reporter.drain(): delivery for short-lived turn processes (agent/runtime/turn.ts). It never waits: it returns the wait
 * the caller schedules, and `failedAttempts` carries the backoff into the next process (option `attempt`).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Report, ReportAck } from '../../../protocol/index.js';
import { Outbox } from '../../../agent/outbox/outbox.js';
import { Reporter, type Clock } from '../../../agent/report/reporter.js';
import { ServerError } from '../../../agent/transport/errors.js';
import { report } from '../../helpers/sample-reports.js';

const dirs: string[] = [];
async function outboxWith(count: number): Promise<{ outbox: Outbox; reports: Report[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'appwacht-drain-'));
  dirs.push(dir);
  const outbox = await Outbox.open({ dir });
  const reports = Array.from({ length: count }, () => report());
  for (const r of reports) await outbox.enqueue(r);
  return { outbox, reports };
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** drain() must not sleep: a clock whose sleep fails the test. */
const noSleep: Clock = {
  now: () => 0,
  sleep: () => Promise.reject(new Error('drain() slept')),
};
const ack = (r: Report): ReportAck => ({ reportId: r.reportId, stored: true });

describe('Reporter.drain()', () => {
  it('delivers everything and says the outbox is empty', async () => {
    const { outbox, reports } = await outboxWith(3);
    const sent: string[] = [];
    const reporter = new Reporter({
      outbox,
      deliver: async (r) => (sent.push(r.reportId), ack(r)),
      onUnauthorized: async () => false,
      clock: noSleep,
    });
    assert.deepEqual(await reporter.drain(new AbortController().signal), { outcome: 'empty' });
    assert.deepEqual(
      sent,
      reports.map((r) => r.reportId),
    );
    assert.equal(outbox.size, 0);
  });

  it('stops at the first failure with the backoff wait, and the next reporter continues the backoff from `attempt`', async () => {
    const { outbox } = await outboxWith(2);
    const down = async (): Promise<ReportAck> => {
      throw new ServerError('UNAVAILABLE', 'connect ECONNREFUSED');
    };
    const waits: number[] = [];
    let attempt = 0;
    for (let i = 0; i < 4; i++) {
      // A new reporter per turn, as every turn process makes one.
      const reporter = new Reporter({
        outbox,
        deliver: down,
        onUnauthorized: async () => false,
        clock: noSleep,
        random: () => 0.999,
        attempt,
      });
      const result = await reporter.drain(new AbortController().signal);
      assert.equal(result.outcome, 'wait');
      waits.push(result.outcome === 'wait' ? result.ms : -1);
      attempt = reporter.failedAttempts;
    }
    assert.deepEqual(waits, [4995, 9990, 19980, 39960], 'the backoff grows across reporters');
    assert.equal(outbox.size, 2, 'nothing lost');
    const back = new Reporter({
      outbox,
      deliver: async (r) => ack(r),
      onUnauthorized: async () => false,
      clock: noSleep,
      attempt,
    });
    assert.deepEqual(await back.drain(new AbortController().signal), { outcome: 'empty' });
    assert.equal(back.failedAttempts, 0, 'a delivery resets the backoff');
  });

  it('returns the server’s Retry-After as the wait', async () => {
    const { outbox } = await outboxWith(1);
    const reporter = new Reporter({
      outbox,
      deliver: async () => {
        throw new ServerError('RATE_LIMITED', 'slow down', { retryAfterMs: 30_000 });
      },
      onUnauthorized: async () => false,
      clock: noSleep,
    });
    assert.deepEqual(await reporter.drain(new AbortController().signal), { outcome: 'wait', ms: 30_000, reason: 'retry-after' });
  });

  it('says unauthorized when the caller cannot re-enroll, and keeps the report', async () => {
    const { outbox } = await outboxWith(1);
    const reporter = new Reporter({
      outbox,
      deliver: async () => {
        throw new ServerError('UNAUTHORIZED', '401');
      },
      onUnauthorized: async () => false,
      clock: noSleep,
    });
    assert.deepEqual(await reporter.drain(new AbortController().signal), { outcome: 'unauthorized' });
    assert.equal(outbox.size, 1);
  });

  it('dead-letters a rejected report and goes on with the next', async () => {
    const { outbox, reports } = await outboxWith(2);
    const reporter = new Reporter({
      outbox,
      deliver: async (r) => {
        if (r.reportId === reports[0]!.reportId) throw new ServerError('REJECTED', '422 schema');
        return ack(r);
      },
      onUnauthorized: async () => false,
      clock: noSleep,
    });
    assert.deepEqual(await reporter.drain(new AbortController().signal), { outcome: 'empty' });
    assert.equal(reporter.stats.deadLettered, 1);
    assert.equal(reporter.stats.delivered, 1);
  });

  it('an aborted signal delivers nothing', async () => {
    const { outbox } = await outboxWith(1);
    const stop = new AbortController();
    stop.abort();
    const reporter = new Reporter({ outbox, deliver: async (r) => ack(r), onUnauthorized: async () => false, clock: noSleep });
    assert.deepEqual(await reporter.drain(stop.signal), { outcome: 'aborted' });
    assert.equal(outbox.size, 1);
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Report, ReportAck } from '../../../protocol/index.js';
import { memoryLogger } from '../../../agent/log.js';
import { Outbox } from '../../../agent/outbox/outbox.js';
import { DEFAULT_BACKOFF, MAX_RETRY_AFTER_MS, backoffCeiling, backoffDelay } from '../../../agent/report/backoff.js';
import { Reporter, type Clock } from '../../../agent/report/reporter.js';
import { createApiClient } from '../../../agent/transport/api-client.js';
import { ServerError } from '../../../agent/transport/errors.js';
import { report } from '../../helpers/sample-reports.js';

const dirs: string[] = [];
async function openOutbox(): Promise<Outbox> {
  const dir = await mkdtemp(join(tmpdir(), 'appwacht-reporter-'));
  dirs.push(dir);
  return Outbox.open({ dir });
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A clock that never waits: it records each sleep and advances virtual time. `onSleep` may stop the run. */
function fakeClock(onSleep?: (ms: number, count: number) => void): Clock & { slept: number[]; t: number } {
  const clock = {
    slept: [] as number[],
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.t += ms;
      onSleep?.(ms, clock.slept.length);
      await new Promise((r) => setImmediate(r));
    },
  };
  return clock;
}

const ack = (r: Report, stored = true): ReportAck => ({ reportId: r.reportId, stored });

describe('backoffDelay()', () => {
  it('grows exponentially from 5 s and is capped at 15 min', () => {
    const ceilings = Array.from({ length: 12 }, (_, i) => backoffCeiling(i));
    assert.deepEqual(ceilings, [5e3, 1e4, 2e4, 4e4, 8e4, 16e4, 32e4, 64e4, 9e5, 9e5, 9e5, 9e5]);
    assert.equal(backoffCeiling(10_000), DEFAULT_BACKOFF.capMs, 'no overflow for absurd attempt counts');
  });

  it('draws from the whole window [0, ceiling) (full jitter)', () => {
    assert.equal(
      backoffDelay(3, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(3, () => 0.5),
      20_000,
    );
    assert.equal(
      backoffDelay(3, () => 0.999999),
      39_999,
    );
    const samples = Array.from({ length: 2000 }, () => backoffDelay(4));
    assert.ok(samples.every((s) => s >= 0 && s < 80_000));
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    assert.ok(mean > 36_000 && mean < 44_000, `mean ${mean} should be near 40 s`);
    assert.ok(new Set(samples).size > 1000, 'jittered, not a fixed sequence');
  });
});

describe('Reporter', () => {
  it('delivers oldest first, removes only acknowledged reports, and counts stored:false as success', async () => {
    const outbox = await openOutbox();
    const reports = [report(), report(), report()];
    for (const r of reports) await outbox.enqueue(r);
    const sent: string[] = [];
    const stop = new AbortController();
    const reporter = new Reporter({
      outbox,
      deliver: async (r) => {
        sent.push(r.reportId);
        // The second was stored before (its ack got lost): the server says stored:false.
        const a = ack(r, r.reportId !== reports[1]!.reportId);
        if (sent.length === 3) setImmediate(() => stop.abort());
        return a;
      },
      onUnauthorized: async () => false,
      clock: fakeClock(),
    });
    assert.equal(await reporter.run(stop.signal), 'aborted');
    assert.deepEqual(
      sent,
      reports.map((r) => r.reportId),
    );
    assert.equal(outbox.size, 0);
    assert.equal(reporter.stats.delivered, 3);
    assert.equal(reporter.stats.duplicates, 1);
  });

  it('backs off exponentially with full jitter, capped, while the server is unavailable, then resets', async () => {
    const outbox = await openOutbox();
    const r = report();
    await outbox.enqueue(r);
    let calls = 0;
    const stop = new AbortController();
    const reporter = new Reporter({
      outbox,
      deliver: async (x) => {
        calls++;
        if (calls <= 12) throw new ServerError(calls % 3 ? 'UNAVAILABLE' : 'BAD_RESPONSE', 'down');
        setImmediate(() => stop.abort());
        return ack(x);
      },
      onUnauthorized: async () => false,
      clock: fakeClock(),
      random: () => 0.999, // the top of each window, so the sequence is visible
    });
    await reporter.run(stop.signal);
    const waits = reporter.stats.waits.map((w) => w.ms);
    assert.deepEqual(waits, [4995, 9990, 19980, 39960, 79920, 159840, 319680, 639360, 899100, 899100, 899100, 899100]);
    assert.ok(reporter.stats.waits.every((w) => w.reason === 'backoff'));
    assert.equal(outbox.size, 0);
  });

  it('with real randomness every wait stays inside its window and the waits are not a fixed sequence', async () => {
    const outbox = await openOutbox();
    await outbox.enqueue(report());
    const stop = new AbortController();
    const clock = fakeClock((_, n) => n === 40 && stop.abort());
    const reporter = new Reporter({
      outbox,
      deliver: async () => {
        throw new ServerError('UNAVAILABLE', 'connection refused');
      },
      onUnauthorized: async () => false,
      clock,
    });
    await reporter.run(stop.signal);
    clock.slept.forEach((ms, i) => assert.ok(ms >= 0 && ms < backoffCeiling(i), `wait ${i}: ${ms}`));
    assert.ok(Math.max(...clock.slept) <= DEFAULT_BACKOFF.capMs);
    assert.ok(new Set(clock.slept.slice(10)).size > 20, 'capped waits are still jittered');
    assert.equal(outbox.size, 1, 'nothing is dropped while the server is away');
  });

  it('obeys Retry-After on 429, and caps an absurd one at an hour', async () => {
    const outbox = await openOutbox();
    await outbox.enqueue(report());
    const retryAfters = [7_000, 3 * 24 * 3600_000];
    const stop = new AbortController();
    const reporter = new Reporter({
      outbox,
      deliver: async (x) => {
        const ms = retryAfters.shift();
        if (ms !== undefined) throw new ServerError('RATE_LIMITED', 'slow down', { status: 429, retryAfterMs: ms });
        setImmediate(() => stop.abort());
        return ack(x);
      },
      onUnauthorized: async () => false,
      clock: fakeClock(),
    });
    await reporter.run(stop.signal);
    assert.deepEqual(reporter.stats.waits, [
      { ms: 7_000, reason: 'retry-after' },
      { ms: MAX_RETRY_AFTER_MS, reason: 'retry-after' },
    ]);
    assert.equal(outbox.size, 0);
  });

  it('falls back to backoff on a 429 without Retry-After', async () => {
    const outbox = await openOutbox();
    await outbox.enqueue(report());
    let first = true;
    const stop = new AbortController();
    const reporter = new Reporter({
      outbox,
      deliver: async (x) => {
        if (first) {
          first = false;
          throw new ServerError('RATE_LIMITED', 'slow down', { status: 429 });
        }
        setImmediate(() => stop.abort());
        return ack(x);
      },
      onUnauthorized: async () => false,
      clock: fakeClock(),
      random: () => 0.5,
    });
    await reporter.run(stop.signal);
    assert.deepEqual(reporter.stats.waits, [{ ms: 2500, reason: 'backoff' }]);
  });

  it('on 401 stops and asks the caller to re-enroll, keeping the report', async () => {
    const outbox = await openOutbox();
    const r = report();
    await outbox.enqueue(r);
    const asked: ServerError[] = [];
    const reporter = new Reporter({
      outbox,
      deliver: async () => {
        throw new ServerError('UNAUTHORIZED', 'token revoked', { status: 401 });
      },
      onUnauthorized: async (err) => {
        asked.push(err);
        return false;
      },
      clock: fakeClock(),
    });
    assert.equal(await reporter.run(new AbortController().signal), 'unauthorized');
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.code, 'UNAUTHORIZED');
    assert.deepEqual(
      outbox.list().map((e) => e.reportId),
      [r.reportId],
    );
  });

  it('after a successful re-enrollment goes on, and backs off when the server keeps saying 401', async () => {
    const outbox = await openOutbox();
    await outbox.enqueue(report());
    let unauthorized = 3;
    let enrollments = 0;
    const stop = new AbortController();
    const reporter = new Reporter({
      outbox,
      deliver: async (x) => {
        if (unauthorized-- > 0) throw new ServerError('UNAUTHORIZED', 'no', { status: 401 });
        setImmediate(() => stop.abort());
        return ack(x);
      },
      onUnauthorized: async () => {
        enrollments++;
        return true;
      },
      clock: fakeClock(),
      random: () => 0.999,
    });
    await reporter.run(stop.signal);
    assert.equal(enrollments, 3);
    assert.deepEqual(
      reporter.stats.waits.map((w) => w.ms),
      [4995, 9990, 19980],
      'consecutive 401s are spaced out: no enrollment storm',
    );
    assert.equal(outbox.size, 0);
  });

  it('a failing re-enrollment stops the reporter instead of crashing it', async () => {
    const outbox = await openOutbox();
    await outbox.enqueue(report());
    const log = memoryLogger();
    const reporter = new Reporter({
      outbox,
      log,
      deliver: async () => {
        throw new ServerError('UNAUTHORIZED', 'no', { status: 401 });
      },
      onUnauthorized: async () => {
        throw new Error('enrollment secret missing');
      },
      clock: fakeClock(),
    });
    assert.equal(await reporter.run(new AbortController().signal), 'unauthorized');
    assert.ok(log.lines.some((l) => l.msg === 're-enrollment failed'));
  });

  it('on 400 dead-letters that report and goes on with the next', async () => {
    const outbox = await openOutbox();
    const bad = report();
    const good = report();
    await outbox.enqueue(bad);
    await outbox.enqueue(good);
    const sent: string[] = [];
    const stop = new AbortController();
    const reporter = new Reporter({
      outbox,
      deliver: async (x) => {
        sent.push(x.reportId);
        if (x.reportId === bad.reportId) throw new ServerError('REJECTED', 'HTTP 400 INVALID_REPORT', { status: 400 });
        setImmediate(() => stop.abort());
        return ack(x);
      },
      onUnauthorized: async () => false,
      clock: fakeClock(),
    });
    await reporter.run(stop.signal);
    assert.deepEqual(sent, [bad.reportId, good.reportId]);
    assert.equal(reporter.stats.deadLettered, 1);
    assert.deepEqual(reporter.stats.waits, [], 'a rejected report costs no wait');
    const rejected = await readdir(join(outbox.dir, 'rejected'));
    assert.deepEqual(
      rejected.map((n) => n.includes(bad.reportId)),
      [true],
    );
  });

  it('does not remove a report whose ack names another id', async () => {
    const outbox = await openOutbox();
    const r = report();
    await outbox.enqueue(r);
    const stop = new AbortController();
    const reporter = new Reporter({
      outbox,
      deliver: async () => {
        setImmediate(() => stop.abort());
        return { reportId: report().reportId, stored: true };
      },
      onUnauthorized: async () => false,
      clock: fakeClock(),
    });
    await reporter.run(stop.signal);
    assert.equal(outbox.size, 1);
    assert.equal(reporter.stats.delivered, 0);
  });

  it('treats an unexpected exception from deliver like an outage (backoff), not a crash', async () => {
    const outbox = await openOutbox();
    await outbox.enqueue(report());
    let n = 0;
    const stop = new AbortController();
    const reporter = new Reporter({
      outbox,
      deliver: async (x) => {
        if (n++ === 0) throw new TypeError('boom');
        setImmediate(() => stop.abort());
        return ack(x);
      },
      onUnauthorized: async () => false,
      clock: fakeClock(),
    });
    await reporter.run(stop.signal);
    assert.equal(reporter.stats.waits.length, 1);
    assert.equal(outbox.size, 0);
  });

  it('idles while the outbox is empty and wakes up on enqueue', async () => {
    const outbox = await openOutbox();
    const sent: string[] = [];
    const stop = new AbortController();
    const reporter = new Reporter({
      outbox,
      deliver: async (x) => {
        sent.push(x.reportId);
        return ack(x);
      },
      onUnauthorized: async () => false,
      clock: fakeClock(),
    });
    const running = reporter.run(stop.signal);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(sent, []);
    const r = report();
    await outbox.enqueue(r);
    for (let i = 0; i < 100 && sent.length === 0; i++) await new Promise((res) => setTimeout(res, 5));
    assert.deepEqual(sent, [r.reportId]);
    stop.abort();
    assert.equal(await running, 'aborted');
  });

  it('in real time over real HTTP: rides out 503, 429 with Retry-After and a refused connection, then delivers', async () => {
    // Stand-in server (server/ is written in parallel): answers 503 twice, then 429 with Retry-After: 1, then stores.
    const answers = [503, 503, 429];
    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const status = answers.shift();
        if (status) {
          res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '1' } : {}) });
          res.end(JSON.stringify({ statusCode: status, code: 'X', message: 'stand-in fault' }));
          return;
        }
        const r = JSON.parse(body) as Report;
        received.push(r.reportId);
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ reportId: r.reportId, stored: true }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const outbox = await openOutbox();
      const r = report();
      await outbox.enqueue(r);
      // First a port nobody listens on (connection refused), then the stand-in.
      let target = 'http://127.0.0.1:1';
      const client = () =>
        createApiClient({ serverUrl: target, fetch: globalThis.fetch, getToken: () => 'token', timeoutMs: 2000 });
      const stop = new AbortController();
      let attempts = 0;
      const reporter = new Reporter({
        outbox,
        deliver: async (x) => {
          if (attempts++ === 1) target = url;
          const a = await client().postReport(x);
          stop.abort();
          return a;
        },
        onUnauthorized: async () => false,
        backoff: { baseMs: 50, capMs: 400 },
      });
      const start = performance.now();
      await reporter.run(stop.signal);
      const elapsed = performance.now() - start;
      assert.deepEqual(received, [r.reportId]);
      assert.equal(outbox.size, 0);
      assert.deepEqual(
        reporter.stats.waits.map((w) => w.reason),
        ['backoff', 'backoff', 'backoff', 'retry-after'], // refused, 503, 503, then 429
      );
      assert.ok(elapsed >= 1000, `Retry-After: 1 was waited for in real time (${Math.round(elapsed)} ms)`);
      // Nothing longer was chosen: each backoff within its cap, the Retry-After exactly the server's second. (The
      // chosen waits, not the wall clock: a loaded machine stretches wall time, the choice stays the same.)
      const waits = reporter.stats.waits;
      assert.ok(waits.filter((w) => w.reason === 'backoff').every((w) => w.ms <= 400), JSON.stringify(waits));
      assert.deepEqual(waits.filter((w) => w.reason === 'retry-after').map((w) => w.ms), [1000]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

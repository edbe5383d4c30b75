/**
 * An open-loop load generator over a keep-alive undici Pool: request i is due at t0 + i/rate, whether or not earlier
 * requests have been answered — like thousands of laptops that report on their own clocks. Latency is measured from
 * the moment a request was *due*, not from when it happened to be sent, so a stalled server cannot hide its stall
 * by slowing the generator down (coordinated omission, as wrk2 avoids it).
 *
 * Why not autocannon's `overallRate`: it lets every connection send its whole per-second quota back to back at the
 * start of each second (a counter reset by setInterval), so a "fixed 500/s" arrives as 500 requests in a burst and
 * then a pause; the p99 it reports is then the time to drain that burst, not the latency at 500/s.
 */
import { Pool } from 'undici';

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface OpenLoopOptions {
  origin: string;
  connections: number;
  rate: number;
  durationSec: number;
  next: () => RequestSpec;
  /** Stops dispatching early (a background load that runs until the foreground measurement is done). */
  signal?: AbortSignal;
}

export interface OpenLoopResult {
  due: number;
  completed: number;
  errors: number;
  statuses: Record<string, number>;
  achievedRate: number;
  /** From due time to the last byte of the response: what an agent would see. */
  latencyMs: number[];
  /** From the actual send: the server's share alone. */
  serviceMs: number[];
  /** How late the generator itself dispatched (timer granularity, its own CPU starvation). */
  maxDispatchLagMs: number;
}

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const pool = new Pool(o.origin, { connections: o.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const interval = 1000 / o.rate;
  const total = Math.round(o.rate * o.durationSec);
  const latencyMs: number[] = [];
  const serviceMs: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let dispatched = 0;
  let maxLag = 0;
  const inFlight = new Set<Promise<void>>();

  const fire = (due: number) => {
    const spec = o.next();
    const sent = performance.now();
    maxLag = Math.max(maxLag, sent - due);
    const p = pool
      .request({
        method: spec.method,
        path: spec.path,
        headers: spec.headers,
        ...(spec.body !== undefined ? { body: spec.body } : {}),
      })
      .then(async (res) => {
        await res.body.dump();
        const end = performance.now();
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        latencyMs.push(end - due);
        serviceMs.push(end - sent);
      })
      .catch(() => {
        errors++;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // Everything that is due by now goes out now; the next wake-up is the next due time.
      while (dispatched < total && t0 + dispatched * interval <= now) fire(t0 + dispatched++ * interval);
      if (dispatched >= total || o.signal?.aborted) return resolve();
      setTimeout(tick, Math.max(0, t0 + dispatched * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  const elapsed = (performance.now() - t0) / 1000;
  await pool.close();
  return {
    due: dispatched,
    completed: latencyMs.length,
    errors,
    statuses,
    achievedRate: latencyMs.length / elapsed,
    latencyMs,
    serviceMs,
    maxDispatchLagMs: maxLag,
  };
}

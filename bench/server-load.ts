/**
 * The load generator of bench:server, run as its own process so it can be pinned (taskset) apart from the server
 * and so its CPU use shows up as a separate process. Usage: `node --import tsx bench/server-load.ts <job.json>`;
 * prints one JSON line `{"load": LoadResult}` on stdout.
 *
 * Closed loop (saturation): autocannon, N keep-alive connections, each sending its next request as soon as the
 * previous answer is in. Latencies are taken from autocannon's per-response event in fractional milliseconds
 * (its own histogram keeps whole milliseconds, too coarse for a 1 ms p50).
 * Open loop (fixed rate): server-open-loop.ts.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { openLoop, type RequestSpec } from './server-open-loop.js';
import { reportFor, type BenchDevice } from './server-payloads.js';

export type LoadTarget = 'report' | 'policy304' | 'baseline-report' | 'baseline-policy304';

export interface LoadJob {
  mode: 'closed' | 'open';
  origin: string;
  target: LoadTarget;
  connections: number;
  durationSec: number;
  /** Unmeasured run before the measured one (JIT, caches, SQLite page cache). */
  warmupSec: number;
  /** Open loop only: requests per second. */
  rate?: number;
  /** JSON file with BenchDevice[] (tokens of enrolled devices). */
  devicesFile: string;
  /** Policy ETag for the 304 targets. */
  etag?: string;
  /** Open loop only: stop early on SIGTERM and still print the result (background load). */
  untilSignal?: boolean;
}

export interface LoadResult {
  mode: LoadJob['mode'];
  target: LoadTarget;
  connections: number;
  durationSec: number;
  rate?: number;
  completed: number;
  perSecond: number;
  statuses: Record<string, number>;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Open loop: service time (from the actual send), and how late the generator itself was. */
  serviceP50?: number;
  serviceP99?: number;
  maxDispatchLagMs?: number;
  /** CPU seconds this generator process used per wall second (1.0 = one whole core). */
  generatorCores: number;
}

function percentiles(values: number[]): { p50: number; p90: number; p99: number; max: number } {
  const s = Float64Array.from(values).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
  return { p50: at(50), p90: at(90), p99: at(99), max: s[s.length - 1] ?? NaN };
}

/** Round-robin over the devices, so every device token is used and each device's reports arrive in order. */
function requestSource(job: LoadJob): () => RequestSpec {
  const devices = JSON.parse(readFileSync(job.devicesFile, 'utf8')) as BenchDevice[];
  if (devices.length === 0) throw new Error('no devices in ' + job.devicesFile);
  let i = 0;
  const nextDevice = () => devices[i++ % devices.length]!;
  switch (job.target) {
    case 'report':
    case 'baseline-report':
      return () => {
        const d = nextDevice();
        return {
          method: 'POST',
          path: job.target === 'report' ? '/api/v1/reports' : '/baseline/reports',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${d.token}` },
          body: JSON.stringify(reportFor(d.profile, d.os)),
        };
      };
    case 'policy304':
    case 'baseline-policy304':
      return () => ({
        method: 'GET',
        path: job.target === 'policy304' ? '/api/v1/policy' : '/baseline/policy',
        headers: { authorization: `Bearer ${nextDevice().token}`, 'if-none-match': job.etag ?? '' },
      });
  }
}

async function closedLoop(job: LoadJob, seconds: number, measure: boolean) {
  const next = requestSource(job);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const instance = autocannon({
    url: job.origin,
    connections: job.connections,
    duration: seconds,
    requests: [{ setupRequest: (req) => ({ ...req, ...next() }) }],
  });
  // autocannon emits (client, statusCode, bytes, ms); the published types leave out the client.
  (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (!measure) return;
    statuses[status] = (statuses[status] ?? 0) + 1;
    latencies.push(ms);
  });
  const result = await instance;
  return { latencies, statuses, errors: result.errors + result.timeouts, seconds: result.duration };
}

export async function runJob(job: LoadJob, signal?: AbortSignal): Promise<LoadResult> {
  const base = { mode: job.mode, target: job.target, connections: job.connections, durationSec: job.durationSec };
  if (job.mode === 'closed') {
    if (job.warmupSec > 0) await closedLoop(job, job.warmupSec, false);
    const cpu0 = process.cpuUsage();
    const r = await closedLoop(job, job.durationSec, true);
    const cpu = process.cpuUsage(cpu0);
    return {
      ...base,
      completed: r.latencies.length,
      perSecond: r.latencies.length / r.seconds,
      statuses: r.statuses,
      errors: r.errors,
      ...percentiles(r.latencies),
      generatorCores: (cpu.user + cpu.system) / 1e6 / r.seconds,
    };
  }
  const rate = job.rate ?? 500;
  const next = requestSource(job);
  if (job.warmupSec > 0)
    await openLoop({ origin: job.origin, connections: job.connections, rate, durationSec: job.warmupSec, next });
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const r = await openLoop({
    origin: job.origin,
    connections: job.connections,
    rate,
    durationSec: job.durationSec,
    next,
    ...(signal ? { signal } : {}),
  });
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - started) / 1000;
  const service = percentiles(r.serviceMs);
  return {
    ...base,
    rate,
    completed: r.completed,
    perSecond: r.achievedRate,
    statuses: r.statuses,
    errors: r.errors,
    ...percentiles(r.latencyMs),
    serviceP50: service.p50,
    serviceP99: service.p99,
    maxDispatchLagMs: r.maxDispatchLagMs,
    generatorCores: (cpu.user + cpu.system) / 1e6 / seconds,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadJob;
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  const result = await runJob(job, job.untilSignal ? stop.signal : undefined);
  process.stdout.write(JSON.stringify({ load: result }) + '\n');
}

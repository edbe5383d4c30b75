/**
 * Milliseconds on a monotonic clock, for durations. Not `performance.now()`: the first read of the global `performance`
 * loads Node's perf_hooks (11 internal modules), a measurable part of a CLI start (BENCHMARKS.md, "Start-up").
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

import type { FastifyBaseLogger } from 'fastify';
import type { Repos } from '../context.js';

/** UTC day of an instant, as the compliance_daily key. */
export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Keeps the overview chart's history: today's counts per state, overwritten through the day and frozen at midnight
 * (UTC) when the next day's row begins. The chart then reads at most a few hundred small rows instead of recomputing
 * the fleet's past from reports.
 */
export async function takeSnapshot(repos: Repos, now: number): Promise<void> {
  await repos.dashboard.putDaily(dayOf(now), await repos.dashboard.stateCounts(), now);
}

/** Snapshots at start and then every `minutes` (main does; tests call takeSnapshot with their own clock). */
export function startSnapshots(repos: Repos, now: () => number, minutes: number, log: FastifyBaseLogger): { stop(): void } {
  const run = () => {
    takeSnapshot(repos, now()).catch((err: unknown) => log.error({ err }, 'compliance snapshot failed'));
  };
  run();
  const timer = setInterval(run, minutes * 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

import type { Policy } from '../../protocol/index.js';
import type { BackoffOptions } from '../report/backoff.js';
import { DEFAULT_BACKOFF } from '../report/backoff.js';

/**
 * How often the loop does what. The defaults come from the policy the organisation signed; the overrides exist for tests
 * and support (`appwacht run --scan-interval 2 …`) and are logged at start, so a shortened interval is never silent.
 */
export interface IntervalOverrides {
  scanMs?: number;
  refreshMs?: number;
  heartbeatMs?: number;
  /** Process watch tick (default 2 s on Linux, 10 s where the process list has to be asked for). */
  watchMs?: number;
  /** Caps every retry wait: report delivery, enrollment, policy refresh after a failure. */
  retryMaxMs?: number;
}

export interface LoopIntervals {
  scanMs: number;
  refreshMs: number;
  heartbeatMs: number;
  /** Wait before the next policy refresh after a failed one (server away): at most the refresh interval. */
  refreshRetryMs: number;
}

const MINUTE = 60_000;
/** A failed refresh is tried again after 5 minutes (not the full hour): a server back from maintenance is noticed soon. */
const REFRESH_RETRY_MS = 5 * MINUTE;

/** Pure: the intervals in force for a policy. */
export function loopIntervals(policy: Policy, overrides: IntervalOverrides = {}): LoopIntervals {
  const refreshMs = overrides.refreshMs ?? policy.intervals.policyRefreshMinutes * MINUTE;
  return {
    scanMs: overrides.scanMs ?? policy.intervals.scanMinutes * MINUTE,
    refreshMs,
    heartbeatMs: overrides.heartbeatMs ?? policy.intervals.heartbeatMinutes * MINUTE,
    refreshRetryMs: Math.min(refreshMs, overrides.retryMaxMs ?? REFRESH_RETRY_MS),
  };
}

/** Report delivery backoff (reporter) under a retry cap. */
export function reportBackoff(overrides: IntervalOverrides): BackoffOptions {
  if (overrides.retryMaxMs === undefined) return DEFAULT_BACKOFF;
  const capMs = overrides.retryMaxMs;
  return { baseMs: Math.min(DEFAULT_BACKOFF.baseMs, capMs), capMs };
}

/** Enrollment backoff (enroll.ts defaults: 1 min … 1 h) under a retry cap. */
export function enrollmentBackoff(overrides: IntervalOverrides): { baseMs: number; capMs: number } | undefined {
  if (overrides.retryMaxMs === undefined) return undefined;
  const capMs = overrides.retryMaxMs;
  return { baseMs: Math.min(MINUTE, capMs), capMs };
}

/** Seconds as a flag gives them ("2", "0.5") → milliseconds; undefined when absent, NaN-free or an error message. */
export function parseSeconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 7 * 24 * 3600)
    throw new RangeError(`${flag} must be a number of seconds between 0 and 604800, not "${text}"`);
  return Math.round(value * 1000);
}

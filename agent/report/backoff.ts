/**
 * Retry timing for report delivery.
 *
 * Full jitter (delay = random × min(cap, base × 2^attempt), as in AWS's "Exponential Backoff and Jitter"):
 * when the intranet server comes back after an outage, thousands of laptops that failed at the same moment
 * must not retry at the same moment; full jitter spreads them evenly over the whole window.
 * - base 5 s: a brief blip (server restart, Wi-Fi roaming) is bridged within seconds.
 * - cap 15 min: the order of the heartbeat interval, so a laptop learns that the server is back within
 *   ~15 minutes; with 100,000 laptops at the cap that is ~220 attempts/s fleet-wide (mean wait 7.5 min),
 *   far below what the server handles.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 5_000, capMs: 15 * 60_000 };

/** The upper bound of the delay before retry number `attempt` (0-based): base × 2^attempt, capped. */
export function backoffCeiling(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  // 2^attempt overflows to Infinity for large attempts; min() with the cap keeps it finite.
  return Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
}

/** Pure given `random` (∈ [0,1)): a delay uniformly drawn from [0, ceiling). */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  return Math.floor(random() * backoffCeiling(attempt, options));
}

/** A server's Retry-After is obeyed, but a broken or hostile value cannot park the agent for days. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;
